"""Data source instances: every access path, settings, reset/setup, archive, race, isolation."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from datalinks.models import DataSourceInstance
from tests.support.helpers import Tenant, assert_error, assert_wire_shape

BODILESS = {"content-type": "application/x-www-form-urlencoded", "content-length": "0"}


@dataclass
class World:
    client: httpx.AsyncClient
    tenant: Tenant
    integration: dict[str, Any]
    source: dict[str, Any]
    connection: dict[str, Any]
    customer: dict[str, str]

    @property
    def selector(self) -> dict[str, str]:
        return {"dataSourceKey": "tasks", "connectionId": self.connection["id"]}

    async def get(self, **extra: str) -> httpx.Response:
        return await self.client.get(
            "/data-source-instance", params={**self.selector, **extra}, headers=self.customer
        )

    async def instance(self, **extra: str) -> dict[str, Any]:
        r = await self.get(autoCreate="true", **extra)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        assert_wire_shape(body)
        return body

    async def patch(self, body: Any, **extra: str) -> httpx.Response:
        return await self.client.patch(
            "/data-source-instance",
            params={**self.selector, "autoCreate": "true", **extra},
            json=body,
            headers=self.customer,
        )


async def make_world(client: httpx.AsyncClient, tenant: Tenant, customer: str = "alice") -> World:
    admin = tenant.admin
    r = await client.post("/integrations", json={"key": "hubspot"}, headers=admin)
    assert r.status_code == 200, r.text
    integration = r.json()
    r = await client.post(
        "/data-sources",
        json={
            "key": "tasks",
            "name": "Tasks",
            "integrationKey": "hubspot",
            "udm": "tasks",
            "collectionKey": "tasks",
            "collectionParameters": {"projectId": "123"},
            "pullUpdatesIntervalSeconds": 600,
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    source = r.json()
    headers = tenant.customer(customer)
    r = await client.post(
        "/connections", json={"integrationKey": "hubspot", "key": "main"}, headers=headers
    )
    assert r.status_code == 200, r.text
    return World(client, tenant, integration, source, r.json(), headers)


@pytest.fixture
async def world(client: httpx.AsyncClient, tenant: Tenant) -> World:
    return await make_world(client, tenant)


async def test_auto_create_takes_the_data_source_defaults(world: World) -> None:
    assert_error(await world.get(), 404, "not_found")
    instance = await world.instance()
    source, connection = world.source, world.connection
    assert instance["name"] == "Tasks" and instance["key"] == "tasks"
    assert instance["dataSourceId"] == source["id"]
    assert instance["connectionId"] == connection["id"]
    assert instance["integrationId"] == world.integration["id"]
    assert instance["userId"] == instance["tenantId"] == connection["userId"]
    assert "instanceKey" not in instance and "universalDataSourceId" not in instance
    assert instance["udm"] == "tasks"
    assert instance["collectionKey"] == instance["defaultCollectionKey"] == "tasks"
    assert instance["collectionParameters"] == {"projectId": "123"}
    assert instance["defaultCollectionParameters"] == {"projectId": "123"}
    assert instance["path"] == instance["defaultPath"] == "/data/tasks?projectId=123"
    assert instance["pullUpdatesIntervalSeconds"] == 600
    assert instance["fullSyncIntervalSeconds"] == 10800
    assert instance["isCustomized"] is False and instance["state"] == "READY"
    assert instance["revision"] == "1" and instance["dataSourceRevision"] == "1"
    assert None not in instance.values()
    # Found again without autoCreate, by selector and by id.
    assert (await world.get()).json()["id"] == instance["id"]
    r = await world.client.get(
        "/data-source-instance", params={"id": instance["id"]}, headers=world.customer
    )
    assert r.json()["id"] == instance["id"]
    assert await world.tenant.count(DataSourceInstance) == 1


async def test_selector_forms(world: World) -> None:
    client, alice = world.client, world.customer
    first = await world.instance()
    for params in (
        {"dataSourceId": world.source["id"], "connectionId": world.connection["id"]},
        {"udm": "tasks", "connectionId": world.connection["id"]},
        {"dataSourceKey": "tasks", "connectionKey": "main"},
        {"dataSourceKey": "tasks", "integrationKey": "hubspot"},
        {"dataSourceKey": "tasks", "integrationId": world.integration["id"]},
        # Ignored fields of the SDK's selector type.
        {"dataSourceKey": "tasks", "connectionId": world.connection["id"], "flowKey": "x"},
    ):
        r = await client.get("/data-source-instance", params=params, headers=alice)
        assert r.status_code == 200, (params, r.text)
        assert r.json()["id"] == first["id"]
    # Admin tokens name the customer when the connection is named by integration.
    r = await client.get(
        "/data-source-instance",
        params={"dataSourceKey": "tasks", "integrationKey": "hubspot", "userId": "alice"},
        headers=world.tenant.admin,
    )
    assert r.json()["id"] == first["id"]
    # The selector may carry qs-encoded collection parameters; they do not pick the instance.
    r = await client.get(
        "/data-source-instance?dataSourceKey=tasks&connectionKey=main"
        "&collectionParameters%5BprojectId%5D=1",
        headers=alice,
    )
    assert r.json()["id"] == first["id"]
    keyed = await world.instance(instanceKey="b")
    assert keyed["id"] != first["id"] and keyed["instanceKey"] == "b"
    assert (await world.get(instanceKey="b")).json()["id"] == keyed["id"]


async def test_selector_errors(world: World) -> None:
    client, alice = world.client, world.customer
    conn = world.connection["id"]
    cases: list[tuple[dict[str, str], int]] = [
        ({"connectionId": conn}, 400),
        ({"dataSourceKey": "tasks"}, 400),
        ({"dataSourceKey": "nope", "connectionId": conn, "autoCreate": "true"}, 404),
        ({"dataSourceId": "nope", "connectionId": conn, "autoCreate": "true"}, 404),
        ({"udm": "nope", "connectionId": conn, "autoCreate": "true"}, 404),
        ({"dataSourceKey": "tasks", "connectionId": "nope", "autoCreate": "true"}, 404),
        ({"dataSourceKey": "tasks", "integrationKey": "nope", "autoCreate": "true"}, 404),
        ({"dataSourceKey": "tasks", "connectionId": conn, "autoCreate": "maybe"}, 400),
        ({"dataSourceKey": "k" * 256, "connectionId": conn}, 400),
        ({"id": "nope"}, 404),
    ]
    for params, status in cases:
        r = await client.get("/data-source-instance", params=params, headers=alice)
        assert_error(r, status)
    assert await world.tenant.count(DataSourceInstance) == 0


async def test_data_source_of_another_integration(world: World) -> None:
    admin = world.tenant.admin
    await world.client.post("/integrations", json={"key": "pipedrive"}, headers=admin)
    r = await world.client.post(
        "/data-sources", json={"key": "deals", "integrationKey": "pipedrive"}, headers=admin
    )
    other = r.json()
    r = await world.client.get(
        "/data-source-instance",
        params={"dataSourceId": other["id"], "connectionId": world.connection["id"]},
        headers=world.customer,
    )
    assert_error(r, 400)
    # By key the other integration's data source is simply not there for this connection.
    r = await world.get(autoCreate="true", dataSourceKey="deals")
    assert_error(r, 404)


async def test_universal_data_source_instance(world: World) -> None:
    admin = world.tenant.admin
    r = await world.client.post(
        "/data-sources", json={"key": "contacts", "udm": "contacts"}, headers=admin
    )
    universal = r.json()
    r = await world.client.get(
        "/data-source-instance",
        params={"udm": "contacts", "connectionId": world.connection["id"], "autoCreate": "true"},
        headers=world.customer,
    )
    assert r.status_code == 200, r.text
    assert r.json()["dataSourceId"] == universal["id"]
    assert r.json()["universalDataSourceId"] == universal["id"]
    assert r.json()["integrationId"] == world.integration["id"]
    # A universal data source with the same key as the integration's own loses to it.
    r = await world.client.post("/data-sources", json={"key": "tasks"}, headers=admin)
    assert r.status_code == 200, r.text
    assert (await world.instance())["dataSourceId"] == world.source["id"]
    r = await world.client.get(
        "/connections/main/data-sources/contacts?autoCreate=true", headers=world.customer
    )
    assert r.json()["dataSourceId"] == universal["id"]


async def test_post_is_idempotent(world: World) -> None:
    client, alice = world.client, world.customer
    r = await client.post("/data-source-instance", params=world.selector, headers=alice)
    assert r.status_code == 200, r.text
    created = r.json()
    # The SDK's create body repeats the selector; here it alone names the slot.
    r = await client.post(
        "/data-source-instance",
        json={"dataSourceId": world.source["id"], "connectionId": world.connection["id"]},
        headers=alice,
    )
    assert r.json()["id"] == created["id"]
    r = await client.post(
        "/data-source-instance",
        params={**world.selector, "instanceKey": "p"},
        json={"path": "/data/tasks?projectId=9"},
        headers=alice,
    )
    assert r.json()["path"] == "/data/tasks?projectId=9" and r.json()["isCustomized"] is True
    assert await world.tenant.count(DataSourceInstance) == 2


async def test_patch_settings(world: World) -> None:
    await world.instance()
    r = await world.patch({"collectionKey": "issues", "collectionParameters": {"repo": "x"}})
    assert r.status_code == 200, r.text
    patched = r.json()
    assert patched["path"] == "/data/issues?repo=x"
    assert patched["defaultPath"] == "/data/tasks?projectId=123"
    assert patched["isCustomized"] is True and patched["revision"] == "2"
    r = await world.patch({"path": "/data/tasks?projectId=7&f[a]=b"})
    assert r.json()["collectionKey"] == "tasks"
    assert r.json()["collectionParameters"] == {"projectId": "7", "f": {"a": "b"}}
    r = await world.patch({"path": "/data/issues"})
    assert r.json()["path"] == "/data/issues" and r.json()["collectionParameters"] == {}
    r = await world.patch({"pullUpdatesIntervalSeconds": 60, "fullSyncIntervalSeconds": 7200})
    assert r.json()["pullUpdatesIntervalSeconds"] == 60
    assert r.json()["fullSyncIntervalSeconds"] == 7200
    r = await world.patch({"subscribedTo": {"created": True, "deleted": False}})
    assert r.json()["subscribedTo"] == {"created": True, "deleted": False}
    r = await world.patch({"subscriptions": {"updated": True}})
    assert r.json()["subscribedTo"] == {"updated": True}
    r = await world.patch({"udm": "issues"})
    assert r.json()["udm"] == "issues"
    # null puts a setting back to the data source's value.
    r = await world.patch({"pullUpdatesIntervalSeconds": None, "udm": None})
    assert r.json()["pullUpdatesIntervalSeconds"] == 600 and r.json()["udm"] == "tasks"
    assert r.json()["fullSyncIntervalSeconds"] == 7200


async def test_put_replaces_settings(world: World) -> None:
    await world.patch({"fullSyncIntervalSeconds": 7200, "udm": "x"})
    r = await world.client.put(
        "/data-source-instance",
        params={**world.selector, "autoCreate": "true"},
        json={"collectionKey": "tasks"},
        headers=world.customer,
    )
    put = r.json()
    assert r.status_code == 200, r.text
    assert put["collectionKey"] == "tasks"
    # Unsent settings go back to the data source's values.
    assert put["collectionParameters"] == {"projectId": "123"}
    assert put["fullSyncIntervalSeconds"] == 10800 and put["udm"] == "tasks"
    # Every value now equals the data source's: pinned, but customised in nothing (§9).
    assert put["pullUpdatesIntervalSeconds"] == 600 and put["isCustomized"] is False


async def test_clearing_either_collection_setting_or_the_path_unpins_the_collection(
    world: World,
) -> None:
    for cleared in ({"collectionParameters": None}, {"collectionKey": None}, {"path": None}):
        r = await world.patch({"collectionKey": "other", "collectionParameters": {"a": "1"}})
        assert r.json()["isCustomized"] is True and r.json()["path"] == "/data/other?a=1"
        r = await world.patch(cleared)
        body = r.json()
        assert body["path"] == body["defaultPath"], (cleared, body)
        assert body["isCustomized"] is False, (cleared, body)


async def test_reset_and_setup(world: World) -> None:
    client, admin = world.client, world.tenant.admin
    await world.instance()
    await world.patch({"collectionParameters": {"projectId": "999"}, "subscribedTo": {"a": 1}})
    params = {**world.selector, "autoCreate": "true"}
    headers = {**world.customer, **BODILESS}
    r = await client.post("/data-source-instance/reset", params=params, headers=headers)
    reset = r.json()
    assert r.status_code == 200, r.text
    assert reset["collectionParameters"] == {"projectId": "123"}
    assert reset["isCustomized"] is False and "subscribedTo" not in reset
    # The data source changes; setup brings an uncustomised instance up to date.
    r = await client.patch(
        f"/data-sources/{world.source['id']}",
        json={"collectionParameters": {"projectId": "456"}, "fullSyncIntervalSeconds": 3600},
        headers=admin,
    )
    assert r.json()["revision"] == "2"
    stale = (await world.get()).json()
    assert stale["collectionParameters"] == {"projectId": "123"}
    assert stale["defaultCollectionParameters"] == {"projectId": "456"}
    r = await client.post("/data-source-instance/setup", params=params, headers=headers)
    done = r.json()
    assert r.status_code == 200, r.text
    assert done["collectionParameters"] == {"projectId": "456"}
    assert done["fullSyncIntervalSeconds"] == 3600
    assert done["dataSourceRevision"] == "2" and done["lastSetupAt"].endswith("Z")
    # Setup keeps the settings the connection pinned and re-applies the others.
    await world.patch({"pullUpdatesIntervalSeconds": 120})
    await client.patch(
        f"/data-sources/{world.source['id']}",
        json={"pullUpdatesIntervalSeconds": 900, "collectionParameters": {"projectId": "789"}},
        headers=admin,
    )
    r = await client.post("/data-source-instance/setup", params=params, headers=headers)
    kept = r.json()
    assert kept["pullUpdatesIntervalSeconds"] == 120 and kept["isCustomized"] is True
    assert kept["collectionParameters"] == {"projectId": "789"}
    assert kept["dataSourceRevision"] == "3"
    # Parameters are pinned together with the collection key.
    await world.patch({"collectionParameters": {"projectId": "1"}})
    await client.patch(
        f"/data-sources/{world.source['id']}",
        json={"collectionKey": "issues", "collectionParameters": {"projectId": "2"}},
        headers=admin,
    )
    r = await client.post("/data-source-instance/setup", params=params, headers=headers)
    assert r.json()["path"] == "/data/tasks?projectId=1"
    # null un-pins a setting and puts the data source's value back.
    r = await world.patch({"pullUpdatesIntervalSeconds": None})
    assert r.json()["pullUpdatesIntervalSeconds"] == 900
    r = await client.post("/data-source-instance/reset", params=params, headers=headers)
    assert r.json()["path"] == "/data/issues?projectId=2" and r.json()["isCustomized"] is False


async def test_archive_and_restore(world: World) -> None:
    client, alice = world.client, world.customer
    first = await world.instance()
    by_id = {"id": first["id"]}
    r = await client.delete("/data-source-instance", params=world.selector, headers=alice)
    assert r.status_code == 200 and r.content == b""
    # By id, twice is a no-op; by the selector the slot is empty: 404 even with autoCreate,
    # since archiving never creates.
    assert (
        await client.delete("/data-source-instance", params=by_id, headers=alice)
    ).status_code == 200
    r = await client.delete(
        "/data-source-instance", params={**world.selector, "autoCreate": "true"}, headers=alice
    )
    assert_error(r, 404)
    assert await world.tenant.count(DataSourceInstance) == 1
    assert_error(await world.get(), 404)
    archived = (await client.get("/data-source-instance", params=by_id, headers=alice)).json()
    assert archived["archivedAt"] and archived["isDeactivated"] is True
    assert_error(await world.patch({"udm": "x"}, id=first["id"]), 400)
    r = await client.get(
        "/data-source-instances", params={"includeArchived": "true"}, headers=alice
    )
    assert [item["id"] for item in r.json()["items"]] == [first["id"]]
    assert (await client.get("/data-source-instances", headers=alice)).json()["items"] == []
    # A new instance takes the free slot; the old one cannot come back on top of it.
    second = await world.instance()
    assert second["id"] != first["id"]
    r = await client.post("/data-source-instance/restore", params=by_id, headers=alice)
    assert_error(r, 409, "already_exists")
    await client.delete("/data-source-instance", params={"id": second["id"]}, headers=alice)
    r = await client.post("/data-source-instance/restore", params=by_id, headers=alice)
    assert r.status_code == 200 and "archivedAt" not in r.json()
    assert (await world.get()).json()["id"] == first["id"]
    r = await client.post(
        "/data-source-instance/restore",
        params={**world.selector, "instanceKey": "x"},
        headers=alice,
    )
    assert_error(r, 404)


async def test_connection_level_routes(world: World) -> None:
    client, alice = world.client, world.customer
    base = f"/connections/{world.connection['id']}/data-sources/tasks"
    assert_error(await client.get(base, headers=alice), 404, "not_found")
    # The SDK's create(): a PUT without a body, sent as an empty form.
    r = await client.put(base, headers={**alice, **BODILESS})
    assert r.status_code == 200, r.text
    created = r.json()
    assert created["dataSourceId"] == world.source["id"] and created["isCustomized"] is False
    r = await client.put(base, headers={**alice, **BODILESS})
    assert r.json()["id"] == created["id"]
    # `connection('hubspot')` and `connection('main')` name the same connection.
    for conn in ("hubspot", "main", world.connection["id"]):
        r = await client.get(f"/connections/{conn}/data-sources/tasks", headers=alice)
        assert r.json()["id"] == created["id"]
    r = await client.get(f"/connections/hubspot/data-sources/{world.source['id']}", headers=alice)
    assert r.json()["id"] == created["id"]
    r = await client.patch(base, json={"collectionKey": "issues"}, headers=alice)
    assert r.json()["path"] == "/data/issues?projectId=123" and r.json()["isCustomized"] is True
    r = await client.put(base, json={"fullSyncIntervalSeconds": 3600}, headers=alice)
    assert r.json()["collectionKey"] == "tasks" and r.json()["fullSyncIntervalSeconds"] == 3600
    r = await client.post(f"{base}/reset", headers={**alice, **BODILESS})
    assert r.json()["fullSyncIntervalSeconds"] == 10800 and r.json()["isCustomized"] is False
    r = await client.post(f"{base}/setup", headers={**alice, **BODILESS})
    assert r.json()["lastSetupAt"]
    r = await client.get(f"{base}?instanceKey=b&autoCreate=true", headers=alice)
    keyed = r.json()
    assert keyed["instanceKey"] == "b" and keyed["id"] != created["id"]
    r = await client.get("/connections/hubspot/data-sources", headers=alice)
    assert [item["id"] for item in r.json()["items"]] == [created["id"], keyed["id"]]
    r = await client.get(
        f"/connections/hubspot/data-sources?dataSourceId={world.source['id']}&limit=1",
        headers=alice,
    )
    assert len(r.json()["items"]) == 1 and r.json()["cursor"]
    r = await client.delete(f"{base}?instanceKey=b", headers=alice)
    assert r.status_code == 200 and r.content == b""
    assert_error(await client.delete(f"{base}?instanceKey=b", headers=alice), 404)
    assert_error(await client.get(f"{base}?instanceKey=b", headers=alice), 404)
    assert_error(await client.get("/connections/main/data-sources/nope", headers=alice), 404)
    assert_error(await client.get("/connections/nope/data-sources/tasks", headers=alice), 404)
    r = await client.patch(base, json={"pullUpdatesIntervalSeconds": 59}, headers=alice)
    assert_error(r, 400)


async def test_flat_instance_addressing(world: World) -> None:
    """`/data-sources/{sel}` with a connection in the query acts on the instance (§8.2)."""
    client, alice = world.client, world.customer
    conn = world.connection["id"]
    url = f"/data-sources/tasks?connectionId={conn}"
    assert_error(await client.get(url, headers=alice), 404)
    r = await client.get(f"{url}&autoCreate=true", headers=alice)
    instance = r.json()
    assert r.status_code == 200 and instance["dataSourceId"] == world.source["id"]
    assert "uuid" not in instance and instance["connectionId"] == conn
    r = await client.patch(url, json={"collectionParameters": {"projectId": "5"}}, headers=alice)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == instance["id"] and r.json()["path"] == "/data/tasks?projectId=5"
    r = await client.put(url, json={"subscribedTo": {"created": True}}, headers=alice)
    assert r.json()["subscribedTo"] == {"created": True}
    assert r.json()["collectionParameters"] == {"projectId": "123"}
    r = await client.post("/data-sources/tasks/reset?connectionKey=main", headers=alice)
    assert r.json()["isCustomized"] is False
    r = await client.post("/data-sources/tasks/setup?connectionKey=main", headers=alice)
    assert r.json()["lastSetupAt"]
    for bad in (f"&instanceKey={'k' * 256}", "&autoCreate=maybe"):
        assert_error(await client.get(url + bad, headers=alice), 400)
    r = await client.delete(url, headers=alice)
    assert r.status_code == 200
    assert_error(await client.get(url, headers=alice), 404)
    # The data source itself is untouched by all of it.
    r = await client.get("/data-sources/tasks", headers=world.tenant.admin)
    assert r.json()["revision"] == "1" and "archivedAt" not in r.json()


async def test_list_filters(world: World) -> None:
    client, admin = world.client, world.tenant.admin
    first = await world.instance()
    keyed = await world.instance(instanceKey="b")
    bob = await make_bob(world)

    async def ids(headers: dict[str, str], **params: str) -> list[str]:
        r = await client.get("/data-source-instances", params=params, headers=headers)
        assert r.status_code == 200, r.text
        for item in r.json()["items"]:
            assert_wire_shape(item)
        return [item["id"] for item in r.json()["items"]]

    everyone = [first["id"], keyed["id"], bob["id"]]
    assert await ids(admin) == everyone
    assert await ids(world.customer) == [first["id"], keyed["id"]]
    assert await ids(admin, userId="alice") == [first["id"], keyed["id"]]
    assert await ids(admin, tenantId="bob") == [bob["id"]]
    assert await ids(admin, instanceKey="b") == [keyed["id"]]
    assert await ids(admin, connectionId=world.connection["id"]) == [first["id"], keyed["id"]]
    assert await ids(admin, dataSourceId=world.source["id"]) == everyone
    assert await ids(admin, dataSourceKey="tasks") == everyone
    assert await ids(admin, integrationKey="hubspot") == everyone
    assert await ids(admin, integrationId=world.integration["id"]) == everyone
    assert await ids(admin, udm="tasks") == everyone
    assert await ids(admin, search="TAS") == everyone
    assert await ids(admin, search="zzz") == []
    assert await ids(admin, id=keyed["id"]) == [keyed["id"]]
    r = await client.get("/data-source-instances?limit=2", headers=admin)
    page = r.json()
    assert len(page["items"]) == 2 and page["cursor"]
    r = await client.get(f"/data-source-instances?limit=2&cursor={page['cursor']}", headers=admin)
    assert [item["id"] for item in r.json()["items"]] == [bob["id"]]
    assert "cursor" not in r.json()
    assert_error(await client.get("/data-source-instances?cursor=junk", headers=admin), 400)
    # A list filter naming nobody is an empty page, not a failed lookup.
    assert await ids(admin, userId="nobody") == []
    # Archiving the data source hides its instances from lists.
    await client.delete(f"/data-sources/{world.source['id']}", headers=admin)
    assert await ids(admin) == []
    assert await ids(admin, includeArchived="true") == everyone


async def make_bob(world: World) -> dict[str, Any]:
    bob = world.tenant.customer("bob")
    r = await world.client.post("/connections", json={"integrationKey": "hubspot"}, headers=bob)
    r = await world.client.get(
        "/connections/hubspot/data-sources/tasks?autoCreate=true", headers=bob
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_customers_reach_only_their_own(world: World, other_tenant: Tenant) -> None:
    client = world.client
    alices = await world.instance()
    bob = world.tenant.customer("bob")
    by_id = {"id": alices["id"]}
    for method in ("GET", "PATCH", "PUT", "DELETE"):
        body = {"udm": "x"} if method in ("PATCH", "PUT") else None
        r = await client.request(
            method, "/data-source-instance", params=by_id, json=body, headers=bob
        )
        assert_error(r, 404, "not_found")
    for action in ("restore", "reset", "setup"):
        r = await client.post(f"/data-source-instance/{action}", params=by_id, headers=bob)
        assert_error(r, 404, "not_found")
    # Alice's connection is not Bob's to name, even with autoCreate.
    r = await client.get(
        "/data-source-instance", params={**world.selector, "autoCreate": "true"}, headers=bob
    )
    assert_error(r, 404, "not_found")
    conn = world.connection["id"]
    r = await client.get(f"/connections/{conn}/data-sources/tasks?autoCreate=true", headers=bob)
    assert_error(r, 404, "not_found")
    r = await client.get(f"/data-sources/tasks?connectionId={conn}&autoCreate=true", headers=bob)
    assert_error(r, 404, "not_found")
    assert (await client.get("/data-source-instances", headers=bob)).json()["items"] == []
    # Another workspace sees nothing at all.
    r = await client.get("/data-source-instance", params=by_id, headers=other_tenant.admin)
    assert_error(r, 404, "not_found")
    assert await world.tenant.count(DataSourceInstance) == 1
    assert (await world.get()).json()["revision"] == "1"


async def test_fifty_parallel_auto_creates_make_one(world: World) -> None:
    responses = await asyncio.gather(*(world.get(autoCreate="true") for _ in range(50)))
    assert [r.status_code for r in responses] == [200] * 50, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await world.tenant.count(DataSourceInstance) == 1
    # The connection-level create races the same way.
    url = "/connections/main/data-sources/tasks?instanceKey=k"
    responses = await asyncio.gather(
        *(world.client.put(url, headers={**world.customer, **BODILESS}) for _ in range(50))
    )
    assert [r.status_code for r in responses] == [200] * 50, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await world.tenant.count(DataSourceInstance) == 2


async def test_archived_parents(world: World) -> None:
    client, admin, alice = world.client, world.tenant.admin, world.customer
    await client.delete(f"/data-sources/{world.source['id']}", headers=admin)
    r = await world.get(autoCreate="true", dataSourceId=world.source["id"])
    assert_error(r, 400)
    await client.post(f"/data-sources/{world.source['id']}/restore", headers=admin)
    await client.delete(f"/connections/{world.connection['id']}", headers=alice)
    assert_error(await world.get(autoCreate="true"), 400)
    assert await world.tenant.count(DataSourceInstance) == 0


async def test_record_calls_are_not_implemented(world: World) -> None:
    client, alice = world.client, world.customer
    calls = [("GET", "/data-source-instance/collection")] + [
        ("POST", f"/data-source-instance/collection/{op}")
        for op in ("list", "find", "find-by-id", "search", "match", "create", "update", "delete")
    ]
    calls.append(("POST", "/data-source-instance/unified-fields-to-native"))
    for method, path in calls:
        r = await client.request(method, path, params={"id": "x"}, json={}, headers=alice)
        assert_error(r, 501, "not_implemented")
    r = await client.get("/data-source-instance/collection")
    assert_error(r, 401, "not_authenticated")


@pytest.mark.parametrize(
    "body",
    [
        {"pullUpdatesIntervalSeconds": 59},
        {"pullUpdatesIntervalSeconds": -1},
        {"pullUpdatesIntervalSeconds": "600"},
        {"pullUpdatesIntervalSeconds": 1e12},
        {"fullSyncIntervalSeconds": 31_536_001},
        {"fullSyncIntervalSeconds": True},
        {"collectionKey": 5},
        {"collectionKey": "k" * 256},
        {"collectionKey": ""},
        {"collectionParameters": "projectId=1"},
        {"subscribedTo": {"created": "yes"}},
        {"subscribedTo": True},
        {"udm": "bad\u0000"},
        {"path": "/nowhere"},
        {"path": "/data/t?a=1&a=2"},
        {"path": "/data/t?a=%00"},
        {"path": "/data/" + "k" * 256},
        [1, 2],
    ],
)
async def test_bad_settings_change_nothing(world: World, body: Any) -> None:
    before = await world.instance()
    r = await world.patch(body)
    assert_error(r, 400)
    r = await world.client.put(
        "/data-source-instance", params=world.selector, json=body, headers=world.customer
    )
    assert_error(r, 400)
    after = (await world.get()).json()
    assert after == before
    assert await world.tenant.count(DataSourceInstance) == 1
