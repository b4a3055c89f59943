"""A TCP proxy in front of PostgreSQL that drops the startup `options` parameter, as PgBouncer
does with `ignore_startup_parameters = options`: the settings a client sends that way never
reach the server, and the client is not told."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import URL, make_url

PROTOCOL_3 = 196608
# SSLRequest and GSSENCRequest: answered "N" (not supported), then the real startup follows.
ENCRYPTION_REQUESTS = (80877103, 80877104)


def _upstream(url: URL) -> tuple[str | None, int, str | None]:
    """(host, port, unix socket path) of the server a SQLAlchemy URL points at."""
    socket_dir = url.query.get("host")
    if isinstance(socket_dir, tuple):
        socket_dir = socket_dir[0]
    port = url.port or 5432
    if socket_dir and socket_dir.startswith("/"):
        return None, port, f"{socket_dir}/.s.PGSQL.{port}"
    return url.host or socket_dir or "127.0.0.1", port, None


def strip_options(startup: bytes) -> bytes:
    """A startup message (without its length word) minus its `options` parameter."""
    (protocol,) = struct.unpack("!I", startup[:4])
    assert protocol == PROTOCOL_3, protocol
    fields = startup[4:].split(b"\x00")
    pairs = [(fields[i], fields[i + 1]) for i in range(0, len(fields) - 2, 2) if fields[i]]
    kept = b"".join(k + b"\x00" + v + b"\x00" for k, v in pairs if k != b"options")
    return struct.pack("!I", PROTOCOL_3) + kept + b"\x00"


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@asynccontextmanager
async def options_dropping_proxy(database_url: str) -> AsyncIterator[str]:
    """Yields a SQLAlchemy URL for `database_url`'s database reached through the proxy."""
    url = make_url(database_url)
    host, port, socket_path = _upstream(url)
    tasks: set[asyncio.Task[None]] = set()

    async def serve(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        while True:
            (length,) = struct.unpack("!I", await client_r.readexactly(4))
            body = await client_r.readexactly(length - 4)
            if struct.unpack("!I", body[:4])[0] in ENCRYPTION_REQUESTS:
                client_w.write(b"N")
                await client_w.drain()
                continue
            break
        startup = strip_options(body)
        if socket_path:
            server_r, server_w = await asyncio.open_unix_connection(socket_path)
        else:
            server_r, server_w = await asyncio.open_connection(host, port)
        server_w.write(struct.pack("!I", len(startup) + 4) + startup)
        await server_w.drain()
        for task in (
            asyncio.create_task(_pipe(client_r, server_w)),
            asyncio.create_task(_pipe(server_r, client_w)),
        ):
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    proxy_port = server.sockets[0].getsockname()[1]
    query = {k: v for k, v in url.query.items() if k != "host"}
    query.update({"sslmode": "disable", "gssencmode": "disable"})
    proxied = url.set(host="127.0.0.1", port=proxy_port, query=query)
    try:
        yield proxied.render_as_string(hide_password=False)
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
