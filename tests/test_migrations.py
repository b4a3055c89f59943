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
from tests.conftest import create_database, drop_database


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
