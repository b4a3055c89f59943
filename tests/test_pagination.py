"""Keyset pages: `{items, cursor}`, limit 1..1000, opaque cursors, the last page has no cursor."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, text

from datalinks.models import Integration, new_id
from tests.support.helpers import Tenant, assert_error, assert_wire_shape


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def make_integrations(client: httpx.AsyncClient, tenant: Tenant, count: int) -> list[str]:
    ids = []
    for n in range(count):
        response = await client.post(
            "/integrations", json={"key": f"i{n:02d}"}, headers=tenant.admin
        )
        assert response.status_code == 200, response.text
        ids.append(response.json()["id"])
    return ids


async def walk(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], limit: int, first: str = ""
) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = first
    while True:
        sep = "&" if "?" in path else "?"
        response = await client.get(f"{path}{sep}limit={limit}&cursor={cursor}", headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) <= {"items", "cursor"}
        pages.append([item["id"] for item in page["items"]])
        if "cursor" not in page:
            return pages
        assert isinstance(page["cursor"], str) and page["cursor"]
        cursor = page["cursor"]
        assert len(pages) < 100, "cursor never ends"


async def test_three_pages(client: httpx.AsyncClient, tenant: Tenant) -> None:
    ids = await make_integrations(client, tenant, 25)
    pages = await walk(client, "/integrations", tenant.admin, 10)
    assert [len(page) for page in pages] == [10, 10, 5]
    flat = [item for page in pages for item in page]
    assert flat == ids  # oldest first, each once
    # The SDK's findAll starts from cursor=0.
    assert await walk(client, "/integrations", tenant.admin, 10, first="0") == pages


async def test_exact_multiple_ends_without_cursor(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await make_integrations(client, tenant, 4)
    pages = await walk(client, "/integrations", tenant.admin, 2)
    assert [len(page) for page in pages] == [2, 2]
    single = (await client.get("/integrations?limit=1000", headers=tenant.admin)).json()
    assert len(single["items"]) == 4 and "cursor" not in single


async def test_empty_list(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/integrations", headers=tenant.admin)
    assert response.json() == {"items": []}


async def test_default_limit_is_100(client: httpx.AsyncClient, tenant: Tenant) -> None:
    async with tenant.database.sessionmaker.begin() as session:
        await session.execute(
            insert(Integration),
            [
                {
                    "id": new_id(),
                    "workspace_id": tenant.workspace_id,
                    "key": f"k{n}",
                    "name": f"k{n}",
                    "uuid": f"u{n}",
                }
                for n in range(101)
            ],
        )
    page = (await client.get("/integrations", headers=tenant.admin)).json()
    assert len(page["items"]) == 100 and page["cursor"]


async def test_ties_on_created_at(client: httpx.AsyncClient, tenant: Tenant) -> None:
    # Rows written in one transaction share now(): the id breaks the tie, nothing is skipped.
    async with tenant.database.sessionmaker.begin() as session:
        await session.execute(
            insert(Integration),
            [
                {
                    "id": new_id(),
                    "workspace_id": tenant.workspace_id,
                    "key": f"t{n}",
                    "name": f"t{n}",
                    "uuid": f"t{n}",
                }
                for n in range(7)
            ],
        )
        stamps = await session.execute(
            text("SELECT count(DISTINCT created_at) FROM integrations WHERE workspace_id = :w"),
            {"w": tenant.workspace_id},
        )
        assert stamps.scalar_one() == 1
    pages = await walk(client, "/integrations", tenant.admin, 2)
    flat = [item for page in pages for item in page]
    assert len(flat) == 7 and len(set(flat)) == 7 and flat == sorted(flat)


async def test_pages_of_customers_and_connections(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await client.post("/integrations", json={"key": "hub"}, headers=tenant.admin)
    for n in range(5):
        response = await client.post(
            "/connections", json={"integrationKey": "hub"}, headers=tenant.customer(f"c{n}")
        )
        assert response.status_code == 200, response.text
    customers = await walk(client, "/customers", tenant.admin, 2)
    connections = await walk(client, "/connections", tenant.admin, 2)
    assert [len(p) for p in customers] == [2, 2, 1]
    assert [len(p) for p in connections] == [2, 2, 1]
    # Filters stay applied across pages.
    filtered = await walk(client, "/connections?integrationKey=hub", tenant.admin, 3)
    assert [len(p) for p in filtered] == [3, 2]


async def test_archived_rows_between_pages(client: httpx.AsyncClient, tenant: Tenant) -> None:
    ids = await make_integrations(client, tenant, 6)
    first = (await client.get("/integrations?limit=3", headers=tenant.admin)).json()
    # Archiving a row already paged past does not shift the next page.
    await client.delete(f"/integrations/{ids[0]}", headers=tenant.admin)
    second = (
        await client.get(f"/integrations?limit=3&cursor={first['cursor']}", headers=tenant.admin)
    ).json()
    assert [item["id"] for item in second["items"]] == ids[3:]


@pytest.mark.parametrize(
    "limit", ["0", "1001", "-1", "abc", "1.5", "1e3", "99999999999999999999999", "%00"]
)
async def test_bad_limit(client: httpx.AsyncClient, tenant: Tenant, limit: str) -> None:
    for path in ("/integrations", "/customers", "/connections"):
        response = await client.get(f"{path}?limit={limit}", headers=tenant.admin)
        body = assert_error(response, 400)
        if limit != "%00":
            assert body["data"]["issues"][0]["path"] == "limit"


@pytest.mark.parametrize("limit", ["1", "1000", "500"])
async def test_good_limit(client: httpx.AsyncClient, tenant: Tenant, limit: str) -> None:
    assert (
        await client.get(f"/integrations?limit={limit}", headers=tenant.admin)
    ).status_code == 200


BAD_CURSORS = [
    "abc",
    "!!!!",
    "x" * 600,
    cursor_of({}),
    cursor_of([]),
    cursor_of(["2026-01-01T00:00:00+00:00"]),
    cursor_of(["not a date", "id"]),
    cursor_of([5, "id"]),
    cursor_of(["2026-01-01T00:00:00+00:00", 5]),
    cursor_of(["2026-01-01T00:00:00+00:00", True]),
    cursor_of(["2026-01-01T00:00:00+00:00", None]),
    cursor_of(["2026-01-01T00:00:00+00:00", "id", "extra"]),
    cursor_of(["2026-01-01T00:00:00+00:00", "a\x00b"]),
    cursor_of(["2026-01-01T00:00:00\x00", "id"]),
    base64.urlsafe_b64encode(b"\xff\xfe[").decode(),
    "é",
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
async def test_bad_cursor(client: httpx.AsyncClient, tenant: Tenant, cursor: str) -> None:
    for path in ("/integrations", "/customers", "/connections"):
        response = await client.get(path, params={"cursor": cursor}, headers=tenant.admin)
        body = assert_error(response, 400)
        assert body["data"]["issues"][0]["path"] == "cursor"


async def test_naive_timestamp_cursor_is_harmless(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await make_integrations(client, tenant, 2)
    cursor = cursor_of(["2000-01-01T00:00:00", ""])
    response = await client.get("/integrations", params={"cursor": cursor}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == 2


async def test_list_items_have_the_wire_shape(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await client.post(
        "/integrations", json={"key": "hub", "meta": {"a_b": None}}, headers=tenant.admin
    )
    await client.post("/connections", json={"integrationKey": "hub"}, headers=tenant.customer("c"))
    await client.delete("/integrations/hub", headers=tenant.admin)
    for path in ("/integrations", "/customers", "/connections"):
        page = (await client.get(f"{path}?includeArchived=true", headers=tenant.admin)).json()
        assert page["items"]
        for item in page["items"]:
            assert_wire_shape(item)
