"""One error shape everywhere: every failure, from the head limit, the request guard, the hot
path's URL or a regular route, answers `{type, key, message, data?}` in the same compact JSON,
as a live `datalinks serve` sends it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from datalinks.core.auth import mint_token
from tests.support.live import LiveServer, start_live_server
from tests.support.raw_http import HEAD_LIMIT, head_with, raw_request

# The failures are sent over a socket, to a server of the module's own.
pytestmark = pytest.mark.live

TYPES = {"bad_request", "concurrency", "internal"}
LINK = {"externalRecordId": "e1", "appRecordId": "a1", "direction": "import"}


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_live_server(database_url, tmp_path_factory.mktemp("error-shape")) as server:
        yield server


@pytest.fixture(scope="module")
def world(live: LiveServer) -> dict[str, Any]:
    """A table and a customer's connection, and the hot path primed for its instance."""
    admin = bearer(mint_token(live.workspace_key, live.workspace_secret, admin=True))
    customer = bearer(mint_token(live.workspace_key, live.workspace_secret, customer_id="c1"))
    with httpx.Client(base_url=live.url, timeout=30) as http:
        assert http.post("/integrations", json={"key": "crm"}, headers=admin).status_code == 200
        table = http.post("/data-link-tables", json={"key": "contacts"}, headers=admin)
        assert table.status_code == 200, table.text
        conn = http.post("/connections", json={"integrationKey": "crm"}, headers=customer)
        assert conn.status_code == 200, conn.text
        paths = {
            "hot path": "/data-link-table-instance/links?dataLinkTableKey=contacts"
            f"&connectionId={conn.json()['id']}&autoCreate=true",
            "regular route": f"/data-link-tables/contacts/links?connectionId={conn.json()['id']}"
            "&autoCreate=true",
        }
        for path in paths.values():
            for _ in range(2):  # the second call is the one the hot path can answer
                assert http.post(path, json=LINK, headers=customer).status_code == 204
    return {"admin": admin, "customer": customer, "paths": paths}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def check_shape(status: int, raw: bytes, expected_status: int, key: str) -> dict[str, Any]:
    assert status == expected_status, raw[:300]
    body: dict[str, Any] = json.loads(raw)
    assert set(body) <= {"type", "key", "message", "data"} and {"type", "key", "message"} <= set(
        body
    ), body
    assert body["type"] in TYPES and body["key"] == key, body
    assert isinstance(body["message"], str) and body["message"], body
    # The same formatting wherever the error was rendered.
    assert raw == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(), raw
    return body


def failures(path: str) -> list[tuple[str, dict[str, Any], int, str]]:
    """(what, request, status, key); each is sent as the customer unless it says otherwise."""
    json_type = {"Content-Type": "application/json"}
    unknown_connection = path.replace("connectionId=", "connectionId=nope-")
    return [
        (
            "malformed JSON",
            {"method": "POST", "content": b'{"externalRecordId": ', "headers": json_type},
            400,
            "bad_request",
        ),
        (
            "oversized body",
            {"method": "POST", "content": b'{"a":"' + b"x" * 1_100_000 + b'"}'},
            413,
            "payload_too_large",
        ),
        ("not JSON", {"method": "POST", "content": b"a=b"}, 415, "unsupported_media_type"),
        (
            "bad token",
            {"method": "POST", "json": LINK, "headers": bearer("not.a.token")},
            401,
            "not_authenticated",
        ),
        ("no token", {"method": "GET", "headers": {"Authorization": ""}}, 401, "not_authenticated"),
        (
            "validation",
            {"method": "POST", "json": {**LINK, "direction": "sideways"}},
            400,
            "validation_error",
        ),
        (
            "validation of the query",
            {"method": "GET", "suffix": "&limit=0"},
            400,
            "validation_error",
        ),
        (
            "not found",
            {"method": "POST", "json": LINK, "path": unknown_connection},
            404,
            "not_found",
        ),
        ("method not allowed", {"method": "PUT", "json": LINK}, 405, "method_not_allowed"),
    ]


@pytest.mark.parametrize("family", ["hot path", "regular route"])
def test_every_failure_has_the_one_shape(
    live: LiveServer, world: dict[str, Any], family: str
) -> None:
    path = world["paths"][family]
    seen: set[str] = set()
    with httpx.Client(base_url=live.url, timeout=60) as http:
        for what, spec, status, key in failures(path):
            spec = dict(spec)
            target = spec.pop("path", path) + spec.pop("suffix", "")
            headers = {**world["customer"], **spec.pop("headers", {})}
            if not headers["Authorization"]:
                del headers["Authorization"]
            response = http.request(spec.pop("method"), target, headers=headers, **spec)
            check_shape(response.status_code, response.content, status, key)
            assert response.headers["content-type"] == "application/json", what
            assert response.headers.get("x-request-id"), what
            seen.add(what)
        # The request head's own limit, before any of the app runs.
        status, raw = raw_request(live, head_with([("X-Pad", "v" * (HEAD_LIMIT + 10))], path=path))
        check_shape(status, raw, 431, "headers_too_large")
    assert len(seen) == len(failures(path))


def test_unknown_route_and_conflict(live: LiveServer, world: dict[str, Any]) -> None:
    with httpx.Client(base_url=live.url, timeout=30, headers=world["admin"]) as http:
        unknown = http.get("/data-link-table-instance/linkz")
        check_shape(unknown.status_code, unknown.content, 404, "not_found")
        taken = http.post("/data-link-tables", json={"key": "contacts"})
        check_shape(taken.status_code, taken.content, 409, "already_exists")
