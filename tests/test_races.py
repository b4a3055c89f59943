"""Races on real parallel connections: the database, not the code, keeps things unique, and
interleaved writes end as some serial order of them would.

Every race goes over sockets to a real `datalinks serve` (the session's live server: uvicorn
worker processes, each with its own connection pool), from up to 100 concurrent requests, so
the interleavings happen inside PostgreSQL. The state is then read from the database itself.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from datalinks.core.auth import mint_token
from datalinks.db.engine import Database
from datalinks.models import (
    DataLink,
    DataLinkTable,
    DataLinkTableInstance,
    DataSource,
    DataSourceInstance,
    Integration,
)
from tests.support.figures import record
from tests.support.live import LiveServer

CONCURRENT = 100
# Creates of one key: one wins, the rest are 409s.
KEY_CONCURRENT = 50
ROUNDS = 3
# Interleaving rounds: each is a handful of conflicting requests on a fresh slot.
INTERLEAVED_ROUNDS = 15
DLTI = "/data-link-table-instance"
DSI = "/data-source-instance"


@dataclass
class World:
    """A table, an integration, a data source and a customer's connection on the live server."""

    client: httpx.AsyncClient
    database: Database
    admin: dict[str, str]
    customer: dict[str, str]
    table_key: str
    source_key: str
    connection_id: str

    def links_selector(self, instance_key: str) -> dict[str, str]:
        return {
            "dataLinkTableKey": self.table_key,
            "connectionId": self.connection_id,
            "instanceKey": instance_key,
            "autoCreate": "true",
        }

    def ds_selector(self, instance_key: str) -> dict[str, str]:
        return {
            "dataSourceKey": self.source_key,
            "connectionId": self.connection_id,
            "instanceKey": instance_key,
            "autoCreate": "true",
        }

    async def count(self, model: Any, *where: Any) -> int:
        async with self.database.sessionmaker() as session:
            stmt = select(func.count()).select_from(model).where(*where)
            return int((await session.execute(stmt)).scalar_one())


@pytest.fixture
async def world(live_server: LiveServer, database: Database) -> AsyncIterator[World]:
    def bearer(**claims: Any) -> dict[str, str]:
        token = mint_token(live_server.workspace_key, live_server.workspace_secret, **claims)
        return {"Authorization": f"Bearer {token}"}

    suffix = uuid.uuid4().hex[:8]
    admin, customer = bearer(admin=True), bearer(customer_id=f"racer-{suffix}")
    # A new connection for every request: the races are between connections, and a kept-alive
    # one can be closed by the server (idle timeout) just as it is reused.
    limits = httpx.Limits(max_connections=CONCURRENT, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60, limits=limits) as client:

        async def create(path: str, body: dict[str, str], headers: dict[str, str]) -> Any:
            r = await client.post(path, json=body, headers=headers)
            assert r.status_code == 200, r.text
            return r.json()

        table = await create("/data-link-tables", {"key": f"contacts-{suffix}"}, admin)
        await create("/integrations", {"key": f"crm-{suffix}"}, admin)
        source = await create(
            "/data-sources", {"key": f"tasks-{suffix}", "collectionKey": "tasks"}, admin
        )
        connection = await create("/connections", {"integrationKey": f"crm-{suffix}"}, customer)
        yield World(
            client, database, admin, customer, table["key"], source["key"], connection["id"]
        )


async def gather(requests: Sequence[Callable[[], Any]]) -> list[httpx.Response]:
    """Start every request at once (each on its own connection) and wait for all."""
    return list(await asyncio.gather(*(request() for request in requests)))


def _statuses(responses: Sequence[httpx.Response]) -> list[int]:
    return [r.status_code for r in responses]


# --- (a) identical creates ------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["import", "both"])
async def test_identical_link_creates_make_one_link(world: World, direction: str) -> None:
    for round_ in range(ROUNDS):
        # A fresh slot: the creates race on autoCreating the instance too.
        selector = world.links_selector(f"a-{direction}-{round_}")
        body = {"externalRecordId": f"e{round_}", "appRecordId": "a", "direction": direction}

        def create(body: dict[str, str] = body, selector: dict[str, str] = selector) -> Any:
            return world.client.post(
                f"{DLTI}/links", params=selector, json=body, headers=world.customer
            )

        responses = await gather([create] * CONCURRENT)
        assert _statuses(responses) == [204] * CONCURRENT, [r.text for r in responses]
        instance_key = selector["instanceKey"]
        instances = await world.count(
            DataLinkTableInstance,
            DataLinkTableInstance.instance_key == instance_key,
            DataLinkTableInstance.connection_id == world.connection_id,
        )
        links = await world.count(
            DataLink,
            DataLink.data_link_table_instance_id == DataLinkTableInstance.id,
            DataLinkTableInstance.instance_key == instance_key,
            DataLinkTableInstance.connection_id == world.connection_id,
        )
        assert (instances, links) == (1, 2 if direction == "both" else 1)
        record("races run", 1)
        record("racing requests sent", CONCURRENT)


# --- (b) autoCreate gets --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["data-link-table instance", "data-source instance"])
async def test_auto_create_gets_make_one_instance(world: World, kind: str) -> None:
    path, model = (DLTI, DataLinkTableInstance)
    if kind == "data-source instance":
        path, model = (DSI, DataSourceInstance)
    for round_ in range(ROUNDS):
        instance_key = f"b-{round_}"
        selector = (world.links_selector if path == DLTI else world.ds_selector)(instance_key)

        def get(selector: dict[str, str] = selector) -> Any:
            return world.client.get(path, params=selector, headers=world.customer)

        responses = await gather([get] * CONCURRENT)
        assert _statuses(responses) == [200] * CONCURRENT, [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        rows = await world.count(
            model, model.instance_key == instance_key, model.connection_id == world.connection_id
        )
        assert rows == 1
        record("races run", 1)
        record("racing requests sent", CONCURRENT)


# --- (c) interleaved create / delete / archive ----------------------------------------------
#
# Each round starts from a live instance I0 (holding link X in the link scenario) and fires a
# few conflicting requests at once. A model of each operation, run over every serial order of
# them, gives the outcomes a serial execution allows: the answers and the final state (I0,
# plus the instances the requests created). The observed outcome must be one of them; a
# request that gave up instead (409 `concurrency`, "retry") fails the test too.

Instance = list[bool]  # [archived, holds link X]
State = tuple[tuple[bool, bool], tuple[tuple[bool, bool], ...]]


def _apply(op: str, instances: list[Instance]) -> int:
    """One operation on the slot's instances (instances[0] is I0); its status code."""
    live = next((i for i in instances if not i[0]), None)
    if op == "create link":  # autoCreate: a new instance when the slot has no live one
        if live is None:
            instances.append([False, True])
        else:
            live[1] = True
        return 204
    if op == "delete link":  # never creates an instance; deleting nothing is a 200
        if live is not None:
            live[1] = False
        return 200
    if op == "create instance":
        if live is None:
            instances.append([False, False])
        return 200
    if op == "archive instance":
        if live is None:
            return 404
        live[0] = True
        return 200
    if op == "restore I0":
        if not instances[0][0]:
            return 200
        if live is not None:
            return 409
        instances[0][0] = False
        return 200
    raise AssertionError(op)


def _state(instances: Sequence[Sequence[bool]], links: bool) -> State:
    """I0, then the created instances in any order; without links, archived flags only."""
    first, *created = ((archived, held and links) for archived, held in instances)
    return first, tuple(sorted(created))


Outcome = tuple[tuple[tuple[str, int], ...], State]


def _orders(ops: Counter[str]) -> Iterator[tuple[str, ...]]:
    """Every distinct order of a multiset of operations (identical ones are interchangeable)."""
    if not +ops:
        yield ()
        return
    for op in sorted(+ops):
        ops[op] -= 1
        for rest in _orders(ops):
            yield (op, *rest)
        ops[op] += 1


def serial_outcomes(ops: Sequence[str], links: bool) -> set[Outcome]:
    """(each operation's answer, final state) for every serial order of `ops`."""
    outcomes = set()
    for order in _orders(Counter(ops)):
        instances: list[Instance] = [[False, True]]
        answers = [(op, _apply(op, instances)) for op in order]
        outcomes.add((tuple(sorted(answers)), _state(instances, links)))
    return outcomes


@dataclass(frozen=True)
class Scenario:
    ops: tuple[str, ...]
    path: str  # the instance route
    model: Any

    @property
    def links(self) -> bool:
        return any(op.endswith("link") for op in self.ops)


SCENARIOS = {
    "links": Scenario(
        ("create link", "create link", "delete link", "delete link", "archive instance"),
        DLTI,
        DataLinkTableInstance,
    ),
    "link-table instances": Scenario(
        (
            "create instance",
            "create instance",
            "archive instance",
            "archive instance",
            "restore I0",
        ),
        DLTI,
        DataLinkTableInstance,
    ),
    # Archives of one instance: one archives it, the others find the slot empty.
    "link-table instance archived at once": Scenario(
        ("archive instance",) * 8, DLTI, DataLinkTableInstance
    ),
    "data-source instance archived at once": Scenario(
        ("archive instance",) * 8, DSI, DataSourceInstance
    ),
    "data-source instances": Scenario(
        (
            "create instance",
            "create instance",
            "archive instance",
            "archive instance",
            "restore I0",
        ),
        DSI,
        DataSourceInstance,
    ),
}
LINK_X = {"externalRecordId": "x", "appRecordId": "y", "direction": "import"}


def _request(world: World, scenario: Scenario, op: str, selector: dict[str, str], i0: str) -> Any:
    client, headers, path = world.client, world.customer, scenario.path
    if op == "create link":
        return client.post(f"{path}/links", params=selector, json=LINK_X, headers=headers)
    if op == "delete link":
        return client.request(
            "DELETE", f"{path}/links", params=selector, json=LINK_X, headers=headers
        )
    if op == "create instance":
        return client.post(path, params=selector, headers=headers)
    if op == "archive instance":
        return client.delete(path, params=selector, headers=headers)
    if op == "restore I0":
        return client.post(f"{path}/restore", params={"id": i0}, headers=headers)
    raise AssertionError(op)


async def _observed(world: World, scenario: Scenario, instance_key: str, i0: str) -> State:
    model = scenario.model
    async with world.database.sessionmaker() as session:
        rows = (
            await session.execute(
                select(model.id, model.archived_at.is_not(None)).where(
                    model.connection_id == world.connection_id,
                    model.instance_key == instance_key,
                )
            )
        ).all()
        holding: set[str] = set()
        if model is DataLinkTableInstance:
            found = await session.execute(
                select(DataLink.data_link_table_instance_id).where(
                    DataLink.data_link_table_instance_id.in_([row[0] for row in rows]),
                    DataLink.external_record_id == LINK_X["externalRecordId"],
                    DataLink.app_record_id == LINK_X["appRecordId"],
                    DataLink.direction == LINK_X["direction"],
                )
            )
            holding = set(found.scalars())
    instances = [
        (archived, instance_id in holding)
        for instance_id, archived in sorted(rows, key=lambda row: row[0] != i0)  # I0 first
    ]
    return _state(instances, scenario.links)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_interleaved_writes_match_a_serial_order(world: World, name: str) -> None:
    scenario = SCENARIOS[name]
    seen = set()
    for round_ in range(INTERLEAVED_ROUNDS):
        instance_key = f"c-{round_}"
        selector = (world.links_selector if scenario.path == DLTI else world.ds_selector)(
            instance_key
        )
        # I0, live (and holding link X in the link scenario).
        r = await world.client.get(scenario.path, params=selector, headers=world.customer)
        assert r.status_code == 200, r.text
        i0 = r.json()["id"]
        if scenario.path == DLTI:
            r = await world.client.post(
                f"{DLTI}/links", params=selector, json=LINK_X, headers=world.customer
            )
            assert r.status_code == 204, r.text
        # Sent in a different order each round: where the requests barely overlap, the
        # order they arrive in still varies.
        ops = list(scenario.ops)
        random.Random(round_).shuffle(ops)
        requests = [
            lambda op=op, selector=selector, i0=i0: _request(world, scenario, op, selector, i0)
            for op in ops
        ]
        responses = await gather(requests)
        answers = tuple(sorted(zip(ops, _statuses(responses), strict=True)))
        observed = (answers, await _observed(world, scenario, instance_key, i0))
        assert observed in serial_outcomes(ops, scenario.links), (
            f"round {round_}: {answers} left {observed[1]}, which no serial order gives; "
            f"bodies: {[r.text[:120] for r in responses]}"
        )
        seen.add(observed)
        record("races run", 1)
        record("racing requests sent", len(requests))
    # How many different outcomes (answers per operation, final state) the rounds produced.
    record(f"distinct outcomes of the interleaved {name} rounds", len(seen))


# --- (d) key creation -----------------------------------------------------------------------

KEYED = {
    "data-link tables": ("/data-link-tables", {}, DataLinkTable),
    "integrations": ("/integrations", {}, Integration),
    "data sources": ("/data-sources", {"collectionKey": "c"}, DataSource),
}


@pytest.mark.parametrize("kind", sorted(KEYED))
async def test_concurrent_creates_of_one_key_make_one(world: World, kind: str) -> None:
    path, extra, model = KEYED[kind]
    for round_ in range(ROUNDS):
        key = f"k-{uuid.uuid4().hex[:8]}-{round_}"

        def create(key: str = key) -> Any:
            return world.client.post(path, json={**extra, "key": key}, headers=world.admin)

        responses = await gather([create] * KEY_CONCURRENT)
        statuses = sorted(_statuses(responses))
        assert statuses == [200] + [409] * (KEY_CONCURRENT - 1), statuses
        for response in responses:
            if response.status_code == 409:
                body = response.json()
                assert (body["type"], body["key"]) == ("bad_request", "already_exists"), body
        assert await world.count(model, model.key == key) == 1
        record("races run", 1)
        record("racing requests sent", KEY_CONCURRENT)
