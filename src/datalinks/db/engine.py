"""Engine and session factory. One engine per process, created from settings at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from datalinks.db import timeouts
from datalinks.settings import Settings


def driver_options(settings: Settings) -> dict[str, Any]:
    """psycopg connection keywords, for every pool the service opens."""
    connect = {"connect_timeout": settings.db_connect_timeout_seconds}
    if settings.db_pgbouncer:
        # PgBouncer in transaction mode hands each transaction whichever server connection is
        # free, so a statement psycopg prepared on one is unknown on the next (or its name is
        # already taken there). PgBouncer 1.21 can track them (max_prepared_statements);
        # Debian 12 ships 1.18, so never prepare. `options` is refused by PgBouncer unless it
        # is told to ignore it, and then dropped: timeouts.install sets the timeouts in each
        # transaction instead.
        return {**connect, "prepare_threshold": None}
    options = timeouts.startup_options(settings)
    return {**connect, "options": options} if options else connect


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    connect_args = driver_options(settings)
    engine = create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_pre_ping=True,
        connect_args=connect_args,
        # A database error's text would otherwise carry the statement's values into the logs:
        # customers' record ids, and a workspace secret when one is being stored.
        hide_parameters=True,
    )
    timeouts.install(engine, settings)
    return engine


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    embedded_server: Any = None

    @property
    def autocommit(self) -> AsyncEngine:
        """The same pool, for single statements that need no transaction around them."""
        engine = self.__dict__.get("_autocommit")
        if engine is None:
            engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
            self.__dict__["_autocommit"] = engine
        return engine

    @classmethod
    def open(cls, settings: Settings) -> Database:
        from datalinks.db.embedded import start_embedded

        server = None
        url = settings.database_url
        if not url:
            url, server = start_embedded(settings.embedded_pgdata)
        engine = create_engine(url, settings)
        maker = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        return cls(url=url, engine=engine, sessionmaker=maker, embedded_server=server)

    async def close(self) -> None:
        await self.engine.dispose()
