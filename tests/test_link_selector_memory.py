"""The link routes remember which instance a selector named; these are the ways that memory
could go stale, each of which must end where a fresh resolution would."""

from __future__ import annotations

import base64
import json

import httpx

from tests.support.helpers import Tenant, assert_error
from tests.support.linkfixtures import make_world

P = "/data-link-table-instance/links"
BODY = {"externalRecordId": "e", "appRecordId": "a", "direction": "import"}


async def items(
    client: httpx.AsyncClient, params: dict[str, str], headers: dict[str, str]
) -> list[str]:
    r = await client.get(P, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return [x["externalRecordId"] for x in r.json()["items"]]


async def test_admin_userid_follows_a_rekeyed_customer(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    w = await make_world(client, tenant, "alice")
    await client.patch(
        f"/connections/{w.connection['id']}", json={"key": "crm"}, headers=w.customer
    )
    sel = {
        "dataLinkTableKey": w.table["key"],
        "connectionKey": "crm",
        "userId": "alice",
        "autoCreate": "true",
    }
    assert (await client.post(P, params=sel, json=BODY, headers=tenant.admin)).status_code == 204
    old = (
        await client.get("/customer", params={"internalId": "alice"}, headers=tenant.admin)
    ).json()
    r = await client.patch(
        f"/customers/{old['id']}", json={"internalId": "alice-old"}, headers=tenant.admin
    )
    assert r.status_code == 200
    new_alice = tenant.customer("alice")
    r = await client.post(
        "/connections", json={"integrationId": w.integration["id"], "key": "crm"}, headers=new_alice
    )
    assert r.status_code == 200
    body = {**BODY, "externalRecordId": "for-new-alice"}
    assert (await client.post(P, params=sel, json=body, headers=tenant.admin)).status_code == 204
    mine = {"dataLinkTableKey": w.table["key"], "connectionKey": "crm"}
    assert await items(client, mine, new_alice) == ["for-new-alice"]
    assert await items(client, mine, tenant.customer("alice-old")) == ["e"]


async def test_admin_userid_of_an_archived_customer(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    w = await make_world(client, tenant, "bob")
    sel = {
        "dataLinkTableKey": w.table["key"],
        "connectionId": w.connection["id"],
        "userId": "bob",
        "autoCreate": "true",
    }
    assert (await client.post(P, params=sel, json=BODY, headers=tenant.admin)).status_code == 204
    bob = (await client.get("/customer", params={"internalId": "bob"}, headers=tenant.admin)).json()
    assert (await client.delete(f"/customers/{bob['id']}", headers=tenant.admin)).status_code == 200
    r = await client.post(P, params=sel, json=BODY, headers=tenant.admin)
    assert_error(r, 404, "not_found")


async def test_admin_connection_key_that_becomes_ambiguous(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    w = await make_world(client, tenant, "carol")
    await client.patch(
        f"/connections/{w.connection['id']}", json={"key": "shared"}, headers=w.customer
    )
    sel = {"dataLinkTableKey": w.table["key"], "connectionKey": "shared", "autoCreate": "true"}
    assert (await client.post(P, params=sel, json=BODY, headers=tenant.admin)).status_code == 204
    r = await client.post(
        "/connections",
        json={"integrationId": w.integration["id"], "key": "shared"},
        headers=tenant.customer("dave"),
    )
    assert r.status_code == 200
    assert_error(await client.post(P, params=sel, json=BODY, headers=tenant.admin), 400)


async def test_a_connection_key_moved_to_another_connection(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    w = await make_world(client, tenant, "erin")
    a = w.connection["id"]
    await client.patch(f"/connections/{a}", json={"key": "crm"}, headers=w.customer)
    sel = {"dataLinkTableKey": w.table["key"], "connectionKey": "crm", "autoCreate": "true"}
    assert (await client.post(P, params=sel, json=BODY, headers=w.customer)).status_code == 204
    await client.patch(f"/connections/{a}", json={"key": "crm-old"}, headers=w.customer)
    r = await client.post(
        "/connections",
        json={"integrationId": w.integration["id"], "key": "crm"},
        headers=w.customer,
    )
    b = r.json()["id"]
    body = {**BODY, "externalRecordId": "meant-for-b"}
    assert (await client.post(P, params=sel, json=body, headers=w.customer)).status_code == 204
    table = {"dataLinkTableKey": w.table["key"]}
    assert await items(client, {**table, "connectionId": a}, w.customer) == ["e"]
    assert await items(client, {**table, "connectionId": b}, w.customer) == ["meant-for-b"]


async def test_a_table_key_moved_to_another_table(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    w = await make_world(client, tenant, "frank")
    key, conn = w.table["key"], w.connection["id"]
    sel = {"dataLinkTableKey": key, "connectionId": conn, "autoCreate": "true"}
    assert (await client.post(P, params=sel, json=BODY, headers=w.customer)).status_code == 204
    r = await client.patch(
        f"/data-link-tables/{w.table['id']}", json={"key": key + "-old"}, headers=tenant.admin
    )
    assert r.status_code == 200
    assert (
        await client.post("/data-link-tables", json={"key": key}, headers=tenant.admin)
    ).status_code == 200
    body = {**BODY, "externalRecordId": "meant-for-new"}
    assert (await client.post(P, params=sel, json=body, headers=w.customer)).status_code == 204
    old = {"dataLinkTableId": w.table["id"], "connectionId": conn}
    assert await items(client, old, w.customer) == ["e"]
    assert await items(client, sel, w.customer) == ["meant-for-new"]


async def test_link_ids_and_cursors_outside_the_issued_range(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    w = await make_world(client, tenant, "gina")
    for link_id in ["²", "١٢", "9" * 19]:
        assert_error(await client.delete(f"/data-links/{link_id}", headers=w.customer), 404)

    def cursor(values: list[object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")

    for bad in (cursor([2**63]), cursor([-(2**70)]), cursor([1.5]), cursor(["1"])):
        r = await client.get(P, params={**w.selector, "cursor": bad}, headers=w.customer)
        body = assert_error(r, 400)
        assert body["data"]["issues"][0]["path"] == "cursor"
