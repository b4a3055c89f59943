"""The markers of the suite's slow parts (registered in pyproject.toml): `live` for a test that
starts a process of its own (`datalinks serve`, the `datalinks` CLI, a PostgreSQL server),
`node` for Node.js, `browser` for Chromium.
The quick loop, `./dev test -m "not live and not node and not browser"`, leaves them out.

Two things keep the marks true. A test that uses `live_server` (conftest.py), directly or
through another fixture, is marked `live` at collection, so nobody has to remember to. And the
code that starts a server, the CLI, a database, Node.js or Chromium calls `expect_mark`, which
fails the running test when it lacks the mark: an unmarked test would otherwise slow the quick
loop down, or fail there for want of a browser, and nobody would see why.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

LIVE = "live"
NODE = "node"
BROWSER = "browser"
# conftest.py's fixtures that start something, and the marks their users get.
FIXTURE_MARKS: dict[str, tuple[str, ...]] = {"live_server": (LIVE,)}

# The test pytest is running now, fixtures' setup included; empty outside a test run (such
# as `python -m tests.support.pgbouncer`, which uses the support code before pytest starts).
_running: list[pytest.Item] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        # `fixturenames` is the whole closure: fixtures of fixtures count too.
        used = set(getattr(item, "fixturenames", ()))
        for fixture, marks in FIXTURE_MARKS.items():
            if fixture in used:
                for mark in marks:
                    item.add_marker(mark)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    # The protocol spans setup, call and teardown: a module-scoped fixture is set up inside
    # the protocol of the first test that needs it, so that test is the one checked.
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


def expect_mark(mark: str, doing: str) -> None:
    """Fail the running test unless it carries `mark`; `doing` says what needs it."""
    if not _running:
        return
    item = _running[-1]
    if item.get_closest_marker(mark) is None:
        pytest.fail(
            f"{item.nodeid} {doing}, so it must be marked `{mark}` "
            f"(@pytest.mark.{mark}, or `pytestmark = pytest.mark.{mark}` for its module)",
            pytrace=False,
        )
