"""Tokens minted as Membrane's docs mint them (PyJWT here; jsonwebtoken in tests/sdk): HS256,
HS384 and HS512, admin and customer, and the `fields` a customer token carries."""

from __future__ import annotations

import datetime
import json
from typing import Any

import httpx
import jwt
import pytest

from datalinks.core.auth import MAX_FIELDS_BYTES
from datalinks.models import Customer
from tests.support.helpers import Tenant, assert_error

ALGORITHMS = ("HS256", "HS384", "HS512")


def docs_token(tenant: Tenant, claims: dict[str, Any], algorithm: str) -> str:
    """The docs' Python recipe: PyJWT, issuer = workspace key, two hours, the chosen alg."""
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=7200)
    return jwt.encode(
        {**claims, "iss": tenant.key, "exp": expires}, tenant.secret, algorithm=algorithm
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_the_docs_admin_token(
    client: httpx.AsyncClient, tenant: Tenant, algorithm: str
) -> None:
    headers = bearer(docs_token(tenant, {"isAdmin": True}, algorithm))
    created = await client.post("/integrations", json={"key": "hubspot"}, headers=headers)
    assert created.status_code == 200, created.text
    listed = await client.get("/integrations", headers=headers)
    assert [i["key"] for i in listed.json()["items"]] == ["hubspot"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_the_docs_customer_token(
    client: httpx.AsyncClient, tenant: Tenant, algorithm: str
) -> None:
    claims = {"id": "cust-1", "name": "Acme Inc.", "fields": {"userField": "gold", "seats": 5}}
    me = await client.get("/self", headers=bearer(docs_token(tenant, claims, algorithm)))
    assert me.status_code == 200, me.text
    body = me.json()
    assert (body["internalId"], body["name"]) == ("cust-1", "Acme Inc.")
    assert body["fields"] == {"userField": "gold", "seats": 5}
    # A customer token is a customer's, whatever it is signed with.
    refused = await client.post(
        "/integrations",
        json={"key": "x"},
        headers=bearer(docs_token(tenant, claims, algorithm)),
    )
    assert_error(refused, 403, "access_denied")


async def test_fields_are_returned_wherever_the_customer_is(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    fields = {"plan": "pro", "region": {"eu": True}, "quota": [1, 2.5, None]}
    me = await client.get("/self", headers=bearer(tenant.token(customer_id="c1", fields=fields)))
    assert me.status_code == 200, me.text
    customer_id = me.json()["id"]
    for path in (f"/customers/{customer_id}", "/customers/c1", f"/customer?id={customer_id}"):
        got = await client.get(path, headers=tenant.admin)
        assert got.status_code == 200, (path, got.text)
        assert got.json()["fields"] == fields, path
    listed = await client.get("/customers", headers=tenant.admin)
    assert [c["fields"] for c in listed.json()["items"]] == [fields]


async def test_a_later_token_with_other_fields_updates_the_customer(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    first = bearer(tenant.token(customer_id="c1", fields={"plan": "free"}))
    assert (await client.get("/self", headers=first)).json()["fields"] == {"plan": "free"}
    # Within the cache window: the new token's fields are stored on its first request.
    second = bearer(tenant.token(customer_id="c1", fields={"plan": "pro", "seats": 3}))
    me = await client.get("/self", headers=second)
    assert me.json()["fields"] == {"plan": "pro", "seats": 3}
    got = await client.get(f"/customers/{me.json()['id']}", headers=tenant.admin)
    assert got.json()["fields"] == {"plan": "pro", "seats": 3}
    # A token without `fields` leaves them as they are.
    plain = await client.get("/self", headers=tenant.customer("c1"))
    assert plain.json()["fields"] == {"plan": "pro", "seats": 3}
    # Back to the first token: its fields are different from what is stored, so they win.
    again = await client.get("/self", headers=first)
    assert again.json()["fields"] == {"plan": "free"}
    assert await tenant.count(Customer) == 1


async def test_same_fields_in_another_order_are_the_same_fields(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    first = await client.get(
        "/self", headers=bearer(tenant.token(customer_id="c1", fields={"a": 1, "b": 2}))
    )
    second = await client.get(
        "/self", headers=bearer(tenant.token(customer_id="c1", fields={"b": 2, "a": 1}))
    )
    assert second.json()["updatedAt"] == first.json()["updatedAt"]


async def test_fields_at_the_limit_are_stored(client: httpx.AsyncClient, tenant: Tenant) -> None:
    overhead = len(json.dumps({"pad": ""}, separators=(",", ":")))
    fields = {"pad": "x" * (MAX_FIELDS_BYTES - overhead)}
    me = await client.get("/self", headers=bearer(tenant.token(customer_id="c1", fields=fields)))
    assert me.status_code == 200, me.text
    assert me.json()["fields"] == fields


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"pad": "x" * MAX_FIELDS_BYTES}, "at most 65536"),
        ("gold", "must be a JSON object"),
        ([1, 2], "must be a JSON object"),
        ({"a": "nul\x00here"}, "NUL"),
        ({"nul\x00key": 1}, "NUL"),
        ({"a": float("nan")}, "finite"),
        ({"a": float("inf")}, "finite"),
        ({"a": json.loads("[" * 40 + "]" * 40)}, "nested"),
    ],
)
async def test_unstorable_fields_are_a_clear_401(
    client: httpx.AsyncClient, tenant: Tenant, fields: Any, says: str
) -> None:
    token = jwt.encode(
        {"iss": tenant.key, "id": "c1", "fields": fields, "exp": 4_000_000_000},
        tenant.secret,
        algorithm="HS512",
    )
    response = await client.get("/self", headers=bearer(token))
    body = assert_error(response, 401, "not_authenticated")
    assert "fields" in body["message"] and says in body["message"], body
    assert await tenant.count(Customer) == 0


async def test_admin_tokens_ignore_fields(client: httpx.AsyncClient, tenant: Tenant) -> None:
    token = jwt.encode(
        {"iss": tenant.key, "isAdmin": True, "fields": {"a": 1}, "exp": 4_000_000_000},
        tenant.secret,
        algorithm="HS384",
    )
    assert (await client.get("/customers", headers=bearer(token))).json()["items"] == []
