"""statement_timeout and lock_timeout on every connection, even behind a connection pooler.

They travel as startup `options` (free: no extra round trip). A pooler such as PgBouncer may
drop those (`ignore_startup_parameters = options`), and then one slow query could pin a
connection for ever. So every new connection reads back what the server applied; where the
options did not arrive, the connection sets them itself with `SET` (enough behind a
session-pooling PgBouncer) and marks itself, and each transaction on a marked connection
starts with `SET LOCAL` (transaction pooling hands every transaction whatever server
connection is free, so only a setting inside the transaction is sure to apply). That costs one
round trip per transaction, and only where the options were dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from datalinks.settings import Settings

log = logging.getLogger(__name__)
# Set on a pooled connection's info when it had to set the timeouts itself.
MARK = "datalinks_sets_timeouts"


def wanted(settings: Settings) -> dict[str, int]:
    """The timeouts to apply, in milliseconds (0 = PostgreSQL's default, no limit)."""
    values = {
        # One slow query must not pin a pooled connection forever.
        "statement_timeout": settings.db_statement_timeout_ms,
        # A row held by a stuck transaction answers 409 lock_timeout rather than waiting out
        # the statement timeout.
        "lock_timeout": settings.db_lock_timeout_ms,
    }
    return {name: ms for name, ms in values.items() if ms}


def startup_options(settings: Settings) -> str | None:
    options = [f"-c {name}={ms}" for name, ms in wanted(settings).items()]
    return " ".join(options) or None


def _check(names: list[str]) -> str:
    # pg_settings reports these in milliseconds, whatever unit they were set in.
    return "SELECT name, setting FROM pg_settings WHERE name IN ({})".format(
        ", ".join(f"'{name}'" for name in names)
    )


def _missing(timeouts: dict[str, int], applied: dict[str, str]) -> bool:
    return any(applied.get(name) != str(ms) for name, ms in timeouts.items())


def _set_all(timeouts: dict[str, int]) -> str:
    return "; ".join(f"SET {name} = {ms}" for name, ms in sorted(timeouts.items()))


def psycopg_configure(
    settings: Settings,
) -> Callable[[psycopg.AsyncConnection[Any]], Awaitable[None]] | None:
    """The same check for a plain psycopg pool in autocommit (the link hot path's): where the
    options did not arrive, the connection sets them itself, and in autocommit they stay."""
    timeouts = wanted(settings)
    if not timeouts or settings.db_pgbouncer:
        # Behind a transaction-pooling PgBouncer a session SET would not stay with this
        # client; its single statements rely on the role's settings (README).
        return None

    async def configure(connection: psycopg.AsyncConnection[Any]) -> None:
        cursor = await connection.execute(_check(sorted(timeouts)))
        applied = {str(name): str(value) for name, value in await cursor.fetchall()}
        if _missing(timeouts, applied):
            log.warning(
                "the database ignored the startup options (a connection pooler?); "
                "setting statement_timeout and lock_timeout on the connection",
                extra={"applied": applied},
            )
            await connection.execute(_set_all(timeouts))
        if not connection.autocommit:
            await connection.commit()

    return configure


def install(engine: AsyncEngine, settings: Settings) -> None:
    timeouts = wanted(settings)
    if not timeouts:
        return
    names = sorted(timeouts)
    check = _check(names)
    set_all = _set_all(timeouts)
    # One statement, so that it costs one round trip at the start of a transaction.
    set_local = "SELECT " + ", ".join(
        f"set_config('{name}', '{timeouts[name]}', true)" for name in names
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _verify(dbapi_connection: Any, record: Any) -> None:
        if settings.db_pgbouncer:
            # Transaction pooling: the next transaction may run on another server connection,
            # so neither what a check reads here nor a SET would hold (and a SET would linger
            # on a server connection other clients share). Every transaction sets its own.
            record.info[MARK] = True
            return
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(check)
            applied = {str(name): str(value) for name, value in cursor.fetchall()}
            if not _missing(timeouts, applied):
                return
            log.warning(
                "the database ignored the startup options (a connection pooler?); "
                "setting statement_timeout and lock_timeout on each transaction",
                extra={"applied": applied},
            )
            cursor.execute(set_all)
            record.info[MARK] = True
        finally:
            cursor.close()
            # Neither the check nor a SET may stay in an open transaction (a rollback would
            # undo the SET).
            dbapi_connection.commit()

    @event.listens_for(engine.sync_engine, "begin")
    def _per_transaction(connection: Connection) -> None:
        if not connection.info.get(MARK):
            return
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            # No transaction to scope a SET LOCAL to; the connection's own SET applies.
            return
        connection.exec_driver_sql(set_local)
