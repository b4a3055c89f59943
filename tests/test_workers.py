"""`datalinks serve` with several worker processes: it answers, and one signal to the parent
stops the workers and then the embedded PostgreSQL, leaving no process behind."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from datalinks.core.auth import mint_token
from datalinks.settings import (
    DEFAULT_CONNECTION_BUDGET,
    POOLS_PER_WORKER,
    Settings,
    available_cores,
)
from tests.support.live import free_port, wait_for_ready
from tests.support.marks import LIVE, expect_mark

WORKSPACE_KEY = "workers-ws"
START_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 60.0


def _env(data_dir: Path, secret: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DATALINKS_") and k != "DATABASE_URL"
    }
    env.update(
        DATALINKS_DATA_DIR=str(data_dir),
        DATALINKS_WORKSPACE_KEY=WORKSPACE_KEY,
        DATALINKS_WORKSPACE_SECRET=secret,
        DATALINKS_LOG_LEVEL="warning",
        **extra,
    )
    return env


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()[0])


def _family(pid: int) -> list[psutil.Process]:
    """A process and everything it started, live now."""
    process = psutil.Process(pid)
    return [process, *process.children(recursive=True)]


def _workers(server: psutil.Process) -> list[psutil.Process]:
    return [
        child for child in server.children() if "multiprocessing.spawn" in " ".join(child.cmdline())
    ]


def _gone(processes: list[psutil.Process]) -> list[psutil.Process]:
    _, alive = psutil.wait_procs(processes, timeout=10)
    return alive


def _serve(
    data_dir: Path, secret: str, *args: str, **env: str
) -> tuple[subprocess.Popen[str], str]:
    expect_mark(LIVE, "starts `datalinks serve` and its embedded PostgreSQL")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "datalinks", "serve", "--port", str(port), *args],
        env=_env(data_dir, secret, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, f"http://127.0.0.1:{port}"


def _stop(process: subprocess.Popen[str], sig: int) -> tuple[int, str, str]:
    process.send_signal(sig)
    try:
        out, err = process.communicate(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return process.returncode, out, err


def _kill_all(processes: list[psutil.Process]) -> None:
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


@pytest.mark.live
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_two_workers_answer_and_stop_with_the_embedded_server(tmp_path: Path, sig: int) -> None:
    data_dir = tmp_path / "data"
    secret = secrets.token_urlsafe(32)
    admin = {"Authorization": f"Bearer {mint_token(WORKSPACE_KEY, secret, admin=True)}"}
    process, url = _serve(data_dir, secret, "--workers", "2")
    started: list[psutil.Process] = []
    try:
        wait_for_ready(process, url, START_TIMEOUT_SECONDS)
        server = psutil.Process(process.pid)
        assert len(_workers(server)) == 2
        started = _family(process.pid) + _family(_postmaster_pid(data_dir))

        # Writes and reads spread over both workers (the kernel hands connections to either);
        # each worker keeps its own pool and caches, the database is the one truth.
        def create(n: int) -> int:
            body = {"name": f"Integration {n}"}
            with httpx.Client(base_url=url, headers=admin, timeout=15) as client:
                return client.post("/integrations", json=body).status_code

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(create, range(24))) == [200] * 24
        listed = httpx.get(f"{url}/integrations?limit=100", headers=admin, timeout=15)
        assert listed.status_code == 200, listed.text
        assert len(listed.json()["items"]) == 24

        code, out, err = _stop(process, sig)
        assert code == 0, err
        assert "2 workers" in out
        assert "Traceback" not in err, err
        # Workers, multiprocessing's helper, the postmaster and its backends: all gone.
        assert _gone(started) == []
        assert not (data_dir / "pgdata" / "postmaster.pid").exists()
    finally:
        if process.poll() is None:
            process.kill()
        _kill_all(started)


@pytest.mark.live
def test_one_worker_serves_in_its_own_process(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    secret = secrets.token_urlsafe(32)
    process, url = _serve(data_dir, secret, DATALINKS_WORKERS="1")
    started: list[psutil.Process] = []
    try:
        wait_for_ready(process, url, START_TIMEOUT_SECONDS)
        assert _workers(psutil.Process(process.pid)) == []
        started = _family(process.pid) + _family(_postmaster_pid(data_dir))
        assert httpx.get(f"{url}/health", timeout=5).status_code == 200
        code, out, err = _stop(process, signal.SIGTERM)
        assert code == 0, err
        assert "1 worker," in out
        assert _gone(started) == []
        assert not (data_dir / "pgdata" / "postmaster.pid").exists()
    finally:
        if process.poll() is None:
            process.kill()
        _kill_all(started)


@pytest.mark.live
def test_worker_count_must_be_positive(tmp_path: Path) -> None:
    expect_mark(LIVE, "runs `datalinks serve` as a process of its own")
    for value in ("0", "-1", "many"):
        result = subprocess.run(
            [sys.executable, "-m", "datalinks", "serve", "--workers", value],
            env=_env(tmp_path / "data", "s" * 40),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2 and "workers" in result.stderr, result.stderr
    # The environment's value is checked as strictly.
    result = subprocess.run(
        [sys.executable, "-m", "datalinks", "serve"],
        env=_env(tmp_path / "data", "s" * 40, DATALINKS_WORKERS="0"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "workers" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()


def test_default_workers_follow_the_usable_cores() -> None:
    assert available_cores() == len(os.sched_getaffinity(0))
    assert Settings(workers=None).worker_count == available_cores()
    assert Settings(workers=3).worker_count == 3


def test_default_pools_stay_within_the_connection_budget() -> None:
    for workers in range(1, 65):
        settings = Settings(workers=workers)
        assert 2 <= settings.pool_size <= 10
        assert settings.pool_max_overflow == settings.pool_size
        # The ORM pool, its overflow and the hot path's pool, in every worker.
        total = workers * (2 * settings.pool_size + settings.pool_size)
        # Within the budget while a worker's share is above the floor of 2 per pool.
        assert total <= max(DEFAULT_CONNECTION_BUDGET, 2 * POOLS_PER_WORKER * workers), workers
    assert Settings(workers=1).pool_size == 10
    assert Settings(workers=2).pool_size == 6
    assert Settings(workers=4).pool_size == 3
    assert Settings(workers=16).pool_size == 2
    # An operator's numbers win.
    chosen = Settings(workers=8, db_pool_size=7, db_max_overflow=0)
    assert (chosen.pool_size, chosen.pool_max_overflow) == (7, 0)


@pytest.mark.live
def test_workers_keep_serving_while_the_database_is_unreachable(tmp_path: Path) -> None:
    """The workers' database is unreachable (the parent's check passed, say, and then the
    server went away): the workers start anyway, say so on /ready, and stop cleanly; they need
    the database for requests only, so a worker uvicorn restarts during an outage comes up."""
    expect_mark(LIVE, "starts a server with two workers")
    script = tmp_path / "serve_unreachable.py"
    port = free_port()
    # A file, not `-c`: spawned workers import the parent's main module by its path.
    script.write_text(
        "import sys\n"
        "from datalinks.cli import _serve_workers\n"
        "from datalinks.settings import Settings\n"
        "if __name__ == '__main__':\n"
        "    url = 'postgresql://postgres@127.0.0.1:1/unreachable'\n"
        f"    sys.exit(_serve_workers(Settings(database_url=url, port={port}), 2))\n"
    )
    env = _env(tmp_path / "data", "s" * 40)
    process = subprocess.Popen(
        [sys.executable, str(script)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(httpx.TransportError):
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            time.sleep(0.2)
        assert health is not None and health.status_code == 200, process.poll()
        ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=10)
        assert ready.status_code == 503, ready.text
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
