"""Token attacks: every forged, confused, stale or oversized token is the same 401 that says
nothing about which check failed; a deleted (archived) customer's tokens stop at once; the
signature is compared in constant time; and neither secrets nor tokens reach the logs."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from datalinks.core import auth
from datalinks.core.auth import mint_token
from datalinks.models import Customer
from datalinks.workspaces.repository import WorkspaceRepository
from tests.support.figures import record
from tests.support.helpers import Tenant
from tests.support.live import LiveServer, start_live_server
from tests.support.raw_http import HANG_GUARD_SECONDS, HEAD_LIMIT, head_with, raw_request
from tests.support.rsa import RsaKey

INVALID = {
    "type": "bad_request",
    "key": "not_authenticated",
    "message": "Invalid or expired access token",
}
MISSING = {**INVALID, "message": "Missing bearer access token"}


@functools.cache
def attacker() -> RsaKey:
    return RsaKey.generate()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def encode(part: Any) -> str:
    return b64(json.dumps(part).encode())


def hmac_signed(header: dict[str, Any], claims: Any, key: bytes, digest: Any) -> str:
    signing_input = f"{encode(header)}.{encode(claims)}"
    mac = hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(mac)}"


# Every algorithm datalinks accepts; each attack below is tried signed with each of them.
DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def hs256(claims: Any, secret: str, **header: Any) -> str:
    return hmac_signed({"alg": "HS256", "typ": "JWT", **header}, claims, secret.encode(), "sha256")


def rs256(claims: Any, **header: Any) -> str:
    signing_input = f"{encode({'alg': 'RS256', 'typ': 'JWT', **header})}.{encode(claims)}"
    return f"{signing_input}.{b64(attacker().sign_rs256(signing_input.encode()))}"


def unsigned(header: dict[str, Any], claims: Any, signature: str = "") -> str:
    return f"{encode(header)}.{encode(claims)}.{signature}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def attacks(key: str, secret: str, other_key: str, other_secret: str) -> dict[str, str]:
    """Tokens for workspace `key` (its secret `secret`; another workspace is `other_key`), each
    refused: every attack once per accepted algorithm."""
    found: dict[str, str] = {}
    for alg in DIGESTS:
        found |= {
            f"[{alg}] {name}": token
            for name, token in attacks_with(alg, key, secret, other_key, other_secret).items()
        }
    return found


def attacks_with(
    alg: str, key: str, secret: str, other_key: str, other_secret: str
) -> dict[str, str]:
    """The attacks departing from `good` below, a valid admin token signed with `alg`."""
    now = int(time.time())

    def hs(claims: Any, secret: str, **header: Any) -> str:
        return hmac_signed(
            {"alg": alg, "typ": "JWT", **header}, claims, secret.encode(), DIGESTS[alg]
        )

    def claims(**changes: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"iss": key, "isAdmin": True, "iat": now, "exp": now + 600}
        base.update(changes)
        return {k: v for k, v in base.items() if v is not None}

    good = hs(claims(), secret)
    head, body, signature = good.split(".")
    admin_body = encode(claims())
    jwk = {"kty": "RSA", "n": b64(attacker().n.to_bytes(256, "big")), "e": "AQAB"}
    pem = attacker().public_pem()
    flipped = bytearray(base64.urlsafe_b64decode(signature + "=="))
    flipped[0] ^= 1
    found: dict[str, str] = {}
    for none in ("none", "None", "NONE", "nOnE", ""):
        found[f"alg {none!r}, no signature"] = unsigned({"alg": none, "typ": "JWT"}, claims())
        found[f"alg {none!r}, the real signature kept"] = unsigned(
            {"alg": none, "typ": "JWT"}, claims(), signature
        )
    found |= {
        "no alg in the header": unsigned({"typ": "JWT"}, claims(), signature),
        "wrong secret": hs(claims(), secret + "x"),
        "empty secret": hs(claims(), ""),
        "the workspace key as the secret": hs(claims(), key),
        "another workspace's secret": hs(claims(), other_secret),
        "alg in lower case": hmac_signed(
            {"alg": alg.lower()}, claims(), secret.encode(), DIGESTS[alg]
        ),
        "signed with another HMAC than its header names": hmac_signed(
            {"alg": alg}, claims(), secret.encode(), hashlib.sha1
        ),
        "RS256, genuinely signed by the attacker's key": rs256(claims()),
        "RS256 carrying the attacker's key as jwk": rs256(claims(), jwk=jwk),
        "RS256 pointing at the attacker's jku": rs256(claims(), jku="https://evil.test/jwks"),
        "RS256 pointing at the attacker's x5u": rs256(claims(), x5u="https://evil.test/cert"),
        "HMAC keyed with the attacker's public key (RS/HS confusion)": hs(claims(), pem),
        "HMAC keyed with the public key, carrying it as jwk": hs(claims(), pem, jwk=jwk),
        "ES256 header": unsigned({"alg": "ES256"}, claims(), b64(b"s" * 64)),
        "PS256 header": unsigned({"alg": "PS256"}, claims(), b64(b"s" * 256)),
        "kid path traversal, empty secret": hs(claims(), "", kid="../../../../dev/null"),
        "kid SQL injection": hs(claims(), "x", kid="' OR '1'='1"),
        "missing iss": hs(claims(iss=None), secret),
        "unknown iss": hs(claims(iss="no-such-workspace"), secret),
        "iss of another workspace, this secret": hs(claims(iss=other_key), secret),
        "iss upper-cased": hs(claims(iss=key.upper()), secret),
        "iss with a trailing space": hs(claims(iss=key + " "), secret),
        "iss empty": hs(claims(iss=""), secret),
        "iss a list": hs(claims(iss=[key]), secret),
        "expired": hs(claims(exp=now - 3600, iat=now - 7200), secret),
        "expired a second ago": hs(claims(exp=now - 1, iat=now - 600), secret),
        "not yet valid (nbf)": hs(claims(nbf=now + 600), secret),
        "issued in the future (iat)": hs(claims(iat=now + 600), secret),
        "exp missing": hs(claims(exp=None), secret),
        "signature truncated": good[:-4],
        "signature with one bit flipped": f"{head}.{body}.{b64(bytes(flipped))}",
        "payload swapped after signing": f"{head}.{encode(claims(id='x'))}.{signature}",
        "customer payload promoted to admin": (
            f"{head}.{admin_body}.{hs(claims(isAdmin=None, id='c'), secret).split('.')[2]}"
        ),
        "four segments": f"{good}.{signature}",
        "five segments (JWE-like)": f"{head}.{body}.x.y.{signature}",
        "header not JSON": f"{b64(b'not json')}.{body}.{signature}",
        "payload not base64": f"{head}.!!!.{signature}",
        "100 KB of claims": hs(claims(pad="x" * 100_000), secret),
        "just over the token length limit": hs(claims(pad="x" * 74_000), secret),
    }
    return found


def attacks_on(tenant: Tenant, other: Tenant) -> dict[str, str]:
    return attacks(tenant.key, tenant.secret, other.key, other.secret)


def test_the_forgeries_are_real_forgeries() -> None:
    # The suite must not pass by sending junk where a forgery was meant: the RS256 token
    # verifies with the attacker's public key.
    token = attacks("k", "s", "o", "t")["[HS256] RS256, genuinely signed by the attacker's key"]
    head, body, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    assert attacker().verify_rs256(f"{head}.{body}".encode(), raw)
    assert attacker().public_pem().startswith("-----BEGIN PUBLIC KEY-----")


async def test_every_attack_is_the_same_401(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    now = int(time.time())
    good = hs256({"iss": tenant.key, "isAdmin": True, "exp": now + 600}, tenant.secret)
    assert (await client.get("/integrations", headers=bearer(good))).status_code == 200
    tried = attacks_on(tenant, other_tenant)
    for name, token in tried.items():
        for method, path, body in (
            ("GET", "/integrations", None),
            ("POST", "/integrations", {"name": "Planted"}),
            ("GET", "/self", None),
        ):
            response = await client.request(method, path, json=body, headers=bearer(token))
            assert response.status_code == 401, (name, path, response.text)
            assert response.json() == INVALID, (name, response.text)
            assert "www-authenticate" not in response.headers
    listed = await client.get("/integrations", headers=bearer(good))
    assert listed.json()["items"] == []
    assert await tenant.count(Customer) == 0
    record("token attacks: forged, confused, stale or oversized tokens", len(tried))
    record("token attacks: requests refused with the one 401", 3 * len(tried))


async def test_a_token_anywhere_but_the_header_is_missing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = tenant.token(admin=True)
    for path, headers in (
        (f"/integrations?access_token={token}", {}),
        (f"/integrations?token={token}", {}),
        ("/integrations", {"Cookie": f"token={token}; access_token={token}"}),
        ("/integrations", {"X-Access-Token": token}),
        ("/integrations", {"Authorization": f"Basic {token}"}),
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == 401 and response.json() == MISSING, (path, headers)
        record("token attacks: requests refused with the one 401")


async def test_a_truthy_isadmin_is_not_admin(client: httpx.AsyncClient, tenant: Tenant) -> None:
    now = int(time.time())
    for value in (1, "true", "yes", [True], {"v": True}):
        claims = {"iss": tenant.key, "id": "mallory", "isAdmin": value, "exp": now + 600}
        headers = bearer(hs256(claims, tenant.secret))
        customers = await client.get("/customers", headers=headers)
        assert customers.status_code == 200, customers.text
        assert [c["internalId"] for c in customers.json()["items"]] == ["mallory"], value
        refused = await client.post("/integrations", json={"name": "x"}, headers=headers)
        assert refused.status_code == 403, (value, refused.text)


async def test_a_deleted_customer_is_refused_at_once(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = tenant.customer("leaver")
    # Used first, so its token and customer id sit in the caches.
    for _ in range(2):
        me = await client.get("/self", headers=headers)
        assert me.status_code == 200, me.text
    deleted = await client.delete(f"/customers/{me.json()['id']}", headers=tenant.admin)
    assert deleted.status_code == 200, deleted.text
    minted_after = tenant.customer("leaver", name="Back again")
    for token_headers in (headers, minted_after):
        for path in ("/self", "/connections", "/integrations"):
            response = await client.get(path, headers=token_headers)
            assert response.status_code == 401 and response.json() == INVALID, response.text
            record("token attacks: requests refused with the one 401")
    assert await tenant.count(Customer) == 1


async def test_unknown_customer_without_auto_create(app: Any, tenant: Tenant) -> None:
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"auto_create_customers": False})
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/self", headers=tenant.customer("stranger"))
    finally:
        app.state.settings = settings
    assert response.status_code == 401 and response.json() == INVALID


async def test_a_rotated_secret_stops_old_tokens(
    app: Any, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    old = tenant.admin
    assert (await client.get("/integrations", headers=old)).status_code == 200
    async with tenant.database.sessionmaker.begin() as session:
        assert await WorkspaceRepository(session).ensure(tenant.key, "rotated-" + "s" * 32, None)
    # Each replica keeps secrets and verified tokens for at most SECRET_CACHE_SECONDS; once
    # those entries age out (here: at once) the old secret signs nothing.
    app.state.secret_cache.clear()
    auth.verified_tokens.clear()
    response = await client.get("/integrations", headers=old)
    assert response.status_code == 401 and response.json() == INVALID
    fresh = Tenant(tenant.database, tenant.workspace_id, tenant.key, "rotated-" + "s" * 32)
    assert (await client.get("/integrations", headers=fresh.admin)).status_code == 200


async def test_signatures_are_compared_in_constant_time(
    client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real: Callable[[Any, Any], bool] = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((bytes(a), bytes(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    now = int(time.time())
    forged = hs256({"iss": tenant.key, "isAdmin": True, "exp": now + 600}, tenant.secret + "x")
    response = await client.get("/integrations", headers=bearer(forged))
    assert response.status_code == 401
    signature = base64.urlsafe_b64decode(forged.split(".")[2] + "==")
    # The forged signature met the real one only in hmac.compare_digest.
    assert any(signature in pair for pair in compared), compared


async def test_secrets_stay_out_of_the_logs(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tried = attacks_on(tenant, other_tenant)
    good = tenant.token(admin=True)
    with caplog.at_level(logging.DEBUG):
        assert (await client.get("/integrations", headers=bearer(good))).status_code == 200
        for token in tried.values():
            response = await client.get("/integrations", headers=bearer(token))
            assert response.status_code == 401
    access = [r for r in caplog.records if r.name == "datalinks.access"]
    assert len(access) > len(tried), "the requests were not logged"
    text = caplog.text + "".join(str(vars(r)) for r in caplog.records)
    sensitive = [tenant.secret, other_tenant.secret, good, *tried.values()]
    for value in sensitive:
        assert value not in text


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of this module's own, logging at debug level, whose log is read whole."""
    debug = {"DATALINKS_LOG_LEVEL": "debug", "DATALINKS_WORKERS": "1"}
    with start_live_server(database_url, tmp_path_factory.mktemp("attacks"), extra_env=debug) as s:
        yield s


@pytest.mark.live
def test_a_long_token_within_the_head_limit_is_the_same_401(live: LiveServer) -> None:
    head = head_with([("Authorization", "Bearer " + "a" * (HEAD_LIMIT - 1000))])
    status, body = raw_request(live, head)
    assert status == 401 and json.loads(body) == INVALID


@pytest.mark.live
def test_secrets_stay_out_of_a_live_servers_debug_log(live: LiveServer) -> None:
    key, secret = live.workspace_key, live.workspace_secret
    tried = attacks(key, secret, "elsewhere", "another-secret-" + "z" * 30)
    good = mint_token(key, secret, admin=True)
    offset = live.log_size()
    with httpx.Client(base_url=live.url, timeout=HANG_GUARD_SECONDS) as http:
        assert http.get("/integrations", headers=bearer(good)).status_code == 200
        for name, token in tried.items():
            response = http.get("/integrations", headers=bearer(token))
            if len(token) > HEAD_LIMIT:
                assert response.status_code == 431, name  # turned away before the app
                continue
            assert response.status_code == 401 and response.json() == INVALID, name
    log = live.log_since(0)
    refused = sum(len(token) <= HEAD_LIMIT for token in tried.values())
    assert live.log_since(offset).count('"status": 401') >= refused, "requests not logged"
    for sensitive in (secret, good, *tried.values(), attacker().public_pem().splitlines()[1]):
        assert sensitive not in log
