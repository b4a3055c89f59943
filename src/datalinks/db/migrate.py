"""Run Alembic in code, so `datalinks serve`, `datalinks migrate` and the tests share it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from datalinks.settings import Settings, get_settings


def alembic_config(url: str, migrations_dir: Path | None = None) -> Config:
    directory = migrations_dir or get_settings().migrations_dir
    cfg = Config()
    cfg.set_main_option("script_location", str(directory))
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    # '%' would be read as interpolation by configparser.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head", settings: Settings | None = None) -> None:
    command.upgrade(alembic_config(url, settings.migrations_dir if settings else None), revision)


def downgrade(url: str, revision: str, settings: Settings | None = None) -> None:
    command.downgrade(alembic_config(url, settings.migrations_dir if settings else None), revision)
