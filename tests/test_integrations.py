"""Integrations: key/name derivation, selectors, revisions, archive/restore, bad input."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from datalinks.models import Integration
from tests.support.helpers import Tenant, assert_error, assert_wire_shape

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


async def create(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await client.post("/integrations", json=body, headers=tenant.admin)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_key_from_name(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, name="  Hub Spot CRM!! ")
    assert body["key"] == "hub-spot-crm" and body["name"] == "  Hub Spot CRM!! "


async def test_name_from_key(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, key="pipedrive")
    assert body["name"] == "pipedrive" and body["key"] == "pipedrive"


async def test_name_without_slug_characters_still_gets_a_key(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = await create(client, tenant, name="日本")
    assert body["key"]
    assert (
        await client.get(f"/integrations/{body['key']}", headers=tenant.admin)
    ).status_code == 200


async def test_needs_name_or_key(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for body in ({}, {"description": "only"}, {"name": None, "key": None}):
        response = await client.post("/integrations", json=body, headers=tenant.admin)
        assert_error(response, 400)
    assert await tenant.count(Integration) == 0


async def test_shape(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, name="Shape", meta={"a": 1}, parameters={"p": True})
    assert body["logoUri"] == ""
    assert isinstance(body["revision"], str)
    assert body["state"] == "READY" and body["errors"] == []
    assert body["isDeactivated"] is False and body["isReadOnly"] is False
    assert TIMESTAMP.match(body["createdAt"]) and TIMESTAMP.match(body["updatedAt"])
    assert body["uuid"] and body["meta"] == {"a": 1} and body["parameters"] == {"p": True}
    assert None not in body.values()
    assert_wire_shape(body)
    for absent in ("archivedAt", "description", "connectorId", "externalAppId", "logo_uri"):
        assert absent not in body
    with_logo = await create(client, tenant, name="Logo", logoUri="https://x/logo.png")
    assert with_logo["logoUri"] == "https://x/logo.png"


async def test_duplicate_key(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await create(client, tenant, key="dup")
    response = await client.post("/integrations", json={"key": "dup"}, headers=tenant.admin)
    assert_error(response, 409, "already_exists")
    # The slug of a name collides the same way.
    response = await client.post("/integrations", json={"name": "DUP"}, headers=tenant.admin)
    assert_error(response, 409, "already_exists")
    assert await tenant.count(Integration) == 1


async def test_create_needs_admin(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post("/integrations", json={"key": "x"}, headers=tenant.customer("c"))
    assert_error(response, 403, "access_denied")
    assert await tenant.count(Integration) == 0


async def test_get_by_id_key_and_query(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, name="Slack")
    for path in (
        f"/integrations/{body['id']}",
        "/integrations/slack",
        "/integration?key=slack",
        f"/integration?id={body['id']}",
    ):
        response = await client.get(path, headers=tenant.admin)
        assert response.status_code == 200, (path, response.text)
        assert response.json() == body
    # Customers read workspace elements too.
    assert (await client.get("/integrations/slack", headers=tenant.customer("c"))).json() == body
    assert_error(await client.get("/integrations/nope", headers=tenant.admin), 404, "not_found")
    assert_error(await client.get("/integration?key=nope", headers=tenant.admin), 404)
    assert_error(await client.get("/integration", headers=tenant.admin), 400)
    # key= matches keys only, never an id.
    response = await client.get(f"/integration?key={body['id']}", headers=tenant.admin)
    assert_error(response, 404, "not_found")


async def test_put_patch_bump_revision(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, key="rev", description="d", meta={"m": 1})
    revisions = {body["revision"]}
    patched = await client.patch("/integrations/rev", json={"name": "Rev"}, headers=tenant.admin)
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Rev" and patched.json()["description"] == "d"
    revisions.add(patched.json()["revision"])
    put = await client.put("/integrations/rev", json={"meta": {"m": 2}}, headers=tenant.admin)
    assert put.status_code == 200, put.text
    result = put.json()
    # PUT clears what it does not send, except the required key, name and uuid.
    assert "description" not in result and result["meta"] == {"m": 2}
    assert result["key"] == "rev" and result["name"] == "Rev" and result["uuid"] == body["uuid"]
    revisions.add(result["revision"])
    assert len(revisions) == 3
    assert result["logoUri"] == ""
    assert result["updatedAt"] >= body["updatedAt"]


async def test_rekey_and_conflict(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await create(client, tenant, key="one")
    two = await create(client, tenant, key="two")
    assert_error(
        await client.patch("/integrations/two", json={"key": "one"}, headers=tenant.admin), 409
    )
    moved = await client.patch("/integrations/two", json={"key": "three"}, headers=tenant.admin)
    assert moved.json()["id"] == two["id"]
    assert (await client.get("/integrations/three", headers=tenant.admin)).status_code == 200


async def test_writes_need_admin(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, key="guarded")
    headers = tenant.customer("c")
    for method, path in (
        ("PUT", "/integrations/guarded"),
        ("PATCH", "/integrations/guarded"),
        ("DELETE", "/integrations/guarded"),
        ("POST", "/integrations/guarded/restore"),
        ("POST", "/integrations/guarded/setup"),
    ):
        json = {"name": "x"} if method in ("PUT", "PATCH") else None
        response = await client.request(method, path, json=json, headers=headers)
        assert_error(response, 403, "access_denied")
    assert (await client.get("/integrations/guarded", headers=tenant.admin)).json() == body


async def test_archive_restore(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, key="arc")
    response = await client.delete("/integrations/arc", headers=tenant.admin)
    assert response.status_code == 200 and response.content == b""
    assert (await client.delete(f"/integrations/{body['id']}", headers=tenant.admin)).content == b""
    assert_error(await client.get("/integrations/arc", headers=tenant.admin), 404)
    archived = (await client.get(f"/integrations/{body['id']}", headers=tenant.admin)).json()
    assert TIMESTAMP.match(archived["archivedAt"]) and archived["isDeactivated"] is True
    listed = (await client.get("/integrations", headers=tenant.admin)).json()["items"]
    assert listed == []
    listed = (await client.get("/integrations?includeArchived=true", headers=tenant.admin)).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    for method in ("PUT", "PATCH"):
        response = await client.request(
            method, f"/integrations/{body['id']}", json={"name": "x"}, headers=tenant.admin
        )
        assert_error(response, 400)
    # The key is free again while archived.
    other = await create(client, tenant, key="arc")
    assert_error(
        await client.post(f"/integrations/{body['id']}/restore", headers=tenant.admin),
        409,
        "already_exists",
    )
    await client.delete(f"/integrations/{other['id']}", headers=tenant.admin)
    restored = await client.post(f"/integrations/{body['id']}/restore", headers=tenant.admin)
    assert restored.status_code == 200, restored.text
    assert "archivedAt" not in restored.json() and restored.json()["isDeactivated"] is False
    assert (await client.get("/integrations/arc", headers=tenant.admin)).json()["id"] == body["id"]


async def test_setup_is_a_no_op(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, key="setup")
    response = await client.post("/integrations/setup/setup", headers=tenant.admin)
    assert response.status_code == 200, response.text
    assert response.json() == body
    assert_error(await client.post("/integrations/nope/setup", headers=tenant.admin), 404)


async def test_list_search(client: httpx.AsyncClient, tenant: Tenant) -> None:
    a = await create(client, tenant, name="Salesforce")
    b = await create(client, tenant, name="Zendesk", key="zd")
    page = (await client.get("/integrations?search=sales", headers=tenant.admin)).json()
    assert [item["id"] for item in page["items"]] == [a["id"]]
    page = (await client.get("/integrations?search=zd", headers=tenant.admin)).json()
    assert [item["id"] for item in page["items"]] == [b["id"]]
    # Parameters the SDK may send and datalinks ignores.
    page = (
        await client.get(
            "/integrations?appUuid=x&connectors=y&externalApps=z&websearch=w", headers=tenant.admin
        )
    ).json()
    assert len(page["items"]) == 2
    assert_error(await client.get("/integrations?includeArchived=yes", headers=tenant.admin), 400)


BAD_BODIES: list[Any] = [
    {"name": 123},
    {"key": 1},
    {"name": ""},
    {"key": ""},
    {"key": "k" * 256},
    {"name": "n" * 1001},
    {"name": "nul\x00"},
    {"key": "nul\x00"},
    {"key": "ok", "description": "d" * 10_001},
    {"key": "ok", "meta": []},
    {"key": "ok", "parameters": "p"},
    {"key": "ok", "logoUri": 5},
    {"key": "ok", "uuid": 5},
    {"key": "ok", "meta": {"deep": {"nul": "\x00"}}},
    [],
    [{"key": "ok"}],
    "ok",
    None,
]


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_bad_bodies(client: httpx.AsyncClient, tenant: Tenant, body: Any) -> None:
    assert_error(await client.post("/integrations", json=body, headers=tenant.admin), 400)
    assert await tenant.count(Integration) == 0
    original = await create(client, tenant, key="keep")
    for method in ("PUT", "PATCH"):
        response = await client.request(
            method, "/integrations/keep", json=body, headers=tenant.admin
        )
        assert_error(response, 400)
    assert (await client.get("/integrations/keep", headers=tenant.admin)).json() == original
    assert await tenant.count(Integration) == 1


async def test_parallel_creates_of_one_key(client: httpx.AsyncClient, tenant: Tenant) -> None:
    responses = await asyncio.gather(
        *(
            client.post("/integrations", json={"key": "race"}, headers=tenant.admin)
            for _ in range(10)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 9, [r.text for r in responses]
    assert await tenant.count(Integration) == 1


@pytest.mark.parametrize("term", ["\\", "_", "%", "'", '"', "%_\\", "a%b"])
async def test_search_with_special_characters(
    client: httpx.AsyncClient, tenant: Tenant, term: str
) -> None:
    await create(client, tenant, name="plain")
    special = await create(client, tenant, name=f"has {term} inside", key="special")
    response = await client.get("/integrations", params={"search": term}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["items"]] == [special["id"]]


@pytest.mark.parametrize("key", ["a/b", " ", "\t"])
async def test_keys_must_be_addressable(
    client: httpx.AsyncClient, tenant: Tenant, key: str
) -> None:
    r = await client.post("/integrations", json={"key": key, "name": "X"}, headers=tenant.admin)
    body = assert_error(r, 400)
    assert body["data"]["issues"][0]["path"] == "key"
    r = await client.post("/data-link-tables", json={"key": key}, headers=tenant.admin)
    assert_error(r, 400)
