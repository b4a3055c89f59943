"""A real PostgreSQL for every test: DATABASE_URL's server when set, else the embedded one.

Each run gets a fresh database with the real migrations applied; each test gets a fresh
workspace, and since every query is scoped by workspace, tests cannot see each other's rows.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from datalinks.app import create_app
from datalinks.db import migrate
from datalinks.db.embedded import start_embedded
from datalinks.db.engine import Database, create_engine
from datalinks.settings import Settings, normalise_database_url
from tests.support.databases import create_database, drop_database
from tests.support.helpers import Tenant
from tests.support.live import LiveServer, start_live_server

# The counts the reliability suites report at the end of the run, and the `live`, `node` and
# `browser` marks kept true (tests/support/figures.py, tests/support/marks.py).
pytest_plugins = ["tests.support.figures", "tests.support.marks"]


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """URL of a PostgreSQL server's maintenance database."""
    env = os.environ.get("DATABASE_URL")
    if env:
        yield normalise_database_url(env)
        return
    with tempfile.TemporaryDirectory(prefix="dl-test-") as tmp:
        url, server = start_embedded(Path(tmp) / "pg")
        yield url
        server.cleanup()


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    url = create_database(server_url)
    migrate.upgrade(url)
    yield url
    drop_database(server_url, url)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, workspace_key=None, workspace_secret=None)


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    assert settings.database_url
    engine = create_engine(settings.database_url, settings)
    db = Database(
        url=settings.database_url,
        engine=engine,
        sessionmaker=async_sessionmaker(engine, expire_on_commit=False, autoflush=False),
    )
    yield db
    await db.close()


@pytest.fixture(scope="session")
async def app(settings: Settings, database: Database) -> AsyncIterator[Any]:
    app = create_app(settings, database=database)
    yield app
    await app.state.hot_pool.close()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://datalinks.test") as c:
        yield c


@pytest.fixture
async def tenant(database: Database) -> Tenant:
    return await Tenant.create(database)


@pytest.fixture
async def other_tenant(database: Database) -> Tenant:
    return await Tenant.create(database)


@pytest.fixture(scope="session")
def live_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One real `datalinks serve` on the session's test database, with a workspace of its own,
    shared by the tests that drive the service over a socket (SDK, generated clients, curl)."""
    with start_live_server(database_url, tmp_path_factory.mktemp("live-server")) as server:
        yield server
