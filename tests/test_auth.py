"""Authentication: every way a token can be wrong is one indistinct 401, and a customer's first
valid token creates it exactly once."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest

from datalinks.models import Customer
from tests.support.helpers import Tenant, assert_error


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def forged(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A token with whatever header we like, for algorithms PyJWT would refuse to sign with."""
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(claims).encode())
    return f"{head}.{body}.{_b64(signature)}"


def signed(claims: Any, secret: str, alg: str = "HS256") -> str:
    """HMAC-signed by hand, so claims PyJWT refuses to encode (a numeric iss) can be sent."""
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    head = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    mac = hmac.new(secret.encode(), f"{head}.{body}".encode(), digest).digest()
    return f"{head}.{body}.{_b64(mac)}"


def signed_text(payload: str, secret: str) -> str:
    """An HS256 token whose payload is this exact text (JSON no encoder would write)."""
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(payload.encode())
    mac = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(mac)}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims_for(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {"iss": tenant.key, "id": "alice", "iat": now, "exp": now + 600}
    claims.update(extra)
    return {k: v for k, v in claims.items() if v is not None}


def bad_tokens(tenant: Tenant) -> dict[str, str]:
    now = int(time.time())
    secret = tenant.secret

    def hs256(**extra: Any) -> str:
        return signed(claims_for(tenant, **extra), secret)

    no_exp = claims_for(tenant)
    del no_exp["exp"]
    no_iss = claims_for(tenant)
    del no_iss["iss"]
    return {
        "garbage": "not-a-jwt",
        "three garbage segments": "aaa.bbb.ccc",
        "alg none": forged({"alg": "none", "typ": "JWT"}, claims_for(tenant)),
        "alg none, signed-looking": forged(
            {"alg": "none", "typ": "JWT"}, claims_for(tenant), b"x" * 32
        ),
        "HS512 signed with the HS256 MAC": forged(
            {"alg": "HS512", "typ": "JWT"},
            claims_for(tenant),
            base64.urlsafe_b64decode(signed(claims_for(tenant), secret).split(".")[2] + "=="),
        ),
        "RS256 header": forged({"alg": "RS256", "typ": "JWT"}, claims_for(tenant), b"s" * 256),
        "wrong secret": signed(claims_for(tenant), secret + "x"),
        "unknown iss": hs256(iss="no-such-workspace"),
        "missing iss": signed(no_iss, secret),
        "iss not a string": hs256(iss=123),
        "iss with NUL": hs256(iss=tenant.key + "\x00"),
        "expired": hs256(exp=now - 120, iat=now - 720),
        "nbf in the future": hs256(nbf=now + 600),
        "iat in the future": hs256(iat=now + 600),
        "missing exp": signed(no_exp, secret),
        "exp not a number": hs256(exp="tomorrow"),
        "exp infinite": hs256(exp=float("inf")),
        "neither id nor isAdmin": hs256(id=None),
        "isAdmin as a string": hs256(id=None, isAdmin="true"),
        "isAdmin false": hs256(id=None, isAdmin=False),
        "empty id": hs256(id=""),
        "id a list": hs256(id=["alice"]),
        "id a boolean": hs256(id=True),
        "id with NUL": hs256(id="al\x00ice"),
        "id too long": hs256(id="a" * 256),
        "absurdly long": hs256(pad="x" * 120_000),
        "nested too deep to parse": signed_text("[" * 50_000 + "]" * 50_000, secret),
        "payload not an object": signed([1, 2], secret),
    }


async def test_missing_header_and_wrong_scheme(client: httpx.AsyncClient, tenant: Tenant) -> None:
    token = tenant.token(admin=True)
    for headers in (
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer    "},
        {"Authorization": f"Basic {token}"},
        {"Authorization": f"Token {token}"},
        {"Authorization": token},
    ):
        assert_error(await client.get("/integrations", headers=headers), 401, "not_authenticated")


async def test_every_bad_token_is_the_same_401(client: httpx.AsyncClient, tenant: Tenant) -> None:
    messages: set[str] = set()
    for what, token in bad_tokens(tenant).items():
        response = await client.get("/integrations", headers=bearer(token))
        assert response.status_code == 401, (what, response.text)
        body = assert_error(response, 401, "not_authenticated")
        messages.add(body["message"])
    # One message for all: a caller must not learn which check its token failed.
    assert len(messages) == 1, messages
    message = messages.pop().lower()
    for hint in ("secret", "signature", "expired at", "iss", "algorithm", "nbf", "iat"):
        assert hint not in message
    assert await tenant.count(Customer) == 0


async def test_bad_tokens_are_refused_on_writes_too(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for token in bad_tokens(tenant).values():
        response = await client.post("/integrations", json={"name": "x"}, headers=bearer(token))
        assert_error(response, 401, "not_authenticated")


async def test_scheme_is_case_insensitive(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get(
        "/integrations", headers={"Authorization": f"bearer {tenant.token(admin=True)}"}
    )
    assert response.status_code == 200, response.text


async def test_token_of_another_workspace_secret(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # Right issuer, but signed with a secret that is valid elsewhere.
    token = jwt.encode(claims_for(tenant, isAdmin=True), other_tenant.secret, algorithm="HS256")
    assert_error(await client.get("/integrations", headers=bearer(token)), 401)


async def test_admin_and_customer_tokens_work(client: httpx.AsyncClient, tenant: Tenant) -> None:
    assert (await client.get("/customers", headers=tenant.admin)).status_code == 200
    response = await client.get("/self", headers=tenant.customer("carol"))
    assert response.status_code == 200, response.text
    assert response.json()["internalId"] == "carol"


async def test_sdk_minted_token_without_iat(client: httpx.AsyncClient, tenant: Tenant) -> None:
    # The SDK signs {id, iss, exp} and nothing else.
    claims = {"id": "sdk-user", "iss": tenant.key, "exp": int(time.time()) + 3600}
    token = jwt.encode(claims, tenant.secret, algorithm="HS256")
    response = await client.get("/self", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "sdk-user"


async def test_numeric_id_claim(client: httpx.AsyncClient, tenant: Tenant) -> None:
    token = jwt.encode(claims_for(tenant, id=42), tenant.secret, algorithm="HS256")
    response = await client.get("/self", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["internalId"] == "42"


async def test_first_token_creates_customer_named_by_claim(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.get("/self", headers=tenant.customer("u-1", name="Umbrella Corp"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["internalId"] == "u-1" and body["name"] == "Umbrella Corp"
    # Later tokens with another name do not rename the customer.
    again = await client.get("/self", headers=tenant.customer("u-1", name="Other"))
    assert again.json()["id"] == body["id"] and again.json()["name"] == "Umbrella Corp"
    assert await tenant.count(Customer) == 1


async def test_first_token_without_name_uses_id(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/self", headers=tenant.customer("no-name"))
    assert response.json()["name"] == "no-name"


async def test_customer_is_created_even_when_the_request_fails(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = tenant.customer("first-try", name="First Try")
    assert_error(await client.get("/connections/nope", headers=headers), 404, "not_found")
    assert_error(await client.post("/connections", json=[], headers=headers), 400)
    assert await tenant.count(Customer) == 1
    listed = (await client.get("/customers", headers=tenant.admin)).json()["items"]
    assert [(c["internalId"], c["name"]) for c in listed] == [("first-try", "First Try")]


async def test_existing_customer_is_reused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await client.post(
        "/customers", json={"name": "Pre", "internalId": "pre"}, headers=tenant.admin
    )
    assert created.status_code == 200, created.text
    me = await client.get("/self", headers=tenant.customer("pre", name="Ignored"))
    assert me.json()["id"] == created.json()["id"]
    assert await tenant.count(Customer) == 1


async def test_parallel_first_requests_create_one_customer(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = tenant.customer("racer", name="Racer")
    responses = await asyncio.gather(
        *(client.get("/connections", headers=headers) for _ in range(20))
    )
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses]
    assert await tenant.count(Customer) == 1
    me = await client.get("/self", headers=headers)
    assert me.json()["internalId"] == "racer"


async def test_archived_customer_token_is_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = tenant.customer("leaver")
    me = (await client.get("/self", headers=headers)).json()
    archived = await client.delete(f"/customers/{me['id']}", headers=tenant.admin)
    assert archived.status_code == 200, archived.text
    assert_error(await client.get("/self", headers=headers), 401, "not_authenticated")
    assert_error(await client.get("/connections", headers=headers), 401, "not_authenticated")
    # Refused, not silently re-created under the same internalId.
    assert await tenant.count(Customer) == 1
    restored = await client.post(f"/customers/{me['id']}/restore", headers=tenant.admin)
    assert restored.status_code == 200, restored.text
    assert (await client.get("/self", headers=headers)).json()["id"] == me["id"]


async def test_auto_create_can_be_turned_off(app: Any, tenant: Tenant) -> None:
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"auto_create_customers": False})
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/self", headers=tenant.customer("stranger"))
            assert_error(response, 401, "not_authenticated")
    finally:
        app.state.settings = settings
    assert await tenant.count(Customer) == 0


@pytest.mark.parametrize("path", ["/customers", "/integrations", "/connections", "/self"])
async def test_every_route_needs_a_token(client: httpx.AsyncClient, path: str) -> None:
    assert_error(await client.get(path), 401, "not_authenticated")


async def test_health_needs_no_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).status_code == 200


async def test_rekeyed_customer_follows_its_new_internal_id(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    old_headers = tenant.customer("before")
    me = (await client.get("/self", headers=old_headers)).json()
    response = await client.patch(
        f"/customers/{me['id']}", json={"internalId": "after"}, headers=tenant.admin
    )
    assert response.status_code == 200, response.text
    # The new id's tokens reach the same customer at once; the old id is a new customer.
    assert (await client.get("/self", headers=tenant.customer("after"))).json()["id"] == me["id"]
    fresh = (await client.get("/self", headers=old_headers)).json()
    assert fresh["id"] != me["id"] and fresh["internalId"] == "before"
    assert await tenant.count(Customer) == 2
