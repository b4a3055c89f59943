"""Link benchmark: load N links through the API, then measure upsert, find and delete rates.

Run by hand (never in the test suite):

    .venv/bin/python bench/links.py --links 100000 --concurrency 32 --seconds 20

It starts its own server (`python -m datalinks serve`) on a fresh database of the PostgreSQL
at --database-url (default: the machine's 127.0.0.1:5432), or drives --url when given (then
--workspace-key/--workspace-secret must name a workspace of that server). The load generator
is an async httpx client with --concurrency workers sharing the same machine as the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import jwt
import psycopg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    def line(self) -> str:
        ordered = sorted(self.latencies) or [0.0]
        p50 = ordered[len(ordered) // 2] * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        rate = self.requests / self.seconds if self.seconds else 0.0
        return (
            f"{self.name:<22} {rate:>9.0f} req/s  p50 {p50:>7.2f} ms  p99 {p99:>7.2f} ms  "
            f"({self.requests} requests, {self.errors} errors, {self.seconds:.1f} s)"
        )


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


async def run_phase(
    name: str,
    concurrency: int,
    make_request: Callable[[int], Awaitable[httpx.Response]],
    *,
    total: int | None = None,
    seconds: float | None = None,
) -> Result:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total if total is not None else 10**12))
    stop_at = time.perf_counter() + seconds if seconds else None

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            if stop_at and time.perf_counter() > stop_at:
                return
            started = time.perf_counter()
            response = await make_request(i)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 300:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(name, len(latencies), errors, time.perf_counter() - started, latencies)


async def bench(base: str, key: str, secret: str, args: argparse.Namespace) -> list[Result]:
    def token(**claims: object) -> str:
        now = int(time.time())
        return jwt.encode({"iss": key, "exp": now + 7200, **claims}, secret, algorithm="HS256")

    admin = {"Authorization": f"Bearer {token(isAdmin=True)}"}
    customer = {"Authorization": f"Bearer {token(id='bench-customer')}"}
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        suffix = uuid.uuid4().hex[:6]
        await client.post("/integrations", json={"key": f"crm-{suffix}"}, headers=admin)
        table = (
            await client.post("/data-link-tables", json={"key": f"t-{suffix}"}, headers=admin)
        ).json()
        conn = (
            await client.post(
                "/connections", json={"integrationKey": f"crm-{suffix}"}, headers=customer
            )
        ).json()
        selector = {
            "dataLinkTableKey": table["key"],
            "connectionId": conn["id"],
            "autoCreate": "true",
        }
        path = "/data-link-table-instance/links"

        def upsert(i: int) -> Awaitable[httpx.Response]:
            n = i % args.links
            body = {
                "externalRecordId": f"ext-{n}",
                "appRecordId": f"app-{n}",
                "direction": "import",
            }
            return client.post(path, params=selector, json=body, headers=customer)

        def find(field: str, prefix: str) -> Callable[[int], Awaitable[httpx.Response]]:
            def request(_: int) -> Awaitable[httpx.Response]:
                n = random.randrange(args.links)
                return client.get(
                    path,
                    params={**selector, "direction": "import", field: f"{prefix}-{n}"},
                    headers=customer,
                )

            return request

        def delete(i: int) -> Awaitable[httpx.Response]:
            body = {
                "externalRecordId": f"ext-{i}",
                "appRecordId": f"app-{i}",
                "direction": "import",
            }
            return client.request("DELETE", path, params=selector, json=body, headers=customer)

        results = [
            await run_phase(f"load {args.links} links", args.concurrency, upsert, total=args.links)
        ]
        results.append(
            await run_phase("upsert (existing)", args.concurrency, upsert, seconds=args.seconds)
        )
        results.append(
            await run_phase(
                "find by externalId",
                args.concurrency,
                find("externalRecordId", "ext"),
                seconds=args.seconds,
            )
        )
        results.append(
            await run_phase(
                "find by appId", args.concurrency, find("appRecordId", "app"), seconds=args.seconds
            )
        )
        results.append(
            await run_phase("delete", args.concurrency, delete, total=min(args.links, args.delete))
        )
        return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each timed phase")
    parser.add_argument(
        "--delete", type=int, default=20_000, help="links deleted in the last phase"
    )
    parser.add_argument("--url", help="drive this running server instead of starting one")
    parser.add_argument("--workspace-key")
    parser.add_argument("--workspace-secret")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    python = platform.python_version()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {python}")
    print(f"command: {' '.join(sys.argv)}")
    if args.url:
        results = asyncio.run(bench(args.url, args.workspace_key, args.workspace_secret, args))
    else:
        with own_server(args.database_url) as (base, key, secret):
            results = asyncio.run(bench(base, key, secret, args))
    for result in results:
        print(result.line())
    if any(r.errors for r in results):
        raise SystemExit("some requests failed")


if __name__ == "__main__":
    main()
