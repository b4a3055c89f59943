"""PostgreSQL goes away under load and comes back: the service says so, fails fast, recovers
by itself and loses no acknowledged write.

`datalinks serve` runs against a PostgreSQL this test owns (tests/support/pgcontrol.py), under
a steady load of link upserts from a few concurrent clients. The test restarts PostgreSQL twice
in the middle, once cleanly (`pg_ctl stop -m fast`: every session is ended) and once as a crash
(`-m immediate`: the next start replays the write-ahead log), and checks:

(a) /ready answers 503 in the error shape while the database is away, and 200 again after;
(b) every request gets an answer (the client's timeout is a hang check, far above any normal
    latency): a 204, or a 503 in the error shape with Retry-After, never a 500;
(c) upserts succeed again after each restart, from the same server process;
(d) every upsert that was answered 2xx is in the database afterwards (read directly).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from datalinks.app import create_app
from datalinks.core.auth import mint_token
from datalinks.db.engine import Database
from datalinks.settings import Settings, normalise_database_url
from tests.support.figures import record
from tests.support.helpers import Tenant, assert_error
from tests.support.live import LiveServer, start_live_server
from tests.support.pgcontrol import ControlledPostgres

CLIENTS = 4
# Far above any answer's normal latency, also on a loaded 2-core machine: a request that
# takes this long is hanging, which is what (b) rules out.
HANG_SECONDS = 20.0
OUTAGE_SECONDS = 3.0
WARM_UP_SUCCESSES = 40
# Successes each client must see after a restart before the next fault (or the end).
RECOVERED_SUCCESSES = 10
RECOVERY_DEADLINE_SECONDS = 60.0
MAX_REQUESTS = 20_000  # a bound on the load, whatever happens
LINKS = "/data-link-table-instance/links"


@dataclass
class Outcome:
    external_id: str
    status: int | None  # None: no answer (a transport error or the hang timeout)
    error: str
    started: float
    seconds: float


@dataclass
class Load:
    client: httpx.AsyncClient
    selector: dict[str, str]
    headers: dict[str, str]
    outcomes: list[Outcome] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def successes_since(self, since: float, worker: int) -> int:
        prefix = f"w{worker}-"
        return sum(
            1
            for o in self.outcomes
            if o.status == 204 and o.started >= since and o.external_id.startswith(prefix)
        )

    async def worker(self, index: int) -> None:
        sequence = 0
        while not self.stop.is_set() and len(self.outcomes) < MAX_REQUESTS:
            sequence += 1
            external_id = f"w{index}-{sequence}"
            body = {"externalRecordId": external_id, "appRecordId": f"app-{external_id}"}
            started = time.monotonic()
            status: int | None = None
            error = ""
            try:
                response = await self.client.post(
                    LINKS,
                    params=self.selector,
                    json={**body, "direction": "import"},
                    headers=self.headers,
                )
                status = response.status_code
                if status != 204:
                    error = _error_problem(response, 503)
            except Exception as exc:  # recorded and reported, never the end of this client
                error = f"{type(exc).__name__}: {exc}"
            self.outcomes.append(
                Outcome(external_id, status, error, started, time.monotonic() - started)
            )
            if status != 204:
                await asyncio.sleep(0.05)  # a failing client backs off a little, as SDKs do


def _error_problem(response: httpx.Response, status: int) -> str:
    """'' when `response` is the expected error: that status, the error shape, Retry-After."""
    try:
        assert_error(response, status, type_="internal")
    except (AssertionError, ValueError, KeyError, TypeError) as exc:
        return f"{response.status_code} {response.text[:200]} ({exc!s:.100})"
    if not response.headers.get("retry-after"):
        return f"{response.status_code} without Retry-After"
    return ""


@dataclass
class ReadyProbe:
    client: httpx.AsyncClient
    answers: list[tuple[float, int | None, str]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                response = await self.client.get("/ready")
                problem = "" if response.status_code == 200 else _error_problem(response, 503)
                self.answers.append((started, response.status_code, problem))
            except Exception as exc:  # recorded and reported
                self.answers.append((started, None, f"{type(exc).__name__}: {exc}"))
            await asyncio.sleep(0.2)

    def between(self, start: float, end: float) -> list[tuple[float, int | None, str]]:
        return [answer for answer in self.answers if start <= answer[0] <= end]


@pytest.fixture
def postgres() -> Iterator[ControlledPostgres]:
    server = ControlledPostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def served(postgres: ControlledPostgres, tmp_path: Path) -> Iterator[LiveServer]:
    url = normalise_database_url(postgres.url)
    with start_live_server(url, tmp_path) as server:
        yield server


async def _prepare(
    client: httpx.AsyncClient, server: LiveServer
) -> tuple[dict[str, str], dict[str, str]]:
    def bearer(**claims: Any) -> dict[str, str]:
        token = mint_token(server.workspace_key, server.workspace_secret, **claims)
        return {"Authorization": f"Bearer {token}"}

    admin, customer = bearer(admin=True), bearer(customer_id="faults")
    r = await client.post("/data-link-tables", json={"key": "contacts"}, headers=admin)
    assert r.status_code == 200, r.text
    r = await client.post("/integrations", json={"key": "crm"}, headers=admin)
    assert r.status_code == 200, r.text
    r = await client.post("/connections", json={"integrationKey": "crm"}, headers=customer)
    assert r.status_code == 200, r.text
    selector = {
        "dataLinkTableKey": "contacts",
        "connectionId": r.json()["id"],
        "autoCreate": "true",
    }
    return selector, customer


async def _wait_for(
    condition: Callable[[], bool], deadline: float, what: str, load: Load, server: LiveServer
) -> None:
    while not condition():
        if time.monotonic() > deadline:
            recent = [
                (o.external_id, o.status, round(o.seconds, 2), o.error[:150])
                for o in load.outcomes[-16:]
            ]
            pytest.fail(
                f"timed out waiting for {what}; the last answers: {recent}\n"
                f"server log:\n{server.log_since(0)[-5000:]}"
            )
        await asyncio.sleep(0.1)


def _stored_ids(url: str) -> set[str]:
    with psycopg.connect(url, connect_timeout=10) as connection:
        rows = connection.execute("SELECT external_record_id FROM data_links").fetchall()
    return {row[0] for row in rows}


@pytest.mark.live
async def test_postgres_restarts_under_load(
    postgres: ControlledPostgres, served: LiveServer
) -> None:
    pid = served.process.pid
    # No keep-alive: the server may close an idle kept-alive connection just as it is reused,
    # a client-side race that is not what this test is about.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=served.url, timeout=HANG_SECONDS, limits=limits
    ) as client:
        selector, customer = await _prepare(client, served)
        load = Load(client, selector, customer)
        probe = ReadyProbe(client)
        tasks = [asyncio.create_task(load.worker(i)) for i in range(CLIENTS)]
        probe_task = asyncio.create_task(probe.run())
        faults: list[tuple[str, float, float]] = []
        try:
            start = time.monotonic()
            await _wait_for(
                lambda: sum(o.status == 204 for o in load.outcomes) >= WARM_UP_SUCCESSES,
                start + RECOVERY_DEADLINE_SECONDS,
                "the first upserts",
                load,
                served,
            )
            for mode in ("fast", "immediate"):
                down = time.monotonic()
                await asyncio.to_thread(postgres.stop, mode)
                await asyncio.sleep(OUTAGE_SECONDS)
                await asyncio.to_thread(postgres.start)
                up = time.monotonic()
                faults.append((mode, down, up))
                await _wait_for(
                    lambda up=up: all(
                        load.successes_since(up, i) >= RECOVERED_SUCCESSES for i in range(CLIENTS)
                    ),
                    up + RECOVERY_DEADLINE_SECONDS,
                    f"upserts to succeed again after the {mode} restart",
                    load,
                    served,
                )
            # /ready must have seen the database back too.
            await _wait_for(
                lambda: any(s == 200 for t, s, _ in probe.between(faults[-1][2], time.monotonic())),
                time.monotonic() + RECOVERY_DEADLINE_SECONDS,
                "/ready to answer 200 again",
                load,
                served,
            )
        finally:
            load.stop.set()
            probe.stop.set()
            await asyncio.gather(*tasks, probe_task)

    outcomes = load.outcomes
    # (b) An answer for every request, and only these answers.
    unanswered = [o for o in outcomes if o.status is None]
    assert not unanswered, unanswered[:5]
    wrong = [o for o in outcomes if o.status != 204 and o.error]
    assert not wrong, [(o.status, o.error) for o in wrong[:5]]
    for mode, down, up in faults:
        during = [o for o in outcomes if down <= o.started <= up]
        assert any(o.status == 503 for o in during), f"no 503 while PostgreSQL was down ({mode})"
        # (a) /ready saw the outage, in the error shape.
        ready = probe.between(down, up)
        assert any(status == 503 for _, status, _ in ready), (mode, ready)
        assert all(not problem for _, _, problem in ready), (mode, ready)
    # (c) The same process recovered by itself, and logged no unexpected error on the way.
    assert served.process.poll() is None and served.process.pid == pid
    log = served.log_since(0)
    assert "unhandled error" not in log and "Traceback" not in log, log[-4000:]
    # (d) Every acknowledged upsert is stored.
    acknowledged = {o.external_id for o in outcomes if o.status == 204}
    lost = acknowledged - _stored_ids(postgres.url)
    assert not lost, f"{len(lost)} acknowledged upserts are missing: {sorted(lost)[:10]}"

    record("faults injected (PostgreSQL restarts under load)", len(faults))
    record("upserts sent during fault runs", len(outcomes))
    record("upserts acknowledged during fault runs", len(acknowledged))
    record("requests answered 503 during outages", sum(o.status == 503 for o in outcomes))
    record("acknowledged upserts lost", len(lost))
    record("slowest answer during fault runs (ms)", round(max(o.seconds for o in outcomes) * 1000))


# --- a database that accepts connections and never answers ----------------------------------


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port whose listener lets the kernel complete TCP handshakes and then never reads or
    answers: what a database host that froze, or a firewall that drops replies, looks like."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        yield int(listener.getsockname()[1])


async def test_a_database_that_never_answers_is_a_fast_503(black_hole: int, tenant: Tenant) -> None:
    settings = Settings(
        database_url=f"postgresql://nobody@127.0.0.1:{black_hole}/none",
        db_connect_timeout_seconds=2,
        workspace_key=None,
        workspace_secret=None,
    )
    database = Database.open(settings)
    try:
        transport = httpx.ASGITransport(
            app=create_app(settings, database=database), raise_app_exceptions=False
        )
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for path in ("/ready", "/integrations"):
                # The bound is the hang check: without a connect timeout the request waits
                # for an answer that never comes.
                async with asyncio.timeout(HANG_SECONDS):
                    response = await client.get(path, headers=tenant.admin)
                assert_error(response, 503, type_="internal")
                assert response.headers["retry-after"]
    finally:
        await database.close()
    record("faults injected (a database that never answers)", 1)
