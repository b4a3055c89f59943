"""Data links on the SDK's instance-addressed routes: upsert, find, delete, paging."""

from __future__ import annotations

import httpx

from datalinks.models import DataLink
from tests.support.helpers import Tenant, assert_error
from tests.support.linkfixtures import link_rows, make_world


async def test_create_is_204_and_repeated_create_upserts(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    first = await world.create_link("ext-1", "app-1")
    assert first.status_code == 204 and first.content == b""
    [link] = await world.find()
    again = await world.create_link("ext-1", "app-1")
    assert again.status_code == 204
    [same] = await world.find()
    assert same["id"] == link["id"]
    assert same["updatedAt"] >= link["updatedAt"]
    assert await link_rows(world) == 1
    assert set(link) >= {"id", "dataLinkTableInstanceId", "externalRecordId", "appRecordId"}
    assert link["direction"] == "import"


async def test_both_stores_an_import_and_an_export_link(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    assert (await world.create_link("e", "a", "both")).status_code == 204
    assert (await world.create_link("e2", "a2", None)).status_code == 204  # missing = both
    directions = sorted(link["direction"] for link in await world.find(externalRecordId="e"))
    assert directions == ["export", "import"]
    assert len(await world.find(externalRecordId="e2")) == 2
    assert await link_rows(world) == 4


async def test_find_by_either_id_and_direction(client: httpx.AsyncClient, tenant: Tenant) -> None:
    world = await make_world(client, tenant)
    await world.create_link("ext-1", "app-1", "import")
    await world.create_link("ext-1", "app-2", "import")
    await world.create_link("ext-3", "app-1", "export")
    assert [x["appRecordId"] for x in await world.find(externalRecordId="ext-1")] == [
        "app-1",
        "app-2",
    ]
    by_app = await world.find(appRecordId="app-1", direction="export")
    assert [x["externalRecordId"] for x in by_app] == ["ext-3"]
    assert len(await world.find(appRecordId="app-1", direction="both")) == 2
    assert await world.find(externalRecordId="nope") == []
    both = await world.find(externalRecordId="ext-1", appRecordId="app-2")
    assert len(both) == 1


async def test_record_ids_are_compared_exactly(client: httpx.AsyncClient, tenant: Tenant) -> None:
    world = await make_world(client, tenant)
    for ext in ("Ext", "ext", "ext ", "é", "e\u0301", "😀" * 1000, "%_\\'\""):
        assert (await world.create_link(ext, "app")).status_code == 204
    for ext in ("Ext", "ext", "ext ", "é", "e\u0301", "😀" * 1000, "%_\\'\""):
        [found] = await world.find(externalRecordId=ext)
        assert found["externalRecordId"] == ext
    assert await world.find(externalRecordId="EXT") == []


async def test_long_unicode_ids_on_both_sides(client: httpx.AsyncClient, tenant: Tenant) -> None:
    world = await make_world(client, tenant)
    ext = "".join(chr(0x4E00 + i) for i in range(1000))
    app = "".join(chr(0x10000 + i) for i in range(1000))
    assert (await world.create_link(ext, app, "both")).status_code == 204
    assert len(await world.find(appRecordId=app)) == 2


async def test_delete_by_triple_is_idempotent(client: httpx.AsyncClient, tenant: Tenant) -> None:
    world = await make_world(client, tenant)
    await world.create_link("e", "a", "both")
    body = {"externalRecordId": "e", "appRecordId": "a", "direction": "import"}
    r = await client.request(
        "DELETE",
        "/data-link-table-instance/links",
        params=world.selector,
        json=body,
        headers=world.customer,
    )
    assert r.status_code == 200 and r.content == b""
    assert [x["direction"] for x in await world.find()] == ["export"]
    r = await client.request(
        "DELETE",
        "/data-link-table-instance/links",
        params=world.selector,
        json=body,
        headers=world.customer,
    )
    assert r.status_code == 200
    # Without a body the query carries the triple; missing direction deletes both.
    r = await client.delete(
        "/data-link-table-instance/links",
        params={**world.selector, "externalRecordId": "e", "appRecordId": "a"},
        headers=world.customer,
    )
    assert r.status_code == 200
    assert await world.find() == []


async def test_paging_over_more_than_a_thousand_links(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    instance = await client.get(
        "/data-link-table-instance", params=world.selector, headers=world.customer
    )
    instance_id = instance.json()["id"]
    async with tenant.database.sessionmaker.begin() as session:
        session.add_all(
            DataLink(
                data_link_table_instance_id=instance_id,
                direction="import",
                external_record_id=f"e{i:05d}",
                app_record_id=f"a{i:05d}",
            )
            for i in range(1500)
        )
    seen: list[str] = []
    cursor: str | None = "0"
    pages = 0
    while cursor:
        r = await client.get(
            "/data-link-table-instance/links",
            params={"id": instance_id, "limit": "1000", "cursor": cursor},
            headers=world.customer,
        )
        assert r.status_code == 200, r.text
        page = r.json()
        seen += [x["externalRecordId"] for x in page["items"]]
        cursor = page.get("cursor")
        pages += 1
    assert pages == 2
    assert seen == [f"e{i:05d}" for i in range(1500)]


async def test_autocreate_on_get_links_returns_an_empty_page(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    assert await world.find() == []
    params = {k: v for k, v in world.selector.items() if k != "autoCreate"}
    r = await client.get(
        "/data-link-table-instance/links",
        params={**params, "instanceKey": "other"},
        headers=world.customer,
    )
    assert_error(r, 404, "not_found")


async def test_bad_link_input_is_400_and_writes_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    assert await world.find() == []  # create the instance first
    bad_bodies: list[object] = [
        {"externalRecordId": "e", "appRecordId": "a", "direction": "sideways"},
        {"externalRecordId": "", "appRecordId": "a"},
        {"externalRecordId": "e"},
        {"appRecordId": "a"},
        {"externalRecordId": "x" * 1001, "appRecordId": "a"},
        {"externalRecordId": 1, "appRecordId": "a"},
        {"externalRecordId": ["e"], "appRecordId": "a"},
        {"externalRecordId": "e\u0000", "appRecordId": "a"},
        {"externalRecordId": "e", "appRecordId": None},
        ["e", "a"],
        "e",
    ]
    for body in bad_bodies:
        r = await client.post(
            "/data-link-table-instance/links",
            params=world.selector,
            json=body,
            headers=world.customer,
        )
        assert_error(r, 400)
    r = await client.post(
        "/data-link-table-instance/links", params=world.selector, headers=world.customer
    )
    assert_error(r, 400)
    r = await client.post(
        "/data-link-table-instance/links",
        params=world.selector,
        content=b'{"externalRecordId": "e", ',
        headers={**world.customer, "Content-Type": "application/json"},
    )
    assert_error(r, 400)
    assert await link_rows(world) == 0
    for params in ({"direction": "up"}, {"limit": "0"}, {"cursor": "garbage!"}):
        r = await client.get(
            "/data-link-table-instance/links",
            params={**world.selector, **params},
            headers=world.customer,
        )
        assert_error(r, 400)


async def test_selectors_that_name_nothing(client: httpx.AsyncClient, tenant: Tenant) -> None:
    world = await make_world(client, tenant)
    path = "/data-link-table-instance/links"
    cases = [
        ({"connectionId": world.connection["id"]}, 400),
        ({"dataLinkTableKey": world.table["key"]}, 400),
        ({"dataLinkTableKey": "nope", "connectionId": world.connection["id"]}, 404),
        ({"dataLinkTableKey": world.table["key"], "connectionId": "nope", "autoCreate": "1"}, 404),
        ({"id": "nope"}, 404),
        ({**world.selector, "autoCreate": "maybe"}, 400),
    ]
    for params, status in cases:
        r = await client.get(path, params=params, headers=world.customer)
        assert_error(r, status)


async def test_a_remembered_slot_follows_archive_and_restore(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """Link routes remember which instance a selector named; archiving that instance must send
    the next call to the slot's new instance, never into the archived one."""
    world = await make_world(client, tenant)
    await world.create_link("e1", "a1")
    [first] = await world.find()
    old = first["dataLinkTableInstanceId"]
    assert (
        await client.delete("/data-link-table-instance", params={"id": old}, headers=world.customer)
    ).status_code == 200
    await world.create_link("e2", "a2")
    [second] = await world.find()
    assert second["externalRecordId"] == "e2"
    assert second["dataLinkTableInstanceId"] != old
    # Without autoCreate the same selector now names the new instance only.
    plain = {k: v for k, v in world.selector.items() if k != "autoCreate"}
    r = await client.get("/data-link-table-instance/links", params=plain, headers=world.customer)
    assert [x["externalRecordId"] for x in r.json()["items"]] == ["e2"]
    # Another customer's token with the same selector never reaches either instance.
    r = await client.get(
        "/data-link-table-instance/links", params=plain, headers=tenant.customer("eve")
    )
    assert_error(r, 404, "not_found")


async def test_an_archived_connection_takes_no_link_changes(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    await world.create_link("e1", "a1")  # the selector's instance is now remembered
    [link] = await world.find()
    instance = {"id": link["dataLinkTableInstanceId"]}
    r = await client.delete(f"/connections/{world.connection['id']}", headers=world.customer)
    assert r.status_code == 200
    assert_error(await world.create_link("e2", "a2"), 400)
    body = {"externalRecordId": "e3", "appRecordId": "a3", "direction": "import"}
    for method in ("POST", "DELETE"):
        r = await client.request(
            method,
            "/data-link-table-instance/links",
            params=instance,
            json=body,
            headers=world.customer,
        )
        assert_error(r, 400)
    # Reading by instance id still works, and nothing changed.
    r = await client.get("/data-link-table-instance/links", params=instance, headers=world.customer)
    assert [x["externalRecordId"] for x in r.json()["items"]] == ["e1"]


async def test_a_second_connection_makes_an_integration_selector_ambiguous(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    selector = {
        "dataLinkTableKey": world.table["key"],
        "integrationKey": world.integration["key"],
        "autoCreate": "true",
    }
    path = "/data-link-table-instance/links"
    body = {"externalRecordId": "e", "appRecordId": "a", "direction": "import"}
    r = await client.post(path, params=selector, json=body, headers=world.customer)
    assert r.status_code == 204
    r = await client.post(
        "/connections", json={"integrationId": world.integration["id"]}, headers=world.customer
    )
    assert r.status_code == 200
    r = await client.post(path, params=selector, json=body, headers=world.customer)
    assert_error(r, 400)
