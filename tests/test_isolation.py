"""Scope: a customer sees only its own connections, a workspace only its own rows; anything
outside the caller's scope is a 404 (never a 403 that would confirm it exists)."""

from __future__ import annotations

from typing import Any

import httpx

from datalinks.models import Connection, Customer, Integration
from tests.support.helpers import Tenant, assert_error


async def seed(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    """One integration, customer `alice` and her connection (key `main`)."""
    integration = await client.post("/integrations", json={"name": "HubSpot"}, headers=tenant.admin)
    assert integration.status_code == 200, integration.text
    alice = tenant.customer("alice")
    connection = await client.post(
        "/connections", json={"integrationKey": "hubspot", "key": "main"}, headers=alice
    )
    assert connection.status_code == 200, connection.text
    customer = (await client.get("/self", headers=alice)).json()
    return {
        "integration": integration.json(),
        "connection": connection.json(),
        "customer": customer,
    }


async def test_customer_cannot_reach_another_customers_connection(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    rows = await seed(client, tenant)
    conn = rows["connection"]
    bob = tenant.customer("bob")
    for selector in (conn["id"], "main", "hubspot", rows["integration"]["id"]):
        assert_error(await client.get(f"/connections/{selector}", headers=bob), 404, "not_found")
        for method in ("PUT", "PATCH"):
            response = await client.request(
                method, f"/connections/{selector}", json={"name": "mine now"}, headers=bob
            )
            assert_error(response, 404, "not_found")
        assert_error(await client.delete(f"/connections/{selector}", headers=bob), 404)
        assert_error(await client.post(f"/connections/{selector}/restore", headers=bob), 404)
    # Archived by its owner, it is still out of bob's reach (restore included).
    await client.delete(f"/connections/{conn['id']}", headers=tenant.customer("alice"))
    assert_error(await client.post(f"/connections/{conn['id']}/restore", headers=bob), 404)
    listed = await client.get("/connections?includeArchived=true", headers=bob)
    assert listed.json()["items"] == []
    filtered = await client.get(
        f"/connections?userId={rows['customer']['id']}&includeArchived=true", headers=bob
    )
    assert filtered.json()["items"] == []
    got = await client.get(f"/connections/{conn['id']}", headers=tenant.customer("alice"))
    assert got.json()["name"] == "HubSpot" and "archivedAt" in got.json()


async def test_customer_cannot_reach_another_customer(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    rows = await seed(client, tenant)
    alice_id = rows["customer"]["id"]
    bob = tenant.customer("bob")
    for path in (f"/customers/{alice_id}", "/customers/alice", f"/customer?id={alice_id}"):
        assert_error(await client.get(path, headers=bob), 404, "not_found")
    assert [
        c["internalId"] for c in (await client.get("/customers", headers=bob)).json()["items"]
    ] == ["bob"]


async def test_other_workspace_sees_nothing(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    rows = await seed(client, tenant)
    integration, conn, customer = rows["integration"], rows["connection"], rows["customer"]
    for headers in (other_tenant.admin, other_tenant.customer("mallory")):
        for path in (
            f"/integrations/{integration['id']}",
            "/integrations/hubspot",
            f"/integration?id={integration['id']}",
            "/integration?key=hubspot",
            f"/connections/{conn['id']}",
            "/connections/main",
            "/connections/hubspot",
        ):
            assert_error(await client.get(path, headers=headers), 404, "not_found")
        for path in ("/integrations", "/connections"):
            response = await client.get(f"{path}?includeArchived=true", headers=headers)
            assert response.json() == {"items": []}
    admin = other_tenant.admin
    for path in (f"/customers/{customer['id']}", "/customers/alice", "/customer?id=alice"):
        assert_error(await client.get(path, headers=admin), 404, "not_found")
    # Writes cannot reach across either.
    for method, path in (
        ("PATCH", f"/integrations/{integration['id']}"),
        ("PUT", f"/integrations/{integration['id']}"),
        ("DELETE", f"/integrations/{integration['id']}"),
        ("POST", f"/integrations/{integration['id']}/restore"),
        ("POST", f"/integrations/{integration['id']}/setup"),
        ("PATCH", f"/customers/{customer['id']}"),
        ("DELETE", f"/customers/{customer['id']}"),
        ("POST", f"/customers/{customer['id']}/restore"),
        ("PATCH", f"/connections/{conn['id']}"),
        ("DELETE", f"/connections/{conn['id']}"),
        ("POST", f"/connections/{conn['id']}/restore"),
    ):
        json = {"name": "taken"} if method in ("PUT", "PATCH") else None
        response = await client.request(method, path, json=json, headers=admin)
        assert_error(response, 404, "not_found")
    # Naming another workspace's integration or customer in a create finds nothing.
    other_alice = other_tenant.customer("mallory")
    response = await client.post(
        "/connections", json={"integrationId": integration["id"]}, headers=other_alice
    )
    assert_error(response, 404, "not_found")
    await client.post("/integrations", json={"key": "own"}, headers=admin)
    response = await client.post(
        "/connections", json={"integrationKey": "own", "userId": customer["id"]}, headers=admin
    )
    assert_error(response, 404, "not_found")
    assert await other_tenant.count(Connection) == 0
    # And nothing in the first workspace moved.
    assert await tenant.count(Integration) == 1
    assert await tenant.count(Customer) == 1
    got = await client.get(f"/connections/{conn['id']}", headers=tenant.admin)
    assert got.json() == conn


async def test_same_keys_in_two_workspaces(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    first = await seed(client, tenant)
    second = await seed(client, other_tenant)
    assert first["integration"]["id"] != second["integration"]["id"]
    assert first["customer"]["id"] != second["customer"]["id"]
    mine = await client.get("/connections/main", headers=tenant.customer("alice"))
    assert mine.json()["id"] == first["connection"]["id"]
    theirs = await client.get("/connections/main", headers=other_tenant.customer("alice"))
    assert theirs.json()["id"] == second["connection"]["id"]


async def test_customer_token_cannot_write_workspace_elements(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    rows = await seed(client, tenant)
    alice = tenant.customer("alice")
    integration_id = rows["integration"]["id"]
    for method, path in (
        ("POST", "/integrations"),
        ("PATCH", f"/integrations/{integration_id}"),
        ("DELETE", f"/integrations/{integration_id}"),
        ("POST", "/customers"),
        ("PATCH", f"/customers/{rows['customer']['id']}"),
    ):
        json = {"name": "x"} if method in ("POST", "PATCH") else None
        if path.endswith("s"):
            json = {"name": "x", "key": "x"}
        response = await client.request(method, path, json=json, headers=alice)
        assert_error(response, 403, "access_denied")
    assert await tenant.count(Integration) == 1
