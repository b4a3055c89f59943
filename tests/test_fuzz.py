"""Contract fuzzing: schemathesis drives every operation of the app's own OpenAPI document
against a live server, as a workspace admin and as a customer, and every answer must be in the
document: no 5xx (501 only where the document says the operation is not served), a status
code the operation documents, the documented content type and headers, a body valid against
the documented schema.

Generated values are mixed with the ids and keys of real objects (one of everything, made
before the run, tests/support/probe_world.py), so that requests reach the code behind a
lookup and not only its 404.

Bounded for CI: schemathesis' explicit examples, then DATALINKS_FUZZ_EXAMPLES (default 15)
generated cases per operation and token, valid and invalid, from a fixed seed (a failure
reproduces; DATALINKS_FUZZ_SEED picks another). The long run for a person with time,
`DATALINKS_FUZZ_LONG=1 ./dev test tests/test_fuzz.py`, adds schemathesis' coverage phase (every
boundary and type mutation of every parameter, ~90 cases per operation), takes 500 cases per
operation and token, and draws a new seed each time (printed by hypothesis on a failure).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi import checks as openapi_checks

from datalinks.app import create_app
from datalinks.core.auth import mint_token
from datalinks.settings import Settings
from tests.support.figures import record
from tests.support.helpers import Tenant
from tests.support.live import LiveServer, start_live_server
from tests.support.probe_filler import (
    NOT_SERVED,
    QUERY_REFERENCES,
    Operation,
    path_values,
)
from tests.support.probe_world import World, make_world

# Every test here talks to the fuzzer's own `datalinks serve`.
pytestmark = pytest.mark.live

LONG = os.environ.get("DATALINKS_FUZZ_LONG", "") not in ("", "0")
EXAMPLES = int(os.environ.get("DATALINKS_FUZZ_EXAMPLES", "500" if LONG else "15"))
SEED = os.environ.get("DATALINKS_FUZZ_SEED", "random" if LONG else "20261127")
# The document of the app as `datalinks serve` builds it (test_live_document checks the
# running server serves this very document).
DOCUMENT = create_app(Settings(database_url="postgresql://unused/unused")).openapi()
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "mode": "all",  # valid and invalid inputs
            "max-examples": EXAMPLES,
            "deterministic": SEED != "random",
        },
        **({} if SEED == "random" else {"seed": int(SEED)}),
        # Coverage cases (every boundary and type mutation of every parameter) are ~90 per
        # operation: minutes, so only in the long run.
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": LONG}},
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
# The real objects requests may name; filled in by the `world` fixture before the first test.
SEEDED: dict[str, World] = {}
# How often a generated path or query value is swapped for a real object's.
REAL_SHARE = 0.5
COUNTS: dict[str, int] = {}


@schemathesis.serializer("application/x-ndjson", "text/csv")
def text_body(ctx: Any, value: Any) -> bytes:
    """Link imports take NDJSON or CSV text: a generated string goes as it is."""
    return str(value).encode("utf-8", "surrogatepass")


@schemathesis.check
def no_server_error(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """5xx is a bug, except 501 not_implemented on the operations datalinks does not serve."""
    status = response.status_code
    if status < 500:
        return None
    if status == 501 and case.operation.definition.raw.get("operationId") in NOT_SERVED:
        return None
    raise AssertionError(f"Server error {status}: {response.text[:500]}")


CHECKS = [
    no_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]


def _probe_operation(ctx: schemathesis.HookContext) -> Operation:
    operation = ctx.operation
    assert operation is not None
    raw = operation.definition.raw
    return Operation(
        raw.get("operationId", ""), operation.method.upper(), operation.path, (), (), None
    )


@schema.hook
def flatmap_path_parameters(
    ctx: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    if not SEEDED or not path_parameters:
        return st.just(path_parameters)
    op = _probe_operation(ctx)
    world = SEEDED["world"]
    options: dict[str, st.SearchStrategy[Any]] = {}
    for name, generated in path_parameters.items():
        try:
            real = path_values(op, name, world)[1]
        except (KeyError, ValueError):
            real = []
        options[name] = (
            st.one_of(st.just(generated), st.sampled_from(real)) if real else st.just(generated)
        )
    return st.fixed_dictionaries(options)


@schema.hook
def flatmap_query(
    ctx: schemathesis.HookContext, query: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    if not SEEDED or not query:
        return st.just(query)
    op = _probe_operation(ctx)
    world = SEEDED["world"]
    options: dict[str, st.SearchStrategy[Any]] = {}
    for name, generated in query.items():
        real: list[str] = []
        if name in QUERY_REFERENCES:
            try:
                real = QUERY_REFERENCES[name][2](world, op)
            except KeyError:
                real = []
        options[name] = (
            st.one_of(st.just(generated), st.sampled_from(real)) if real else st.just(generated)
        )
    return st.fixed_dictionaries(options)


@pytest.fixture(scope="module")
def fuzz_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server of the fuzzer's own: what it creates and archives stays in its workspace."""
    env = {"DATALINKS_WORKERS": "1"}
    with start_live_server(database_url, tmp_path_factory.mktemp("fuzz"), extra_env=env) as server:
        yield server


@pytest.fixture(scope="module")
def world(fuzz_server: LiveServer) -> World:
    tenant = Tenant(None, "", fuzz_server.workspace_key, fuzz_server.workspace_secret)  # type: ignore[arg-type]

    async def build() -> World:
        async with httpx.AsyncClient(base_url=fuzz_server.url, timeout=60) as client:
            return await make_world(client, tenant, "fuzz-customer")

    made = asyncio.run(build())
    SEEDED["world"] = made
    return made


def _fuzz(case: schemathesis.Case, server: LiveServer, headers: dict[str, str], who: str) -> None:
    COUNTS[who] = COUNTS.get(who, 0) + 1
    case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS, timeout=60)


SETTINGS = hypothesis.settings(
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    database=None,
    derandomize=SEED != "random",
)


@schema.parametrize()
@SETTINGS
def test_fuzz_as_admin(case: schemathesis.Case, fuzz_server: LiveServer, world: World) -> None:
    token = mint_token(fuzz_server.workspace_key, fuzz_server.workspace_secret, admin=True)
    _fuzz(case, fuzz_server, {"Authorization": f"Bearer {token}"}, "admin")


@schema.parametrize()
@SETTINGS
def test_fuzz_as_customer(case: schemathesis.Case, fuzz_server: LiveServer, world: World) -> None:
    _fuzz(case, fuzz_server, world.holdings.headers, "customer")


def test_live_document(fuzz_server: LiveServer) -> None:
    """What was fuzzed is what the running server serves."""
    served = httpx.get(f"{fuzz_server.url}/openapi.json", timeout=30).json()
    assert served == DOCUMENT


def test_zz_report(fuzz_server: LiveServer) -> None:
    operations = sum(
        1
        for item in DOCUMENT["paths"].values()
        for m in item
        if m in ("get", "put", "post", "patch", "delete")
    )
    record("fuzz: operations", operations)
    for who, count in COUNTS.items():
        record(f"fuzz: requests as {who}", count)
