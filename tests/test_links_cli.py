"""`datalinks links export|import` against a real `datalinks serve` over HTTP, and an upload
that a client abandons halfway, on a real socket."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import orjson
import psycopg
import pytest
from sqlalchemy.engine import make_url

from datalinks.core.auth import mint_token
from tests.support.live import LiveServer

CLI = (sys.executable, "-m", "datalinks", "links")
AWKWARD = ['comma, "quotes"', "line\nbreak", "tab\there", "back\\slash", "ünï©ødé 𝄞"]


@dataclass
class Remote:
    server: LiveServer
    table: str
    connection: str
    token: str

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in self.server.env().items() if not k.startswith("DATALINKS_WORK")}
        return {**env, "DATALINKS_TOKEN": self.token, **extra}

    def run(
        self, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*CLI, *args],
            env=env or self.env(),
            input=stdin,
            capture_output=True,
            timeout=120,
            check=False,
        )

    def selector(self, connection: str | None = None) -> list[str]:
        return ["--table", self.table, "--connection", connection or self.connection]

    def new_connection(self) -> str:
        admin = {"Authorization": f"Bearer {self.token}"}
        r = httpx.post(
            f"{self.server.url}/integrations",
            json={"key": f"crm-{uuid.uuid4().hex[:8]}"},
            headers=admin,
        )
        assert r.status_code == 200, r.text
        # The customer's own token: its first use creates the customer.
        customer = mint_token(
            self.server.workspace_key, self.server.workspace_secret, customer_id="cli-customer"
        )
        r = httpx.post(
            f"{self.server.url}/connections",
            json={"integrationId": r.json()["id"]},
            headers={"Authorization": f"Bearer {customer}"},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["id"])

    def links(self, connection: str | None = None) -> list[tuple[str, str, str]]:
        query = urlencode(
            {
                "connectionId": connection or self.connection,
                "limit": 1000,
            }
        )
        r = httpx.get(
            f"{self.server.url}/data-link-tables/{self.table}/links/export?{query}",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert r.status_code == 200, r.text
        rows = [json.loads(line) for line in r.text.splitlines()]
        return [(x["externalRecordId"], x["appRecordId"], x["direction"]) for x in rows]


@pytest.fixture
def remote(live_server: LiveServer) -> Remote:
    token = mint_token(live_server.workspace_key, live_server.workspace_secret, admin=True)
    admin = {"Authorization": f"Bearer {token}"}
    key = f"contacts-{uuid.uuid4().hex[:8]}"
    r = httpx.post(f"{live_server.url}/data-link-tables", json={"key": key}, headers=admin)
    assert r.status_code == 200, r.text
    remote = Remote(live_server, key, "", token)
    remote.connection = remote.new_connection()
    return remote


def write_ndjson(path: Path, count: int) -> list[tuple[str, str, str]]:
    rows = [
        {"externalRecordId": f"hs-{i}", "appRecordId": f"user-{i}", "direction": "import"}
        for i in range(count)
    ] + [
        {"externalRecordId": ext, "appRecordId": ext[::-1], "direction": "export"}
        for ext in AWKWARD
    ]
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    return [(r["externalRecordId"], r["appRecordId"], r["direction"]) for r in rows]


def test_import_then_export_both_formats_round_trip(remote: Remote, tmp_path: Path) -> None:
    expected = write_ndjson(tmp_path / "in.ndjson", 5000)
    done = remote.run("import", *remote.selector(), str(tmp_path / "in.ndjson"))
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout) == {
        "created": 5005,
        "updated": 0,
        "rejected": 0,
        "errors": [],
    }
    assert b"created 5005" in done.stderr
    assert remote.links() == expected

    for name in ("out.ndjson", "out.csv"):
        done = remote.run("export", *remote.selector(), str(tmp_path / name))
        assert done.returncode == 0, done.stderr.decode()
    assert (
        (tmp_path / "out.csv")
        .read_bytes()
        .startswith(b"externalRecordId,appRecordId,direction,createdAt,updatedAt\r\n")
    )
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]

    # The CSV export is a valid import, into another connection's (new) instance.
    other = remote.new_connection()
    done = remote.run("import", *remote.selector(other), str(tmp_path / "out.csv"))
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["created"] == 5005
    assert remote.links(other) == expected
    # And the NDJSON export too; every link is already there.
    done = remote.run("import", *remote.selector(other), str(tmp_path / "out.ndjson"))
    assert json.loads(done.stdout)["updated"] == 5005


def test_stdin_and_stdout(remote: Remote, tmp_path: Path) -> None:
    lines = b'{"externalRecordId": "e1", "appRecordId": "a1"}\n'
    done = remote.run("import", *remote.selector(), "--format", "ndjson", "-", stdin=lines)
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["created"] == 2
    done = remote.run("export", *remote.selector(), "--format", "csv", "--quiet", "-")
    assert done.returncode == 0, done.stderr.decode()
    rows = done.stdout.decode().splitlines()
    assert [row.split(",")[:3] for row in rows[1:]] == [
        ["e1", "a1", "import"],
        ["e1", "a1", "export"],
    ]


def test_a_token_minted_from_the_workspace_secret(remote: Remote, tmp_path: Path) -> None:
    env = {k: v for k, v in remote.server.env().items() if k != "DATALINKS_TOKEN"}
    write_ndjson(tmp_path / "in.ndjson", 3)
    done = remote.run("import", *remote.selector(), str(tmp_path / "in.ndjson"), env=env)
    assert done.returncode == 0, done.stderr.decode()
    bare = {k: v for k, v in env.items() if not k.startswith("DATALINKS_WORK")}
    done = remote.run("export", *remote.selector(), str(tmp_path / "out.ndjson"), env=bare)
    assert done.returncode == 1
    assert b"no token" in done.stderr


def test_malformed_lines_fail_unless_partial(remote: Remote, tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_bytes(
        b'{"externalRecordId": "e1", "appRecordId": "a1", "direction": "import"}\n'
        b'{"externalRecordId": "e2"}\n'
        b'{"externalRecordId": "e3", "appRecordId": "a3", "direction": "import"}\n'
    )
    done = remote.run("import", *remote.selector(), str(source))
    assert done.returncode == 1
    assert b"400" in done.stderr and b"line 2" in done.stderr
    assert remote.links() == []
    done = remote.run("import", *remote.selector(), "--partial", str(source))
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert (report["created"], report["rejected"]) == (2, 1)
    assert b"line 2: appRecordId" in done.stderr
    assert remote.links() == [("e1", "a1", "import"), ("e3", "a3", "import")]


def test_errors_leave_no_file_and_say_why(remote: Remote, tmp_path: Path) -> None:
    target = tmp_path / "out.ndjson"
    done = remote.run(
        "export", "--table", "no-such-table", "--connection", remote.connection, str(target)
    )
    assert done.returncode == 1
    assert b"404" in done.stderr and b"not_found" in done.stderr
    # The instance does not exist yet: an export does not create it.
    done = remote.run("export", *remote.selector(), str(target))
    assert done.returncode == 1 and b"404" in done.stderr
    assert list(tmp_path.iterdir()) == []
    done = remote.run("import", *remote.selector(), str(tmp_path / "missing.ndjson"))
    assert done.returncode == 1 and b"cannot read" in done.stderr
    bad_token = remote.env(DATALINKS_TOKEN="not-a-token")
    (tmp_path / "in.ndjson").write_bytes(b"")
    done = remote.run("import", *remote.selector(), str(tmp_path / "in.ndjson"), env=bad_token)
    assert done.returncode == 1 and b"401" in done.stderr
    done = remote.run("export", *remote.selector(), "--url", "http://127.0.0.1:9", str(target))
    assert done.returncode == 1 and b"cannot reach" in done.stderr


def import_running(database_url: str) -> bool:
    libpq = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(libpq.render_as_string(hide_password=False)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state <> 'idle' "
            "AND query LIKE 'COPY datalinks_import_staging%'"
        ).fetchone()
        return bool(row and row[0])


def test_an_upload_abandoned_halfway_applies_nothing(remote: Remote, database_url: str) -> None:
    """A real client that sends half its declared body and hangs up: the server sees the
    disconnect mid-COPY and rolls the whole import back."""
    lines = [
        orjson.dumps({"externalRecordId": f"e{i}", "appRecordId": f"a{i}"}) + b"\n"
        for i in range(40_000)
    ]
    body = b"".join(lines)
    query = urlencode({"connectionId": remote.connection, "autoCreate": "true"})
    path = f"/data-link-tables/{remote.table}/links/import?{query}"
    url = urlsplit(remote.server.url)
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {url.netloc}\r\n"
        f"Authorization: Bearer {remote.token}\r\n"
        "Content-Type: application/x-ndjson\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    offset = remote.server.log_size()
    assert url.hostname and url.port
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(head + body[: len(body) // 2])
        deadline = time.monotonic() + 30
        while not import_running(database_url):  # the COPY has begun
            assert time.monotonic() < deadline, "the import never started"
            time.sleep(0.05)
    deadline = time.monotonic() + 30
    while import_running(database_url):  # and is over: committed or rolled back
        assert time.monotonic() < deadline, "the abandoned import did not end"
        time.sleep(0.05)
    # Not a link, not even the instance the import's autoCreate made.
    r = httpx.get(
        f"{remote.server.url}/data-link-tables/{remote.table}/links/export",
        params={"connectionId": remote.connection},
        headers={"Authorization": f"Bearer {remote.token}"},
    )
    assert r.status_code == 404, r.text
    # The server goes on: the same import, whole this time, is applied.
    r = httpx.post(
        f"{remote.server.url}{path}",
        content=b"".join(lines[:3]),
        headers={"Authorization": f"Bearer {remote.token}", "Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    assert len(remote.links()) == 6
    assert "Traceback" not in remote.server.log_since(offset)
