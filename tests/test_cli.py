"""The operator's CLI, run as a real `python -m datalinks` process against the test database.

The tests that start one are marked `live`, as the server tests are: each process boots all of
the service's code (a second or two apiece, most of this file's time), so the quick loop leaves
them out."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import httpx
import jwt
import psycopg
import pytest
from pydantic import ValidationError

from datalinks.bootstrap import bootstrap_workspaces
from datalinks.db import migrate
from datalinks.db.engine import Database
from datalinks.settings import Settings, normalise_database_url
from datalinks.workspaces.repository import WorkspaceExists, WorkspaceRepository
from tests.support.databases import create_database, drop_database, libpq_url
from tests.support.helpers import assert_error
from tests.support.marks import LIVE, expect_mark


def run_cli(
    database_url: str, *args: str, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    expect_mark(LIVE, "runs the `datalinks` CLI as a process of its own")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATALINKS_")}
    env["DATABASE_URL"] = database_url
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "datalinks", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1].strip()


@pytest.mark.live
async def test_workspace_create_list_and_tokens(
    client: httpx.AsyncClient, database_url: str
) -> None:
    key = f"cli-{uuid.uuid4().hex[:8]}"
    created = run_cli(database_url, "workspace", "create", "--key", key, "--name", "CLI space")
    assert created.returncode == 0, created.stderr
    assert key in created.stdout and "secret" in created.stdout

    listed = run_cli(database_url, "workspace", "list")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert [key, "CLI space"] in [row[:2] for row in rows]

    admin = run_cli(database_url, "token", "--workspace", key, "--admin")
    assert admin.returncode == 0, admin.stderr
    token = last_line(admin.stdout)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == key and claims["isAdmin"] is True and "exp" in claims
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.post("/integrations", json={"name": "From CLI"}, headers=headers)
    assert response.status_code == 200, response.text

    customer = run_cli(
        database_url, "token", "--workspace", key, "--customer", "cli-user", "--name", "Cli User"
    )
    assert customer.returncode == 0, customer.stderr
    headers = {"Authorization": f"Bearer {last_line(customer.stdout)}"}
    me = await client.get("/self", headers=headers)
    assert me.status_code == 200, me.text
    assert me.json()["internalId"] == "cli-user" and me.json()["name"] == "Cli User"
    # A customer token is not an admin token.
    assert_error(await client.post("/customers", json={"name": "x"}, headers=headers), 403)


@pytest.mark.live
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
async def test_token_alg_and_fields(
    client: httpx.AsyncClient, database_url: str, algorithm: str
) -> None:
    key = f"cli-{uuid.uuid4().hex[:8]}"
    assert run_cli(database_url, "workspace", "create", "--key", key).returncode == 0
    minted = run_cli(
        database_url,
        *("token", "--workspace", key, "--customer", "c1", "--alg", algorithm),
        *("--fields", '{"plan": "pro"}'),
    )
    assert minted.returncode == 0, minted.stderr
    token = last_line(minted.stdout)
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    me = await client.get("/self", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["fields"] == {"plan": "pro"}
    for bad in (("--alg", "none"), ("--alg", "RS256"), ("--fields", "[1]"), ("--fields", "{")):
        refused = run_cli(database_url, "token", "--workspace", key, "--customer", "c", *bad)
        assert refused.returncode == 2, (bad, refused.stderr)
    admin_fields = run_cli(database_url, "token", "--workspace", key, "--admin", "--fields", "{}")
    assert admin_fields.returncode != 0 and "--admin" in admin_fields.stderr


@pytest.mark.live
def test_token_needs_admin_or_customer(database_url: str) -> None:
    key = f"cli-{uuid.uuid4().hex[:8]}"
    assert run_cli(database_url, "workspace", "create", "--key", key).returncode == 0
    result = run_cli(database_url, "token", "--workspace", key)
    assert result.returncode != 0
    assert "--admin" in result.stderr and "--customer" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.live
def test_token_for_unknown_workspace(database_url: str) -> None:
    result = run_cli(database_url, "token", "--workspace", "no-such-ws", "--admin")
    assert result.returncode != 0
    assert "no-such-ws" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.live
def test_workspace_create_twice(database_url: str) -> None:
    key = f"cli-{uuid.uuid4().hex[:8]}"
    assert run_cli(database_url, "workspace", "create", "--key", key).returncode == 0
    again = run_cli(database_url, "workspace", "create", "--key", key)
    assert again.returncode != 0
    assert "already exists" in again.stderr and "Traceback" not in again.stderr


@pytest.mark.live
def test_workspace_create_bad_key(database_url: str) -> None:
    for key in ("", "k" * 256, "bad\tkey", "ünïcode"):
        result = run_cli(database_url, "workspace", "create", "--key", key)
        assert result.returncode != 0, key
        assert "Traceback" not in result.stderr, result.stderr
    result = run_cli(database_url, "workspace", "create", "--key", "ok-key", "--name", "n" * 1001)
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr


@pytest.mark.live
def test_usage_errors(database_url: str) -> None:
    result = run_cli(database_url)
    assert result.returncode == 2 and "usage" in result.stderr.lower()
    result = run_cli(database_url, "token", "--admin")
    assert result.returncode == 2 and "--workspace" in result.stderr


async def test_parallel_workspace_creates(database: Database) -> None:
    key = f"race-{uuid.uuid4().hex[:8]}"

    async def attempt() -> str:
        async with database.sessionmaker.begin() as session:
            try:
                await WorkspaceRepository(session).create(key, None)
            except WorkspaceExists:
                return "exists"
            return "created"

    results = await asyncio.gather(*(attempt() for _ in range(8)))
    assert sorted(results) == ["created"] + ["exists"] * 7


async def test_bootstrap_on_a_fresh_database(server_url: str) -> None:
    url = create_database(server_url)
    try:
        migrate.upgrade(url)
        settings = Settings(database_url=url, workspace_key=None, workspace_secret=None)
        database = Database.open(settings)
        try:
            async with database.sessionmaker.begin() as session:
                created = await bootstrap_workspaces(session, settings)
            assert created is not None and created.key == "default" and created.secret
            # Only the first start makes (and shows) the default workspace.
            async with database.sessionmaker.begin() as session:
                assert await bootstrap_workspaces(session, settings) is None
            # A workspace named by the environment is created, then follows its secret.
            for secret in ("first-secret-" * 3, "rotated-secret-" * 3):
                env = settings.model_copy(
                    update={"workspace_key": "from-env", "workspace_secret": secret}
                )
                async with database.sessionmaker.begin() as session:
                    assert await bootstrap_workspaces(session, env) is None
                async with database.sessionmaker() as session:
                    workspace = await WorkspaceRepository(session).get_by_key("from-env")
                    assert workspace is not None and workspace.secret == secret
            async with database.sessionmaker() as session:
                assert await WorkspaceRepository(session).count() == 2
        finally:
            await database.close()
    finally:
        drop_database(server_url, url)


@pytest.mark.live
def test_migrate_up_and_down(server_url: str) -> None:
    url = create_database(server_url)
    try:
        up = run_cli(url, "migrate")
        assert up.returncode == 0, up.stderr
        assert "head" in up.stdout
        # A second run has nothing to do and says so the same way.
        assert run_cli(url, "migrate").returncode == 0
        down = run_cli(url, "migrate", "base", "--downgrade")
        assert down.returncode == 0, down.stderr
        with psycopg.connect(libpq_url(url)) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename <> 'alembic_version'"
            ).fetchone()
            assert tables == (0,)
    finally:
        drop_database(server_url, url)


def test_database_urls_are_normalised() -> None:
    for given in (
        "postgres://u:p@h:5432/d",
        "postgresql://u:p@h:5432/d",
        "postgresql+psycopg2://u:p@h:5432/d",
        "postgresql+psycopg://u:p@h:5432/d",
    ):
        assert normalise_database_url(given) == "postgresql+psycopg://u:p@h:5432/d"
    assert Settings(database_url="postgres://u@h/d").database_url == "postgresql+psycopg://u@h/d"


@pytest.mark.live
def test_workspace_settings_come_in_pairs(database_url: str) -> None:
    with pytest.raises(ValidationError):
        Settings(database_url=database_url, workspace_key="half", workspace_secret=None)
    with pytest.raises(ValidationError):
        Settings(database_url=database_url, workspace_key=None, workspace_secret="s" * 40)
    result = run_cli(database_url, "workspace", "list", env_extra={"DATALINKS_WORKSPACE_KEY": "k"})
    assert result.returncode != 0
    assert "DATALINKS_WORKSPACE_SECRET" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.live
def test_token_lifetime_must_be_positive(database_url: str) -> None:
    for ttl in ("0", "-5", "soon"):
        result = run_cli(database_url, "token", "--workspace", "w", "--admin", "--ttl", ttl)
        assert result.returncode == 2 and "lifetime" in result.stderr, result.stderr
