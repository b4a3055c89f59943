"""Process settings, read from the environment (prefix DATALINKS_; DATABASE_URL also accepted)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# Connections one `datalinks serve` opens at most by default, all workers together: well under
# PostgreSQL's default max_connections of 100, leaving room for a second replica, migrations
# and an operator's psql. A worker has three pools of pool_size each: the ORM's, its overflow
# and the link calls' shortcut (data_links/hot_path.py).
DEFAULT_CONNECTION_BUDGET = 40
POOLS_PER_WORKER = 3


def available_cores() -> int:
    """The CPUs this process may run on: its affinity mask (taskset, a cpuset-limited
    container), not every core of the machine. A CFS quota (`docker --cpus`) is not visible
    here; set DATALINKS_WORKERS there."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        return int(counter() or 1)
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def normalise_database_url(url: str) -> str:
    """Point postgres:// and postgresql:// URLs at the psycopg 3 driver SQLAlchemy should use."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATALINKS_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATALINKS_DATABASE_URL", "DATABASE_URL"),
    )
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("datalinks")))
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = "info"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Link imports stream their body and have their own limit; 0 = none.
    max_import_bytes: int = Field(default=0, ge=0)
    max_json_depth: int = Field(default=32, ge=2)
    # Request line and headers together: room for a token (auth.py refuses one over 96 KiB, which
    # holds a `fields` claim of 64 KiB) and whatever browsers and proxies add.
    max_header_bytes: int = Field(default=131_072, ge=8_192)
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    # Bootstrap workspace: docker-compose, CI scripts and tests configure one this way.
    workspace_key: str | None = None
    workspace_secret: str | None = None
    workspace_name: str | None = None
    # Membrane creates a customer on its first valid token; a deployment may refuse that.
    auto_create_customers: bool = True
    # uvicorn worker processes of `datalinks serve`; unset = available_cores().
    workers: int | None = Field(default=None, ge=1)
    # Per worker process; unset = a share of DEFAULT_CONNECTION_BUDGET (see pool_size).
    db_pool_size: int | None = Field(default=None, ge=1)
    db_max_overflow: int | None = Field(default=None, ge=0)
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    # A database host that accepts TCP connections but never answers (frozen, or behind a
    # firewall that drops replies) would otherwise hold every new connection, and the request
    # waiting on it, for ever. libpq counts whole seconds, at least 2.
    db_connect_timeout_seconds: int = Field(default=5, ge=2)
    db_statement_timeout_ms: int = Field(default=15_000, ge=0)
    db_lock_timeout_ms: int = Field(default=5_000, ge=0)
    # DATABASE_URL points at PgBouncer in transaction pooling mode: never prepare statements,
    # send no startup options (see db/engine.py driver_options).
    db_pgbouncer: bool = False
    # Requests per second per caller (a workspace's admin tokens, or one customer), with bursts
    # of up to rate_limit_burst (default: one second's worth); 0 = no limit.
    rate_limit_per_second: float = Field(default=0, ge=0)
    rate_limit_burst: int | None = Field(default=None, ge=1)
    # The link calls' shortcut past the framework (data_links/hot_path.py); off only to compare.
    hot_path: bool = True
    migrations_dir: Path = REPO_MIGRATIONS

    @model_validator(mode="after")
    def _workspace_pair(self) -> Settings:
        # One without the other used to be ignored silently, and the server then made a
        # `default` workspace nobody's tokens were signed for.
        if bool(self.workspace_key) != bool(self.workspace_secret):
            raise ValueError(
                "DATALINKS_WORKSPACE_KEY and DATALINKS_WORKSPACE_SECRET must be set together"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _normalise(cls, value: str | None) -> str | None:
        return normalise_database_url(value) if value else None

    @property
    def embedded_pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def worker_count(self) -> int:
        return self.workers or available_cores()

    @property
    def pool_size(self) -> int:
        """Pooled connections per worker process, for each of its pools: a share of the
        budget, 10 at most (one core's event loop keeps no more busy), 2 at least."""
        if self.db_pool_size is not None:
            return self.db_pool_size
        share = DEFAULT_CONNECTION_BUDGET // (POOLS_PER_WORKER * self.worker_count)
        return max(2, min(10, share))

    @property
    def pool_max_overflow(self) -> int:
        return self.pool_size if self.db_max_overflow is None else self.db_max_overflow


@lru_cache
def get_settings() -> Settings:
    return Settings()
