"""Request heads are bounded: a request line and headers over DATALINKS_MAX_HEADER_BYTES get
431 in the error shape and a closed connection at once, however large they are, and the
server goes on serving. (uvicorn's httptools protocol alone buffers heads of any size.)"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from datalinks.core.auth import mint_token
from tests.support.figures import record
from tests.support.live import LiveServer, start_live_server
from tests.support.raw_http import HANG_GUARD_SECONDS, HEAD_LIMIT, head_with, raw_request

# Request heads have to cross a real socket to reach uvicorn's parser: a server of its own.
pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_live_server(database_url, tmp_path_factory.mktemp("head-limit")) as server:
        yield server


@pytest.mark.parametrize(
    "what,headers",
    [
        ("a 140 KB token", [("Authorization", "Bearer " + "a" * 140_000)]),
        ("a 1 MB token", [("Authorization", "Bearer " + "a" * 1_000_000)]),
        ("a 20 MB token", [("Authorization", "Bearer " + "a" * 20_000_000)]),
        ("500 headers of 300 bytes", [(f"X-Pad-{i}", "v" * 300) for i in range(500)]),
    ],
)
def test_an_oversized_request_head_is_431_not_a_hang(
    live: LiveServer, what: str, headers: list[tuple[str, str]]
) -> None:
    status, body = raw_request(live, head_with(headers))
    assert status == 431, (what, body[:200])
    record("oversized request heads refused with 431")
    answer = json.loads(body)
    assert answer["type"] == "bad_request" and "larger than" in answer["message"], answer
    assert set(answer) <= {"type", "key", "message", "data"}
    # And the server goes on serving.
    good = mint_token(live.workspace_key, live.workspace_secret, admin=True)
    status, _ = raw_request(live, head_with([("Authorization", f"Bearer {good}")]))
    assert status == 200


def test_a_head_just_under_the_limit_reaches_the_app(live: LiveServer) -> None:
    good = mint_token(live.workspace_key, live.workspace_secret, admin=True)
    padding = HEAD_LIMIT - len(good) - 500
    head = head_with([("Authorization", f"Bearer {good}"), ("X-Padding", "p" * padding)])
    assert len(head) < HEAD_LIMIT
    status, body = raw_request(live, head)
    assert status == 200, body[:200]


def test_keep_alive_requests_are_bounded_each(live: LiveServer) -> None:
    # The count starts again with each request on a connection: many requests of an ordinary
    # size, one after the other, are fine; then one oversized one is refused.
    good = mint_token(live.workspace_key, live.workspace_secret, admin=True)
    ordinary = head_with([("Authorization", f"Bearer {good}"), ("X-Padding", "p" * 20_000)])
    host, port = live.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=HANG_GUARD_SECONDS) as sock:
        reader = sock.makefile("rb")
        for _ in range(2 * HEAD_LIMIT // len(ordinary) + 2):
            sock.sendall(ordinary)
            assert reader.readline().split()[1] == b"200"
            length = 0
            while (line := reader.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            reader.read(length)
        sock.sendall(head_with([("X-Padding", "p" * (HEAD_LIMIT + 1))]))
        assert reader.readline().split()[1] == b"431"
