from __future__ import annotations

import httpx

from tests.support.helpers import Tenant, assert_error


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    assert (await client.get("/ready")).json() == {"status": "ready"}


async def test_integration_connection_roundtrip(client: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await client.post("/integrations", json={"name": "HubSpot"}, headers=tenant.admin)
    assert r.status_code == 200, r.text
    integration = r.json()
    assert integration["key"] == "hubspot" and integration["logoUri"] == ""
    alice = tenant.customer("alice")
    r = await client.post("/connections", json={"integrationKey": "hubspot"}, headers=alice)
    assert r.status_code == 200, r.text
    conn = r.json()
    assert conn["name"] == "HubSpot" and conn["connected"] is True
    r = await client.get("/connections/hubspot", headers=alice)
    assert r.json()["id"] == conn["id"]
    r = await client.get(f"/connections/{conn['id']}", headers=tenant.customer("bob"))
    assert_error(r, 404, "not_found")


async def test_head_health_for_load_balancers(client: httpx.AsyncClient) -> None:
    r = await client.head("/health")
    assert r.status_code == 200 and r.content == b""
