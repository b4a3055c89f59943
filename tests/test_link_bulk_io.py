"""Streaming export (GET …/links/export) and import (POST …/links/import) of one instance's
links, as NDJSON and CSV, on both instance path families."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpx
import orjson
import pytest

from datalinks.app import create_app
from datalinks.data_links.bulk_io import MAX_LINE_BYTES
from datalinks.db.engine import Database
from datalinks.settings import Settings
from tests.support.helpers import Tenant, assert_error
from tests.support.linkfixtures import LinkWorld, link_rows, make_world

NDJSON = {"Content-Type": "application/x-ndjson"}
CSV = {"Content-Type": "text/csv"}
# Ids that CSV, NDJSON and COPY's text format must each escape or keep as they are.
AWKWARD = [
    'comma, "quotes"',
    "line\nbreak",
    "crlf\r\nbreak",
    "tab\there",
    "back\\slash \\N",
    "  padded  ",
    "ünï©ødé 𝄞",
    "=1+1",
]


def ndjson(rows: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


def generated(count: int, start: int = 0) -> list[dict[str, str]]:
    return [
        {"externalRecordId": f"ext-{i:06d}", "appRecordId": f"app-{i:06d}", "direction": "import"}
        for i in range(start, start + count)
    ]


class Bulk:
    def __init__(self, world: LinkWorld, table_addressed: bool = False) -> None:
        self.world = world
        self.table_addressed = table_addressed

    @property
    def base(self) -> str:
        if self.table_addressed:
            return f"/data-link-tables/{self.world.table['key']}/links"
        return "/data-link-table-instance/links"

    @property
    def params(self) -> dict[str, str]:
        if self.table_addressed:
            return {"connectionId": self.world.connection["id"], "autoCreate": "true"}
        return self.world.selector

    async def load(
        self, content: Any, headers: dict[str, str] = NDJSON, **params: str
    ) -> httpx.Response:
        return await self.world.client.post(
            f"{self.base}/import",
            params={**self.params, **params},
            content=content,
            headers={**self.world.customer, **headers},
        )

    async def export(self, **params: str) -> httpx.Response:
        return await self.world.client.get(
            f"{self.base}/export", params={**self.params, **params}, headers=self.world.customer
        )

    async def exported(self, **params: str) -> list[dict[str, Any]]:
        r = await self.export(**params)
        assert r.status_code == 200, r.text
        return [json.loads(line) for line in r.text.splitlines()]


@pytest.fixture(params=[False, True], ids=["instance-addressed", "table-addressed"])
def table_addressed(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


async def test_import_then_export_ndjson(
    client: httpx.AsyncClient, tenant: Tenant, table_addressed: bool
) -> None:
    bulk = Bulk(await make_world(client, tenant), table_addressed)
    lines = [
        *generated(3),
        {"externalRecordId": "e-both", "appRecordId": "a-both"},  # no direction: both
        {"externalRecordId": "e-x", "appRecordId": "a-x", "direction": "export", "id": "9"},
    ]
    r = await bulk.load(ndjson(lines))
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 6, "updated": 0, "rejected": 0, "errors": []}
    r = await bulk.load(ndjson(lines[:2]))
    assert r.json() == {"created": 0, "updated": 2, "rejected": 0, "errors": []}
    r = await bulk.export()
    assert r.headers["content-type"] == "application/x-ndjson"
    assert "attachment" in r.headers["content-disposition"]
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert [(x["externalRecordId"], x["direction"]) for x in rows] == [
        ("ext-000000", "import"),
        ("ext-000001", "import"),
        ("ext-000002", "import"),
        ("e-both", "import"),
        ("e-both", "export"),
        ("e-x", "export"),
    ]
    assert set(rows[0]) == {
        "externalRecordId",
        "appRecordId",
        "direction",
        "createdAt",
        "updatedAt",
    }
    # What the single-link routes see, timestamps included (to the millisecond, `Z`).
    assert len(await bulk.world.find(externalRecordId="e-both")) == 2
    found = await bulk.world.find()
    assert [(x["createdAt"], x["updatedAt"]) for x in found] == [
        (x["createdAt"], x["updatedAt"]) for x in rows
    ]


async def test_a_large_instance_round_trips_through_export_and_import(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """More links than several export batches, an import well over the 1 MiB JSON body limit,
    and awkward ids; exported from one instance, imported into another, exported again."""
    source = Bulk(await make_world(client, tenant))
    links = generated(20_000) + [
        {"externalRecordId": ext, "appRecordId": ext[::-1], "direction": "both"} for ext in AWKWARD
    ]
    body = ndjson(links)
    assert len(body) > 1_048_576
    r = await source.load(body)
    assert r.json()["created"] == 20_000 + 2 * len(AWKWARD)
    target = Bulk(await make_world(client, tenant, customer_id="bob"))
    for fmt, headers in (("ndjson", NDJSON), ("csv", CSV)):
        exported = await source.export(format=fmt)
        assert exported.status_code == 200
        r = await target.load(exported.content, headers)
        assert r.status_code == 200, r.text
        expected = (20_016, 0) if fmt == "ndjson" else (0, 20_016)
        assert (r.json()["created"], r.json()["updated"]) == expected
    strip = [{k: v for k, v in x.items() if not k.endswith("At")} for x in await source.exported()]
    again = [{k: v for k, v in x.items() if not k.endswith("At")} for x in await target.exported()]
    assert again == strip
    assert len(strip) == 20_016


async def test_csv_export_has_a_header_and_quotes_what_it_must(
    client: httpx.AsyncClient, tenant: Tenant, table_addressed: bool
) -> None:
    bulk = Bulk(await make_world(client, tenant), table_addressed)
    await bulk.load(ndjson({"externalRecordId": e, "appRecordId": "a"} for e in AWKWARD[:2]))
    r = await bulk.export(format="csv")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(r.text, newline="")))
    assert rows[0] == ["externalRecordId", "appRecordId", "direction", "createdAt", "updatedAt"]
    assert [row[:3] for row in rows[1:]] == [
        [AWKWARD[0], "a", "import"],
        [AWKWARD[0], "a", "export"],
        [AWKWARD[1], "a", "import"],
        [AWKWARD[1], "a", "export"],
    ]
    assert_error(await bulk.export(format="xml"), 400)


async def test_csv_import_reads_columns_by_name(client: httpx.AsyncClient, tenant: Tenant) -> None:
    bulk = Bulk(await make_world(client, tenant))
    text = (
        "\ufeffnote,appRecordId,externalRecordId,direction\r\n"
        "x,a1,e1,import\r\n"
        "\r\n"
        'y,"a2, with comma","e2 ""quoted""",\r\n'  # empty direction: both
        'z,"multi\r\nline",e3,export\r\n'
    )
    r = await bulk.load(text.encode(), CSV)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 4, "updated": 0, "rejected": 0, "errors": []}
    got = [(x["externalRecordId"], x["appRecordId"], x["direction"]) for x in await bulk.exported()]
    assert got == [
        ("e1", "a1", "import"),
        ('e2 "quoted"', "a2, with comma", "import"),
        ('e2 "quoted"', "a2, with comma", "export"),
        ("e3", "multi\r\nline", "export"),
    ]
    # Without a direction column every row is `both`; a file with no rows imports nothing.
    r = await bulk.load(b"externalRecordId,appRecordId\ne9,a9", CSV)
    assert r.json()["created"] == 2
    r = await bulk.load(b"", CSV)
    assert r.json() == {"created": 0, "updated": 0, "rejected": 0, "errors": []}


async def test_duplicates_blank_lines_and_crlf_in_ndjson(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    bulk = Bulk(await make_world(client, tenant))
    body = (
        b'\xef\xbb\xbf{"externalRecordId": "b", "appRecordId": "x", "direction": "import"}\r\n'
        b"\n   \n"
        b'{"externalRecordId": "a", "appRecordId": "x", "direction": "import"}\r\n'
        b'{"externalRecordId": "b", "appRecordId": "x", "direction": "both"}\n'
        b'{"externalRecordId": "a", "appRecordId": "x", "direction": "import"}'  # no final \n
    )
    r = await bulk.load(body)
    assert r.json() == {"created": 3, "updated": 0, "rejected": 0, "errors": []}
    # Written in the order of each link's first line.
    got = [(x["externalRecordId"], x["direction"]) for x in await bulk.exported()]
    assert got == [("b", "import"), ("a", "import"), ("b", "export")]


MALFORMED_NDJSON = [
    (b"{not json", "not a JSON object"),
    (b'["e", "a"]', "dictionary"),
    (b'{"externalRecordId": "e"}', "appRecordId"),
    (b'{"externalRecordId": "", "appRecordId": "a"}', "externalRecordId"),
    (b'{"externalRecordId": "e", "appRecordId": "a", "direction": "up"}', "direction"),
    (b'{"externalRecordId": "e\\u0000", "appRecordId": "a"}', "NUL"),
    (b'{"externalRecordId": 5, "appRecordId": "a"}', "externalRecordId"),
    (b'{"externalRecordId": "e", "appRecordId": "a", "direction": null}', "direction"),
    (orjson.dumps({"externalRecordId": "x" * 1001, "appRecordId": "a"}), "at most 1000"),
    (b'{"externalRecordId": "\xff", "appRecordId": "a"}', "not a JSON object"),
    (b'{"externalRecordId": "' + b"x" * MAX_LINE_BYTES + b'"}', "longer than"),
]


async def test_malformed_ndjson_lines_fail_the_import_with_line_numbers(
    client: httpx.AsyncClient, tenant: Tenant, table_addressed: bool
) -> None:
    bulk = Bulk(await make_world(client, tenant), table_addressed)
    good = ndjson(generated(2))
    body = good + b"\n".join(line for line, _ in MALFORMED_NDJSON) + b"\n" + good
    error = assert_error(await bulk.load(body), 400)
    issues = error["data"]["issues"]
    assert [i["path"] for i in issues] == [f"line {n}" for n in range(3, 3 + len(MALFORMED_NDJSON))]
    for issue, (_, expected) in zip(issues, MALFORMED_NDJSON, strict=True):
        assert expected in issue["message"], issue
    assert error["data"]["rejected"] == len(MALFORMED_NDJSON)
    assert error["message"].startswith("line 3: ")
    assert await bulk.exported() == []


async def test_partial_import_skips_malformed_lines_and_applies_the_rest(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    bulk = Bulk(await make_world(client, tenant))
    good = ndjson(generated(2))
    body = good + b"\n".join(line for line, _ in MALFORMED_NDJSON) + b"\n" + ndjson(generated(1, 7))
    r = await bulk.load(body, partial="true")
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["created"], report["updated"]) == (3, 0)
    assert report["rejected"] == len(MALFORMED_NDJSON)
    assert [e["line"] for e in report["errors"]] == list(range(3, 3 + len(MALFORMED_NDJSON)))
    assert [x["externalRecordId"] for x in await bulk.exported()] == [
        "ext-000000",
        "ext-000001",
        "ext-000007",
    ]


async def test_a_report_lists_the_first_hundred_errors_and_counts_them_all(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    bulk = Bulk(await make_world(client, tenant))
    body = b"oops\n" * 250 + ndjson(generated(1))
    report = (await bulk.load(body, partial="1")).json()
    assert (report["created"], report["rejected"], len(report["errors"])) == (1, 250, 100)
    assert report["errors"][-1] == {"line": 100, "message": report["errors"][-1]["message"]}
    error = assert_error(await bulk.load(body), 400)
    assert (error["data"]["rejected"], len(error["data"]["issues"])) == (250, 100)


async def test_malformed_csv(client: httpx.AsyncClient, tenant: Tenant) -> None:
    bulk = Bulk(await make_world(client, tenant))
    text = (
        "externalRecordId,appRecordId,direction\n"  # 1
        "e1,a1,import\n"  # 2
        "e2,a2\n"  # 3: too few fields
        'e3,"a3"x,import\n'  # 4: text after a closing quote
        "e4,a4,sideways\n"  # 5
        ",a5,import\n"  # 6: empty id
        "e7,a7,import\n"  # 7
        'e8,"never closed\n'  # 8..9: the file ends inside a quoted field
        "e9,a9,import\n"
    )
    error = assert_error(await bulk.load(text.encode(), CSV), 400)
    assert [i["path"] for i in error["data"]["issues"]] == [
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 8",
    ]
    assert "not closed" in error["data"]["issues"][-1]["message"]
    r = await bulk.load(text.encode(), CSV, partial="true")
    assert (r.json()["created"], r.json()["rejected"]) == (2, 5)
    # Invalid UTF-8 and NUL characters are line errors too.
    r = await bulk.load(b"externalRecordId,appRecordId\ne\xff,a\ne\x00,a\ne,a\n", CSV, partial="1")
    assert [e["line"] for e in r.json()["errors"]] == [2, 3]
    # Without the two id columns the file cannot be read at all, partial or not.
    for header in (b"ext,app\ne,a\n", b"e1,a1\n"):
        error = assert_error(await bulk.load(header, CSV, partial="true"), 400)
        assert "externalRecordId" in error["message"]


async def test_an_import_with_a_malformed_line_deep_inside_applies_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    bulk = Bulk(await make_world(client, tenant))
    await bulk.load(ndjson(generated(10)))
    lines = generated(60_000, start=10)
    body = ndjson(lines[:49_999]) + b'{"externalRecordId": ""}\n' + ndjson(lines[49_999:])
    error = assert_error(await bulk.load(body), 400)
    assert error["data"]["issues"][0]["path"] == "line 50000"
    assert await link_rows(bulk.world) == 10


async def test_an_upload_that_breaks_off_applies_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    bulk = Bulk(await make_world(client, tenant))
    await bulk.load(ndjson(generated(10)))

    async def breaks_off() -> AsyncIterator[bytes]:
        for start in range(0, 60_000, 5_000):
            if start == 30_000:
                raise ConnectionResetError("the client went away")
            yield ndjson(generated(5_000, start=10 + start))

    r = await bulk.load(breaks_off())
    assert r.status_code >= 400
    assert await link_rows(bulk.world) == 10
    # The server goes on serving, the instance included.
    r = await bulk.load(ndjson(generated(5)))
    assert r.json()["created"] == 0


async def test_import_content_types(client: httpx.AsyncClient, tenant: Tenant) -> None:
    bulk = Bulk(await make_world(client, tenant))
    body = ndjson(generated(1))
    for headers in (
        {"Content-Type": "application/json"},
        {"Content-Type": "text/plain"},
        {"Content-Type": "text/csv; charset=latin-1"},
        {},
    ):
        assert_error(await bulk.load(body, headers), 415)
    for media in ("application/x-ndjson; charset=utf-8", "application/jsonl"):
        r = await bulk.load(body, {"Content-Type": media})
        assert r.status_code == 200, r.text
    assert_error(await bulk.load(body, partial="maybe"), 400)
    assert len(await bulk.exported()) == 1


async def test_the_import_size_limit(
    settings: Settings, database: Database, tenant: Tenant
) -> None:
    app = create_app(settings.model_copy(update={"max_import_bytes": 2048}), database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://datalinks.test") as c:
        bulk = Bulk(await make_world(c, tenant))
        assert (await bulk.load(ndjson(generated(10)))).status_code == 200
        assert_error(await bulk.load(ndjson(generated(100))), 413)

        async def unsized() -> AsyncIterator[bytes]:
            for start in range(0, 100, 10):
                yield ndjson(generated(10, start=start))

        assert_error(await bulk.load(unsized()), 413)
        assert len(await bulk.exported()) == 10


async def test_export_and_import_need_an_instance_in_scope(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, table_addressed: bool
) -> None:
    world = await make_world(client, tenant)
    bulk = Bulk(world, table_addressed)
    await bulk.load(ndjson(generated(3)))
    instance = await client.get(
        "/data-link-table-instance", params=world.selector, headers=world.customer
    )
    by_id = {"id": instance.json()["id"]}
    outsiders = [
        tenant.customer("mallory"),
        other_tenant.admin,
        {"Authorization": f"Bearer {other_tenant.token(customer_id='alice')}"},
    ]
    for headers in outsiders:
        for params in (by_id, bulk.params):
            r = await client.get(f"{bulk.base}/export", params=params, headers=headers)
            assert r.status_code in (400, 404), r.text
            r = await client.post(
                f"{bulk.base}/import",
                params=params,
                content=ndjson(generated(1, start=100)),
                headers={**headers, **NDJSON},
            )
            assert r.status_code in (400, 404), r.text
        r = await client.get(
            "/data-link-table-instance/links/export", params=by_id, headers=headers
        )
        assert_error(r, 404, "not_found")
    r = await client.get("/data-link-table-instance/links/export", params=by_id)
    assert_error(r, 401, "not_authenticated")
    r = await client.post(
        "/data-link-table-instance/links/import", params=by_id, content=b"{}", headers=NDJSON
    )
    assert_error(r, 401, "not_authenticated")
    assert len(await bulk.exported()) == 3
    # Without autoCreate a slot with no instance is a 404 for export and import.
    params = {k: v for k, v in bulk.params.items() if k != "autoCreate"}
    params["instanceKey"] = "other"
    r = await client.get(f"{bulk.base}/export", params=params, headers=world.customer)
    assert_error(r, 404, "not_found")
    r = await client.post(
        f"{bulk.base}/import", params=params, content=b"", headers={**world.customer, **NDJSON}
    )
    assert_error(r, 404, "not_found")


async def test_import_refuses_an_archived_instance_and_export_still_reads_it(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    bulk = Bulk(world)
    await bulk.load(ndjson(generated(2)))
    instance = await client.get(
        "/data-link-table-instance", params=world.selector, headers=world.customer
    )
    by_id = {"id": instance.json()["id"]}
    assert (
        await client.delete("/data-link-table-instance", params=by_id, headers=world.customer)
    ).status_code == 200
    r = await client.post(
        "/data-link-table-instance/links/import",
        params=by_id,
        content=ndjson(generated(1, start=5)),
        headers={**world.customer, **NDJSON},
    )
    assert_error(r, 400)
    r = await client.get(
        "/data-link-table-instance/links/export", params=by_id, headers=world.customer
    )
    assert len(r.text.splitlines()) == 2
