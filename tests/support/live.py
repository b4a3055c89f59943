"""A real `datalinks serve` subprocess for tests that must cross a socket.

The SDK tests, generated clients, curl recipes, browser tests and fault tests all need the
service as users run it: the installed CLI, a TCP port, its own workspace from the environment.
`start_live_server` is the one way they start it.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.marks import LIVE, expect_mark

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 60.0
# The installed CLI of this very checkout, in this interpreter (the venv `./dev test` uses).
SERVE = (sys.executable, "-m", "datalinks", "serve")


@dataclass(frozen=True)
class LiveServer:
    url: str
    workspace_key: str
    workspace_secret: str = field(repr=False)
    log_path: Path = field(repr=False)
    process: subprocess.Popen[str] = field(repr=False)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATALINKS_URL": self.url,
            "DATALINKS_WORKSPACE_KEY": self.workspace_key,
            "DATALINKS_WORKSPACE_SECRET": self.workspace_secret,
        }

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log_path.open(encoding="utf-8", errors="replace") as log:
            log.seek(offset)
            return log.read()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(server: LiveServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"datalinks serve exited with {server.process.returncode} before it was ready:\n"
                f"{server.log_since(0)}"
            )
        try:
            if httpx.get(f"{server.url}/ready", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.2)
    pytest.fail(
        f"datalinks serve was not ready in {READY_TIMEOUT_SECONDS:.0f} s:\n{server.log_since(0)}"
    )


def wait_for_ready(process: subprocess.Popen[str], url: str, timeout: float) -> None:
    """Until `url`/ready answers 200; the server's stderr (a pipe) is read only once it has
    exited, since reading a running process's pipe would block."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stderr.read()}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server never became ready")


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


@contextmanager
def start_live_server(
    database_url: str,
    log_dir: Path,
    *,
    extra_env: Mapping[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> Iterator[LiveServer]:
    """`datalinks serve` on `database_url` with a fresh workspace of its own."""
    expect_mark(LIVE, "starts `datalinks serve`")
    port = free_port()
    key = f"live-{secrets.token_hex(5)}"
    secret = secrets.token_urlsafe(32)
    log_path = log_dir / f"server-{port}.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATALINKS_WORKSPACE_KEY": key,
        "DATALINKS_WORKSPACE_SECRET": secret,
        "DATALINKS_LOG_LEVEL": "warning",
        **(extra_env or {}),
    }
    # DATALINKS_DATABASE_URL would win over DATABASE_URL and point the server elsewhere.
    env.pop("DATALINKS_DATABASE_URL", None)
    # A file, not a pipe: nobody reads the server's output while tests run, and a full pipe
    # would block the server. Append mode, so reading it from here never moves its writes.
    with log_path.open("a", encoding="utf-8") as log:
        process = subprocess.Popen(
            [*SERVE, "--host", "127.0.0.1", "--port", f"{port}", *args],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    server = LiveServer(
        url=f"http://127.0.0.1:{port}",
        workspace_key=key,
        workspace_secret=secret,
        log_path=log_path,
        process=process,
    )
    try:
        _wait_ready(server)
        yield server
    finally:
        stop(process)
