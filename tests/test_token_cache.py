"""The verified-token cache: a token is checked once, then honoured from memory, but never past
its `exp` and never for a token that differs from the verified one in any byte."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.support.helpers import Tenant, assert_error


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_cached_token_expires_on_time(client: httpx.AsyncClient, tenant: Tenant) -> None:
    token = tenant.token(admin=True, ttl_seconds=2)
    assert (await client.get("/data-link-tables", headers=_bearer(token))).status_code == 200
    # Remembered now; the cache entry itself would live 30 s.
    deadline = time.time() + 2
    await asyncio.sleep(max(0.0, deadline - time.time()) + 1.1)
    response = await client.get("/data-link-tables", headers=_bearer(token))
    assert_error(response, 401, "not_authenticated")


async def test_a_tampered_copy_of_a_cached_token_is_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    token = tenant.token(admin=True)
    assert (await client.get("/data-link-tables", headers=_bearer(token))).status_code == 200
    head, body, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for variant in (f"{head}.{body}.{flipped}", f"{head}.{body}.", f"{head}.{body}"):
        response = await client.get("/data-link-tables", headers=_bearer(variant))
        assert_error(response, 401, "not_authenticated")
