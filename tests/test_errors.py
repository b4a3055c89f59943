"""One error shape for everything, and the request guard in front of the app: body size, JSON
that is malformed, too deep or non-finite, NUL bytes and invalid UTF-8 anywhere."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from datalinks.app import create_app
from datalinks.core.logging import JsonFormatter
from datalinks.db.engine import Database
from datalinks.models import Customer, Integration
from datalinks.settings import Settings
from tests.support.helpers import Tenant, assert_error

JSON = {"Content-Type": "application/json"}


def raw(tenant: Tenant, content_type: str | None = "application/json") -> dict[str, str]:
    headers = dict(tenant.admin)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


async def test_unknown_route(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = assert_error(await client.get("/nope", headers=tenant.admin), 404, "not_found")
    assert "/nope" in body["message"]
    # Unknown routes are 404 even without a token.
    assert_error(await client.get("/nope"), 404, "not_found")


async def test_method_not_allowed(client: httpx.AsyncClient, tenant: Tenant) -> None:
    assert_error(await client.delete("/customers", headers=tenant.admin), 405)


async def test_body_too_large(client: httpx.AsyncClient, tenant: Tenant) -> None:
    big = b'{"name": "' + b"x" * (1_048_576 + 10) + b'"}'
    response = await client.post("/integrations", content=big, headers=raw(tenant))
    assert_error(response, 413)
    # Without a Content-Length the limit holds while the body streams in.

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(40):
            yield b"x" * 32_768
        yield b'"}'

    response = await client.post("/integrations", content=chunks(), headers=raw(tenant))
    assert_error(response, 413)
    assert await tenant.count(Integration) == 0


async def test_body_under_the_limit(client: httpx.AsyncClient, tenant: Tenant) -> None:
    meta = {"blob": "x" * 500_000}
    response = await client.post(
        "/integrations", json={"key": "big", "meta": meta}, headers=tenant.admin
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b'{"name": }',
        b"{'name': 'single quotes'}",
        b'{"name": "x",}',
        b"name=x",
        b"\xef\xbb\xbf",
        b'{"name": "a"} trailing',
    ],
)
async def test_malformed_json(client: httpx.AsyncClient, tenant: Tenant, content: bytes) -> None:
    for content_type in ("application/json", "application/json; charset=utf-8"):
        response = await client.post(
            "/integrations", content=content, headers=raw(tenant, content_type)
        )
        assert_error(response, 400)
    assert await tenant.count(Integration) == 0


@pytest.mark.parametrize(
    "content",
    [
        b'{"name": "a\\u0000b"}',
        b'{"key": "k", "meta": {"x": "\\u0000"}}',
        b'{"key": "k", "meta": {"a\\u0000": 1}}',
        b'{"key": "k", "meta": {"list": ["ok", "\\u0000"]}}',
        b'{"key": "k", "description": "\\u0000"}',
    ],
)
async def test_nul_in_body(client: httpx.AsyncClient, tenant: Tenant, content: bytes) -> None:
    for content_type in ("application/json", "application/vnd.api+json"):
        response = await client.post(
            "/integrations", content=content, headers=raw(tenant, content_type)
        )
        assert_error(response, 400)
    assert await tenant.count(Integration) == 0


@pytest.mark.parametrize(
    "content",
    [
        b'{"name": "\xff\xfe"}',
        b'{"name": "caf\xe9"}',
        b'{"key": "k", "meta": {"\xc3\x28": 1}}',
    ],
)
async def test_invalid_utf8_body(client: httpx.AsyncClient, tenant: Tenant, content: bytes) -> None:
    for content_type in ("application/json", "application/vnd.api+json"):
        response = await client.post(
            "/integrations", content=content, headers=raw(tenant, content_type)
        )
        assert_error(response, 400)
    assert await tenant.count(Integration) == 0


@pytest.mark.parametrize("depth", [33, 100, 100_000])
async def test_deep_nesting(client: httpx.AsyncClient, tenant: Tenant, depth: int) -> None:
    nested = b'{"key": "k", "meta": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
    arrays = b'{"key": "k", "meta": {"a": ' + b"[" * depth + b"]" * depth + b"}}"
    for content in (nested, arrays):
        for content_type in ("application/json", "application/vnd.api+json"):
            response = await client.post(
                "/integrations", content=content, headers=raw(tenant, content_type)
            )
            assert_error(response, 400)
    assert await tenant.count(Integration) == 0


async def test_moderate_nesting_is_fine(client: httpx.AsyncClient, tenant: Tenant) -> None:
    meta: dict[str, Any] = {"leaf": 1}
    for _ in range(20):
        meta = {"a": meta}
    response = await client.post(
        "/integrations", json={"key": "k", "meta": meta}, headers=tenant.admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["meta"] == meta


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e999"])
async def test_non_finite_numbers(client: httpx.AsyncClient, tenant: Tenant, number: bytes) -> None:
    content = b'{"key": "k", "meta": {"n": ' + number + b"}}"
    for content_type in ("application/json", "application/vnd.api+json"):
        response = await client.post(
            "/integrations", content=content, headers=raw(tenant, content_type)
        )
        assert_error(response, 400)
    assert await tenant.count(Integration) == 0


async def test_large_integers_in_json(client: httpx.AsyncClient, tenant: Tenant) -> None:
    # Bigger than any PostgreSQL integer, still valid JSON: stored, or refused as a 400.
    content = b'{"key": "k", "meta": {"n": ' + b"9" * 400 + b"}}"
    response = await client.post("/integrations", content=content, headers=raw(tenant))
    assert response.status_code in (200, 400), response.text


@pytest.mark.parametrize(
    "path",
    [
        "/integrations?search=%00",
        "/integrations?search=a%00b",
        "/integrations?limit=%00",
        "/integrations?cursor=%00",
        "/integrations?%00=1",
        "/integrations/a%00b",
        "/integrations/%00",
        "/customers/%00/restore",
        "/customer?id=%00",
        "/connections/%00",
        "/integrations?search=%FF",
        "/integrations?search=%C3%28",
        "/integrations/%FF%FE",
        "/customers/%C0%80",
    ],
)
async def test_nul_and_bad_utf8_in_url(
    client: httpx.AsyncClient, tenant: Tenant, path: str
) -> None:
    for method in ("GET", "DELETE"):
        response = await client.request(method, path, headers=tenant.admin)
        assert_error(response, 400)


async def test_odd_but_valid_strings_in_url(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for path in (
        "/integrations/%F0%9F%98%80",
        "/integrations/" + "x" * 2000,
        "/customers/%25",
        "/connections/" + "c" * 300,
        "/integration?key=" + "k" * 5000,
    ):
        assert_error(await client.get(path, headers=tenant.admin), 404, "not_found")
    response = await client.get("/integrations?search=" + "s" * 5000, headers=tenant.admin)
    assert response.status_code == 200 and response.json() == {"items": []}


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_body_that_is_not_json(
    client: httpx.AsyncClient, tenant: Tenant, content_type: str | None
) -> None:
    # `curl -d` sends a form content type: say what is wrong instead of a puzzling 400.
    for path in ("/customers", "/integrations/x/restore"):
        response = await client.post(
            path, content=b'{"name": "x"}', headers=raw(tenant, content_type)
        )
        body = assert_error(response, 415)
        assert "application/json" in body["message"]
    assert await tenant.count(Customer) == 0


async def test_missing_body(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for path in ("/customers", "/integrations", "/connections"):
        body = assert_error(await client.post(path, headers=tenant.admin), 400)
        assert body["data"]["issues"]
    assert await tenant.count(Customer) == 0


async def test_bodiless_writes_are_legal(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await client.post("/integrations", json={"key": "k"}, headers=tenant.admin)
    assert created.status_code == 200
    # Exactly what the SDK (axios) sends for restore/setup/reset: a form type, zero bytes.
    sdk_headers = {
        **tenant.admin,
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": "0",
        "membrane-api-version": "2025-10-21",
    }
    for path in ("/integrations/k/restore", "/integrations/k/setup"):
        for headers in (tenant.admin, sdk_headers):
            response = await client.post(path, headers=headers)
            assert response.status_code == 200, response.text


async def test_request_id(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/health", headers={"X-Request-Id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    # Ids that could smuggle text into logs are replaced.
    response = await client.get("/nope", headers={"X-Request-Id": "bad id\twith tabs"})
    assert response.headers["x-request-id"] != "bad id\twith tabs"
    assert response.headers["x-request-id"]


async def test_sdk_headers_accepted(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for version in ("2025-10-21", "legacy", "whatever"):
        headers = {**tenant.admin, "membrane-api-version": version}
        assert (await client.get("/integrations", headers=headers)).status_code == 200


async def test_cors_preflight(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/integrations",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type, membrane-api-version",
        },
    )
    assert response.status_code == 200, response.text
    assert "PATCH" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "content-type", "membrane-api-version"):
        assert header in allowed


def _broken_app(settings: Settings, database: Database) -> FastAPI:
    app = create_app(settings, database=database)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail that must not leak")

    return app


async def test_unexpected_error_is_generic_500(settings: Settings, database: Database) -> None:
    transport = httpx.ASGITransport(app=_broken_app(settings, database), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/boom")
    body = assert_error(response, 500, type_="internal")
    assert "secret detail" not in response.text
    assert not {"stack", "causedByError", "logs"} & set(body)


async def test_database_down_is_503(tenant: Tenant) -> None:
    # Port 1 on localhost refuses connections at once: a database that is not there.
    settings = Settings(
        database_url="postgresql://nobody@127.0.0.1:1/none",
        db_pool_timeout_seconds=2,
        workspace_key=None,
        workspace_secret=None,
    )
    database = Database.open(settings)
    try:
        transport = httpx.ASGITransport(
            app=create_app(settings, database=database), raise_app_exceptions=False
        )
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/health")).status_code == 200
            assert_error(await client.get("/ready"), 503, type_="internal")
            response = await client.get("/integrations", headers=tenant.admin)
            assert_error(response, 503, type_="internal")
            assert response.headers["retry-after"]
    finally:
        await database.close()


async def test_exhausted_pool_is_503(settings: Settings, tenant: Tenant) -> None:
    tight = settings.model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout_seconds": 0.2}
    )
    database = Database.open(tight)
    try:
        transport = httpx.ASGITransport(
            app=create_app(tight, database=database), raise_app_exceptions=False
        )
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://t") as client,
            database.engine.connect() as held,
        ):
            await held.execute(text("SELECT 1"))
            response = await client.get("/integrations", headers=tenant.admin)
            assert_error(response, 503, type_="internal")
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/integrations", headers=tenant.admin)).status_code == 200
    finally:
        await database.close()


async def test_access_log_line(client: httpx.AsyncClient, tenant: Tenant) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("datalinks.access")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        await client.get("/integrations?limit=0", headers={**tenant.admin, "X-Request-Id": "rid-1"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    entry = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert entry["requestId"] == "rid-1" and entry["status"] == 400
    assert entry["method"] == "GET" and entry["path"] == "/integrations"
    assert isinstance(entry["durationMs"], float | int)
    # The bearer token is a credential: it never reaches the logs.
    assert tenant.admin["Authorization"].split()[1] not in stream.getvalue()


async def test_a_trailing_slash_is_a_404_in_the_error_shape(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    r = await client.get("/integrations/", headers=tenant.admin)
    assert_error(r, 404, "not_found")
    assert "location" not in r.headers
