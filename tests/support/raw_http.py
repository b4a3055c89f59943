"""Request heads sent byte for byte over a socket to a live server: what an HTTP client would
refuse to send (oversized heads), and answers read without a client's parsing in between."""

from __future__ import annotations

import contextlib
import socket

from datalinks.settings import Settings
from tests.support.live import LiveServer

HEAD_LIMIT = Settings().max_header_bytes
# Only a guard against a server that hangs; every answer the tests wait for comes at once.
HANG_GUARD_SECONDS = 60


def raw_request(server: LiveServer, head: bytes) -> tuple[int, bytes]:
    """Send a request head as is; (status, body) of the answer, read until the server closes
    or the answer is complete. The socket timeout catches a server that hangs."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=HANG_GUARD_SECONDS) as sock:
        with contextlib.suppress(ConnectionError):
            # The server may answer and close before it has read all of an oversized head.
            sock.sendall(head)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.split(b"\r\n\r\n", 1)[1]


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 1 << 30


def head_with(headers: list[tuple[str, str]], path: str = "/integrations") -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: datalinks.test", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
