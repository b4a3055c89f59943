"""Link benchmark: load N links through the API, then measure upsert, find and delete rates.

Run by hand (never in the test suite); needs `wrk` (Debian: apt-get install wrk):

    .venv/bin/python bench/links.py --links 100000 --concurrency 32 --seconds 20

It starts its own server (`python -m datalinks serve`) on a fresh database of the PostgreSQL
at --database-url (default: the machine's 127.0.0.1:5432), or drives --url when given (then
--workspace-key/--workspace-secret must name a workspace of that server). Requests come from
wrk (bench/links.lua), a C load generator, so the client costs little of the CPU the server
shares with it; the load is --concurrency connections over 2 wrk threads.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import jwt
import psycopg

WRK_THREADS = 2
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    def line(self) -> str:
        rate = self.requests / self.seconds if self.seconds else 0.0
        return (
            f"{self.name:<22} {rate:>9.0f} req/s  p50 {self.p50_ms:>7.2f} ms  "
            f"p99 {self.p99_ms:>7.2f} ms  ({self.requests} requests, {self.errors} non-2xx, "
            f"{self.seconds:.1f} s)"
        )


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(match.group(1)) * UNITS_MS[match.group(2)]


def parse_wrk(name: str, output: str) -> Result:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if not done:
        raise SystemExit(f"wrk said:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.MULTILINE))
    if socket_errors:
        print(f"  {name}: socket errors: {socket_errors.group(1)}")
    return Result(
        name,
        int(done.group(1)),
        int(errors.group(1)) if errors else 0,
        _ms(done.group(2) + done.group(3)) / 1000,
        _ms(latency["50"]),
        _ms(latency["99"]),
    )


def run_wrk(name: str, base: str, env: dict[str, str], seconds: float, concurrency: int) -> Result:
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        os.path.join(ROOT, "bench", "links.lua"),
        base,
    ]
    output = subprocess.run(
        command,
        env={**os.environ, **env, "DL_THREADS": str(WRK_THREADS)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return parse_wrk(name, output)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def own_server(database_url: str) -> Iterator[tuple[str, str, str]]:
    name = f"datalinks_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = database_url.rsplit("/", 1)[0] + f"/{name}"
    key, secret, port = "bench", secrets.token_urlsafe(24), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DATALINKS_WORKSPACE_KEY": key,
        "DATALINKS_WORKSPACE_SECRET": secret,
        "DATALINKS_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "datalinks", "serve", "--port", str(port)], env=env, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise SystemExit("server did not become ready")
        yield base, key, secret
    finally:
        server.terminate()
        server.wait(15)
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench(base: str, key: str, secret: str, args: argparse.Namespace) -> list[Result]:
    def token(**claims: object) -> str:
        now = int(time.time())
        return jwt.encode({"iss": key, "exp": now + 7200, **claims}, secret, algorithm="HS256")

    admin = {"Authorization": f"Bearer {token(isAdmin=True)}"}
    customer_token = token(id="bench-customer")
    customer = {"Authorization": f"Bearer {customer_token}"}
    with httpx.Client(base_url=base, timeout=30) as client:
        suffix = uuid.uuid4().hex[:6]
        client.post("/integrations", json={"key": f"crm-{suffix}"}, headers=admin)
        table = client.post("/data-link-tables", json={"key": f"t-{suffix}"}, headers=admin).json()
        conn = client.post(
            "/connections", json={"integrationKey": f"crm-{suffix}"}, headers=customer
        ).json()
        selector = f"dataLinkTableKey={table['key']}&connectionId={conn['id']}&autoCreate=true"
        client.get(f"/data-link-table-instance?{selector}", headers=customer).raise_for_status()

        def env(phase: str, links: int, offset: int = 0, wrap: bool = False) -> dict[str, str]:
            return {
                "DL_PHASE": phase,
                "DL_LINKS": str(links),
                "DL_OFFSET": str(offset),
                "DL_WRAP": "1" if wrap else "0",
                "DL_TOKEN": customer_token,
                "DL_SELECTOR": selector,
            }

        # wrk runs for a time, not a count: load in windows until N new ids were sent.
        loaded, windows = 0, []
        while loaded < args.links:
            window = run_wrk("load", base, env("upsert", args.links, loaded), 10, args.concurrency)
            windows.append(window)
            loaded += window.requests
        total_seconds = sum(w.seconds for w in windows)
        results = [
            Result(
                f"load {loaded} links",
                loaded,
                sum(w.errors for w in windows),
                total_seconds,
                statistics.median(w.p50_ms for w in windows),
                max(w.p99_ms for w in windows),
            )
        ]
        n = args.links
        c, d = args.concurrency, args.seconds
        results.append(run_wrk("upsert (existing)", base, env("upsert", n, wrap=True), d, c))
        results.append(run_wrk("find by externalId", base, env("find_external", n), d, c))
        results.append(run_wrk("find by appId", base, env("find_app", n), d, c))
        results.append(run_wrk("delete", base, env("delete", n), d, c))
        return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each timed phase")
    parser.add_argument("--url", help="drive this running server instead of starting one")
    parser.add_argument("--workspace-key")
    parser.add_argument("--workspace-secret")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    python = platform.python_version()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {python}")
    print(f"command: {' '.join(sys.argv)}")
    if args.url:
        results = bench(args.url, args.workspace_key, args.workspace_secret, args)
    else:
        with own_server(args.database_url) as (base, key, secret):
            results = bench(base, key, secret, args)
    for result in results:
        print(result.line())
    if any(r.errors for r in results):
        raise SystemExit("some requests failed")


if __name__ == "__main__":
    main()
