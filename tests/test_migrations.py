"""The migrations go up, down and up again on an empty database, and describe exactly the
models: autogenerate would find nothing to add."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool, text

from datalinks.db import migrate
from datalinks.models import Base
from tests.support.databases import create_database, drop_database


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    url = create_database(server_url)
    yield url
    drop_database(server_url, url)


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def _drift(url: str) -> list[Any]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_database: str) -> None:
    model_tables = set(Base.metadata.tables)
    migrate.upgrade(empty_database)
    assert _tables(empty_database) == model_tables | {"alembic_version"}
    migrate.downgrade(empty_database, "base")
    # Only Alembic's bookkeeping table may remain, and the SQL function must be gone too.
    assert _tables(empty_database) <= {"alembic_version"}
    engine = create_engine(empty_database, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            functions = connection.execute(
                text("SELECT count(*) FROM pg_proc WHERE proname = 'datalinks_record_hash'")
            ).scalar_one()
            assert functions == 0
    finally:
        engine.dispose()
    migrate.upgrade(empty_database)
    assert _tables(empty_database) == model_tables | {"alembic_version"}
    assert _drift(empty_database) == []


def test_no_drift_between_models_and_migrations(database_url: str) -> None:
    # database_url is the suite's own database, upgraded to head at session start.
    assert _drift(database_url) == []


def test_upgrade_is_idempotent(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    migrate.upgrade(empty_database)
    assert _drift(empty_database) == []


def _normalise_predicate(sql: str) -> str:
    return "".join(ch for ch in sql.lower() if ch not in "() \n\t")


def test_partial_and_nulls_not_distinct_indexes_match(database_url: str) -> None:
    # compare_metadata ignores an index's WHERE clause and NULLS NOT DISTINCT, and those carry
    # the "unique among live rows" rules; a migration that got them wrong would pass above.
    engine = create_engine(database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT c.relname, i.indisunique, i.indnullsnotdistinct,"
                    " coalesce(pg_get_expr(i.indpred, i.indrelid), '')"
                    " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
                )
            ).all()
    finally:
        engine.dispose()
    in_database = {
        name: (unique, nnd, _normalise_predicate(where)) for name, unique, nnd, where in rows
    }
    checked = 0
    for table in Base.metadata.tables.values():
        for index in table.indexes:
            options = index.dialect_options["postgresql"]
            where = options["where"]
            expected = (
                bool(index.unique),
                bool(options["nulls_not_distinct"]),
                _normalise_predicate(str(where)) if where is not None else "",
            )
            assert in_database.get(str(index.name)) == expected, index.name
            checked += 1
    assert checked >= 10
