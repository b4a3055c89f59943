"""The web console at /console, in a real browser (tests/console, `node --test`).

Two parts: the static routes, through the ASGI client; and tests/console/console.test.mjs,
which drives Debian's headless Chromium with playwright-core (pointed at the system browser; it
downloads none) against a real `datalinks serve`: sign in, create a table, open an instance,
add, find and delete links, reset a data-source instance, each change checked through the API.
Screenshots of every page land in artifacts/console/.

Without Chromium or Node.js 20 the browser test is skipped locally and fails in CI (CI=true),
where .ci/run installs them: a browser test that silently does not run proves nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from datalinks.console.router import STATIC_DIR
from tests.support.live import REPO_ROOT, LiveServer
from tests.support.marks import BROWSER, expect_mark
from tests.support.node import node_version, npm_ci_if_stale

CONSOLE_DIR = Path(__file__).resolve().parent / "console"
SCREENSHOT_DIR = REPO_ROOT / "artifacts" / "console"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# playwright-core 1.65 needs Node 20.
MIN_NODE = (20, 0)
NODE_TIMEOUT_SECONDS = 600.0
_SUMMARY = re.compile(r"^# (pass|fail|skipped|cancelled|todo) (\d+)$", re.MULTILINE)
# Every page the browser test visits leaves one.
SCREENSHOTS = (
    "signin",
    "tables",
    "instances",
    "links-empty",
    "links",
    "links-search",
    "connections",
    "data-sources",
    "links-narrow",
)


async def test_console_page_is_served_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/console")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="console/app.js">' in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


async def test_console_assets_have_their_media_types(client: httpx.AsyncClient) -> None:
    for path, media_type in (
        ("/console/app.js", "text/javascript; charset=utf-8"),
        ("/console/views/links.js", "text/javascript; charset=utf-8"),
        ("/console/console.css", "text/css; charset=utf-8"),
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == media_type
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_every_module_the_console_imports_is_served(client: httpx.AsyncClient) -> None:
    # A module missing from the package (say, not listed in package-data) breaks the page.
    for module in STATIC_DIR.rglob("*.js"):
        for imported in re.findall(r"from '(\.{1,2}/[^']+)'", module.read_text()):
            target = (module.parent / imported).resolve().relative_to(STATIC_DIR)
            response = await client.get(f"/console/{target.as_posix()}")
            assert response.status_code == 200, f"{module.name} imports {imported}"


async def test_console_serves_only_its_own_files(client: httpx.AsyncClient) -> None:
    for path in (
        "/console/../pyproject.toml",
        "/console/%2e%2e/router.py",
        "/console/%2e%2e/__init__.py",
        "/console/views",
        "/console/missing.js",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json()["key"] == "not_found"


async def test_console_with_a_trailing_slash_redirects(client: httpx.AsyncClient) -> None:
    response = await client.get("/console/")
    assert response.status_code == 308
    assert response.headers["location"] == "../console"


def test_console_routes_stay_out_of_the_openapi_document() -> None:
    document = json.loads((REPO_ROOT / "openapi.json").read_text())
    assert not [path for path in document["paths"] if path.startswith("/console")]


def _unavailable(reason: str) -> NoReturn:
    """In CI a missing prerequisite fails the run; on a developer's machine it skips."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI must install it: see .ci/run)")
    pytest.skip(reason)


def _node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("the console browser tests need Node.js 20+ and npm on PATH")
    version = node_version(node)
    if version < MIN_NODE:
        _unavailable(f"the console browser tests need Node.js 20+, found {version}")
    npm_ci_if_stale(npm, CONSOLE_DIR)
    return node


def _chromium() -> str:
    expect_mark(BROWSER, "runs Chromium")
    chromium = os.environ.get("DATALINKS_CHROMIUM", DEFAULT_CHROMIUM)
    if not os.access(chromium, os.X_OK):
        _unavailable(f"the console browser tests need Chromium at {chromium} (Debian: chromium)")
    return chromium


@pytest.mark.node
@pytest.mark.browser
def test_console_in_headless_chromium(live_server: LiveServer) -> None:
    chromium = _chromium()
    node = _node()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOT_DIR.glob("*.png"):
        old.unlink()
    log_offset = live_server.log_size()
    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", "console.test.mjs"],
        cwd=CONSOLE_DIR,
        env={
            **live_server.env(),
            "DATALINKS_CHROMIUM": chromium,
            "DATALINKS_SCREENSHOT_DIR": str(SCREENSHOT_DIR),
        },
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_SECONDS,
    )
    output = f"{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, (
        f"node --test console.test.mjs failed:\n{output}\n"
        f"--- datalinks serve log while it ran ---\n{live_server.log_since(log_offset)}"
    )
    counts = {name: int(count) for name, count in _SUMMARY.findall(output)}
    ran_all = counts.get("pass", 0) > 0 and not counts.get("skipped") and not counts.get("todo")
    assert ran_all, output
    missing = [name for name in SCREENSHOTS if not (SCREENSHOT_DIR / f"{name}.png").is_file()]
    assert not missing, f"no screenshot of {missing} in {SCREENSHOT_DIR}"
