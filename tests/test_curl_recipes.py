"""The README's curl recipes cannot rot: they are examples/curl-recipes.sh, which runs here
against a live server (twice, as a rerun must work too), and the README's curl commands are
exactly the script's."""

from __future__ import annotations

import asyncio
import json
import os
import re
from typing import Any

from tests.support.helpers import Tenant
from tests.support.live import REPO_ROOT, LiveServer

SCRIPT = REPO_ROOT / "examples" / "curl-recipes.sh"
README = REPO_ROOT / "README.md"
SECTION = "### Try it with curl"
SCRIPT_TIMEOUT_SECONDS = 120.0


def curl_commands(shell: str) -> list[str]:
    """Each curl command in a piece of shell, continuation lines joined and spaces collapsed."""
    commands = []
    for line in shell.replace("\\\n", " ").splitlines():
        if line.strip().startswith("#"):
            continue
        match = re.search(r"\bcurl .*", line)
        if match:
            commands.append(" ".join(match.group(0).split()))
    return commands


def readme_section() -> str:
    text = README.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start)
    return text[start:end]


def test_curl_commands_are_found_whole() -> None:
    shell = (
        "# curl -s ignored comment\n"
        'CONN=$(curl -s -X POST "$DL/x" \\\n'
        "       -d '{}' | field id)\n"
        'curl -s "$DL/y"  -H "A: b"\n'
    )
    assert curl_commands(shell) == [
        """curl -s -X POST "$DL/x" -d '{}' | field id)""",
        'curl -s "$DL/y" -H "A: b"',
    ]


def test_readme_mirrors_the_script() -> None:
    script = SCRIPT.read_text()
    assert "set -euo pipefail" in script
    assert os.access(SCRIPT, os.X_OK)
    blocks = re.findall(r"```sh\n(.*?)```", readme_section(), flags=re.DOTALL)
    in_readme = curl_commands("\n".join(blocks))
    in_script = curl_commands(script)
    assert in_readme, f"no curl command under {SECTION!r} in README.md"
    assert [c for c in in_readme if c not in in_script] == [], "README curl not in the script"
    assert [c for c in in_script if c not in in_readme] == [], "script curl not in README.md"


def steps(output: str) -> dict[str, list[str]]:
    """The script's output by step (`== title` lines), each as its non-empty lines."""
    found: dict[str, list[str]] = {}
    for chunk in output.split("\n== ")[1:]:
        title, _, body = chunk.partition("\n")
        found[title] = [line for line in body.splitlines() if line.strip()]
    return found


def step(found: dict[str, list[str]], start: str) -> list[str]:
    matches = [lines for title, lines in found.items() if title.startswith(start)]
    assert len(matches) == 1, (start, list(found))
    return matches[0]


def documents(lines: list[str]) -> list[Any]:
    return [json.loads(line) for line in lines if line.startswith("{")]


async def run_script(server: LiveServer, tenant: Tenant) -> str:
    env = {key: value for key, value in os.environ.items() if key not in ("TOKEN", "ALICE", "DL")}
    env.update(
        DL=server.url,
        DATALINKS_WORKSPACE_KEY=tenant.key,
        DATALINKS_WORKSPACE_SECRET=tenant.secret,
    )
    process = await asyncio.create_subprocess_exec(
        "bash",
        str(SCRIPT),
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), SCRIPT_TIMEOUT_SECONDS)
    output = out.decode()
    assert process.returncode == 0, f"{output}\n--- stderr ---\n{err.decode()}"
    return output


def check_recipes(output: str, *, again: bool) -> None:
    found = steps(output)
    created = documents(step(found, "Once:"))
    if again:
        assert [d.get("key") for d in created] == ["already_exists", "already_exists"], created
    else:
        assert [d["key"] for d in created] == ["pipedrive", "contacts"], created
    assert re.fullmatch(r"\w+", step(found, "Alice connects")[0])
    assert step(found, "Upsert links") == ["HTTP 204", "HTTP 204"]
    (by_external,) = documents(step(found, "Which app record"))
    assert [link["appRecordId"] for link in by_external["items"]] == ["user-7"]
    (by_app,) = documents(step(found, "Which external record"))
    assert [link["externalRecordId"] for link in by_app["items"]] == ["hs-42"]
    pages = documents(step(found, "All links"))
    assert ["cursor" in page for page in pages] == [True, False]
    assert [
        (link["externalRecordId"], link["appRecordId"], link["direction"])
        for page in pages
        for link in page["items"]
    ] == [
        ("hs-42", "user-7", "import"),
        ("hs-43", "user-8", "import"),
        ("hs-43", "user-8", "export"),
    ]
    assert step(found, "Delete a link") == ["HTTP 200"]
    assert documents(step(found, "Gone")) == [{"items": []}]
    error = step(found, "An error")
    assert error[-1] == "HTTP 404"
    (body,) = documents(error)
    assert (body["type"], body["key"]) == ("bad_request", "not_found")
    (connections,) = documents(step(found, "Admin:"))
    assert len(connections["items"]) == (2 if again else 1)


async def test_recipes_run_against_a_live_server(live_server: LiveServer, tenant: Tenant) -> None:
    check_recipes(await run_script(live_server, tenant), again=False)
    # Run again in the same workspace: the table and integration exist, the rest still works.
    check_recipes(await run_script(live_server, tenant), again=True)
