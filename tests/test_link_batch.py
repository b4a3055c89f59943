"""Batch link routes on both instance path families: POST …/links/batch, …/links/resolve and
…/links/delete-batch."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.helpers import Tenant, assert_error
from tests.support.linkfixtures import LinkWorld, link_rows, make_world

INSTANCE = "/data-link-table-instance/links"


class Family:
    """One of the two instance path families, for the same world."""

    def __init__(self, world: LinkWorld, table_addressed: bool) -> None:
        self.world = world
        self.table_addressed = table_addressed

    @property
    def base(self) -> str:
        if self.table_addressed:
            return f"/data-link-tables/{self.world.table['key']}/links"
        return INSTANCE

    @property
    def params(self) -> dict[str, str]:
        if self.table_addressed:
            return {"connectionId": self.world.connection["id"], "autoCreate": "true"}
        return self.world.selector

    async def post(self, action: str, body: Any, **params: str) -> httpx.Response:
        return await self.world.client.post(
            f"{self.base}/{action}",
            params={**self.params, **params},
            json=body,
            headers=self.world.customer,
        )


@pytest.fixture(params=[False, True], ids=["instance-addressed", "table-addressed"])
def table_addressed(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


async def family(client: httpx.AsyncClient, tenant: Tenant, table_addressed: bool) -> Family:
    return Family(await make_world(client, tenant), table_addressed)


def links(*triples: tuple[str, str, str | None]) -> list[dict[str, str]]:
    out = []
    for ext, app, direction in triples:
        item = {"externalRecordId": ext, "appRecordId": app}
        if direction is not None:
            item["direction"] = direction
        out.append(item)
    return out


async def test_batch_creates_then_updates_and_both_counts_two(
    client: httpx.AsyncClient, tenant: Tenant, table_addressed: bool
) -> None:
    f = await family(client, tenant, table_addressed)
    body = {"links": links(("e1", "a1", "import"), ("e2", "a2", "both"), ("e3", "a3", None))}
    r = await f.post("batch", body)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 5, "updated": 0}
    assert await link_rows(f.world) == 5
    # The same links again, plus one new: upserts, as single creates are.
    body["links"] += links(("e4", "a4", "export"))
    r = await f.post("batch", body)
    assert r.json() == {"created": 1, "updated": 5}
    found = await f.world.find(externalRecordId="e2")
    assert sorted(x["direction"] for x in found) == ["export", "import"]
    assert await link_rows(f.world) == 6


async def test_in_batch_duplicates_are_written_once_in_first_occurrence_order(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    f = await family(client, tenant, False)
    body = {
        "links": links(
            ("x3", "a", "import"),
            ("x1", "a", "import"),
            ("x3", "a", "import"),  # exact repeat
            ("x2", "a", "both"),
            ("x2", "a", "export"),  # already part of the `both` above
            ("x1", "a", "both"),  # its import link is a repeat, its export link is new
        )
    }
    r = await f.post("batch", body)
    assert r.json() == {"created": 5, "updated": 0}
    # Oldest first = the order of first occurrence in the batch.
    found = await f.world.find(appRecordId="a")
    assert [(x["externalRecordId"], x["direction"]) for x in found] == [
        ("x3", "import"),
        ("x1", "import"),
        ("x2", "import"),
        ("x2", "export"),
        ("x1", "export"),
    ]
    ids = [int(x["id"]) for x in found]
    assert ids == sorted(ids)


async def test_batch_size_limits(
    client: httpx.AsyncClient, tenant: Tenant, table_addressed: bool
) -> None:
    f = await family(client, tenant, table_addressed)
    too_many = {"links": [{"externalRecordId": f"e{i}", "appRecordId": "a"} for i in range(1001)]}
    body = assert_error(await f.post("batch", too_many), 400)
    assert body["data"]["issues"][0]["path"] == "links"
    assert_error(await f.post("batch", {"links": []}), 400)
    assert_error(await f.post("batch", {}), 400)
    assert_error(await f.post("batch", {"links": {"externalRecordId": "e"}}), 400)
    assert await f.world.find() == []
    exactly = {"links": too_many["links"][:1000], "partial": False}
    r = await f.post("batch", exactly)
    assert r.json() == {"created": 2000, "updated": 0}


async def test_an_invalid_item_fails_the_whole_batch_naming_each_item(
    client: httpx.AsyncClient, tenant: Tenant, table_addressed: bool
) -> None:
    f = await family(client, tenant, table_addressed)
    body = {
        "links": [
            {"externalRecordId": "ok", "appRecordId": "a"},
            {"externalRecordId": "", "appRecordId": "a"},
            {"externalRecordId": "e", "appRecordId": "a", "direction": "sideways"},
            {"externalRecordId": "x" * 1001, "appRecordId": "a"},
            {"externalRecordId": 7, "appRecordId": "a"},
            "not an object",
            {"appRecordId": "a"},
        ]
    }
    error = assert_error(await f.post("batch", body), 400)
    paths = [issue["path"] for issue in error["data"]["issues"]]
    assert paths == [
        "links.1.externalRecordId",
        "links.2.direction",
        "links.3.externalRecordId",
        "links.4.externalRecordId",
        "links.5",
        "links.6.externalRecordId",
    ]
    assert await link_rows(f.world) == 0


async def test_partial_writes_the_valid_items_and_lists_the_others(
    client: httpx.AsyncClient, tenant: Tenant, table_addressed: bool
) -> None:
    f = await family(client, tenant, table_addressed)
    body = {
        "partial": True,
        "links": [
            {"externalRecordId": "e1", "appRecordId": "a1", "direction": "import"},
            {"externalRecordId": "e2", "appRecordId": "", "direction": "import"},
            {"externalRecordId": "e3", "appRecordId": "a3", "direction": "up"},
            {"externalRecordId": "e4", "appRecordId": "a4"},
        ],
    }
    r = await f.post("batch", body)
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["created"], result["updated"]) == (3, 0)
    assert [e["index"] for e in result["errors"]] == [1, 2]
    assert result["errors"][0]["message"].startswith("appRecordId: ")
    assert result["errors"][1]["issues"][0]["path"] == "direction"
    assert sorted(x["externalRecordId"] for x in await f.world.find()) == ["e1", "e4", "e4"]
    # Nothing valid: nothing written, still a 200 with the errors.
    r = await f.post("batch", {"partial": True, "links": [{"externalRecordId": "e"}]})
    assert r.status_code == 200
    assert (r.json()["created"], len(r.json()["errors"])) == (0, 1)
    # `partial` is a JSON boolean, like every flag in a body.
    assert_error(await f.post("batch", {**body, "partial": "true"}), 400)


async def test_batch_auto_creates_the_instance_like_a_single_create(
    client: httpx.AsyncClient, tenant: Tenant, table_addressed: bool
) -> None:
    f = await family(client, tenant, table_addressed)
    body = {"links": links(("e", "a", "import"))}
    params = {k: v for k, v in f.params.items() if k != "autoCreate"}
    r = await client.post(f"{f.base}/batch", params=params, json=body, headers=f.world.customer)
    assert_error(r, 404, "not_found")
    r = await f.post("batch", body)
    assert r.json() == {"created": 1, "updated": 0}
    r = await client.post(f"{f.base}/batch", params=params, json=body, headers=f.world.customer)
    assert r.json() == {"created": 0, "updated": 1}


async def test_resolve_by_either_side(
    client: httpx.AsyncClient, tenant: Tenant, table_addressed: bool
) -> None:
    f = await family(client, tenant, table_addressed)
    setup = links(
        ("hs-1", "u-1", "import"),
        ("hs-2", "u-2", "both"),
        ("hs-3", "u-1", "import"),  # u-1 is linked to two external records
        ("hs-4", "u-4", "export"),
    )
    assert (await f.post("batch", {"links": setup})).status_code == 200
    r = await f.post(
        "resolve",
        {"direction": "import", "externalRecordIds": ["hs-4", "hs-2", "nope", "hs-1", "hs-2"]},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "found": [
            {"externalRecordId": "hs-2", "appRecordId": "u-2"},
            {"externalRecordId": "hs-1", "appRecordId": "u-1"},
        ],
        "missing": ["hs-4", "nope"],
    }
    r = await f.post("resolve", {"direction": "import", "appRecordIds": ["u-1", "u-4"]})
    assert r.json() == {
        "found": [
            {"externalRecordId": "hs-1", "appRecordId": "u-1"},
            {"externalRecordId": "hs-3", "appRecordId": "u-1"},
        ],
        "missing": ["u-4"],
    }
    # `both` (and no direction) match either direction; a pair stored both ways is named once.
    for direction in ({"direction": "both"}, {}):
        r = await f.post("resolve", {**direction, "appRecordIds": ["u-4", "u-2"]})
        assert r.json() == {
            "found": [
                {"externalRecordId": "hs-4", "appRecordId": "u-4"},
                {"externalRecordId": "hs-2", "appRecordId": "u-2"},
            ],
            "missing": [],
        }
    r = await f.post("resolve", {"direction": "export", "externalRecordIds": ["HS-4"]})
    assert r.json() == {"found": [], "missing": ["HS-4"]}  # compared exactly


async def test_resolve_input_is_checked(
    client: httpx.AsyncClient, tenant: Tenant, table_addressed: bool
) -> None:
    f = await family(client, tenant, table_addressed)
    for body in (
        {"direction": "import"},
        {"direction": "import", "externalRecordIds": ["e"], "appRecordIds": ["a"]},
        {"direction": "import", "externalRecordIds": []},
        {"direction": "import", "externalRecordIds": [f"e{i}" for i in range(1001)]},
        {"direction": "import", "externalRecordIds": [""]},
        {"direction": "import", "externalRecordIds": ["x" * 1001]},
        {"direction": "import", "externalRecordIds": [1]},
        {"direction": "sideways", "externalRecordIds": ["e"]},
        {"direction": "import", "externalRecordIds": "e"},
    ):
        assert_error(await f.post("resolve", body), 400)
    r = await f.post("resolve", {"externalRecordIds": [f"e{i}" for i in range(1000)]})
    assert r.status_code == 200
    assert len(r.json()["missing"]) == 1000


async def test_delete_batch_is_idempotent_and_counts(
    client: httpx.AsyncClient, tenant: Tenant, table_addressed: bool
) -> None:
    f = await family(client, tenant, table_addressed)
    setup = links(("e1", "a1", "both"), ("e2", "a2", "import"), ("e3", "a3", "import"))
    await f.post("batch", {"links": setup})
    doomed = links(
        ("e1", "a1", None),  # both directions
        ("e2", "a2", "export"),  # not stored: nothing
        ("e3", "a3", "import"),
        ("e3", "a3", "import"),  # a repeat
        ("nope", "a1", "import"),
    )
    r = await f.post("delete-batch", {"links": doomed})
    assert r.status_code == 200, r.text
    assert r.json() == {"deleted": 3}
    assert [(x["externalRecordId"], x["direction"]) for x in await f.world.find()] == [
        ("e2", "import")
    ]
    r = await f.post("delete-batch", {"links": doomed})
    assert r.json() == {"deleted": 0}
    assert_error(await f.post("delete-batch", {"links": []}), 400)
    too_many = [{"externalRecordId": "e", "appRecordId": f"a{i}"} for i in range(1001)]
    assert_error(await f.post("delete-batch", {"links": too_many}), 400)
    bad = links(("e2", "a2", "import"), ("", "a", "import"))
    error = assert_error(await f.post("delete-batch", {"links": bad}), 400)
    assert error["data"]["issues"][0]["path"] == "links.1.externalRecordId"
    assert len(await f.world.find()) == 1


async def test_delete_batch_on_an_empty_slot_creates_no_instance(
    client: httpx.AsyncClient, tenant: Tenant, table_addressed: bool
) -> None:
    f = await family(client, tenant, table_addressed)
    r = await f.post("delete-batch", {"links": links(("e", "a", "import"))})
    assert r.json() == {"deleted": 0}
    r = await client.get(
        "/data-link-table-instances",
        params={"connectionId": f.world.connection["id"]},
        headers=f.world.customer,
    )
    assert r.json()["items"] == []


async def test_batch_routes_stay_inside_the_callers_scope(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    f = Family(world, False)
    await f.post("batch", {"links": links(("e", "a", "import"))})
    instance = await client.get(
        INSTANCE[: -len("/links")], params=world.selector, headers=world.customer
    )
    by_id = {"id": instance.json()["id"]}
    outsiders = [
        tenant.customer("mallory"),  # another customer of the same workspace
        other_tenant.admin,  # another workspace
        {"Authorization": f"Bearer {other_tenant.token(customer_id='alice')}"},
    ]
    bodies = {
        "batch": {"links": links(("x", "y", "import"))},
        "resolve": {"externalRecordIds": ["e"]},
        "delete-batch": {"links": links(("e", "a", "import"))},
    }
    for headers in outsiders:
        for action, body in bodies.items():
            r = await client.post(f"{INSTANCE}/{action}", params=by_id, json=body, headers=headers)
            assert_error(r, 404, "not_found")
            r = await client.post(
                f"{INSTANCE}/{action}", params=world.selector, json=body, headers=headers
            )
            assert r.status_code in (400, 404), r.text
    assert [x["externalRecordId"] for x in await world.find()] == ["e"]
    # The workspace admin may act on any customer's instance.
    r = await client.post(
        f"{INSTANCE}/resolve", params=by_id, json=bodies["resolve"], headers=tenant.admin
    )
    assert r.json()["found"] == [{"externalRecordId": "e", "appRecordId": "a"}]


async def test_batch_writes_refuse_an_archived_instance(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    f = Family(world, False)
    await f.post("batch", {"links": links(("e", "a", "import"))})
    instance = await client.get(
        "/data-link-table-instance", params=world.selector, headers=world.customer
    )
    by_id = {"id": instance.json()["id"]}
    r = await client.delete("/data-link-table-instance", params=by_id, headers=world.customer)
    assert r.status_code == 200
    for action, body in (
        ("batch", {"links": links(("x", "y", "import"))}),
        ("delete-batch", {"links": links(("e", "a", "import"))}),
    ):
        r = await client.post(
            f"{INSTANCE}/{action}", params=by_id, json=body, headers=world.customer
        )
        assert_error(r, 400)
    # Reads by id still see an archived instance's links, as GET …/links does.
    r = await client.post(
        f"{INSTANCE}/resolve",
        params=by_id,
        json={"appRecordIds": ["a"]},
        headers=world.customer,
    )
    assert r.json()["found"] == [{"externalRecordId": "e", "appRecordId": "a"}]


async def test_table_addressed_batch_checks_the_table_against_the_query(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    r = await client.post(
        f"/data-link-tables/{world.table['key']}/links/batch",
        params={
            "connectionId": world.connection["id"],
            "dataLinkTableKey": "other",
            "autoCreate": "true",
        },
        json={"links": links(("e", "a", "import"))},
        headers=world.customer,
    )
    assert_error(r, 400)
    r = await client.post(
        "/data-link-tables/no-such-table/links/batch",
        params={"connectionId": world.connection["id"], "autoCreate": "true"},
        json={"links": links(("e", "a", "import"))},
        headers=world.customer,
    )
    assert_error(r, 404, "not_found")
