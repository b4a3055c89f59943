"""What the service needs from its connections holds directly and behind PgBouncer in
transaction pooling mode (`python -m tests.support.pgbouncer` runs this file through one, with
DATALINKS_DB_PGBOUNCER=true): the timeouts apply in every transaction, statements repeat
freely across pooled connections, and nothing prepares a statement."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import Integer

from datalinks.db.engine import Database, create_engine, driver_options
from datalinks.settings import Settings

STATEMENT_MS = 400
LOCK_MS = 300
# Only a guard against a hang: the query sleeps far longer than the timeout.
HANG_GUARD_SECONDS = 60
PARALLEL = 24


@asynccontextmanager
async def _engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    limited = settings.model_copy(
        update={"db_statement_timeout_ms": STATEMENT_MS, "db_lock_timeout_ms": LOCK_MS}
    )
    assert limited.database_url
    engine = create_engine(limited.database_url, limited)
    try:
        yield engine
    finally:
        await engine.dispose()


def test_pgbouncer_mode_never_prepares_and_sends_no_options(settings: Settings) -> None:
    direct = settings.model_copy(update={"db_pgbouncer": False})
    limits = f"-c statement_timeout={direct.db_statement_timeout_ms}"
    limits += f" -c lock_timeout={direct.db_lock_timeout_ms}"
    connect = {"connect_timeout": settings.db_connect_timeout_seconds}
    assert driver_options(direct) == {**connect, "options": limits}
    pooled = settings.model_copy(update={"db_pgbouncer": True})
    assert driver_options(pooled) == {**connect, "prepare_threshold": None}


async def test_the_connection_goes_where_the_settings_say(
    settings: Settings, database: Database
) -> None:
    """Behind PgBouncer the server's port is not the one connected to; directly it is."""
    async with database.engine.connect() as connection:
        server_port = (await connection.execute(text("SELECT inet_server_port()"))).scalar()
    assert (server_port == make_url(database.url).port) != settings.db_pgbouncer


async def test_every_transaction_gets_the_timeouts(settings: Settings) -> None:
    async with _engine(settings) as engine:

        async def applied() -> tuple[str, str]:
            async with engine.begin() as connection:
                row = (
                    await connection.execute(
                        text(
                            "SELECT current_setting('statement_timeout'),"
                            " current_setting('lock_timeout'), pg_sleep(0.05)"
                        )
                    )
                ).one()
            return str(row[0]), str(row[1])

        # More transactions at once than pooled connections: through PgBouncer they land on
        # server connections that other transactions (and clients) used before.
        for _ in range(3):
            seen = await asyncio.gather(*(applied() for _ in range(PARALLEL)))
            assert set(seen) == {(f"{STATEMENT_MS}ms", f"{LOCK_MS}ms")}


async def test_a_slow_statement_is_cancelled(settings: Settings) -> None:
    async with _engine(settings) as engine:
        with pytest.raises(DBAPIError) as caught:
            async with engine.begin() as connection:
                await asyncio.wait_for(
                    connection.execute(text("SELECT pg_sleep(120)")), HANG_GUARD_SECONDS
                )
        assert getattr(caught.value.orig, "sqlstate", None) == "57014"
        # The pool is still in working order afterwards.
        async with engine.begin() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1


async def test_statements_repeat_freely_across_connections(database: Database) -> None:
    """psycopg would prepare a statement from its fifth run on a connection; behind
    transaction pooling the next run may land on a server connection that does not know it."""
    statement = text("SELECT :n + 1 AS m").bindparams(bindparam("n", type_=Integer))

    async def repeat(worker: int) -> list[int]:
        results = []
        for n in range(12):
            async with database.engine.begin() as connection:
                results.append((await connection.execute(statement, {"n": n})).scalar_one())
            if n % 3 == worker % 3:
                await asyncio.sleep(0)
        return results

    runs = await asyncio.gather(*(repeat(w) for w in range(8)))
    assert runs == [list(range(1, 13))] * 8
