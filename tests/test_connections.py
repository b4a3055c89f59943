"""Connections: owner and integration on create, `{conn}` selectors, filters, keys, archive."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from datalinks.models import Connection
from tests.support.helpers import Tenant, assert_error, assert_wire_shape

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


async def integration(client: httpx.AsyncClient, tenant: Tenant, name: str) -> dict[str, Any]:
    response = await client.post("/integrations", json={"name": name}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def connect(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    response = await client.post("/connections", json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def me(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/self", headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_customer_creates_own(client: httpx.AsyncClient, tenant: Tenant) -> None:
    hub = await integration(client, tenant, "HubSpot")
    alice = tenant.customer("alice")
    by_key = await connect(client, alice, integrationKey="hubspot")
    by_id = await connect(client, alice, integrationId=hub["id"], name="Second")
    owner = (await me(client, alice))["id"]
    assert by_key["integrationId"] == hub["id"] and by_id["integrationId"] == hub["id"]
    assert by_key["name"] == "HubSpot" and by_id["name"] == "Second"
    assert by_key["userId"] == owner and by_key["tenantId"] == owner
    assert by_key["connected"] is True and by_key["disconnected"] is False
    assert by_key["state"] == "READY" and by_key["isTest"] is False
    assert TIMESTAMP.match(by_key["createdAt"]) and TIMESTAMP.match(by_key["updatedAt"])
    assert None not in by_key.values()
    assert_wire_shape(by_key)
    for absent in ("key", "meta", "archivedAt", "credentials"):
        assert absent not in by_key


async def test_customer_cannot_create_for_someone_else(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await integration(client, tenant, "Jira")
    bob_id = (await me(client, tenant.customer("bob")))["id"]
    alice = tenant.customer("alice")
    created = await connect(client, alice, integrationKey="jira", userId=bob_id)
    assert created["userId"] == (await me(client, alice))["id"]


async def test_admin_names_the_owner(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await integration(client, tenant, "Asana")
    carol = await me(client, tenant.customer("carol", name="Carol"))
    by_internal = await connect(client, tenant.admin, integrationKey="asana", userId="carol")
    by_id = await connect(client, tenant.admin, integrationKey="asana", tenantId=carol["id"])
    assert by_internal["userId"] == carol["id"] and by_id["userId"] == carol["id"]
    response = await client.post(
        "/connections", json={"integrationKey": "asana"}, headers=tenant.admin
    )
    assert_error(response, 400)
    response = await client.post(
        "/connections", json={"integrationKey": "asana", "userId": "ghost"}, headers=tenant.admin
    )
    assert_error(response, 404, "not_found")
    assert await tenant.count(Connection) == 2
    # An archived customer is found by id, but may not be given a new connection.
    await client.delete(f"/customers/{carol['id']}", headers=tenant.admin)
    response = await client.post(
        "/connections",
        json={"integrationKey": "asana", "userId": carol["id"]},
        headers=tenant.admin,
    )
    assert_error(response, 400)
    assert await tenant.count(Connection) == 2


async def test_integration_must_exist_and_be_live(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    gone = await integration(client, tenant, "Gone")
    await client.delete(f"/integrations/{gone['id']}", headers=tenant.admin)
    alice = tenant.customer("alice")
    for body, status in (
        ({}, 400),
        ({"integrationKey": "nope"}, 404),
        ({"integrationId": "nope"}, 404),
        ({"integrationKey": "gone"}, 404),
        ({"integrationId": gone["id"]}, 400),
    ):
        response = await client.post("/connections", json=body, headers=alice)
        assert_error(response, status)
    assert await tenant.count(Connection) == 0


async def test_conn_selectors(client: httpx.AsyncClient, tenant: Tenant) -> None:
    hub = await integration(client, tenant, "HubSpot")
    await integration(client, tenant, "Slack")
    alice = tenant.customer("alice")
    conn = await connect(client, alice, integrationKey="hubspot", key="main")
    for selector in (conn["id"], "main", "hubspot", hub["id"]):
        response = await client.get(f"/connections/{selector}", headers=alice)
        assert response.status_code == 200, (selector, response.text)
        assert response.json() == conn
    # The SDK always asks for includeSecrets=false; it changes nothing.
    response = await client.get(f"/connections/{conn['id']}?includeSecrets=false", headers=alice)
    assert response.json() == conn
    assert_error(await client.get("/connections/slack", headers=alice), 404, "not_found")
    # Two live connections to one integration: naming the integration is ambiguous.
    await connect(client, alice, integrationKey="hubspot")
    assert_error(await client.get("/connections/hubspot", headers=alice), 400)
    assert_error(await client.get(f"/connections/{hub['id']}", headers=alice), 400)
    assert (await client.get("/connections/main", headers=alice)).json()["id"] == conn["id"]
    # An admin token: the id, or a key no other customer's live connection shares.
    assert (await client.get(f"/connections/{conn['id']}", headers=tenant.admin)).status_code == 200
    by_key = await client.get("/connections/main", headers=tenant.admin)
    assert by_key.json()["id"] == conn["id"]
    assert_error(await client.get("/connections/nothing-by-this", headers=tenant.admin), 404)


async def test_admin_names_a_connection_by_integration(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    hub = await integration(client, tenant, "HubSpot")
    await integration(client, tenant, "Slack")
    alice = await connect(client, tenant.customer("alice"), integrationKey="hubspot")
    admin = tenant.admin
    # The workspace's only live connection to the integration, by its key or id, on every verb
    # the SDK's `connection('hubspot')` sends.
    for selector in ("hubspot", hub["id"]):
        got = await client.get(f"/connections/{selector}?includeSecrets=false", headers=admin)
        assert got.status_code == 200 and got.json()["id"] == alice["id"], got.text
    patched = await client.patch("/connections/hubspot", json={"name": "A"}, headers=admin)
    assert patched.status_code == 200 and patched.json()["name"] == "A", patched.text
    assert_error(await client.get("/connections/slack", headers=admin), 404, "not_found")
    # A second customer connects: the integration alone no longer says whose.
    bob = await connect(client, tenant.customer("bob"), integrationKey="hubspot")
    body = assert_error(await client.get("/connections/hubspot", headers=admin), 400)
    assert "userId" in body["message"], body
    # userId or tenantId names the customer, by internalId or id.
    alice_id = (await client.get("/self", headers=tenant.customer("alice"))).json()["id"]
    for query, expected in (
        ("userId=alice", alice),
        (f"userId={alice_id}", alice),
        ("tenantId=bob", bob),
    ):
        got = await client.get(f"/connections/hubspot?{query}", headers=admin)
        assert got.status_code == 200 and got.json()["id"] == expected["id"], (query, got.text)
    assert_error(await client.get("/connections/hubspot?userId=nobody", headers=admin), 404)
    # The connection-level data-source routes resolve {conn} the same way.
    source = await client.post(
        "/integrations/hubspot/data-sources", json={"key": "tasks"}, headers=admin
    )
    assert source.status_code == 200, source.text
    created = await client.put("/connections/hubspot/data-sources/tasks?userId=bob", headers=admin)
    assert created.status_code == 200 and created.json()["connectionId"] == bob["id"], created.text
    assert_error(await client.get("/connections/hubspot/data-sources/tasks", headers=admin), 400)
    # A customer token ignores userId: it only ever sees its own.
    own = await client.get("/connections/hubspot?userId=bob", headers=tenant.customer("alice"))
    assert own.json()["id"] == alice["id"]


async def test_admin_instance_selector_by_integration(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await integration(client, tenant, "HubSpot")
    admin = tenant.admin
    table = await client.post("/data-link-tables", json={"key": "contacts"}, headers=admin)
    assert table.status_code == 200, table.text
    alice = await connect(client, tenant.customer("alice"), integrationKey="hubspot")
    selector = "dataLinkTableKey=contacts&integrationKey=hubspot&autoCreate=true"
    got = await client.get(f"/data-link-table-instance?{selector}", headers=admin)
    assert got.status_code == 200 and got.json()["connectionId"] == alice["id"], got.text
    await connect(client, tenant.customer("bob"), integrationKey="hubspot")
    body = assert_error(
        await client.get(f"/data-link-table-instance?{selector}", headers=admin), 400
    )
    assert "userId" in body["message"], body
    got = await client.get(f"/data-link-table-instance?{selector}&userId=alice", headers=admin)
    assert got.status_code == 200 and got.json()["connectionId"] == alice["id"], got.text


async def test_integration_selector_ignores_archived(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await integration(client, tenant, "Notion")
    alice = tenant.customer("alice")
    old = await connect(client, alice, integrationKey="notion")
    await client.delete(f"/connections/{old['id']}", headers=alice)
    new = await connect(client, alice, integrationKey="notion")
    assert (await client.get("/connections/notion", headers=alice)).json()["id"] == new["id"]


async def test_key_unique_per_customer_among_live(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await integration(client, tenant, "Trello")
    alice, bob = tenant.customer("alice"), tenant.customer("bob")
    first = await connect(client, alice, integrationKey="trello", key="k")
    response = await client.post(
        "/connections", json={"integrationKey": "trello", "key": "k"}, headers=alice
    )
    assert_error(response, 409, "already_exists")
    # Another customer may use the same key.
    await connect(client, bob, integrationKey="trello", key="k")
    # Connections without a key never collide.
    await connect(client, alice, integrationKey="trello")
    await connect(client, alice, integrationKey="trello")
    assert await tenant.count(Connection) == 4
    other = await connect(client, alice, integrationKey="trello", key="other")
    assert_error(
        await client.patch(f"/connections/{other['id']}", json={"key": "k"}, headers=alice), 409
    )
    # Archived, the key is free; restoring the old one then conflicts.
    await client.delete(f"/connections/{first['id']}", headers=alice)
    taker = await connect(client, alice, integrationKey="trello", key="k")
    assert_error(await client.post(f"/connections/{first['id']}/restore", headers=alice), 409)
    await client.delete(f"/connections/{taker['id']}", headers=alice)
    restored = await client.post(f"/connections/{first['id']}/restore", headers=alice)
    assert restored.status_code == 200 and "archivedAt" not in restored.json()


async def test_update(client: httpx.AsyncClient, tenant: Tenant) -> None:
    hub = await integration(client, tenant, "HubSpot")
    other = await integration(client, tenant, "Other")
    alice = tenant.customer("alice")
    conn = await connect(client, alice, integrationKey="hubspot", key="k", meta={"a": 1})
    patched = await client.patch(
        f"/connections/{conn['id']}",
        json={"name": "Renamed", "isTest": True, "integrationId": other["id"], "userId": "x"},
        headers=alice,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["name"] == "Renamed" and body["isTest"] is True and body["meta"] == {"a": 1}
    # Owner and integration never change.
    assert body["integrationId"] == hub["id"] and body["userId"] == conn["userId"]
    put = await client.put(f"/connections/{conn['id']}", json={"meta": {"b": 2}}, headers=alice)
    assert put.status_code == 200, put.text
    body = put.json()
    assert body["meta"] == {"b": 2} and "key" not in body and body["name"] == "Renamed"
    # The admin may edit any customer's connection.
    response = await client.patch(
        f"/connections/{conn['id']}", json={"name": "By admin"}, headers=tenant.admin
    )
    assert response.json()["name"] == "By admin"


async def test_archive_restore(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await integration(client, tenant, "HubSpot")
    alice = tenant.customer("alice")
    conn = await connect(client, alice, integrationKey="hubspot", key="k")
    response = await client.delete("/connections/k", headers=alice)
    assert response.status_code == 200 and response.content == b""
    assert (await client.delete(f"/connections/{conn['id']}", headers=alice)).status_code == 200
    got = (await client.get(f"/connections/{conn['id']}", headers=alice)).json()
    assert TIMESTAMP.match(got["archivedAt"])
    assert_error(await client.get("/connections/k", headers=alice), 404)
    assert_error(await client.get("/connections/hubspot", headers=alice), 404)
    assert (await client.get("/connections", headers=alice)).json()["items"] == []
    listed = (await client.get("/connections?includeArchived=true", headers=alice)).json()
    assert [item["id"] for item in listed["items"]] == [conn["id"]]
    for method in ("PUT", "PATCH"):
        response = await client.request(
            method, f"/connections/{conn['id']}", json={"name": "x"}, headers=alice
        )
        assert_error(response, 400)
    restored = await client.post(f"/connections/{conn['id']}/restore", headers=alice)
    assert restored.status_code == 200 and "archivedAt" not in restored.json()


async def test_list_filters(client: httpx.AsyncClient, tenant: Tenant) -> None:
    hub = await integration(client, tenant, "HubSpot")
    await integration(client, tenant, "Slack")
    alice, bob = tenant.customer("alice"), tenant.customer("bob")
    a_hub = await connect(client, alice, integrationKey="hubspot", name="Alpha")
    a_slack = await connect(client, alice, integrationKey="slack", isTest=True)
    b_hub = await connect(client, bob, integrationKey="hubspot")
    alice_id, bob_id = a_hub["userId"], b_hub["userId"]

    async def ids(query: str, headers: dict[str, str] = tenant.admin) -> list[str]:
        response = await client.get(f"/connections?{query}", headers=headers)
        assert response.status_code == 200, (query, response.text)
        return [item["id"] for item in response.json()["items"]]

    everything = [a_hub["id"], a_slack["id"], b_hub["id"]]
    assert await ids("") == everything
    assert await ids("includeSecrets=false&connectorId=x&externalAppId=y") == everything
    assert await ids("integrationKey=hubspot") == [a_hub["id"], b_hub["id"]]
    assert await ids(f"integrationId={hub['id']}") == [a_hub["id"], b_hub["id"]]
    assert await ids("integrationKey=nope") == []
    assert await ids(f"userId={alice_id}") == [a_hub["id"], a_slack["id"]]
    assert await ids("userId=bob") == [b_hub["id"]]
    assert await ids(f"tenantId={bob_id}") == [b_hub["id"]]
    assert await ids("isTest=true") == [a_slack["id"]]
    assert await ids("isTest=false&integrationKey=hubspot&userId=alice") == [a_hub["id"]]
    assert await ids("connected=true") == everything
    assert await ids("connected=false") == []
    assert await ids("disconnected=true") == []
    assert await ids("disconnected=false") == everything
    assert await ids("search=alph") == [a_hub["id"]]
    # A customer's list is its own, whatever it filters on.
    assert await ids("", alice) == [a_hub["id"], a_slack["id"]]
    assert await ids("integrationKey=hubspot", bob) == [b_hub["id"]]
    assert await ids("userId=bob", bob) == [b_hub["id"]]
    assert await ids(f"userId={bob_id}", bob) == [b_hub["id"]]
    assert await ids(f"userId={alice_id}", bob) == []
    assert await ids("tenantId=alice", bob) == []
    for bad in ("isTest=yes", "connected=no", "disconnected=2", "includeArchived=x"):
        assert_error(await client.get(f"/connections?{bad}", headers=tenant.admin), 400)


async def test_unknown_user_filter_is_an_empty_page(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await integration(client, tenant, "HubSpot")
    await connect(client, tenant.customer("alice"), integrationKey="hubspot")
    response = await client.get("/connections?userId=nobody", headers=tenant.admin)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


BAD_BODIES: list[Any] = [
    {"integrationKey": "hubspot", "name": 123},
    {"integrationKey": "hubspot", "name": ""},
    {"integrationKey": "hubspot", "name": "n" * 1001},
    {"integrationKey": "hubspot", "key": "k" * 256},
    {"integrationKey": "hubspot", "key": 7},
    {"integrationKey": "hubspot", "key": "a\x00"},
    {"integrationKey": "hubspot", "isTest": "yes"},
    {"integrationKey": "hubspot", "meta": []},
    {"integrationKey": "hubspot", "meta": {"x": "\x00"}},
    {"integrationKey": 1},
    {"integrationKey": "k" * 256},
    {"integrationId": ["x"]},
    {"integrationKey": "hub\x00spot"},
    [],
    "hubspot",
    None,
]


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_bad_bodies(client: httpx.AsyncClient, tenant: Tenant, body: Any) -> None:
    await integration(client, tenant, "HubSpot")
    alice = tenant.customer("alice")
    original = await connect(client, alice, integrationKey="hubspot", key="keep")
    assert_error(await client.post("/connections", json=body, headers=alice), 400)
    # Only the fields that can change on update are checked there.
    if isinstance(body, dict) and any(k in body for k in ("integrationKey", "integrationId")):
        body = {k: v for k, v in body.items() if k not in ("integrationKey", "integrationId")}
    if body != {}:
        for method in ("PUT", "PATCH"):
            response = await client.request(method, "/connections/keep", json=body, headers=alice)
            assert_error(response, 400)
    assert (await client.get("/connections/keep", headers=alice)).json() == original
    assert await tenant.count(Connection) == 1


async def test_connector_fields_accepted_and_ignored(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await integration(client, tenant, "HubSpot")
    alice = tenant.customer("alice")
    extras = {
        "credentials": {"access_token": "secret-token"},
        "authOptionKey": "oauth",
        "input": {"x": 1},
        "connectorParameters": {"p": 2},
        "connectorId": "c-1",
    }
    created = await connect(client, alice, integrationKey="hubspot", **extras)
    for name in extras:
        assert name not in created
    assert "secret-token" not in (await client.get("/connections", headers=alice)).text
    patched = await client.patch(f"/connections/{created['id']}", json=extras, headers=alice)
    assert patched.status_code == 200 and patched.json() == created | {
        "updatedAt": patched.json()["updatedAt"]
    }
