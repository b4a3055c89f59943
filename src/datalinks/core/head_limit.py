"""A bound on the size of a request's head (request line and headers).

uvicorn's httptools protocol buffers a request's head without any limit: a client could send
megabytes of headers, unauthenticated, before any of our code runs (the body has its limit in
guard.py, the token in auth.py). This protocol counts the head as it arrives and answers
431 in Membrane's error shape, closing the connection, once it passes `max_header_bytes`.

uvicorn has a supported bound only for its h11 protocol (`h11_max_incomplete_event_size`),
and h11 is pure Python, several times slower per request than httptools. So this subclasses
uvicorn's httptools protocol, which is not a public API. It depends on exactly these pieces of
`uvicorn.protocols.http.httptools_impl.HttpToolsProtocol`: the parser callbacks
`on_message_begin`, `on_url`, `on_header` and `on_headers_complete` (called by httptools with
the raw bytes), `data_received` (fed by asyncio), `send_400_response` (uvicorn calls it when
the parser raises, here HeadTooLarge), and the `transport` attribute. pyproject.toml pins
uvicorn to the minor versions this was tested with; tests/test_head_limit.py fails if a new
uvicorn changes any of it.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from datalinks.core.errors import HeadersTooLarge, render
from datalinks.settings import get_settings

# What the request line and each header line cost beyond their text (": ", CRLF).
LINE_OVERHEAD = 4


class HeadTooLarge(Exception):
    pass


class BoundedHeadProtocol(HttpToolsProtocol):
    max_header_bytes: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if BoundedHeadProtocol.max_header_bytes is None:
            # A worker process reads its settings from the environment, like its app.
            BoundedHeadProtocol.max_header_bytes = get_settings().max_header_bytes
        self._limit: int = BoundedHeadProtocol.max_header_bytes
        self._in_head = True
        self._received = 0  # bytes fed to the parser while the head was incomplete
        self._parsed = 0  # bytes of request line and headers the parser handed over
        self._too_large = False

    def data_received(self, data: bytes) -> None:
        # httptools keeps a header that has not ended yet to itself: bound what it may hold.
        if self._in_head and self._received > self._limit:
            self._too_large = True
            self.send_400_response("")
            return
        super().data_received(data)
        if self._in_head:
            self._received += len(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._received = 0
        self._parsed = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url) + LINE_OVERHEAD)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + LINE_OVERHEAD)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def _count(self, size: int) -> None:
        self._parsed += size
        if self._parsed > self._limit:
            self._too_large = True
            # The parser stops; uvicorn answers through send_400_response below.
            raise HeadTooLarge

    def send_400_response(self, msg: str) -> None:
        if not self._too_large:
            super().send_400_response(msg)
            return
        body = render(HeadersTooLarge(f"Request headers are larger than {self._limit} bytes"))
        head = (
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n"
        )
        if not self.transport.is_closing():
            self.transport.write(head + body)
            self.transport.close()
