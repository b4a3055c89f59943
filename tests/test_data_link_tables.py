"""Data-link tables: workspace-level CRUD, archive/restore, and the flat instance form."""

from __future__ import annotations

import asyncio

import httpx

from datalinks.models import DataLinkTable
from tests.support.helpers import Tenant, assert_error
from tests.support.linkfixtures import make_world


async def test_create_derives_key_and_name(client: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await client.post(
        "/data-link-tables", json={"name": "Users to Users"}, headers=tenant.admin
    )
    assert r.status_code == 200, r.text
    table = r.json()
    assert table["key"] == "users-to-users"
    assert table["state"] == "READY" and table["revision"] == "1"
    assert table["createdAt"].endswith("Z") and "archivedAt" not in table
    assert "description" not in table and "meta" not in table
    r = await client.post("/data-link-tables", json={"key": "deals"}, headers=tenant.admin)
    assert r.json()["name"] == "deals"
    r = await client.post("/data-link-tables", json={"description": "x"}, headers=tenant.admin)
    assert_error(r, 400)


async def test_duplicate_key_is_409_and_writes_need_admin(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    r = await client.post("/data-link-tables", json={"key": "k"}, headers=tenant.admin)
    assert r.status_code == 200
    r = await client.post("/data-link-tables", json={"key": "k"}, headers=tenant.admin)
    assert_error(r, 409, "already_exists")
    r = await client.post("/data-link-tables", json={"key": "k2"}, headers=tenant.customer("c"))
    assert_error(r, 403, "access_denied")
    r = await client.patch("/data-link-tables/k", json={"name": "n"}, headers=tenant.customer("c"))
    assert_error(r, 403, "access_denied")
    # Customers may read workspace tables.
    r = await client.get("/data-link-tables/k", headers=tenant.customer("c"))
    assert r.status_code == 200
    assert await tenant.count(DataLinkTable) == 1


async def test_concurrent_creates_of_one_key_leave_one(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    responses = await asyncio.gather(
        *(
            client.post("/data-link-tables", json={"key": "race"}, headers=tenant.admin)
            for _ in range(20)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) == 1 and codes.count(409) == 19
    assert await tenant.count(DataLinkTable) == 1


async def test_get_put_patch_archive_restore(client: httpx.AsyncClient, tenant: Tenant) -> None:
    admin = tenant.admin
    r = await client.post(
        "/data-link-tables",
        json={"name": "Contacts", "key": "contacts", "description": "d", "meta": {"a": 1}},
        headers=admin,
    )
    table = r.json()
    assert (await client.get(f"/data-link-tables/{table['id']}", headers=admin)).json() == table
    assert (await client.get("/data-link-table", params={"key": "contacts"}, headers=admin)).json()[
        "id"
    ] == table["id"]
    r = await client.patch("/data-link-tables/contacts", json={"name": "People"}, headers=admin)
    patched = r.json()
    assert patched["name"] == "People" and patched["description"] == "d"
    assert patched["revision"] == "2"
    r = await client.put("/data-link-tables/contacts", json={"name": "P2"}, headers=admin)
    put = r.json()
    # PUT replaces the editable fields: what it leaves out is cleared.
    assert put["name"] == "P2" and "description" not in put and "meta" not in put
    assert put["key"] == "contacts" and put["revision"] == "3"

    r = await client.delete("/data-link-tables/contacts", headers=admin)
    assert r.status_code == 200 and r.content == b""
    assert (
        await client.delete(f"/data-link-tables/{table['id']}", headers=admin)
    ).status_code == 200
    assert_error(await client.get("/data-link-tables/contacts", headers=admin), 404, "not_found")
    archived = (await client.get(f"/data-link-tables/{table['id']}", headers=admin)).json()
    assert archived["archivedAt"] and archived["isDeactivated"] is True
    listed = (await client.get("/data-link-tables", headers=admin)).json()["items"]
    assert listed == []
    listed = (
        await client.get("/data-link-tables", params={"includeArchived": "true"}, headers=admin)
    ).json()["items"]
    assert [x["id"] for x in listed] == [table["id"]]
    r = await client.patch(f"/data-link-tables/{table['id']}", json={"name": "x"}, headers=admin)
    assert_error(r, 400)

    # A new live table takes the key; restoring the old one would collide.
    assert (
        await client.post("/data-link-tables", json={"key": "contacts"}, headers=admin)
    ).status_code == 200
    r = await client.post(f"/data-link-tables/{table['id']}/restore", headers=admin)
    assert_error(r, 409, "already_exists")
    await client.delete("/data-link-tables/contacts", headers=admin)
    r = await client.post(
        f"/data-link-tables/{table['id']}/restore",
        headers={**admin, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200 and "archivedAt" not in r.json()


async def test_refresh_export_dependencies(client: httpx.AsyncClient, tenant: Tenant) -> None:
    admin = tenant.admin
    await client.post("/data-link-tables", json={"key": "t", "meta": {"x": 1}}, headers=admin)
    assert (await client.post("/data-link-tables/t/refresh", headers=admin)).json()["key"] == "t"
    exported = (await client.get("/data-link-tables/t/export", headers=admin)).json()
    assert set(exported) == {"uuid", "key", "name", "meta"}
    assert (await client.get("/data-link-tables/t/dependencies", headers=admin)).json() == []


async def test_pagination_and_search(client: httpx.AsyncClient, tenant: Tenant) -> None:
    admin = tenant.admin
    for i in range(7):
        await client.post("/data-link-tables", json={"name": f"Table {i}"}, headers=admin)
    await client.post("/data-link-tables", json={"name": "Other"}, headers=admin)
    seen: list[str] = []
    cursor = "0"
    while cursor:
        page = (
            await client.get(
                "/data-link-tables", params={"limit": 3, "cursor": cursor}, headers=admin
            )
        ).json()
        seen += [t["key"] for t in page["items"]]
        cursor = page.get("cursor", "")
    assert seen == [f"table-{i}" for i in range(7)] + ["other"]
    found = (await client.get("/data-link-tables", params={"search": "oth"}, headers=admin)).json()
    assert [t["key"] for t in found["items"]] == ["other"]


async def test_flat_instance_addressing(client: httpx.AsyncClient, tenant: Tenant) -> None:
    world = await make_world(client, tenant)
    path = f"/data-link-tables/{world.table['key']}"
    r = await client.get(
        path,
        params={"connectionId": world.connection["id"], "autoCreate": "true"},
        headers=world.customer,
    )
    assert r.status_code == 200, r.text
    instance = r.json()
    assert instance["dataLinkTableId"] == world.table["id"]
    assert instance["connectionId"] == world.connection["id"]
    assert instance["name"] == world.table["name"] and "instanceKey" not in instance
    r = await client.get(
        path,
        params={"connectionId": world.connection["id"], "instanceKey": "b"},
        headers=world.customer,
    )
    assert_error(r, 404, "not_found")


async def test_other_workspace_sees_nothing(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    r = await client.post("/data-link-tables", json={"key": "mine"}, headers=tenant.admin)
    table_id = r.json()["id"]
    for path in (f"/data-link-tables/{table_id}", "/data-link-tables/mine"):
        assert_error(await client.get(path, headers=other_tenant.admin), 404, "not_found")
        assert_error(await client.patch(path, json={"name": "x"}, headers=other_tenant.admin), 404)
        assert_error(await client.delete(path, headers=other_tenant.admin), 404)
    listed = (await client.get("/data-link-tables", headers=other_tenant.admin)).json()
    assert listed["items"] == []


async def test_restore_by_the_key_it_was_archived_by(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    admin = tenant.admin
    first = (await client.post("/data-link-tables", json={"key": "k"}, headers=admin)).json()
    await client.delete("/data-link-tables/k", headers=admin)
    archived = (await client.get(f"/data-link-tables/{first['id']}", headers=admin)).json()
    assert archived["updatedAt"] >= first["updatedAt"] and archived["archivedAt"]
    r = await client.post("/data-link-tables/k/restore", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == first["id"] and "archivedAt" not in r.json()
    assert_error(await client.post("/data-link-tables/none/restore", headers=admin), 404)
