"""One slow query cannot pin a connection: statement_timeout and lock_timeout reach every
connection, directly or through a pooler that drops startup options, and a query cut off by
them is a 503 in the error shape, not a 500 and not a hang."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from datalinks.app import create_app
from datalinks.data_links.hot_path import HotPool
from datalinks.db import timeouts
from datalinks.db.engine import Database, create_engine
from datalinks.db.session import SessionDep
from datalinks.settings import Settings
from tests.support.helpers import assert_error
from tests.support.pg_proxy import options_dropping_proxy

STATEMENT_MS = 300
LOCK_MS = 200
# Only a guard against a hang: the query it waits for sleeps far longer than the timeout.
HANG_GUARD_SECONDS = 60
SLEEP_SECONDS = 120


def _settings(settings: Settings, url: str) -> Settings:
    return settings.model_copy(
        update={
            "database_url": url,
            "db_statement_timeout_ms": STATEMENT_MS,
            "db_lock_timeout_ms": LOCK_MS,
        }
    )


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Database]:
    assert settings.database_url
    engine = create_engine(settings.database_url, settings)
    maker = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    try:
        yield Database(url=settings.database_url, engine=engine, sessionmaker=maker)
    finally:
        await engine.dispose()


async def _applied(engine: AsyncEngine) -> tuple[str, str]:
    async with engine.begin() as connection:
        row = (
            await connection.execute(
                text("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")
            )
        ).one()
    return str(row[0]), str(row[1])


def _slow_app(settings: Settings, database: Database) -> FastAPI:
    """The real app with one extra route that runs a query far slower than the timeout on
    the request's own session, as any handler's query would run."""
    app = create_app(_settings(settings, database.url), database=database)

    @app.get("/test-slow-query")
    async def slow(session: SessionDep) -> dict[str, str]:
        await session.execute(text(f"SELECT pg_sleep({SLEEP_SECONDS})"))
        return {"slept": "fully"}

    return app


async def _assert_slow_query_is_cut_off(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://datalinks.test") as client:
        response = await asyncio.wait_for(client.get("/test-slow-query"), HANG_GUARD_SECONDS)
    body = assert_error(response, 503, "database_unavailable", type_="internal")
    assert "too long" in body["message"]
    assert response.headers["Retry-After"] == "1"


async def test_timeouts_arrive_as_startup_options(settings: Settings) -> None:
    async with _database(_settings(settings, settings.database_url or "")) as database:
        assert await _applied(database.engine) == (f"{STATEMENT_MS}ms", f"{LOCK_MS}ms")
        async with database.engine.connect() as connection:
            # The options arrived: the connection did not need to set them itself.
            assert not connection.info.get(timeouts.MARK)


async def test_a_slow_query_is_cancelled_and_answered_503(settings: Settings) -> None:
    async with _database(_settings(settings, settings.database_url or "")) as database:
        await _assert_slow_query_is_cut_off(_slow_app(settings, database))
        # The connection went back to the pool in working order.
        async with database.engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1


async def test_behind_a_pooler_that_drops_options(settings: Settings) -> None:
    async with options_dropping_proxy(settings.database_url or "") as proxied:
        # The proxy really drops them: options alone leave the connection unlimited.
        bare = create_async_engine(
            proxied, connect_args={"options": f"-c statement_timeout={STATEMENT_MS}"}
        )
        try:
            async with bare.connect() as connection:
                raw = await connection.exec_driver_sql("SHOW statement_timeout")
                assert raw.scalar() == "0"
        finally:
            await bare.dispose()

        async with _database(_settings(settings, proxied)) as database:
            assert await _applied(database.engine) == (f"{STATEMENT_MS}ms", f"{LOCK_MS}ms")
            # Single statements outside a transaction rely on the connection's own SET.
            autocommit = database.engine.execution_options(isolation_level="AUTOCOMMIT")
            async with autocommit.connect() as connection:
                got = await connection.exec_driver_sql("SHOW statement_timeout")
                assert got.scalar() == f"{STATEMENT_MS}ms"
            async with database.engine.connect() as connection:
                assert connection.info.get(timeouts.MARK)
                # Transaction pooling hands out another server connection, whose session
                # settings are the server's defaults; the next transaction sets its own.
                await connection.exec_driver_sql("RESET ALL")
                await connection.commit()
                async with connection.begin():
                    got = await connection.exec_driver_sql("SHOW statement_timeout")
                    assert got.scalar() == f"{STATEMENT_MS}ms"
            await _assert_slow_query_is_cut_off(_slow_app(settings, database))


async def test_zero_means_no_timeout(settings: Settings) -> None:
    unlimited = _settings(settings, settings.database_url or "").model_copy(
        update={"db_statement_timeout_ms": 0, "db_lock_timeout_ms": 0}
    )
    assert timeouts.startup_options(unlimited) is None
    async with _database(unlimited) as database:
        assert await _applied(database.engine) == ("0", "0")


async def test_the_hot_paths_own_pool_checks_too(settings: Settings) -> None:
    # The link hot path answers from a psycopg pool of its own, in autocommit.
    async with options_dropping_proxy(settings.database_url or "") as proxied:
        pool = HotPool(proxied, _settings(settings, proxied))
        try:
            rows = await pool.rows(
                "SELECT current_setting('statement_timeout'), current_setting('lock_timeout')", {}
            )
        finally:
            await pool.close()
    assert rows == [(f"{STATEMENT_MS}ms", f"{LOCK_MS}ms")]
