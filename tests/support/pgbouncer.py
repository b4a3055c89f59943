"""Run tests through a real PgBouncer in transaction pooling mode.

    .venv/bin/python -m tests.support.pgbouncer [PYTEST ARGS...] [TESTS...]

Starts a PgBouncer of its own (Debian's `pgbouncer`, config in a temporary directory, a free
port on 127.0.0.1) in front of DATABASE_URL's server, or of an embedded PostgreSQL when
DATABASE_URL is unset, then runs pytest with DATABASE_URL pointing at PgBouncer and
DATALINKS_DB_PGBOUNCER=true, and stops both afterwards. Unless the arguments name tests, it
runs the link tests, tests/test_pgbouncer.py and the SDK tests (which drive a real
`datalinks serve`, with several workers, through it).

PgBouncer's `* =` fallback database sends any database name to the server, so the suite's
per-run `CREATE DATABASE` (autocommit, outside any transaction) works through it as well.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from tests.support.live import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TESTS = (
    *sorted(str(path.relative_to(REPO_ROOT)) for path in REPO_ROOT.glob("tests/test_link*.py")),
    "tests/test_hot_path.py",
    "tests/test_pgbouncer.py",
    "tests/test_sdk.py",
)
START_TIMEOUT_SECONDS = 30.0
# Server connections per (database, user): enough for the race tests' parallel transactions
# and a live server's workers, well under max_connections of a server other runs share.
POOL_SIZE = 30


@dataclass(frozen=True)
class Upstream:
    host: str
    port: int
    user: str


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if found is None:
        raise SystemExit("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    return found


def upstream_of(url: str) -> Upstream:
    """Where PgBouncer should connect: a TCP host, or a unix socket directory."""
    parsed = make_url(url)
    socket_dir = parsed.query.get("host")
    if isinstance(socket_dir, tuple):
        socket_dir = socket_dir[0]
    host = parsed.host or socket_dir or "127.0.0.1"
    return Upstream(host=host, port=parsed.port or 5432, user=parsed.username or "postgres")


def _socket_owner(upstream: Upstream) -> str | None:
    if not upstream.host.startswith("/"):
        return None
    return pwd.getpwuid(os.stat(upstream.host).st_uid).pw_name


def config(directory: Path, upstream: Upstream, port: int) -> str:
    return f"""\
[databases]
* = host={upstream.host} port={upstream.port}

[pgbouncer]
pool_mode = transaction
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory / "userlist.txt"}
admin_users = {upstream.user}
default_pool_size = {POOL_SIZE}
max_client_conn = 1000
logfile = {directory / "pgbouncer.log"}
pidfile = {directory / "pgbouncer.pid"}
"""


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"pgbouncer exited with {process.returncode}:\n{_read(log)}")
        try:
            with psycopg.connect(url, connect_timeout=2, autocommit=True) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            time.sleep(0.2)
    raise SystemExit(f"pgbouncer did not answer in {START_TIMEOUT_SECONDS:.0f} s:\n{_read(log)}")


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@dataclass(frozen=True)
class PgBouncer:
    url: str
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(_read(self.log).splitlines()[-lines:])


@contextmanager
def running_pgbouncer(server_url: str) -> Iterator[PgBouncer]:
    """A transaction-pooling PgBouncer in front of `server_url`."""
    upstream = upstream_of(server_url)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="dl-pgbouncer-") as tmp:
        directory = Path(tmp)
        (directory / "userlist.txt").write_text(f'"{upstream.user}" ""\n')
        ini = directory / "pgbouncer.ini"
        ini.write_text(config(directory, upstream, port))
        # Its log goes to the file (shown when the tests fail).
        command = [pgbouncer_binary()]
        if os.geteuid() == 0:
            # PgBouncer refuses to run as root: run it as the user that owns the server's
            # unix socket directory (the embedded server's own user), or as Debian's postgres.
            user = _socket_owner(upstream) or "postgres"
            shutil.chown(directory, user)
            for path in directory.iterdir():
                shutil.chown(path, user)
            command += ["-u", user]
        log = directory / "pgbouncer.log"
        process = subprocess.Popen(
            [*command, str(ini)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"postgresql://{upstream.user}@127.0.0.1:{port}/postgres"
        try:
            _wait_until_up(url, process, log)
            yield PgBouncer(url, log)
            _print_stats(url)
        finally:
            # SIGTERM: immediate shutdown (the tests are over; nothing is worth waiting for).
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _print_stats(url: str) -> None:
    """What went through PgBouncer, from its admin console (which speaks only the simple
    query protocol, hence the raw libpq call)."""
    admin = make_url(url).set(database="pgbouncer").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        result = conn.pgconn.exec_(b"SHOW TOTALS")
        totals = {
            (result.get_value(row, 0) or b"").decode(): (result.get_value(row, 1) or b"").decode()
            for row in range(result.ntuples)
        }
    print(
        f"pgbouncer (pool_mode=transaction) carried {totals.get('total_xact_count', '?')} "
        f"transactions and {totals.get('total_query_count', '?')} queries",
        flush=True,
    )


@contextmanager
def upstream_server() -> Iterator[str]:
    """DATABASE_URL's server, or a private embedded one for this run."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    from datalinks.db.embedded import start_embedded

    with tempfile.TemporaryDirectory(prefix="dl-pgbouncer-upstream-") as tmp:
        url, server = start_embedded(Path(tmp) / "pg")
        try:
            yield url
        finally:
            server.cleanup()


def with_default_tests(pytest_args: list[str]) -> list[str]:
    """The arguments as given if they name tests, else with the default tests added (so that
    `-q` or `-x` alone still runs those)."""
    names_tests = any((REPO_ROOT / arg.split("::")[0]).exists() for arg in pytest_args)
    return pytest_args if names_tests else [*pytest_args, *DEFAULT_TESTS]


def run(pytest_args: list[str], environ: Mapping[str, str]) -> int:
    with upstream_server() as server_url, running_pgbouncer(server_url) as pgbouncer:
        env = {**environ, "DATABASE_URL": pgbouncer.url, "DATALINKS_DB_PGBOUNCER": "true"}
        env.pop("DATALINKS_DATABASE_URL", None)
        print(f"== tests through PgBouncer at {pgbouncer.url} ==", flush=True)
        code = subprocess.call(
            [sys.executable, "-m", "pytest", *with_default_tests(pytest_args)],
            cwd=REPO_ROOT,
            env=env,
        )
        if code != 0:
            print(f"-- the end of PgBouncer's log --\n{pgbouncer.log_tail()}", flush=True)
        return code


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:], os.environ))
