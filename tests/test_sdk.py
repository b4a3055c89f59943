"""The official SDKs driving a real datalinks server (tests/sdk, `node --test`).

The Python suite starts `datalinks serve` as a subprocess on the session's test database, then
runs each `tests/sdk/*.test.mjs` file as one pytest test per SDK package in tests/sdk's
package.json (`@membranehq/sdk` and its predecessor `@integration-app/sdk`, which code written
before the rename still uses). This is the compatibility check that matters most: each SDK's
own request building, query encoding, token minting and error typing against our HTTP
surface, with no Python client in between.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.live import LiveServer
from tests.support.node import node_version, npm_ci_if_stale

# Every test here runs an SDK under Node.js (and is `live` by its use of live_server).
pytestmark = pytest.mark.node

SDK_DIR = Path(__file__).resolve().parent / "sdk"
SDK_TEST_FILES = sorted(SDK_DIR.glob("*.test.mjs"))
# Every file runs once per SDK; lib.mjs picks the package from DATALINKS_SDK_PACKAGE. (The
# other dependencies, such as jsonwebtoken for the docs' token recipe, are helpers.)
SDK_PACKAGES = sorted(
    name
    for name in json.loads((SDK_DIR / "package.json").read_text())["dependencies"]
    if name.endswith("/sdk")
)
# `--test-reporter` (needed to read the summary reliably) arrived in Node 18.15.
MIN_NODE = (18, 15)
NODE_TIMEOUT_SECONDS = 300.0
_SUMMARY = re.compile(r"^# (pass|fail|skipped|cancelled|todo) (\d+)$", re.MULTILINE)
_SKIP_REASON = re.compile(r"# SKIP (.+)$", re.MULTILINE)
_TODO = re.compile(r"^\s*(not ok|ok) \d+ - (.+?) # TODO\b ?(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class NodeToolchain:
    node: str


@pytest.fixture(scope="session")
def node_toolchain() -> NodeToolchain:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("the official-SDK tests need Node.js 18.15+ and npm on PATH")
    version = node_version(node)
    if version < MIN_NODE:
        pytest.skip(f"the official-SDK tests need Node.js 18.15+, found {version}")
    npm_ci_if_stale(npm, SDK_DIR)
    return NodeToolchain(node=node)


def _summary(output: str) -> dict[str, int]:
    return {name: int(count) for name, count in _SUMMARY.findall(output)}


@pytest.mark.parametrize("test_file", SDK_TEST_FILES, ids=lambda path: path.stem)
@pytest.mark.parametrize("package", SDK_PACKAGES)
def test_sdk(
    package: str, test_file: Path, node_toolchain: NodeToolchain, live_server: LiveServer
) -> None:
    where = f"{test_file.name} on {package}"
    log_offset = live_server.log_size()
    result = subprocess.run(
        [node_toolchain.node, "--test", "--test-reporter=tap", test_file.name],
        cwd=SDK_DIR,
        env={**live_server.env(), "DATALINKS_SDK_PACKAGE": package},
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_SECONDS,
    )
    output = f"{result.stdout}\n{result.stderr}"
    # The server logs warnings and errors only (tracebacks of 500s among them): what it said
    # while this file ran is the other half of a failure.
    assert result.returncode == 0, (
        f"node --test {where} failed:\n{output}\n"
        f"--- datalinks serve log while it ran ---\n{live_server.log_since(log_offset)}"
    )
    # `todo` tests document known gaps against the contract: their failures do not fail the
    # file, but they are listed in the warnings summary, as is one that started to pass.
    for status, name, reason in _TODO.findall(output):
        if status == "ok":
            message = f"{where}: todo test now passes, drop its todo mark: {name}"
        else:
            message = f"{where}: known gap still open: {name} ({reason})"
        warnings.warn(message, stacklevel=1)
    counts = _summary(output)
    skipped = counts.get("skipped", 0)
    if not skipped:
        return
    reasons = "; ".join(sorted(set(_SKIP_REASON.findall(output))))
    # A file whose every test was skipped (its routes are not there yet) shows as skipped;
    # a partly skipped one passes, but says so in the warnings summary.
    if not counts.get("pass", 0):
        pytest.skip(f"{where}: all tests skipped ({reasons})")
    warnings.warn(f"{where}: {skipped} test(s) skipped ({reasons})", stacklevel=1)
