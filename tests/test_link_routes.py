"""The OpenAPI's table-addressed link routes and the flat /data-links routes."""

from __future__ import annotations

import httpx

from tests.support.helpers import Tenant, assert_error
from tests.support.linkfixtures import make_world


async def test_table_addressed_links(client: httpx.AsyncClient, tenant: Tenant) -> None:
    world = await make_world(client, tenant)
    path = f"/data-link-tables/{world.table['key']}/links"
    query = {"connectionId": world.connection["id"], "autoCreate": "true"}
    body = {"externalRecordId": "e1", "appRecordId": "a1", "direction": "export"}
    r = await client.post(path, params=query, json=body, headers=world.customer)
    assert r.status_code == 204, r.text
    r = await client.get(
        path,
        params={**query, "direction": "export", "externalRecordId": "e1"},
        headers=world.customer,
    )
    [link] = r.json()["items"]
    assert link["appRecordId"] == "a1"
    # The SDK's route sees the same instance.
    assert [x["id"] for x in await world.find()] == [link["id"]]
    # The query's `id` is the instance id, and must belong to the table in the path.
    instance_id = link["dataLinkTableInstanceId"]
    r = await client.get(
        f"/data-link-tables/{world.table['id']}/links",
        params={"id": instance_id},
        headers=world.customer,
    )
    assert len(r.json()["items"]) == 1
    other = (
        await client.post("/data-link-tables", json={"key": "other"}, headers=tenant.admin)
    ).json()
    r = await client.get(
        f"/data-link-tables/{other['id']}/links", params={"id": instance_id}, headers=world.customer
    )
    assert_error(r, 404, "not_found")
    r = await client.get(
        path, params={**query, "dataLinkTableKey": "other"}, headers=world.customer
    )
    assert_error(r, 400)
    r = await client.request("DELETE", path, params=query, json=body, headers=world.customer)
    assert r.status_code == 200 and r.content == b""
    assert await world.find() == []
    assert_error(
        await client.get("/data-link-tables/nope/links", params=query, headers=world.customer), 404
    )


async def test_delete_on_an_empty_slot_creates_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    body = {"externalRecordId": "e", "appRecordId": "a"}
    r = await client.request(
        "DELETE",
        "/data-link-table-instance/links",
        params=world.selector,
        json=body,
        headers=world.customer,
    )
    assert r.status_code == 200
    r = await client.get(
        "/data-link-table-instances",
        params={"dataLinkTableId": world.table["id"]},
        headers=world.customer,
    )
    assert r.json()["items"] == []


async def test_flat_data_links(client: httpx.AsyncClient, tenant: Tenant) -> None:
    world = await make_world(client, tenant)
    await world.create_link("e1", "a1", "both")
    await world.create_link("e2", "a2", "import")
    links = await world.find()
    instance_id = links[0]["dataLinkTableInstanceId"]
    r = await client.get(
        "/data-links",
        params={"dataLinkTableInstanceId": instance_id, "externalRecordId": "e1"},
        headers=world.customer,
    )
    assert sorted(x["direction"] for x in r.json()["items"]) == ["export", "import"]
    r = await client.get(
        "/data-links",
        params={"dataLinkTableInstanceId": instance_id, "limit": 2},
        headers=world.customer,
    )
    page = r.json()
    assert len(page["items"]) == 2 and page["cursor"]
    r = await client.get(
        "/data-links",
        params={"dataLinkTableInstanceId": instance_id, "cursor": page["cursor"]},
        headers=world.customer,
    )
    assert [x["externalRecordId"] for x in r.json()["items"]] == ["e2"]
    assert "cursor" not in r.json()
    assert_error(await client.get("/data-links", headers=world.customer), 400)
    assert_error(
        await client.get(
            "/data-links", params={"dataLinkTableInstanceId": "nope"}, headers=world.customer
        ),
        404,
    )
    r = await client.delete(f"/data-links/{links[0]['id']}", headers=world.customer)
    assert r.status_code == 200 and r.content == b""
    assert len(await world.find()) == 2
    for bad in (links[0]["id"], "abc", "9" * 40, "-1"):
        assert_error(
            await client.delete(f"/data-links/{bad}", headers=world.customer), 404, "not_found"
        )


async def test_links_are_invisible_to_other_customers_and_workspaces(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    await world.create_link("e", "a")
    [link] = await world.find()
    instance_id = link["dataLinkTableInstanceId"]
    body = {"externalRecordId": "e", "appRecordId": "a", "direction": "import"}
    for intruder in (
        tenant.customer("mallory"),
        other_tenant.admin,
        other_tenant.customer("alice"),
    ):
        for method, path, params in (
            ("GET", "/data-link-table-instance/links", {"id": instance_id}),
            ("POST", "/data-link-table-instance/links", {"id": instance_id}),
            ("DELETE", "/data-link-table-instance/links", {"id": instance_id}),
            ("GET", "/data-link-table-instance/links", world.selector),
            ("POST", "/data-link-table-instance/links", world.selector),
            ("DELETE", "/data-link-table-instance/links", world.selector),
            ("GET", f"/data-link-tables/{world.table['id']}/links", {"id": instance_id}),
            ("POST", f"/data-link-tables/{world.table['id']}/links", {"id": instance_id}),
            ("DELETE", f"/data-link-tables/{world.table['id']}/links", {"id": instance_id}),
            ("GET", "/data-links", {"dataLinkTableInstanceId": instance_id}),
            ("DELETE", f"/data-links/{link['id']}", {}),
        ):
            r = await client.request(
                method,
                path,
                params=params,
                json=body if method != "GET" else None,
                headers=intruder,
            )
            assert_error(r, 404, "not_found")
    # Nothing the intruders sent changed anything.
    assert [x["id"] for x in await world.find()] == [link["id"]]
