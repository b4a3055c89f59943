"""Clients generated from the committed openapi.json drive a real server, with no hand edits.

Python: `openapi-python-client` (a dev dependency) generates a package into a temporary folder
and the scenario below runs it in this process. TypeScript: `openapi-typescript` generates the
types, `tsc --noEmit` type-checks `tests/clients/ts/scenario.ts` against them, and the compiled
scenario runs with `openapi-fetch` (npm packages pinned in tests/clients/ts/package-lock.json,
installed with `npm ci`). Both run the same story: create a table, resolve an instance with
autoCreate, upsert links, find one both ways, page through them with the cursor, delete one,
and read a 404 as the typed `Error`. The README's "Generated clients" section shows the same
generator commands.
"""

from __future__ import annotations

import importlib
import os
import re
import secrets
import shutil
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from datalinks.core.auth import mint_token
from tests.support.live import REPO_ROOT, LiveServer
from tests.support.node import npm_ci_if_stale

DOCUMENT = REPO_ROOT / "openapi.json"
TS_DIR = REPO_ROOT / "tests" / "clients" / "ts"
VENV_BIN = Path(sys.executable).parent
PACKAGE = "datalinks_client"
GENERATE_TIMEOUT_SECONDS = 300.0
# openapi-python-client sends JSON, forms and octet streams only: the NDJSON/CSV upload
# operations are the one thing it skips (with these warnings). Anything else it warns about
# is a defect of the document.
KNOWN_WARNINGS = (
    re.compile(
        r"WARNING parsing POST \S+/links/import within \S+\. Endpoint will not be generated\."
    ),
    re.compile(r"Unsupported content type (application/x-ndjson|text/csv)"),
)
GENERATOR_CHATTER = (
    re.compile(r"Generating .*"),
    re.compile(r"Warning\(s\) encountered while generating\..*"),
    re.compile(r"If you believe this was a mistake.*"),
)


def _tool_env() -> dict[str, str]:
    # The generator formats its output with ruff from the same virtual environment.
    return {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def unexpected_warnings(output: str) -> list[str]:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    allowed = (*KNOWN_WARNINGS, *GENERATOR_CHATTER)
    return [line for line in lines if not any(p.fullmatch(line) for p in allowed)]


@pytest.fixture(scope="session")
def python_client(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    out = tmp_path_factory.mktemp("python-client")
    # The README's command, with the output in a temporary folder.
    command = [
        str(VENV_BIN / "openapi-python-client"),
        "generate",
        "--path",
        str(DOCUMENT),
        "--meta",
        "none",
        "--output-path",
        str(out / PACKAGE),
    ]
    result = subprocess.run(
        command,
        cwd=out,
        env=_tool_env(),
        capture_output=True,
        text=True,
        timeout=GENERATE_TIMEOUT_SECONDS,
    )
    output = f"{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, output
    assert not unexpected_warnings(output), output
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))


def test_unexpected_generator_warnings_are_caught() -> None:
    """The allow-list above lets through the upload operations only."""
    output = (
        "Generating /tmp/x\n"
        "WARNING parsing POST /data-link-tables/{selector}/links/import within data_links. "
        "Endpoint will not be generated.\n"
        "Unsupported content type text/csv\n"
        "WARNING parsing GET /data-links within data_links. Endpoint will not be generated.\n"
        "Could not find reference in parsed models or enums\n"
    )
    assert unexpected_warnings(output) == [
        "WARNING parsing GET /data-links within data_links. Endpoint will not be generated.",
        "Could not find reference in parsed models or enums",
    ]


class Generated:
    """The generated package's modules, by their short names."""

    def __init__(self, package: ModuleType) -> None:
        self.package = package
        self.models: Any = importlib.import_module(f"{PACKAGE}.models")
        self.types: Any = importlib.import_module(f"{PACKAGE}.types")

    def api(self, tag: str, operation: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{operation}")

    def client(self, server: LiveServer, **claims: Any) -> Any:
        token = mint_token(server.workspace_key, server.workspace_secret, **claims)
        return self.package.AuthenticatedClient(base_url=server.url, token=token)


def test_python_client(python_client: ModuleType, live_server: LiveServer) -> None:
    gen = Generated(python_client)
    models, unset = gen.models, gen.types.Unset
    tag = secrets.token_hex(4)
    admin = gen.client(live_server, admin=True)
    alice = gen.client(live_server, customer_id=f"py-alice-{tag}")

    integration = gen.api("integrations", "create_integration").sync(
        client=admin, body=models.IntegrationWrite(key=f"py-crm-{tag}", name="Py CRM")
    )
    assert isinstance(integration, models.Integration), integration
    table = gen.api("data_link_tables", "create_data_link_table").sync(
        client=admin, body=models.DataLinkTableWrite(name="Contacts", key=f"py-contacts-{tag}")
    )
    assert isinstance(table, models.DataLinkTable), table
    assert table.key == f"py-contacts-{tag}"
    connection = gen.api("connections", "create_connection").sync(
        client=alice, body=models.ConnectionWrite(integration_key=integration.key)
    )
    assert isinstance(connection, models.Connection), connection
    selector = {"data_link_table_key": table.key, "connection_id": connection.id}

    # Resolve the instance, creating it on first use.
    instance = gen.api("data_link_table_instances", "get_data_link_table_instance").sync(
        client=alice, auto_create=True, **selector
    )
    assert isinstance(instance, models.DataLinkTableInstance), instance
    assert (instance.data_link_table_id, instance.connection_id) == (table.id, connection.id)

    # Upsert links: 204, nothing to parse.
    create = gen.api("data_links", "create_data_link_table_instance_link")
    for n in (1, 2, 3):
        body = models.DataLinkWrite(
            external_record_id=f"ext-{n}",
            app_record_id=f"app-{n}",
            direction=models.Direction.IMPORT,
        )
        created = create.sync_detailed(client=alice, body=body, **selector)
        assert created.status_code == HTTPStatus.NO_CONTENT, created.content
        assert created.parsed is None

    # Find it both ways: instance-addressed by the external id, table-addressed by the app id.
    find = gen.api("data_links", "find_data_link_table_instance_links")
    by_external = find.sync(
        client=alice, direction=models.Direction.IMPORT, external_record_id="ext-2", **selector
    )
    assert isinstance(by_external, models.DataLinkPage), by_external
    assert [link.app_record_id for link in by_external.items] == ["app-2"]
    by_app = gen.api("data_links", "get_data_link_table_links").sync(
        table.key, client=alice, connection_id=connection.id, app_record_id="app-2"
    )
    assert isinstance(by_app, models.DataLinkPage), by_app
    assert [(link.external_record_id, link.direction) for link in by_app.items] == [
        ("ext-2", models.DataLinkDirection.IMPORT)
    ]

    # Page through all of them: pass `cursor` back until a page has none.
    seen: list[str] = []
    cursor: Any = gen.types.UNSET
    pages = 0
    while True:
        page = find.sync(client=alice, limit=2, cursor=cursor, **selector)
        assert isinstance(page, models.DataLinkPage), page
        seen += [link.external_record_id for link in page.items]
        pages += 1
        if isinstance(page.cursor, unset):
            break
        cursor = page.cursor
    assert (seen, pages) == (["ext-1", "ext-2", "ext-3"], 2)

    # Delete one with a JSON body on DELETE, as Membrane's SDK does; then it is gone.
    deleted = gen.api("data_links", "delete_data_link_table_instance_link").sync_detailed(
        client=alice,
        body=models.DataLinkWrite(
            external_record_id="ext-2", app_record_id="app-2", direction=models.Direction.IMPORT
        ),
        **selector,
    )
    assert deleted.status_code == HTTPStatus.OK, deleted.content
    after = find.sync(client=alice, external_record_id="ext-2", **selector)
    assert isinstance(after, models.DataLinkPage), after
    assert after.items == []

    # A 404 parses into the typed Error.
    missing = gen.api("data_links", "get_data_link_table_links").sync_detailed(
        f"no-such-table-{tag}", client=alice, connection_id=connection.id
    )
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert isinstance(missing.parsed, models.Error), missing.content
    assert (missing.parsed.type_, missing.parsed.key) == ("bad_request", "not_found")
    assert missing.parsed.message


# --- TypeScript ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("the generated TypeScript client test needs Node.js 18+ and npm on PATH")
    npm_ci_if_stale(npm, TS_DIR)
    return node


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=GENERATE_TIMEOUT_SECONDS
    )
    output = f"{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output}"
    return output


@pytest.mark.node
def test_typescript_client(node: str, live_server: LiveServer, tmp_path: Path) -> None:
    for name in ("package.json", "tsconfig.json", "scenario.ts"):
        shutil.copy(TS_DIR / name, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(TS_DIR / "node_modules", target_is_directory=True)
    bin_dir = TS_DIR / "node_modules" / ".bin"
    # The README's commands: generate the types, then type-check the code that uses them.
    _run([str(bin_dir / "openapi-typescript"), str(DOCUMENT), "-o", "schema.d.ts"], tmp_path)
    _run([str(bin_dir / "tsc"), "--noEmit", "-p", "."], tmp_path)
    _run([str(bin_dir / "tsc"), "-p", "."], tmp_path)
    output = _run([node, "out/scenario.js"], tmp_path, env=live_server.env())
    assert "generated TypeScript client scenario: ok" in output
