"""`datalinks serve` on its embedded PostgreSQL, stopped and started again: the data is kept and
the private server stops with the process."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from datalinks.core.auth import mint_token
from tests.support.live import free_port, wait_for_ready
from tests.support.marks import LIVE, expect_mark

pytestmark = pytest.mark.live

WORKSPACE_KEY = "restart-ws"
START_TIMEOUT_SECONDS = 90.0


class Server:
    def __init__(self, data_dir: Path, secret: str) -> None:
        expect_mark(LIVE, "starts `datalinks serve` and its embedded PostgreSQL")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("DATALINKS_") and k != "DATABASE_URL"
        }
        env.update(
            DATALINKS_DATA_DIR=str(data_dir),
            DATALINKS_PORT=str(self.port),
            DATALINKS_WORKSPACE_KEY=WORKSPACE_KEY,
            DATALINKS_WORKSPACE_SECRET=secret,
            DATALINKS_LOG_LEVEL="warning",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "datalinks", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self) -> None:
        wait_for_ready(self.process, self.url, START_TIMEOUT_SECONDS)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                return self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        return self.process.returncode


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def test_data_survives_restart(data_dir: Path) -> None:
    secret = secrets.token_urlsafe(32)
    admin = {"Authorization": f"Bearer {mint_token(WORKSPACE_KEY, secret, admin=True)}"}

    first = Server(data_dir, secret)
    try:
        first.wait_ready()
        created = httpx.post(
            f"{first.url}/integrations", json={"name": "Kept"}, headers=admin, timeout=10
        )
        assert created.status_code == 200, created.text
    finally:
        assert first.stop() == 0
    # A clean shutdown stops the embedded PostgreSQL too.
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()

    second = Server(data_dir, secret)
    try:
        second.wait_ready()
        got = httpx.get(f"{second.url}/integrations/kept", headers=admin, timeout=10)
        assert got.status_code == 200, got.text
        assert got.json() == created.json()
    finally:
        # Ctrl-C ends it as cleanly as SIGTERM.
        assert second.stop(signal.SIGINT) == 0
        assert "Traceback" not in second.process.stderr.read()  # type: ignore[union-attr]
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()
