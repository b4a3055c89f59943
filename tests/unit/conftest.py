"""Unit tests: the code called directly, no server and no database. Every database fixture of
tests/conftest.py starts from `server_url`, so a unit test that reaches one fails here rather
than quietly slowing the quick loop down by a database."""

from __future__ import annotations

import pytest

DATABASE_FIXTURE = "server_url"


def pytest_runtest_setup(item: pytest.Item) -> None:
    if DATABASE_FIXTURE in getattr(item, "fixturenames", ()):
        pytest.fail(f"{item.nodeid} is a unit test but uses the database", pytrace=False)
