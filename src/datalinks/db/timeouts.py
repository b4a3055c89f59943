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
from typing import Any

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


def install(engine: AsyncEngine, settings: Settings) -> None:
    timeouts = wanted(settings)
    if not timeouts:
        return
    names = sorted(timeouts)
    # pg_settings reports these in milliseconds, whatever unit they were set in.
    check = "SELECT name, setting FROM pg_settings WHERE name IN ({})".format(
        ", ".join(f"'{name}'" for name in names)
    )
    set_all = "; ".join(f"SET {name} = {timeouts[name]}" for name in names)
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
            if all(applied.get(name) == str(timeouts[name]) for name in names):
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
