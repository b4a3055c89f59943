"""The SDK's three link calls, answered without the framework when everything is known.

`POST`, `GET` and `DELETE /data-link-table-instance/links` are what a sync job sends thousands
of times a second. When the caller's token was verified recently, its customer is known and
its selector names a remembered instance (or the instance id), the answer takes one guarded SQL
statement: this ASGI layer runs that statement on a plain psycopg pool in autocommit and answers
itself, skipping FastAPI's routing, dependency injection and the ORM session (about four
fifths of a request's CPU in the profiles of bench/RESULTS.md).

Anything else passes through to the regular routes untouched: an unknown token or customer, a
selector not yet remembered, invalid input, a guard that fails, a database error, rate limiting
switched on. Those routes then give the one authoritative answer (and fill the caches), so the
shortcut changes speed, never behaviour; tests/test_hot_path.py checks both give the same.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
import psycopg
from psycopg_pool import AsyncConnectionPool
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from datalinks.core import auth
from datalinks.core.errors import DatalinksError
from datalinks.core.guard import replay_body
from datalinks.core.pagination import decode_cursor, page_params
from datalinks.core.selectors import instance_selector
from datalinks.data_links import service, statements
from datalinks.data_links.schemas import DataLinkWrite
from datalinks.data_links.statements import Guard
from datalinks.db import timeouts
from datalinks.db.engine import driver_options
from datalinks.settings import Settings

log = logging.getLogger(__name__)
PATH = "/data-link-table-instance/links"
NO_BODY: list[tuple[bytes, bytes]] = []
REST_SECONDS = 1.0


class _PassThrough(Exception):
    """The regular route must answer this request."""


class HotPool:
    """A small psycopg pool in autocommit for the hot path, opened on first use."""

    def __init__(self, database_url: str, settings: Settings) -> None:
        self.conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(False)
        # The same driver settings as the ORM's pool (startup options, or no prepared
        # statements behind PgBouncer).
        kwargs: dict[str, Any] = {"autocommit": True, **driver_options(settings)}
        self.pool = AsyncConnectionPool(
            self.conninfo,
            # All opened together on the first link call: a burst must not wait on new ones.
            min_size=settings.pool_size,
            max_size=settings.pool_size,
            kwargs=kwargs,
            # Checks the timeouts arrived (a pooler may drop the startup options).
            configure=timeouts.psycopg_configure(settings),
            # A wait this long means the pool is saturated or the database is away; the
            # regular route then answers.
            timeout=min(settings.db_pool_timeout_seconds, 2.0),
            open=False,
        )
        self._opened = False
        self._lock = asyncio.Lock()
        # After a connection failure the regular route (whose pool pings before use) answers
        # for a moment, so an outage costs no request a wait on this pool as well.
        self._resting_until = 0.0

    async def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        if self._resting_until > time.monotonic():
            raise _PassThrough
        try:
            return await self._rows(sql, params)
        except psycopg.OperationalError:
            self._resting_until = time.monotonic() + REST_SECONDS
            raise

    async def _rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        if not self._opened:
            async with self._lock:
                if not self._opened:
                    await self.pool.open(wait=False)
                    self._opened = True
        async with self.pool.connection() as conn:
            cursor = await conn.execute(sql, params)
            return await cursor.fetchall()

    async def close(self) -> None:
        if self._opened:
            await self.pool.close()


class HotLinks:
    """ASGI layer in front of the app (inside RequestGuard, which has already screened the
    request and hands over its whole body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # How many requests this layer answered itself (the tests read it).
        self.answered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        scope["app"].state.hot_links = self
        message = await receive()
        body: bytes = message.get("body", b"")
        try:
            status, payload = await self._answer(scope, body)
        except (_PassThrough, DatalinksError, ValidationError, psycopg.Error):
            await self.app(scope, replay_body(body, receive), send)
            return
        self.answered += 1
        headers = NO_BODY
        if payload:
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ]
        elif status != 204:
            headers = [(b"content-length", b"0")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _answer(self, scope: Scope, body: bytes) -> tuple[int, bytes]:
        app = scope["app"]
        if not app.state.settings.hot_path or getattr(app.state, "rate_limiter", None):
            raise _PassThrough
        method = scope["method"]
        if method not in ("GET", "POST", "DELETE"):
            raise _PassThrough
        principal = _principal(scope)
        params = QueryParams(scope["query_string"])
        selector = instance_selector(
            params, parent_id_field="dataLinkTableId", parent_key_field="dataLinkTableKey"
        )
        slot = service.remembered_slot(principal, selector)
        instance_id = selector.id
        if slot is not None:
            instance_id = service.instance_ids.get(
                (principal.workspace_id, principal.customer_id, slot)
            )
        if instance_id is None:
            raise _PassThrough
        # Reads by a bare instance id may see an archived instance, as on the regular route.
        live = method != "GET" or slot is not None
        guard = Guard(instance_id, principal.workspace_id, principal.customer_id, live, slot)
        pool: HotPool = app.state.hot_pool
        if method == "GET":
            return 200, await _find(pool, guard, params)
        link = _link(method, body, params)
        if method == "POST":
            await _write(pool, statements.upsert(guard.variant), guard, link)
            return 204, b""
        await _write(pool, statements.delete_triples(guard.variant), guard, link)
        return 200, b""


def _principal(scope: Scope) -> auth.Principal:
    for name, value in scope["headers"]:
        if name == b"authorization":
            principal = auth.cached_principal(auth.bearer_from_header(value.decode("latin-1")))
            if principal is not None:
                return principal
            break
    raise _PassThrough


def _link(method: str, body: bytes, params: QueryParams) -> DataLinkWrite:
    if method == "POST":
        return DataLinkWrite.model_validate_json(body)
    # A DELETE names its link in a JSON body (the SDK) or in the query; one that mixes both
    # takes the regular route, which merges them.
    in_query = [name for name in service.LINK_FIELDS if name in params]
    if body.strip():
        if in_query:
            raise _PassThrough
        return DataLinkWrite.model_validate_json(body)
    return DataLinkWrite.model_validate({name: params[name] for name in in_query})


async def _write(pool: HotPool, statement: Any, guard: Guard, link: DataLinkWrite) -> None:
    params = {**guard.params(), **statements.triple_params(statements.stored_triples([link]))}
    rows = await pool.rows(statements.psycopg_sql(statement), params)
    # The first column counts the instances the guard let through.
    if not rows or not rows[0][0]:
        raise _PassThrough


async def _find(pool: HotPool, guard: Guard, params: QueryParams) -> bytes:
    link_filter = service.link_filter_from(params)
    page = await page_params(params.get("limit"), params.get("cursor"))
    after = decode_cursor(page.cursor or "", [int])
    stmt = statements.find(guard.variant, link_filter.shape, bool(after))
    values = statements.find_params(guard, link_filter, page.limit, after[0] if after else None)
    rows = await pool.rows(statements.psycopg_sql(stmt), values)
    if not rows:
        raise _PassThrough
    found = [row[1:] for row in rows if row[1] is not None]
    items, cursor = statements.cut_page(found, page.limit, lambda row: row[0])
    answer: dict[str, Any] = {"items": [statements.link_item(row) for row in items]}
    if cursor is not None:
        answer["cursor"] = cursor
    return orjson.dumps(answer)
