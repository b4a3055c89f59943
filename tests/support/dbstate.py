"""What the whole database holds, cheaply enough to take around every bad request.

For every table of the schema (read from the catalogue, so tables added later are covered):
its row count and the newest transaction that wrote one of its live rows (`max(xmin)`). An
insert or delete moves the count; an update (PostgreSQL writes a new row version stamped with
the updating transaction) moves the newest writer. Equal snapshots mean nothing was written.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from datalinks.db.engine import Database

TABLES = text(
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
)


@dataclass(frozen=True)
class TableState:
    rows: int
    newest_writer: int


Snapshot = dict[str, TableState]


async def snapshot(database: Database) -> Snapshot:
    async with database.engine.connect() as connection:
        names = list((await connection.execute(TABLES)).scalars())
        assert names, "no tables in the test database"
        # One round trip for all tables. xid -> text -> bigint: xid has no ordering of its own.
        union = " UNION ALL ".join(
            f"SELECT '{name}', count(*), coalesce(max(xmin::text::bigint), 0) FROM \"{name}\""
            for name in names
        )
        rows = (await connection.execute(text(union))).all()
    return {str(name): TableState(int(count), int(writer)) for name, count, writer in rows}


def changes(before: Snapshot, after: Snapshot) -> dict[str, tuple[TableState, TableState]]:
    """The tables whose state differs (empty when nothing was written)."""
    return {
        name: (before[name], after.get(name, TableState(-1, -1)))
        for name in before
        if before[name] != after.get(name)
    }
