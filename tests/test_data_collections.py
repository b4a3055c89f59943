"""Data collections an integration declares, and JSON Schema checks of collection choices."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from datalinks.models import DataCollection, DataSource, DataSourceInstance
from tests.support.helpers import Tenant, assert_error, assert_wire_shape

PROJECT_SCHEMA = {
    "type": "object",
    "properties": {
        "projectId": {"type": "string", "pattern": "^[0-9]+$"},
        "limit": {"type": "integer", "minimum": 1},
    },
    "required": ["projectId"],
    "additionalProperties": False,
}


async def setup_hubspot(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    r = await client.post("/integrations", json={"key": "hubspot"}, headers=tenant.admin)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def declare(
    client: httpx.AsyncClient, tenant: Tenant, key: str, schema: Any = None, name: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {}
    if schema is not None:
        body["parametersSchema"] = schema
    if name is not None:
        body["name"] = name
    return await client.put(f"/integrations/hubspot/data/{key}", json=body, headers=tenant.admin)


async def test_declare_list_get_delete(client: httpx.AsyncClient, tenant: Tenant) -> None:
    hubspot = await setup_hubspot(client, tenant)
    assert (await client.get("/integrations/hubspot/data", headers=tenant.admin)).json() == []
    r = await declare(client, tenant, "tasks", PROJECT_SCHEMA, name="Tasks")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "type": "collection",
        "key": "tasks",
        "name": "Tasks",
        "parametersSchema": PROJECT_SCHEMA,
    }
    assert (await declare(client, tenant, "contacts")).json() == {
        "type": "collection",
        "key": "contacts",
        "name": "contacts",
    }
    # The SDK's getDataCollections() answers a plain array of list items.
    alice = tenant.customer("alice")
    r = await client.get(f"/integrations/{hubspot['id']}/data", headers=alice)
    assert r.json() == [
        {"key": "contacts", "name": "contacts", "type": "collection"},
        {"key": "tasks", "name": "Tasks", "type": "collection"},
    ]
    r = await client.get("/integrations/hubspot/data/tasks", headers=alice)
    assert r.json()["parametersSchema"] == PROJECT_SCHEMA
    assert_wire_shape(r.json())
    # PUT again replaces, still one row.
    r = await declare(client, tenant, "tasks", name="All tasks")
    assert r.json()["name"] == "All tasks" and "parametersSchema" not in r.json()
    assert await tenant.count(DataCollection) == 2
    r = await client.delete("/integrations/hubspot/data/tasks", headers=tenant.admin)
    assert r.status_code == 200 and r.content == b""
    assert_error(await client.get("/integrations/hubspot/data/tasks", headers=alice), 404)
    r = await client.delete("/integrations/hubspot/data/tasks", headers=tenant.admin)
    assert_error(r, 404, "not_found")
    assert_error(await client.get("/integrations/nope/data", headers=alice), 404, "not_found")


async def test_writes_need_admin(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await setup_hubspot(client, tenant)
    alice = tenant.customer("alice")
    r = await client.put("/integrations/hubspot/data/tasks", json={}, headers=alice)
    assert_error(r, 403, "access_denied")
    await declare(client, tenant, "tasks")
    r = await client.delete("/integrations/hubspot/data/tasks", headers=alice)
    assert_error(r, 403, "access_denied")
    assert await tenant.count(DataCollection) == 1


async def test_other_workspace_cannot_see(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    hubspot = await setup_hubspot(client, tenant)
    await declare(client, tenant, "tasks")
    r = await client.get(f"/integrations/{hubspot['id']}/data", headers=other_tenant.admin)
    assert_error(r, 404, "not_found")


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "nonsense"},
        {"properties": {"a": {"minimum": "one"}}},
        {"required": "projectId"},
        {"$schema": 5},
        "not a schema",
        [1],
    ],
)
async def test_invalid_schema_is_400(
    client: httpx.AsyncClient, tenant: Tenant, schema: Any
) -> None:
    await setup_hubspot(client, tenant)
    r = await declare(client, tenant, "tasks", schema)
    issues = assert_error(r, 400)["data"]["issues"]
    assert issues[0]["path"] == "parametersSchema"
    assert await tenant.count(DataCollection) == 0


async def test_bad_collection_input(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await setup_hubspot(client, tenant)
    r = await client.put(
        "/integrations/hubspot/data/tasks", json={"name": ""}, headers=tenant.admin
    )
    assert_error(r, 400)
    r = await client.put(f"/integrations/hubspot/data/{'k' * 256}", json={}, headers=tenant.admin)
    assert_error(r, 400)
    assert await tenant.count(DataCollection) == 0
    await client.delete("/integrations/hubspot", headers=tenant.admin)
    r = await declare(client, tenant, "tasks")
    assert_error(r, 404)


async def test_data_source_checked_against_collections(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await setup_hubspot(client, tenant)

    async def create(body: dict[str, Any]) -> httpx.Response:
        return await client.post(
            "/data-sources", json={"integrationKey": "hubspot", **body}, headers=tenant.admin
        )

    # No collections declared: any key goes.
    assert (await create({"key": "free", "collectionKey": "anything"})).status_code == 200
    await declare(client, tenant, "tasks", PROJECT_SCHEMA)
    await declare(client, tenant, "contacts")
    issues = assert_error(await create({"key": "a", "collectionKey": "deals"}), 400)["data"][
        "issues"
    ]
    assert issues[0]["path"] == "collectionKey" and "deals" in issues[0]["message"]
    issues = assert_error(await create({"key": "a", "collectionKey": "tasks"}), 400)["data"][
        "issues"
    ]
    assert issues[0]["path"] == "collectionParameters.projectId"
    r = await create(
        {"key": "a", "collectionKey": "tasks", "collectionParameters": {"projectId": 123}}
    )
    issues = assert_error(r, 400)["data"]["issues"]
    assert issues[0]["path"] == "collectionParameters.projectId"
    assert "string" in issues[0]["message"]
    r = await create(
        {
            "key": "a",
            "collectionKey": "tasks",
            "collectionParameters": {"projectId": "1", "limit": 0, "extra": True},
        }
    )
    paths = {issue["path"] for issue in assert_error(r, 400)["data"]["issues"]}
    assert paths == {"collectionParameters.limit", "collectionParameters"}
    r = await create({"key": "a", "path": "/data/tasks?projectId=abc"})
    assert assert_error(r, 400)["data"]["issues"][0]["path"] == "collectionParameters.projectId"
    assert await tenant.count(DataSource) == 1
    r = await create(
        {"key": "a", "collectionKey": "tasks", "collectionParameters": {"projectId": "123"}}
    )
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "/data/tasks?projectId=123"
    # A collection without a schema takes any parameters.
    r = await create({"key": "b", "collectionKey": "contacts", "collectionParameters": {"x": 1}})
    assert r.status_code == 200, r.text
    # Patches are checked too, against the final state.
    r = await client.patch(
        "/data-sources/a?integrationKey=hubspot",
        json={"collectionParameters": {"projectId": "x"}},
        headers=tenant.admin,
    )
    assert_error(r, 400)
    r = await client.patch(
        "/data-sources/a?integrationKey=hubspot",
        json={"collectionKey": "nope"},
        headers=tenant.admin,
    )
    assert_error(r, 400)
    # Universal data sources belong to no integration: nothing to check against.
    r = await client.post(
        "/data-sources", json={"key": "u", "collectionKey": "deals"}, headers=tenant.admin
    )
    assert r.status_code == 200, r.text


async def test_unresolvable_or_endless_refs_are_400(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await setup_hubspot(client, tenant)
    for schema in (
        {"$ref": "https://example.invalid/schema.json"},
        {"$ref": "#/$defs/missing"},
        {"$defs": {"x": {"$ref": "#/$defs/x"}}, "$ref": "#/$defs/x"},
    ):
        r = await declare(client, tenant, "tasks", schema)
        assert assert_error(r, 400)["data"]["issues"][0]["path"] == "parametersSchema"
    # A cycle only reached through a property shows when that property is given.
    looped = {"properties": {"a": {"$ref": "#/$defs/x"}}, "$defs": {"x": {"$ref": "#/$defs/x"}}}
    assert (await declare(client, tenant, "tasks", looped)).status_code == 200
    r = await client.post(
        "/data-sources",
        json={
            "key": "a",
            "integrationKey": "hubspot",
            "collectionKey": "tasks",
            "collectionParameters": {"a": 1},
        },
        headers=tenant.admin,
    )
    assert assert_error(r, 400)["data"]["issues"][0]["path"] == "collectionParameters"
    assert await tenant.count(DataSource) == 0


async def test_instance_checked_against_collections(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await setup_hubspot(client, tenant)
    await declare(client, tenant, "tasks", PROJECT_SCHEMA)
    await declare(client, tenant, "contacts")
    r = await client.post(
        "/data-sources",
        json={"key": "tasks", "integrationKey": "hubspot", "collectionKey": "contacts"},
        headers=tenant.admin,
    )
    assert r.status_code == 200, r.text
    alice = tenant.customer("alice")
    r = await client.post("/connections", json={"integrationKey": "hubspot"}, headers=alice)
    assert r.status_code == 200, r.text
    url = "/connections/hubspot/data-sources/tasks?autoCreate=true"
    instance = (await client.get(url, headers=alice)).json()
    r = await client.patch(url, json={"collectionKey": "tasks"}, headers=alice)
    assert assert_error(r, 400)["data"]["issues"][0]["path"] == "collectionParameters.projectId"
    r = await client.patch(url, json={"path": "/data/deals"}, headers=alice)
    assert assert_error(r, 400)["data"]["issues"][0]["path"] == "collectionKey"
    r = await client.patch(
        url,
        json={"collectionKey": "tasks", "collectionParameters": {"projectId": "42"}},
        headers=alice,
    )
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "/data/tasks?projectId=42"
    r = await client.patch(url, json={"collectionParameters": {"projectId": "x"}}, headers=alice)
    assert_error(r, 400)
    r = await client.get(url, headers=alice)
    assert r.json()["collectionParameters"] == {"projectId": "42"}
    assert r.json()["id"] == instance["id"]
    assert await tenant.count(DataSourceInstance) == 1


async def test_patterns_run_in_linear_time(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """A catastrophic pattern must not hold the server: `(a+)+$` against a string of 30 `a`s
    and a `!` takes minutes with a backtracking engine and microseconds with RE2."""
    admin = tenant.admin
    await client.post("/integrations", json={"key": "crm"}, headers=admin)
    schema = {"type": "object", "properties": {"p": {"type": "string", "pattern": "(a+)+$"}}}
    r = await client.put(
        "/integrations/crm/data/big",
        json={"name": "Big", "parametersSchema": schema},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    r = await client.post(
        "/data-sources",
        json={
            "key": "s",
            "integrationKey": "crm",
            "collectionKey": "big",
            "collectionParameters": {"p": "a" * 40 + "!"},
        },
        headers=admin,
    )
    body = assert_error(r, 400)
    assert body["data"]["issues"][0]["path"] == "collectionParameters.p"
    r = await client.post(
        "/data-sources",
        json={
            "key": "s",
            "integrationKey": "crm",
            "collectionKey": "big",
            "collectionParameters": {"p": "aaa"},
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text


async def test_patterns_a_linear_engine_cannot_run_are_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    admin = tenant.admin
    await client.post("/integrations", json={"key": "crm"}, headers=admin)
    for schema, where in (
        ({"properties": {"p": {"pattern": "(a)\\1"}}}, "parametersSchema.properties.p.pattern"),
        ({"properties": {"p": {"pattern": "a(?=b)"}}}, "parametersSchema.properties.p.pattern"),
        ({"patternProperties": {"^x": {}}}, "parametersSchema.patternProperties"),
    ):
        r = await client.put(
            "/integrations/crm/data/c", json={"parametersSchema": schema}, headers=admin
        )
        body = assert_error(r, 400)
        assert body["data"]["issues"][0]["path"] == where, body
