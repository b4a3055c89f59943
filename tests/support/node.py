"""Node.js projects under tests/ (the official SDK, the generated TypeScript client, the
console's browser tests): their toolchain version and their `npm ci`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.support.marks import NODE, expect_mark

NPM_TIMEOUT_SECONDS = 600.0


def node_version(node: str) -> tuple[int, ...]:
    expect_mark(NODE, "runs Node.js")
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    return tuple(int(part) for part in re.findall(r"\d+", out)[:3])


def npm_ci_if_stale(npm: str, project: Path) -> None:
    """`npm ci` in `project` unless its node_modules matches the committed lock."""
    expect_mark(NODE, "runs npm")
    # npm writes node_modules/.package-lock.json on every install: older than the committed
    # lock means the lock changed since, so install again.
    marker = project / "node_modules" / ".package-lock.json"
    lock = project / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_SECONDS,
    )
    if result.returncode != 0:
        pytest.fail(f"npm ci failed in {project}:\n{result.stdout}\n{result.stderr}")
