"""Every benchmark of the performance issue, each as a ratio to a reference run in the same go.

Run by hand through `bench/run` (never in the test suite). It creates a database of its own on
the PostgreSQL at --database-url, starts datalinks and the references itself, and prints one
Markdown report (also written to --out):

- HTTP link upsert and find vs a bare FastAPI app running the very same SQL statement through a
  psycopg pool (bench/reference_app.py), with 1 and 2 uvicorn workers each, 32 connections
  from wrk; the bare app's constant JSON endpoint (framework ceiling) and pgbench running the
  same statement (database ceiling) beside them;
- bulk: batch upsert (1,000 per call) and NDJSON import vs raw COPY + one INSERT … ON CONFLICT;
- find latency in a table of 10,000 links vs one of --big links (10,000,000 by default);
- the server's RSS while it streams an export of --export-links links;
- a py-spy profile of the service under the link load (when py-spy is installed).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import io
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import psycopg

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from profile_summary import summarise  # noqa: E402

from datalinks.data_links import statements as link_statements  # noqa: E402

WRK_THREADS = 2
VARIANT = (True, True, "table_key")
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


# ---------------------------------------------------------------------------------- results


@dataclass
class Http:
    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(match.group(1)) * UNITS_MS[match.group(2)]


def wrk(name: str, url: str, env: dict[str, str], seconds: int, connections: int) -> Http:
    command = [
        "wrk",
        f"-t{min(WRK_THREADS, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "load.lua"),
        url,
    ]
    out = subprocess.run(
        command,
        env={**os.environ, **env, "DL_THREADS": str(min(WRK_THREADS, connections))},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if not done:
        raise SystemExit(f"wrk said:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.MULTILINE))
    result = Http(
        name,
        int(done.group(1)),
        int(errors.group(1)) if errors else 0,
        _ms(done.group(2) + done.group(3)) / 1000,
        _ms(latency["50"]),
        _ms(latency["99"]),
    )
    note = f" socket errors: {socket_errors.group(1)}" if socket_errors else ""
    print(
        f"  {name:<34} {result.rate:>8.0f} req/s  p50 {result.p50_ms:7.2f} ms  "
        f"p99 {result.p99_ms:7.2f} ms  non-2xx {result.errors}{note}",
        flush=True,
    )
    return result


def combined(runs: list[Http]) -> Http:
    """Two runs of one side as one figure: their total rate, the mean of their percentiles."""
    return Http(
        runs[0].name,
        sum(r.requests for r in runs),
        sum(r.errors for r in runs),
        sum(r.seconds for r in runs),
        sum(r.p50_ms for r in runs) / len(runs),
        sum(r.p99_ms for r in runs) / len(runs),
    )


# ------------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in {seconds} s")


@contextmanager
def process(command: list[str], env: dict[str, str], ready: str) -> Iterator[int]:
    """Run a server until the block ends; yields its pid."""
    log = tempfile.NamedTemporaryFile(prefix="bench-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        command, env={**os.environ, **env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_http(ready, proc)
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def rss_kb(root_pid: int) -> int:
    """Resident memory of a process and its children (uvicorn's workers), in KiB."""
    total = 0
    pids = [root_pid]
    children = Path(f"/proc/{root_pid}/task/{root_pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) if match else 0
    return total


# ---------------------------------------------------------------------------------- fixture


@dataclass
class World:
    """One workspace, table and connection, and the instances the phases use."""

    base_url: str
    database_url: str
    key: str
    secret: str
    table_key: str
    connection_id: str
    workspace_id: str = ""
    customer_id: str = ""

    def token(self, **claims: object) -> str:
        now = int(time.time())
        body = {"iss": self.key, "iat": now, "exp": now + 6 * 3600, **claims}
        return jwt.encode(body, self.secret, algorithm="HS256")

    @property
    def customer_token(self) -> str:
        return self.token(id="bench-customer")

    def selector(self, instance_key: str | None = None) -> str:
        query = f"dataLinkTableKey={self.table_key}&connectionId={self.connection_id}"
        if instance_key:
            query += f"&instanceKey={instance_key}"
        return query + "&autoCreate=true"

    def instance_id(self, instance_key: str | None = None) -> str:
        headers = {"Authorization": f"Bearer {self.customer_token}"}
        url = f"{self.base_url}/data-link-table-instance?{self.selector(instance_key)}"
        response = httpx.get(url, headers=headers, timeout=30)
        response.raise_for_status()
        return str(response.json()["id"])

    def guard(self, instance_id: str) -> dict[str, str | None]:
        return {
            "guard_instance_id": instance_id,
            "guard_workspace_id": self.workspace_id,
            "guard_customer_id": self.customer_id,
            "guard_table": self.table_key,
            "guard_connection_id": self.connection_id,
            "guard_instance_key": None,
        }


def build_world(base_url: str, database_url: str, key: str, secret: str) -> World:
    world = World(base_url, database_url, key, secret, "", "")
    admin = {"Authorization": f"Bearer {world.token(isAdmin=True)}"}
    customer = {"Authorization": f"Bearer {world.customer_token}"}
    suffix = uuid.uuid4().hex[:6]
    with httpx.Client(base_url=base_url, timeout=30) as client:
        client.post("/integrations", json={"key": f"crm-{suffix}"}, headers=admin)
        table = client.post("/data-link-tables", json={"key": f"t-{suffix}"}, headers=admin)
        table.raise_for_status()
        connection = client.post(
            "/connections", json={"integrationKey": f"crm-{suffix}"}, headers=customer
        )
        connection.raise_for_status()
    world.table_key = table.json()["key"]
    world.connection_id = connection.json()["id"]
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT c.workspace_id, c.id FROM customers c JOIN workspaces w "
            "ON w.id = c.workspace_id WHERE w.key = %s AND c.internal_id = 'bench-customer'",
            (key,),
        ).fetchone()
    assert row is not None
    world.workspace_id, world.customer_id = row
    return world


def fill(database_url: str, instance_id: str, count: int, prefix: str = "") -> float:
    """Insert links ext-N/app-N (N < count) straight into the table; seconds taken."""
    started = time.monotonic()
    chunk = 1_000_000
    with psycopg.connect(database_url, autocommit=True) as conn:
        for first in range(0, count, chunk):
            last = min(count, first + chunk) - 1
            conn.execute(
                "INSERT INTO data_links (data_link_table_instance_id, direction, "
                "external_record_id, app_record_id) SELECT %s, 'import', %s || 'ext-' || g, "
                "%s || 'app-' || g FROM generate_series(%s::bigint, %s::bigint) g "
                "ON CONFLICT DO NOTHING",
                (instance_id, prefix, prefix, first, last),
            )
            print(f"    filled {last + 1:,} of {count:,}", flush=True)
        conn.execute("VACUUM ANALYZE data_links")
    return time.monotonic() - started


# ---------------------------------------------------------------------------------- phases


def link_env(world: World, phase: str, links: int, path: str, token: str | None) -> dict[str, str]:
    return {
        "DL_PHASE": phase,
        "DL_LINKS": str(links),
        "DL_PATH": path,
        "DL_TOKEN": token or "",
        "DL_WRAP": "1",
    }


def serve_env(world: World, workers: int, pool_size: int) -> dict[str, str]:
    # The reference gets the same pool size per worker as each of datalinks' pools.
    return {
        "DATABASE_URL": world.database_url,
        "DATALINKS_WORKSPACE_KEY": world.key,
        "DATALINKS_WORKSPACE_SECRET": world.secret,
        "DATALINKS_LOG_LEVEL": "warning",
        "DATALINKS_WORKERS": str(workers),
        "DATALINKS_DB_POOL_SIZE": str(pool_size),
    }


def http_phase(
    world: World, instance_id: str, links: int, workers: int, args: argparse.Namespace
) -> dict[str, Http]:
    """Service and reference side by side, each phase back to back, same wrk settings."""
    results: dict[str, Http] = {}
    seconds, conns = args.seconds, args.connections
    port, ref_port = free_port(), free_port()
    dl = f"http://127.0.0.1:{port}"
    ref = f"http://127.0.0.1:{ref_port}"
    serve = [sys.executable, "-m", "datalinks", "serve", "--port", str(port)]
    serve += ["--workers", str(workers)]
    ref_cmd = [sys.executable, "-m", "uvicorn", "reference_app:app", "--app-dir", str(BENCH)]
    ref_cmd += ["--port", str(ref_port), "--workers", str(workers), "--log-level", "warning"]
    ref_env = {
        "DATABASE_URL": world.database_url,
        "REF_GUARD": json.dumps(world.guard(instance_id)),
        "REF_POOL_SIZE": str(args.pool_size),
    }
    dl_path = f"/data-link-table-instance/links?{world.selector()}"
    token = world.customer_token
    profile = args.profile_dir and workers == 1 and shutil.which("py-spy")
    with (
        process(serve, serve_env(world, workers, args.pool_size), f"{dl}/ready") as dl_pid,
        process(ref_cmd, ref_env, f"{ref}/json"),
    ):
        print(f"-- {workers} worker(s)", flush=True)
        results["json"] = wrk("bare FastAPI GET /json", ref, {"DL_PHASE": "json"}, seconds, conns)
        for phase in ("upsert", "find"):
            # A B B A: whatever drifts during the runs (autovacuum after the updates, a
            # checkpoint, the cache warming) falls on both sides alike.
            runs: dict[str, list[Http]] = {"ref": [], "dl": []}
            # Unmeasured warm-up of each side: pools filled, caches and plans warm.
            wrk("(warm-up) reference", ref, link_env(world, phase, links, "/links", None), 3, conns)
            wrk("(warm-up) datalinks", dl, link_env(world, phase, links, dl_path, token), 3, conns)
            for side in ("ref", "dl", "dl", "ref"):
                if side == "ref":
                    env = link_env(world, phase, links, "/links", None)
                    runs[side].append(wrk(f"reference {phase}", ref, env, seconds, conns))
                else:
                    env = link_env(world, phase, links, dl_path, token)
                    runs[side].append(wrk(f"datalinks {phase}", dl, env, seconds, conns))
            results[f"ref_{phase}"] = combined(runs["ref"])
            results[f"dl_{phase}"] = combined(runs["dl"])
        if profile:
            # After the measured runs, never during them: the sampler takes CPU of its own.
            out = Path(args.profile_dir) / "after.collapsed"
            spy = subprocess.Popen(
                [
                    *("py-spy", "record", "-p", str(dl_pid), "-r", "200", "--format", "raw"),
                    *("--nonblocking", "-o", str(out), "-d", str(2 * seconds + 1)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for phase in ("upsert", "find"):
                env = link_env(world, phase, links, dl_path, token)
                wrk(f"(profiled) datalinks {phase}", dl, env, seconds, conns)
            spy.wait()
    return results


def pgbench_phase(
    world: World, instance_id: str, links: int, args: argparse.Namespace
) -> dict[str, float]:
    """The same two statements straight from pgbench: what PostgreSQL alone sustains."""
    guard = world.guard(instance_id)

    def literal(name: str) -> str:
        value = guard[name]
        return "NULL" if value is None else f"'{value}'"

    def script(sql: str) -> str:
        for name in guard:
            sql = sql.replace(f"%({name})s", literal(name))
        sql = sql.replace("%(directions)s", "ARRAY['import']")
        sql = sql.replace("%(external_record_ids)s", "ARRAY['ext-' || :n]")
        sql = sql.replace("%(app_record_ids)s", "ARRAY['app-' || :n]")
        sql = sql.replace("%(external_record_id)s", "('ext-' || :n)")
        sql = sql.replace("%(limit)s", "101")
        flat = " ".join(sql.split())
        return f"\\set n random(0, {links - 1})\n{flat};\n"

    statements = {
        "upsert": link_statements.psycopg_sql(link_statements.upsert(VARIANT)),
        "find": link_statements.psycopg_sql(
            link_statements.find(VARIANT, (True, True, False), False)
        ),
    }
    found: dict[str, float] = {}
    pgbench = args.pgbench
    for name, sql in statements.items():
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
            handle.write(script(sql))
        out = subprocess.run(
            [
                *(pgbench, "-n", "-M", "prepared", "-c", str(args.connections), "-j", "2"),
                *("-T", str(args.seconds), "-f", handle.name, world.database_url),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        tps = re.search(r"tps = ([\d.]+)", out)
        assert tps, out
        found[name] = float(tps.group(1))
        print(f"  pgbench {name:<27} {found[name]:>8.0f} tx/s", flush=True)
    return found


def bulk_ceiling(database_url: str, instance_id: str, rows: int) -> float:
    """Rows/s of COPY into a staging table plus one INSERT … ON CONFLICT, from psycopg."""
    started = time.monotonic()
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE staging (external_record_id text, app_record_id text, "
            "direction text) ON COMMIT DROP"
        )
        with cur.copy("COPY staging FROM STDIN") as copy:
            for n in range(rows):
                copy.write_row((f"ceil-ext-{n}", f"ceil-app-{n}", "import"))
        cur.execute(
            "INSERT INTO data_links (data_link_table_instance_id, direction, external_record_id,"
            " app_record_id) SELECT %s, direction, external_record_id, app_record_id FROM "
            "staging ON CONFLICT (data_link_table_instance_id, external_record_hash, "
            "app_record_hash, direction) DO UPDATE SET updated_at = now()",
            (instance_id,),
        )
    return rows / (time.monotonic() - started)


def batch_rate(world: World, instance_key: str, rows: int, clients: int) -> float:
    headers = {"Authorization": f"Bearer {world.customer_token}"}
    url = f"{world.base_url}/data-link-table-instance/links/batch?{world.selector(instance_key)}"
    bodies = [
        json.dumps(
            {
                "links": [
                    {"externalRecordId": f"b-ext-{n}", "appRecordId": f"b-app-{n}"}
                    | {"direction": "import"}
                    for n in range(first, min(rows, first + 1000))
                ]
            }
        ).encode()
        for first in range(0, rows, 1000)
    ]
    headers["Content-Type"] = "application/json"

    def send(chunk: list[bytes]) -> int:
        with httpx.Client(timeout=120) as client:
            for body in chunk:
                client.post(url, content=body, headers=headers).raise_for_status()
        return len(chunk)

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, [bodies[i::clients] for i in range(clients)]))
    return rows / (time.monotonic() - started)


def import_rate(world: World, instance_key: str, rows: int) -> float:
    headers = {
        "Authorization": f"Bearer {world.customer_token}",
        "Content-Type": "application/x-ndjson",
    }
    url = f"{world.base_url}/data-link-table-instance/links/import?{world.selector(instance_key)}"

    def lines() -> Iterator[bytes]:
        buffer = io.BytesIO()
        for n in range(rows):
            item = {"externalRecordId": f"i-ext-{n}", "appRecordId": f"i-app-{n}"}
            buffer.write(json.dumps(item | {"direction": "import"}).encode() + b"\n")
            if buffer.tell() > 256 * 1024:
                yield buffer.getvalue()
                buffer = io.BytesIO()
        yield buffer.getvalue()

    started = time.monotonic()
    response = httpx.post(url, content=lines(), headers=headers, timeout=600)
    response.raise_for_status()
    elapsed = time.monotonic() - started
    report = response.json()
    assert report.get("created", 0) + report.get("updated", 0) == rows, report
    return rows / elapsed


def export_rss(world: World, instance_key: str, pid: int) -> tuple[int, int, int, float]:
    """(baseline KiB, peak KiB, bytes streamed, seconds) for one export of the instance."""
    url = f"{world.base_url}/data-link-table-instance/links/export?{world.selector(instance_key)}"
    headers = {"Authorization": f"Bearer {world.customer_token}"}
    baseline = rss_kb(pid)
    peak = [baseline]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    size = 0
    started = time.monotonic()
    with httpx.stream("GET", url, headers=headers, timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    return baseline, peak[0], size, elapsed


def find_latency(world: World, instance_key: str, links: int, args: argparse.Namespace) -> Http:
    path = f"/data-link-table-instance/links?{world.selector(instance_key)}"
    env = link_env(world, "find", links, path, world.customer_token)
    env["DL_PREFIX"] = f"{instance_key}-"
    return wrk(
        f"find in {instance_key}", world.base_url, env, args.seconds, args.latency_connections
    )


def scale_phase(args: argparse.Namespace) -> list[str]:
    """Find latency on a database of its own: with 10,000 links in the table, then with
    --big more (another instance) beside them: the same instance and the big one."""
    print(f"-- find latency, 10,000 vs {args.big:,} links in the table", flush=True)
    with (
        fresh_database(args.database_url) as database_url,
        running_world(database_url, args) as (world, _),
    ):
        small = world.instance_id("small")
        fill(database_url, small, 10_000, "small-")
        before = find_latency(world, "small", 10_000, args)
        big = world.instance_id("big")
        fill_seconds = fill(database_url, big, args.big, "big-")
        after = find_latency(world, "small", 10_000, args)
        in_big = find_latency(world, "big", args.big, args)
    rows = [
        f"### Find latency: 10,000 links in the table vs {args.big:,} "
        f"(loaded in {fill_seconds:.0f} s)",
        "",
        f"A database of its own; wrk with {args.latency_connections} connection(s), "
        f"{args.seconds} s, random ids, 1 worker.",
        "",
        "| Table holds | Instance looked in | req/s | p50 | p99 | p50 ratio (≤ 1.5) | p99 ratio |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for holds, where, run in (
        ("10,000 links", "10,000 links", before),
        (f"{args.big + 10_000:,} links", "10,000 links", after),
        (f"{args.big + 10_000:,} links", f"{args.big:,} links", in_big),
    ):
        rows.append(
            f"| {holds} | {where} | {run.rate:,.0f} | {run.p50_ms:.2f} ms | "
            f"{run.p99_ms:.2f} ms | {ratio(run.p50_ms, before.p50_ms)} | "
            f"{ratio(run.p99_ms, before.p99_ms)} |"
        )
    return [*rows, ""]


@contextmanager
def running_world(database_url: str, args: argparse.Namespace) -> Iterator[tuple[World, int]]:
    """A migrated database with one server (1 worker) and a world in it; yields the server pid."""
    subprocess.run(
        [sys.executable, "-m", "datalinks", "migrate"],
        env={**os.environ, "DATABASE_URL": database_url},
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    world = World("", database_url, "bench", secrets.token_urlsafe(24), "", "")
    with serving(world, args) as pid:
        yield build_world(world.base_url, database_url, world.key, world.secret), pid


@contextmanager
def serving(world: World, args: argparse.Namespace) -> Iterator[int]:
    """`datalinks serve` (1 worker) for the world's workspace on a new port; yields its pid."""
    port = free_port()
    world.base_url = f"http://127.0.0.1:{port}"
    serve = [sys.executable, "-m", "datalinks", "serve", "--port", str(port)]
    with process(serve, serve_env(world, 1, args.pool_size), f"{world.base_url}/ready") as pid:
        yield pid


# ---------------------------------------------------------------------------------- driver


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    name = f"datalinks_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--links", type=int, default=100_000, help="links in the HTTP phase")
    parser.add_argument("--seconds", type=int, default=15, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--latency-connections", type=int, default=1)
    parser.add_argument("--workers", default="1,2", help="worker counts to measure")
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--bulk-rows", type=int, default=200_000)
    parser.add_argument("--big", type=int, default=10_000_000, help="links in the big table")
    parser.add_argument("--export-links", type=int, default=1_000_000)
    parser.add_argument("--pgbench", default="pgbench")
    parser.add_argument("--profile-dir", default="")
    parser.add_argument("--out", default="")
    parser.add_argument("--skip", default="", help="comma list of: http,pgbench,bulk,scale,export")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    command = " ".join(["bench/run", *sys.argv[1:]])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    report = [
        f"## bench/run — {datetime.date.today().isoformat()}, commit {commit}",
        "",
        f"- **Machine:** {os.cpu_count()} cores ({cpu}), "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB, "
        f"{platform.platform()}, Python {platform.python_version()}; server, PostgreSQL and "
        "load generator share the machine.",
        f"- **Command:** `{command}`",
        f"- **Load:** wrk, {WRK_THREADS} threads, {args.connections} connections, "
        f"{args.seconds} s per run; DB pool {args.pool_size} per worker for both apps. "
        "Service and reference alternate (reference, datalinks, datalinks, reference); each "
        "figure is the two runs together (total rate, mean of the percentiles), after an "
        "unmeasured 3 s warm-up of each.",
        "",
    ]
    with fresh_database(args.database_url) as database_url:
        with running_world(database_url, args) as (world, _):
            instance_id = world.instance_id()
        print(f"filling {args.links:,} links for the HTTP phase", flush=True)
        fill(database_url, instance_id, args.links)

        if "http" not in skip:
            rows = [
                "### Single links over HTTP vs the same statement in a bare FastAPI app",
                "",
                "| Workers | Operation | datalinks req/s | reference req/s | ratio (≥ 0.5) "
                "| datalinks p99 | reference p99 | p99 ratio (≤ 2) | bare /json req/s |",
                "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for workers in (int(w) for w in args.workers.split(",")):
                found = http_phase(world, instance_id, args.links, workers, args)
                for phase in ("upsert", "find"):
                    d, r = found[f"dl_{phase}"], found[f"ref_{phase}"]
                    rows.append(
                        f"| {workers} | {phase} | {d.rate:,.0f} | {r.rate:,.0f} | "
                        f"{ratio(d.rate, r.rate)} | {d.p99_ms:.1f} ms | {r.p99_ms:.1f} ms | "
                        f"{ratio(d.p99_ms, r.p99_ms)} | {found['json'].rate:,.0f} |"
                    )
                errors = sum(h.errors for h in found.values())
                if errors:
                    rows.append(f"\n**{errors} non-2xx responses with {workers} worker(s).**")
            report += [*rows, ""]

        if "pgbench" not in skip:
            tps = pgbench_phase(world, instance_id, args.links, args)
            report += [
                "### The database ceiling: pgbench running the same statements",
                "",
                f"`pgbench -M prepared -c {args.connections} -j 2 -T {args.seconds}`: "
                f"upsert {tps['upsert']:,.0f} tx/s, find {tps['find']:,.0f} tx/s.",
                "",
            ]

        with serving(world, args) as pid:
            if "bulk" not in skip:
                print("-- bulk", flush=True)
                ceiling_instance = world.instance_id("ceiling")
                ceiling = bulk_ceiling(database_url, ceiling_instance, args.bulk_rows)
                print(f"  raw COPY + upsert: {ceiling:,.0f} rows/s", flush=True)
                batch = batch_rate(world, "batch", args.bulk_rows, 2)
                print(f"  batch over HTTP:   {batch:,.0f} rows/s", flush=True)
                imported = import_rate(world, "import", args.bulk_rows)
                print(f"  import over HTTP:  {imported:,.0f} rows/s", flush=True)
                report += [
                    f"### Bulk: {args.bulk_rows:,} new links vs raw COPY + one upsert",
                    "",
                    "| Path | rows/s | ratio to ceiling (≥ 0.5) |",
                    "|---|---:|---:|",
                    f"| raw COPY + INSERT … ON CONFLICT (psycopg) | {ceiling:,.0f} | 1.00 |",
                    f"| POST …/links/batch, 1,000 per call, 2 clients | {batch:,.0f} | "
                    f"{ratio(batch, ceiling)} |",
                    f"| POST …/links/import, NDJSON, one request | {imported:,.0f} | "
                    f"{ratio(imported, ceiling)} |",
                    "",
                ]
            if "export" not in skip:
                print(f"-- export of {args.export_links:,} links", flush=True)
                export_instance = world.instance_id("export")
                fill(database_url, export_instance, args.export_links, "x")
                base_kb, peak_kb, size, seconds = export_rss(world, "export", pid)
                growth = (peak_kb - base_kb) / 1024
                print(f"  RSS {base_kb // 1024} → {peak_kb // 1024} MiB", flush=True)
                report += [
                    f"### Export of {args.export_links:,} links (NDJSON, streamed)",
                    "",
                    f"{size / 2**20:,.0f} MiB in {seconds:.1f} s "
                    f"({args.export_links / seconds:,.0f} links/s). Server RSS "
                    f"{base_kb / 1024:.0f} MiB before, {peak_kb / 1024:.0f} MiB at peak: "
                    f"**growth {growth:.1f} MiB** (target < 50 MB).",
                    "",
                ]
    if "scale" not in skip:
        report += scale_phase(args)
    if args.profile_dir and (Path(args.profile_dir) / "after.collapsed").exists():
        report += [
            "### Profile of the service under the link load (py-spy, 1 worker)",
            "",
            summarise(str(Path(args.profile_dir) / "after.collapsed"), 12),
            "",
        ]
    text = "\n".join(report)
    print("\n" + text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
