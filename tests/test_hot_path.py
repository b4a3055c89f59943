"""The link calls' shortcut (data_links/hot_path.py) answers exactly as the regular routes do.

Each scenario runs twice on one database, through an app with the shortcut and through one
without it, and every answer must be the same: status, body (ids and timestamps aside, which
differ between the two runs' own links) and content type. The shortcut must also really have
answered, or the comparison proves nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from datalinks.app import create_app
from datalinks.db.engine import Database
from datalinks.settings import Settings
from tests.support.helpers import Tenant
from tests.support.linkfixtures import LinkWorld, make_world

PATH = "/data-link-table-instance/links"
VOLATILE = ("id", "createdAt", "updatedAt", "dataLinkTableInstanceId")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
async def cold_client(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    cold = create_app(settings.model_copy(update={"hot_path": False}), database=database)
    transport = httpx.ASGITransport(app=cold, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://datalinks.test") as c:
        yield c


def _stable(response: httpx.Response) -> tuple[int, str | None, Any]:
    body: Any = response.content
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, dict) and "items" in body:
            for item in body["items"]:
                assert TIMESTAMP.match(item["createdAt"]) and TIMESTAMP.match(item["updatedAt"])
                assert item["id"].isdigit() and item["dataLinkTableInstanceId"]
            body = {
                **body,
                "items": [{k: v for k, v in i.items() if k not in VOLATILE} for i in body["items"]],
                "cursor": "present" if body.get("cursor") else None,
            }
    return response.status_code, response.headers.get("content-type"), body


async def _scenario(world: LinkWorld) -> list[tuple[int, str | None, Any]]:
    c, params, headers = world.client, world.selector, world.customer
    answers = []

    async def call(method: str, extra: dict[str, str] | None = None, **kw: Any) -> None:
        r = await c.request(method, PATH, params={**params, **(extra or {})}, headers=headers, **kw)
        answers.append(_stable(r))

    # The first call resolves the selector the long way and remembers it; then the hot ones.
    for n in range(5):
        await call("POST", json={"externalRecordId": f"e{n}", "appRecordId": f"a{n}"})
    await call("POST", json={"externalRecordId": "e1", "appRecordId": "a1", "direction": "import"})
    await call(
        "POST", json={"externalRecordId": "ü ✓", "appRecordId": "x/y?z", "direction": "export"}
    )
    await call("GET")
    await call("GET", {"limit": "3"})
    await call("GET", {"direction": "import", "externalRecordId": "e1"})
    await call("GET", {"direction": "export", "appRecordId": "x/y?z"})
    await call("GET", {"appRecordId": "nope"})
    await call("GET", {"limit": "0"})
    await call("GET", {"limit": "abc"})
    await call("GET", {"cursor": "garbage"})
    await call("GET", {"direction": "sideways"})
    await call("POST", json={"externalRecordId": "", "appRecordId": "a"})
    await call("POST", json={"externalRecordId": 5, "appRecordId": "a"})
    await call("POST", json={"externalRecordId": "e", "appRecordId": "a", "direction": "up"})
    await call("POST", json=["not", "an", "object"])
    await call(
        "DELETE", json={"externalRecordId": "e1", "appRecordId": "a1", "direction": "import"}
    )
    await call("DELETE", {"externalRecordId": "e2", "appRecordId": "a2", "direction": "both"})
    await call(
        "DELETE", {"direction": "export"}, json={"externalRecordId": "e3", "appRecordId": "a3"}
    )
    await call("DELETE", json={"externalRecordId": "never", "appRecordId": "was"})
    await call("DELETE", json={"appRecordId": "a4"})
    await call("GET")
    # Someone else's token on this selector: the guard fails, the regular route answers.
    other = world.tenant.customer(f"mallory-{uuid.uuid4().hex[:4]}")
    r = await c.get(PATH, params=params, headers=other)
    answers.append((r.status_code, r.headers.get("content-type"), r.json()["key"]))
    return answers


async def test_the_shortcut_answers_like_the_regular_routes(
    client: httpx.AsyncClient, cold_client: httpx.AsyncClient, app: Any, tenant: Tenant
) -> None:
    cold = await _scenario(await make_world(cold_client, tenant, "cold-customer"))
    before = app.state.hot_links.answered if hasattr(app.state, "hot_links") else 0
    hot = await _scenario(await make_world(client, tenant, "hot-customer"))
    assert hot == cold
    # The valid calls after the first were answered by the shortcut.
    assert app.state.hot_links.answered - before >= 12


async def test_an_archived_instance_is_not_written_through_a_remembered_slot(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    assert (await world.create_link("e", "a")).status_code == 204
    instance = await client.get(
        "/data-link-table-instance", params=world.selector, headers=world.customer
    )
    r = await client.delete(
        "/data-link-table-instance", params={"id": instance.json()["id"]}, headers=world.customer
    )
    assert r.status_code == 200, r.text
    # autoCreate: the regular route makes a new instance; the link lands there, not in the
    # archived one the slot remembered.
    assert (await world.create_link("e2", "a2")).status_code == 204
    assert [i["externalRecordId"] for i in await world.find()] == ["e2"]
