"""A worker process of `datalinks serve --workers N` starts without the database: uvicorn may
restart one during an outage, and a worker that could not start then would stop the server."""

from __future__ import annotations

import pytest

from datalinks.app import create_app, create_app_from_env
from datalinks.settings import Settings
from tests.support.live import free_port

# Nothing listens there: any attempt to reach the database fails at once.
UNREACHABLE = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"


async def test_a_worker_app_starts_while_the_database_is_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    monkeypatch.setenv("DATALINKS_WORKSPACE_KEY", "worker-ws")
    monkeypatch.setenv("DATALINKS_WORKSPACE_SECRET", "s" * 32)
    app = create_app_from_env()
    async with app.router.lifespan_context(app):
        assert app.state.database.url


async def test_the_bootstrapping_app_still_needs_the_database() -> None:
    settings = Settings(
        database_url=UNREACHABLE,
        workspace_key="worker-ws",
        workspace_secret="s" * 32,
        db_connect_timeout_seconds=2,
    )
    app = create_app(settings)
    with pytest.raises(Exception, match=r"(?i)connect|refused"):
        async with app.router.lifespan_context(app):
            pass
