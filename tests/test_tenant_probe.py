"""Tenant probe: every operation of the OpenAPI document, aimed at another tenant's objects.

Three tenants: customer A and the attacker C in one workspace, customer B in another, each with
one of everything (tests/support/probe_world.py). For every operation the document lists, the
filler (tests/support/probe_filler.py, and the bodies below) builds requests whose path, query
and body name A's or B's objects (ids, keys, record ids), alone or mixed with C's own (C's
connection with B's table, say). They are sent as C (at A and at B) and as the admin of A's
workspace (at B). Each attempt fails the probe if

- it answers 5xx (501 only where the operation is one datalinks does not serve),
- a 2xx answer carries an id or marker string of the other tenant's objects (an error message
  may repeat an id the caller sent, never a marker),
- anything of the other tenant changed in the database (its rows, compared whole before and
  after every attempt): a write, an archive, a new instance or link in its name.

By design a customer reads its own workspace's definitions (integrations, link tables, data
sources): those are not A's, and a customer creating its own instance on them is fine.

The filler knows every parameter and body field by name; an operation with one it does not
know fails `test_the_filler_covers_every_operation`, so a new route is probed (or noticed) the
day it is added. `test_the_filler_builds_requests_the_owner_may_make` runs the same requests as
the objects' owners: they must succeed, or the probe would only be sending requests that fail
for everyone.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from datalinks.db.engine import Database
from datalinks.models import Base
from tests.support.figures import record
from tests.support.helpers import Tenant
from tests.support.probe_filler import (
    CONNECTION,
    NOT_SERVED,
    OPEN,
    PARENT,
    QUERY_NEUTRAL,
    QUERY_REFERENCES,
    ROLES,
    TARGET,
    USER,
    Json,
    Operation,
    element_ids,
    operations,
    path_values,
)
from tests.support.probe_world import Definitions, Holdings, World, make_definitions, make_world

# Whose values a request takes: all the target's; the target's parent with the attacker's own
# connection, and the other way round.
MIXES = (ROLES, frozenset({PARENT, TARGET}), frozenset({CONNECTION, USER, TARGET}))


def _link(w: World) -> Json:
    h = w.holdings
    return {"externalRecordId": h.external_record_id, "appRecordId": h.app_record_id}


BodyBuilder = Callable[[Callable[[str], World], int], Any]


def _pick(i: int, options: list[tuple[str, Any]]) -> Json:
    name, value = options[i % len(options)]
    return {name: value}


# Request bodies by schema: `world(role)` is the world a role takes its values from, `i` picks
# among alternatives. Every property of the schema must be used here or listed in IGNORED.
BODIES: dict[str, BodyBuilder] = {
    "CustomerWrite": lambda world, i: {
        "name": "probe",
        "internalId": world(USER).holdings.internal_id,
    },
    "IntegrationWrite": lambda world, i: {
        "name": "probe",
        "key": world(PARENT).definitions.integration_key,
    },
    "ConnectionWrite": lambda world, i: {
        "name": "probe",
        "key": world(CONNECTION).holdings.connection_key,
        **_pick(
            i,
            [
                ("integrationId", world(PARENT).definitions.integration_id),
                ("integrationKey", world(PARENT).definitions.integration_key),
            ],
        ),
        **_pick(
            i // 2,
            [("userId", world(USER).holdings.customer_id), ("tenantId", None)],
        ),
    },
    "DataLinkTableWrite": lambda world, i: {
        "name": "probe",
        "key": world(PARENT).definitions.table_key,
    },
    "DataLinkTableInstanceWrite": lambda world, i: {"description": "probe", "meta": {"p": 1}},
    "DataLinkWrite": lambda world, i: {**_link(world(TARGET)), "direction": "both"},
    "DataLinkBatchWrite": lambda world, i: {"links": [_link(world(TARGET))], "partial": True},
    "DataLinkDeleteBatch": lambda world, i: {"links": [_link(world(TARGET))]},
    "DataLinkResolve": lambda world, i: {
        "direction": "both",
        **_pick(
            i,
            [
                ("externalRecordIds", [world(TARGET).holdings.external_record_id]),
                ("appRecordIds", [world(TARGET).holdings.app_record_id]),
            ],
        ),
    },
    "DataSourceWrite": lambda world, i: {
        "name": "probe",
        "key": world(PARENT).definitions.source_key,
        "collectionKey": world(PARENT).definitions.collection_key,
        **_pick(
            i,
            [
                ("integrationId", world(PARENT).definitions.integration_id),
                ("integrationKey", world(PARENT).definitions.integration_key),
                ("integrationUuid", None),
            ],
        ),
        **_pick(
            i,
            [
                ("universalDataSourceId", world(PARENT).definitions.universal_source_id),
                ("parentKey", world(PARENT).definitions.universal_source_key),
                ("parentUuid", None),
                ("parentId", world(PARENT).definitions.universal_source_id),
            ],
        ),
    },
    "DataSourceInstanceWrite": lambda world, i: {"pullUpdatesIntervalSeconds": 600},
    # The SDK's create body repeats the selector: the data source and the connection.
    "DataSourceInstanceCreate": lambda world, i: {
        "dataSourceId": world(PARENT).definitions.source_id,
        "connectionId": world(CONNECTION).holdings.connection_id,
        "pullUpdatesIntervalSeconds": 600,
    },
    "DataCollectionWrite": lambda world, i: {"name": "probe", "parametersSchema": {}},
    "application/x-ndjson": lambda world, i: (
        json.dumps({**_link(world(TARGET)), "direction": "import"}) + "\n"
    ),
}
# Body properties that name nothing of anyone's (free values), by schema.
IGNORED: dict[str, set[str]] = {
    "CustomerWrite": {"meta", "fields", "credentials", "isTest"},
    "IntegrationWrite": {
        "uuid",
        "description",
        "meta",
        "parameters",
        "logoUri",
        "connectorId",
        "connectorVersion",
        "externalAppId",
    },
    "ConnectionWrite": {"meta", "isTest", "credentials"},
    "DataLinkTableWrite": {"uuid", "description", "meta"},
    "DataSourceWrite": {
        "uuid",
        "description",
        "meta",
        "isUniversal",
        "udm",
        "collectionParameters",
        "pullUpdatesIntervalSeconds",
        "fullSyncIntervalSeconds",
        "path",
        "defaultPath",
        "subscribedTo",
        "subscriptions",
    },
    "DataSourceInstanceCreate": {
        "udm",
        "collectionKey",
        "collectionParameters",
        "fullSyncIntervalSeconds",
        "subscribedTo",
        "subscriptions",
        "path",
    },
    "DataSourceInstanceWrite": {
        "udm",
        "collectionKey",
        "collectionParameters",
        "fullSyncIntervalSeconds",
        "subscribedTo",
        "subscriptions",
        "path",
    },
}


@dataclass(frozen=True)
class Attempt:
    op: Operation
    path: str
    query: tuple[tuple[str, str], ...]
    body: Any = None
    content_type: str | None = None

    def describe(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        body = f" body={json.dumps(self.body)[:200]}" if self.body is not None else ""
        return f"{self.op.method} {self.path}{'?' + query if query else ''}{body}"


def _query_groups(op: Operation) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for name in op.query_params:
        if name in QUERY_REFERENCES:
            groups.setdefault(QUERY_REFERENCES[name][1], []).append(name)
    return groups


def attempts(op: Operation, target: World, own: World) -> list[Attempt]:
    """Requests naming `target`'s objects, alone and mixed with `own`'s."""
    groups = _query_groups(op)
    path_rules = {name: path_values(op, name, target)[0] for name in op.path_params}
    roles = set(path_rules.values()) | {QUERY_REFERENCES[g[0]][0] for g in groups.values()}
    mixes = MIXES if {PARENT, CONNECTION} <= roles or {PARENT, USER} <= roles else MIXES[:1]
    found: dict[str, Attempt] = {}
    for mix in mixes:

        def world(role: str, mix: frozenset[str] = mix) -> World:
            return target if role in mix else own

        widest = [len(path_values(op, n, target)[1]) for n in op.path_params]
        widest += [len(members) for members in groups.values()]
        for i in range(max([1, *widest])):
            path = op.path
            for name, role in path_rules.items():
                values = path_values(op, name, world(role))[1]
                path = path.replace("{" + name + "}", values[i % len(values)])
            query: dict[str, str] = {
                k: v for k, v in QUERY_NEUTRAL.items() if k in op.query_params and v is not None
            }
            for group, members in groups.items():
                if group == "id" and len(groups) > 1 and i % 2:
                    continue  # with an id the rest of a selector is ignored: try both ways
                name = members[i % len(members)]
                role, _, values_of = QUERY_REFERENCES[name]
                values = values_of(world(role), op)
                query[name] = values[(i // len(members)) % len(values)]
            if "instanceKey" in query and i % 2 == 0:
                del query["instanceKey"]
            body, content_type = None, None
            if op.body is not None:
                body = BODIES[op.body](world, i)
                if not op.body.startswith("{") and "/" in op.body:
                    content_type = op.body
            attempt = Attempt(
                op,
                path,
                tuple(sorted(query.items())),
                body,
                content_type,
            )
            found.setdefault(attempt.describe(), attempt)
    return list(found.values())


# --- what belongs to a tenant, and whether it changed ------------------------------------------


def _scoped_tables(workspace_id: str, customer_id: str | None) -> Iterator[tuple[str, str]]:
    """(table, WHERE clause) for every table: the rows that belong to the target. A customer
    target is its own rows plus its workspace's definitions (another customer may read those,
    never change them); a workspace target is everything of that workspace."""
    ws = f"'{workspace_id}'"
    for table in Base.metadata.sorted_tables:
        columns = table.columns
        if table.name == "workspaces":
            yield table.name, f"id = {ws}"
        elif table.name == "customers":
            where = f"id = '{customer_id}'" if customer_id else f"workspace_id = {ws}"
            yield table.name, where
        elif "customer_id" in columns:
            where = f"customer_id = '{customer_id}'" if customer_id else f"workspace_id = {ws}"
            yield table.name, where
        elif "workspace_id" in columns:
            yield table.name, f"workspace_id = {ws}"
        elif "data_link_table_instance_id" in columns:
            owner = f"customer_id = '{customer_id}'" if customer_id else f"workspace_id = {ws}"
            yield (
                table.name,
                "data_link_table_instance_id IN "
                f"(SELECT id FROM data_link_table_instances WHERE {owner})",
            )
        else:
            raise AssertionError(f"the probe does not know whose rows {table.name} holds")


@dataclass
class Scope:
    database: Database
    workspace_id: str
    customer_id: str | None = None
    _query: Any = field(default=None, repr=False)

    async def fingerprint(self) -> list[tuple[str, int, str]]:
        if self._query is None:
            parts = [
                f"SELECT '{name}', count(*), "
                f"coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                f'FROM "{name}" t WHERE {where}'
                for name, where in _scoped_tables(self.workspace_id, self.customer_id)
            ]
            self._query = text(" UNION ALL ".join(parts))
        async with self.database.engine.connect() as connection:
            rows = (await connection.execute(self._query)).all()
        return [(str(name), int(count), str(digest)) for name, count, digest in rows]


# --- the probe ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    name: str
    headers: dict[str, str] = field(repr=False)
    target: World
    own: World
    scope: Scope
    markers: tuple[str, ...]  # in no 2xx answer
    secrets: tuple[str, ...]  # in no answer at all


@dataclass
class Tally:
    attempts: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    operations: set[str] = field(default_factory=set)


def _check(pair: Pair, attempt: Attempt, response: httpx.Response, changed: bool) -> str | None:
    status, body = response.status_code, response.text
    if status >= 500:
        served = not (status == 501 and attempt.op.id in NOT_SERVED)
        if served:
            return f"{status}: {body[:300]}"
    if changed:
        return f"{status}, and the target's rows changed: {body[:300]}"
    leaked = [m for m in pair.secrets if m in body]
    if 200 <= status < 300:
        leaked += [m for m in pair.markers if m in body]
    if leaked:
        return f"{status} reveals {leaked}: {body[:300]}"
    return None


async def _send(client: httpx.AsyncClient, headers: dict[str, str], attempt: Attempt) -> Any:
    request_headers = dict(headers)
    kwargs: dict[str, Any] = {"params": list(attempt.query)}
    if attempt.content_type is not None:
        request_headers["Content-Type"] = attempt.content_type
        kwargs["content"] = attempt.body.encode()
    elif attempt.body is not None:
        kwargs["json"] = attempt.body
    return await client.request(attempt.op.method, attempt.path, headers=request_headers, **kwargs)


async def run_probe(client: httpx.AsyncClient, pairs: list[Pair], ops: list[Operation]) -> Tally:
    tally = Tally()
    for pair in pairs:
        before = await pair.scope.fingerprint()
        for op in ops:
            for attempt in attempts(op, pair.target, pair.own):
                response = await _send(client, pair.headers, attempt)
                after = await pair.scope.fingerprint()
                tally.attempts += 1
                tally.statuses[response.status_code] += 1
                tally.operations.add(op.id)
                problem = _check(pair, attempt, response, after != before)
                if problem:
                    tally.failures.append(f"[{pair.name}] {attempt.describe()} -> {problem}")
                before = after
    return tally


@pytest.fixture
async def document(app: Any) -> Json:
    doc: Json = app.openapi()
    return doc


def test_the_filler_covers_every_operation(document: Json) -> None:
    """Every parameter and body field of every operation is known to the filler, so a new
    route or field is probed, or fails here, the day it is added."""
    schemas = document["components"]["schemas"]
    problems = []
    ops = operations(document)
    for op in ops:
        for name in op.path_params:
            try:
                path_values(op, name, _PLACEHOLDER)
            except KeyError as exc:
                problems.append(str(exc))
        for name in op.query_params:
            if name not in QUERY_REFERENCES and name not in QUERY_NEUTRAL:
                problems.append(f"{op.label}: no rule for query parameter {name!r}")
        if "id" in op.query_params and op.path not in ("/customer", "/integration"):
            try:
                element_ids(_PLACEHOLDER, op)
            except KeyError:
                problems.append(f"{op.label}: no rule for its `id`")
        if op.body is None:
            continue
        if op.body not in BODIES:
            problems.append(f"{op.label}: no body for {op.body}")
            continue
        if op.body in schemas:
            sent: set[str] = set()
            for i in range(4):  # the most alternatives a body picks among
                built = BODIES[op.body](lambda role: _PLACEHOLDER, i)
                sent |= set(built)
            unknown = (
                set(schemas[op.body].get("properties", {})) - sent - IGNORED.get(op.body, set())
            )
            if unknown:
                problems.append(f"{op.label}: body fields {sorted(unknown)} unknown to the probe")
    assert not problems, "\n".join(problems)
    assert len(ops) > 90, "the document lists fewer operations than expected"


def _placeholder() -> World:
    """A world of "x"s: enough to ask the filler what it would send."""
    strings = {f.name: "x" for f in fields(Definitions)}
    holdings = {f.name: "x" for f in fields(Holdings)} | {"headers": {}, "link_ids": ("x",)}
    return World(Tenant(None, "x", "x", "x"), Definitions(**strings), Holdings(**holdings))  # type: ignore[arg-type]


_PLACEHOLDER = _placeholder()


async def _worlds(
    client: httpx.AsyncClient, tenant: Tenant, other: Tenant
) -> tuple[World, World, World]:
    """(A, C, B): A and the attacker C share tenant's definitions; B is in the other workspace."""
    shared = await make_definitions(client, tenant, marked=False)
    victim = await make_world(client, tenant, "alice", definitions=shared)
    attacker = await make_world(client, tenant, "mallory", definitions=shared)
    elsewhere = await make_world(client, other, "bob")
    return victim, attacker, elsewhere


def pairs_for(database: Database, a: World, c: World, b: World) -> list[Pair]:
    b_markers = (*b.holdings.ids, *b.definitions.ids)
    b_secrets = (b.holdings.secret, b.definitions.secret, b.tenant.secret)
    return [
        Pair(
            "customer -> same workspace's customer",
            c.holdings.headers,
            target=a,
            own=c,
            scope=Scope(database, a.tenant.workspace_id, a.holdings.customer_id),
            markers=tuple(a.holdings.ids),
            secrets=(a.holdings.secret,),
        ),
        Pair(
            "customer -> other workspace",
            c.holdings.headers,
            target=b,
            own=c,
            scope=Scope(database, b.tenant.workspace_id),
            markers=b_markers,
            secrets=b_secrets,
        ),
        Pair(
            "admin -> other workspace",
            c.tenant.admin,
            target=b,
            own=c,
            scope=Scope(database, b.tenant.workspace_id),
            markers=b_markers,
            secrets=b_secrets,
        ),
    ]


async def test_no_operation_reaches_another_tenant(
    client: httpx.AsyncClient,
    database: Database,
    tenant: Tenant,
    other_tenant: Tenant,
    document: Json,
) -> None:
    a, c, b = await _worlds(client, tenant, other_tenant)
    ops = operations(document)
    tally = await run_probe(client, pairs_for(database, a, c, b), ops)
    record("tenant probe: operations", len(tally.operations))
    record("tenant probe: attempts", tally.attempts)
    for status, count in tally.statuses.items():
        record(f"tenant probe: attempts answered {status}", count)
    record("tenant probe: attempts that reached the other tenant", len(tally.failures))
    assert tally.operations == {op.id for op in ops}
    assert not tally.failures, f"{len(tally.failures)} failures:\n" + "\n".join(tally.failures)


def _destructive(op: Operation) -> bool:
    return op.method == "DELETE" or op.id.startswith(("archive", "delete"))


async def test_the_filler_builds_requests_the_owner_may_make(
    client: httpx.AsyncClient, tenant: Tenant, document: Json
) -> None:
    """The probe's requests, sent by the objects' own customer (or its workspace's admin),
    succeed for every operation: the probe tries what works, only as the wrong caller."""
    ops = [op for op in operations(document) if op.id not in NOT_SERVED | OPEN]
    shared = await make_world(client, tenant, "owner")
    unanswered = []
    # What archives or deletes runs last, each on a world of its own.
    for op in sorted(ops, key=_destructive):
        world = await make_world(client, tenant, "owner") if _destructive(op) else shared
        answers = []
        for attempt in attempts(op, world, world):
            for headers in (world.holdings.headers, world.admin):
                response = await _send(client, headers, attempt)
                answers.append(
                    f"{response.status_code} {attempt.describe()}: {response.text[:150]}"
                )
                # A create that names the owner's existing key meets it: it got that far.
                taken = response.status_code == 409 and "already_exists" in response.text
                if response.is_success or (taken and op.method == "POST"):
                    break
            else:
                continue
            break
        else:
            unanswered.append(f"{op.label}:\n    " + "\n    ".join(answers))
    assert not unanswered, "no request succeeded for its owner:\n" + "\n".join(unanswered)
