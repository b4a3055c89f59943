"""Customers: admin CRUD, selectors by id and internalId, archive/restore, /self."""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from typing import Any

import httpx
import pytest

from datalinks.models import Customer
from tests.support.helpers import Tenant, assert_error, assert_wire_shape

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


async def create(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await client.post("/customers", json=body, headers=tenant.admin)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_create_and_shape(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(
        client, tenant, name="Acme", internalId="acme", meta={"plan": "pro"}, credentials={"x": 1}
    )
    assert body["name"] == "Acme" and body["internalId"] == "acme"
    assert body["meta"] == {"plan": "pro"}
    assert body["isTest"] is False and body["isActive"] is True
    assert TIMESTAMP.match(body["createdAt"]) and TIMESTAMP.match(body["updatedAt"])
    # Optional fields without a value are omitted, never null; credentials are never returned.
    assert None not in body.values()
    assert_wire_shape(body)
    for absent in ("archivedAt", "fields", "credentials", "internal_id", "is_test"):
        assert absent not in body


async def test_internal_id_defaults_to_id(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, name="No Internal")
    assert body["internalId"] == body["id"]


async def test_name_defaults_to_internal_id(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, internalId="only-internal")
    assert body["name"] == "only-internal"


async def test_create_needs_name_or_internal_id(client: httpx.AsyncClient, tenant: Tenant) -> None:
    assert_error(await client.post("/customers", json={}, headers=tenant.admin), 400)
    assert await tenant.count(Customer) == 0


async def test_create_needs_admin(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = tenant.customer("someone")
    response = await client.post("/customers", json={"name": "X"}, headers=headers)
    assert_error(response, 403, "access_denied")
    # Only the token's own customer exists: created by its first valid token, though that
    # request failed.
    assert await tenant.count(Customer) == 1


async def test_duplicate_internal_id(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await create(client, tenant, name="A", internalId="dup")
    response = await client.post(
        "/customers", json={"name": "B", "internalId": "dup"}, headers=tenant.admin
    )
    assert_error(response, 409, "already_exists")
    assert await tenant.count(Customer) == 1


async def test_get_by_id_internal_id_and_query(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, name="Get Me", internalId="get-me")
    for path in (
        f"/customers/{body['id']}",
        "/customers/get-me",
        f"/customer?id={body['id']}",
        "/customer?id=get-me",
        "/customer?internalId=get-me",
    ):
        response = await client.get(path, headers=tenant.admin)
        assert response.status_code == 200, (path, response.text)
        assert response.json() == body
    assert_error(await client.get("/customers/nope", headers=tenant.admin), 404, "not_found")
    assert_error(await client.get("/customer?id=nope", headers=tenant.admin), 404, "not_found")
    assert_error(await client.get("/customer", headers=tenant.admin), 400)
    response = await client.get(f"/customer?internalId={body['id']}", headers=tenant.admin)
    assert_error(response, 404, "not_found")


async def test_list_search_is_test_and_archived(client: httpx.AsyncClient, tenant: Tenant) -> None:
    alpha = await create(client, tenant, name="Alpha Corp", internalId="alpha")
    beta = await create(client, tenant, name="Beta", internalId="beta", isTest=True)
    gamma = await create(client, tenant, name="Gamma 100%", internalId="gamma")
    await client.delete(f"/customers/{gamma['id']}", headers=tenant.admin)

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/customers?{query}", headers=tenant.admin)
        assert response.status_code == 200, response.text
        page = response.json()
        assert "cursor" not in page
        return [item["id"] for item in page["items"]]

    assert await ids("") == [alpha["id"], beta["id"]]
    assert await ids("search=alpha") == [alpha["id"]]
    assert await ids("search=ALPH") == [alpha["id"]]
    assert await ids("search=bet") == [beta["id"]]
    # LIKE wildcards in the term match themselves only.
    assert await ids("search=%25") == []
    assert await ids("search=%25&includeArchived=true") == [gamma["id"]]
    assert await ids("isTest=true") == [beta["id"]]
    assert await ids("isTest=FALSE") == [alpha["id"]]
    assert await ids("isTest=0") == [alpha["id"]]
    assert await ids("includeArchived=true") == [alpha["id"], beta["id"], gamma["id"]]
    assert await ids("includeArchived=1") == [alpha["id"], beta["id"], gamma["id"]]
    assert await ids("includeArchived=false") == [alpha["id"], beta["id"]]
    assert await ids("isActive=false") == [gamma["id"]]
    assert await ids("isActive=true&includeArchived=true") == [alpha["id"], beta["id"]]
    for bad in ("isTest=yes", "includeArchived=maybe", "isActive=2"):
        assert_error(await client.get(f"/customers?{bad}", headers=tenant.admin), 400)


async def test_put_and_patch(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, name="Old", internalId="c1", meta={"a": 1}, isTest=True)
    patched = await client.patch(
        f"/customers/{body['id']}", json={"name": "New"}, headers=tenant.admin
    )
    assert patched.status_code == 200, patched.text
    result = patched.json()
    assert result["name"] == "New" and result["meta"] == {"a": 1} and result["isTest"] is True
    # PUT replaces the editable fields: meta goes, required ones stay unless sent.
    put = await client.put("/customers/c1", json={"fields": {"f": "v"}}, headers=tenant.admin)
    assert put.status_code == 200, put.text
    result = put.json()
    assert "meta" not in result and result["fields"] == {"f": "v"}
    assert result["name"] == "New" and result["internalId"] == "c1"
    # Re-keying through PATCH, then the new internalId selects it.
    rekeyed = await client.patch("/customers/c1", json={"internalId": "c2"}, headers=tenant.admin)
    assert rekeyed.json()["internalId"] == "c2"
    assert (await client.get("/customers/c2", headers=tenant.admin)).status_code == 200
    assert_error(await client.get("/customers/c1", headers=tenant.admin), 404)


async def test_update_to_taken_internal_id(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await create(client, tenant, name="A", internalId="a")
    await create(client, tenant, name="B", internalId="b")
    response = await client.patch("/customers/b", json={"internalId": "a"}, headers=tenant.admin)
    assert_error(response, 409, "already_exists")
    assert (await client.get("/customers/b", headers=tenant.admin)).json()["internalId"] == "b"


async def test_writes_need_admin(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = tenant.customer("me")
    me = (await client.get("/self", headers=headers)).json()
    for method in ("PUT", "PATCH"):
        response = await client.request(
            method, f"/customers/{me['id']}", json={"name": "X"}, headers=headers
        )
        assert_error(response, 403, "access_denied")
    assert_error(await client.delete(f"/customers/{me['id']}", headers=headers), 403)
    assert_error(await client.post(f"/customers/{me['id']}/restore", headers=headers), 403)
    assert (await client.get("/self", headers=headers)).json()["name"] == "me"


async def test_customer_token_sees_only_itself(client: httpx.AsyncClient, tenant: Tenant) -> None:
    other = await create(client, tenant, name="Other", internalId="other")
    headers = tenant.customer("me")
    page = (await client.get("/customers", headers=headers)).json()
    assert [item["internalId"] for item in page["items"]] == ["me"]
    assert_error(await client.get(f"/customers/{other['id']}", headers=headers), 404)
    assert_error(await client.get("/customers/other", headers=headers), 404)
    assert_error(await client.get("/customer?id=other", headers=headers), 404)
    assert (await client.get("/customers/me", headers=headers)).status_code == 200


async def test_archive_restore(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, name="Arch", internalId="arch")
    response = await client.delete("/customers/arch", headers=tenant.admin)
    assert response.status_code == 200 and response.content == b""
    # Archived rows are found by id but not by internalId.
    got = (await client.get(f"/customers/{body['id']}", headers=tenant.admin)).json()
    assert TIMESTAMP.match(got["archivedAt"]) and got["isActive"] is False
    assert_error(await client.get("/customers/arch", headers=tenant.admin), 404)
    again = await client.delete(f"/customers/{body['id']}", headers=tenant.admin)
    assert again.status_code == 200 and again.content == b""
    assert (await client.get(f"/customers/{body['id']}", headers=tenant.admin)).json()[
        "archivedAt"
    ] == got["archivedAt"]
    for method in ("PUT", "PATCH"):
        response = await client.request(
            method, f"/customers/{body['id']}", json={"name": "Nope"}, headers=tenant.admin
        )
        assert_error(response, 400)
    restored = await client.post(f"/customers/{body['id']}/restore", headers=tenant.admin)
    assert restored.status_code == 200, restored.text
    assert "archivedAt" not in restored.json() and restored.json()["name"] == "Arch"
    # Restoring a live customer is a no-op.
    assert (
        await client.post(f"/customers/{body['id']}/restore", headers=tenant.admin)
    ).status_code == 200


async def test_restore_conflict(client: httpx.AsyncClient, tenant: Tenant) -> None:
    old = await create(client, tenant, name="Old", internalId="slot")
    await client.delete(f"/customers/{old['id']}", headers=tenant.admin)
    new = await create(client, tenant, name="New", internalId="slot")
    response = await client.post(f"/customers/{old['id']}/restore", headers=tenant.admin)
    assert_error(response, 409, "already_exists")
    got = (await client.get(f"/customers/{old['id']}", headers=tenant.admin)).json()
    assert "archivedAt" in got
    assert (await client.get("/customers/slot", headers=tenant.admin)).json()["id"] == new["id"]


async def test_self(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = tenant.customer("selfie", name="Selfie")
    me = (await client.get("/self", headers=headers)).json()
    patched = await client.patch(
        "/self",
        json={"name": "Renamed", "meta": {"k": "v"}, "internalId": "hijack"},
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["id"] == me["id"] and body["name"] == "Renamed" and body["meta"] == {"k": "v"}
    # A customer cannot re-key the identity its tokens carry.
    assert body["internalId"] == "selfie"
    assert_error(await client.get("/self", headers=tenant.admin), 404, "not_found")
    assert_error(await client.patch("/self", json={}, headers=tenant.admin), 404, "not_found")


BAD_BODIES: list[Any] = [
    {"name": 123},
    {"name": ""},
    {"name": "x" * 1001},
    {"name": "a\x00b"},
    {"internalId": "k" * 256},
    {"internalId": 5},
    {"internalId": "a\x00"},
    {"isTest": "yes"},
    {"isTest": 1},
    {"meta": []},
    {"meta": "text"},
    {"fields": [1]},
    {"meta": {"nul": "a\x00b"}},
    [],
    "customer",
    123,
    None,
]


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_bad_create_bodies(client: httpx.AsyncClient, tenant: Tenant, body: Any) -> None:
    response = await client.post("/customers", json=body, headers=tenant.admin)
    assert_error(response, 400)
    assert await tenant.count(Customer) == 0


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_bad_update_bodies(client: httpx.AsyncClient, tenant: Tenant, body: Any) -> None:
    original = await create(client, tenant, name="Keep", internalId="keep")
    for method in ("PUT", "PATCH"):
        response = await client.request(method, "/customers/keep", json=body, headers=tenant.admin)
        assert_error(response, 400)
    assert (await client.get("/customers/keep", headers=tenant.admin)).json() == original
    selfish = tenant.customer("selfish")
    me = (await client.get("/self", headers=selfish)).json()
    assert_error(await client.patch("/self", json=body, headers=selfish), 400)
    assert (await client.get("/self", headers=selfish)).json() == me
    assert await tenant.count(Customer) == 2


async def test_validation_names_the_field(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post("/customers", json={"name": 123}, headers=tenant.admin)
    body = assert_error(response, 400)
    assert body["data"]["issues"][0]["path"] == "name"
    assert "name" in body["message"]


async def test_unknown_fields_ignored(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(client, tenant, name="U", internalId="u", whatever={"x": 1}, id="forged")
    assert body["id"] != "forged" and "whatever" not in body


async def test_null_values_inside_meta_are_kept(client: httpx.AsyncClient, tenant: Tenant) -> None:
    # Omitting null optional fields must not strip nulls out of the caller's own JSON.
    body = await create(client, tenant, name="N", meta={"a": None, "b": [None, 1]})
    assert body["meta"] == {"a": None, "b": [None, 1]}


async def test_parallel_creates_of_one_internal_id(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    responses = await asyncio.gather(
        *(
            client.post("/customers", json={"internalId": "same"}, headers=tenant.admin)
            for _ in range(10)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 9, [r.text for r in responses]
    assert await tenant.count(Customer) == 1


@pytest.mark.parametrize(
    "internal_id",
    ["auth0|5f7c8ec7", "alice@example.com", "with space", "a+b", "ünï", "100%", "a?b#c"],
)
async def test_internal_ids_with_url_characters(
    client: httpx.AsyncClient, tenant: Tenant, internal_id: str
) -> None:
    me = (await client.get("/self", headers=tenant.customer(internal_id))).json()
    assert me["internalId"] == internal_id
    quoted = urllib.parse.quote(internal_id, safe="")
    for path in (f"/customers/{quoted}", f"/customer?internalId={quoted}"):
        response = await client.get(path, headers=tenant.admin)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["id"] == me["id"]
