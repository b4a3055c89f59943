"""`POST /data-sources/{selector}/clone` and `GET /data-sources/{selector}/dependencies`,
Membrane's cloneDataSource and getDataSourceDependencies.

A clone is a live copy under a new id and uuid; its key is the first free one of
`{key}-copy`, `{key}-copy-2`, `{key}-copy-3`, … among the live data sources of the same scope
(the integration, or the universal ones). An archived data source, named by its id, may be
cloned too: the copy is live, the original stays archived.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from datalinks.models import DataSource
from datalinks.models.base import KEY_MAX
from tests.support.helpers import Tenant, assert_error, assert_wire_shape

# Settings a clone copies from its original.
COPIED = (
    "name",
    "description",
    "meta",
    "integrationId",
    "universalDataSourceId",
    "isUniversal",
    "udm",
    "collectionKey",
    "collectionParameters",
    "path",
    "defaultPath",
    "pullUpdatesIntervalSeconds",
    "fullSyncIntervalSeconds",
)


async def post(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    r = await client.post(path, json=body or None, headers=headers)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    assert_wire_shape(answer)
    return answer


async def clone(
    client: httpx.AsyncClient, tenant: Tenant, selector: str, query: str = ""
) -> dict[str, Any]:
    return await post(client, f"/data-sources/{selector}/clone{query}", tenant.admin)


async def test_a_clone_copies_the_settings_under_a_new_id_uuid_and_key(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    admin = tenant.admin
    await post(client, "/integrations", admin, key="hubspot")
    contacts = await post(client, "/data-sources", admin, key="contacts", udm="contacts")
    source = await post(
        client,
        "/data-sources",
        admin,
        key="tasks",
        name="Tasks",
        integrationKey="hubspot",
        universalDataSourceId=contacts["id"],
        udm="tasks",
        collectionKey="tasks",
        collectionParameters={"projectId": "123"},
        pullUpdatesIntervalSeconds=600,
        fullSyncIntervalSeconds=7200,
        description="Open tasks",
        meta={"team": "sales"},
    )
    r = await client.patch(f"/data-sources/{source['id']}", json={"udm": "todo"}, headers=admin)
    source = r.json()
    assert source["revision"] == "2"

    copy = await clone(client, tenant, source["id"])
    assert {name: copy.get(name) for name in COPIED} == {name: source.get(name) for name in COPIED}
    assert copy["id"] != source["id"] and copy["uuid"] != source["uuid"]
    assert copy["key"] == "tasks-copy"
    assert copy["revision"] == "1" and "archivedAt" not in copy
    # By key, as any data-source route; the next copy takes the next free key.
    second = await clone(client, tenant, "tasks", "?integrationKey=hubspot")
    assert second["key"] == "tasks-copy-2"
    assert (await clone(client, tenant, copy["id"]))["key"] == "tasks-copy-copy"
    r = await client.get(f"/data-sources/{source['id']}", headers=admin)
    assert r.json() == source
    r = await client.get("/data-sources?integrationKey=hubspot", headers=admin)
    assert len(r.json()["items"]) == 4
    # The copy is a data source like any other.
    r = await client.get("/data-sources/tasks-copy?integrationKey=hubspot", headers=admin)
    assert r.json()["id"] == copy["id"]


async def test_copy_keys_are_free_keys_of_the_same_scope(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    admin = tenant.admin
    await post(client, "/integrations", admin, key="hubspot")
    universal = await post(client, "/data-sources", admin, key="tasks")
    specific = await post(client, "/data-sources", admin, key="tasks", integrationKey="hubspot")
    assert (await clone(client, tenant, specific["id"]))["key"] == "tasks-copy"
    # Keys are unique per integration, and among universal data sources.
    first = await clone(client, tenant, universal["id"])
    assert first["key"] == "tasks-copy" and "integrationId" not in first
    second = await clone(client, tenant, universal["id"])
    third = await clone(client, tenant, universal["id"])
    assert (second["key"], third["key"]) == ("tasks-copy-2", "tasks-copy-3")
    # Uniqueness covers live data sources only: archiving a copy frees its key.
    await client.delete(f"/data-sources/{second['id']}", headers=admin)
    assert (await clone(client, tenant, universal["id"]))["key"] == "tasks-copy-2"
    # A key that merely starts like a copy's is not one.
    await post(client, "/data-sources", admin, key="tasks-copyright")
    assert (await clone(client, tenant, universal["id"]))["key"] == "tasks-copy-4"


async def test_the_copy_key_of_a_longest_key_still_fits(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    long_key = "k" * KEY_MAX
    await post(client, "/data-sources", tenant.admin, key=long_key)
    keys = [(await clone(client, tenant, long_key))["key"] for _ in range(2)]
    assert all(len(key) <= KEY_MAX for key in keys)
    assert keys[0].endswith("k-copy") and keys[1] == keys[0] + "-2"


async def test_concurrent_clones_each_get_a_key(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """Every clone computes the same first free key; the unique index lets one insert win and
    the others move on to the next key, so each request succeeds with a key of its own."""
    source = await post(client, "/data-sources", tenant.admin, key="tasks")
    clones = 8
    responses = await asyncio.gather(
        *(
            client.post(f"/data-sources/{source['id']}/clone", headers=tenant.admin)
            for _ in range(clones)
        )
    )
    assert [r.status_code for r in responses] == [200] * clones, [r.text for r in responses]
    keys = {r.json()["key"] for r in responses}
    assert keys == {"tasks-copy", *(f"tasks-copy-{n}" for n in range(2, clones + 1))}
    assert await tenant.count(DataSource) == clones + 1


async def test_cloning_needs_an_admin_token_and_a_data_source(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    source = await post(client, "/data-sources", tenant.admin, key="tasks")
    alice = tenant.customer("alice")
    r = await client.post(f"/data-sources/{source['id']}/clone", headers=alice)
    assert_error(r, 403, "access_denied")
    r = await client.post("/data-sources/nope/clone", headers=tenant.admin)
    assert_error(r, 404, "not_found")
    r = await client.post(f"/data-sources/{source['id']}/clone", headers=other_tenant.admin)
    assert_error(r, 404, "not_found")
    r = await client.post("/data-sources/tasks/clone?integrationKey=nope", headers=tenant.admin)
    assert_error(r, 404, "not_found")
    assert await tenant.count(DataSource) == 1
    assert await other_tenant.count(DataSource) == 0


async def test_an_archived_data_source_can_be_cloned_by_id(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    admin = tenant.admin
    await post(client, "/integrations", admin, key="hubspot")
    source = await post(client, "/data-sources", admin, key="tasks", integrationKey="hubspot")
    await client.delete(f"/data-sources/{source['id']}", headers=admin)
    # Like any archived element, it is gone by key and there by id.
    r = await client.post("/data-sources/tasks/clone?integrationKey=hubspot", headers=admin)
    assert_error(r, 404, "not_found")
    copy = await clone(client, tenant, source["id"])
    assert copy["key"] == "tasks-copy" and "archivedAt" not in copy
    r = await client.get(f"/data-sources/{source['id']}", headers=admin)
    assert "archivedAt" in r.json()
    # A copy would belong to an archived integration: refused, as a create there is.
    await client.delete("/integrations/hubspot", headers=admin)
    r = await client.post(f"/data-sources/{copy['id']}/clone", headers=admin)
    assert_error(r, 400)
    assert await tenant.count(DataSource) == 2


async def test_dependencies_are_an_empty_list(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    admin = tenant.admin
    await post(client, "/integrations", admin, key="hubspot")
    source = await post(client, "/data-sources", admin, key="tasks", integrationKey="hubspot")
    for path, headers in [
        (f"/data-sources/{source['id']}/dependencies", admin),
        ("/data-sources/tasks/dependencies?integrationKey=hubspot", admin),
        ("/data-sources/tasks/dependencies", tenant.customer("alice")),
    ]:
        r = await client.get(path, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json() == []
    for path, headers in [
        ("/data-sources/nope/dependencies", admin),
        (f"/data-sources/{source['id']}/dependencies", other_tenant.admin),
    ]:
        assert_error(await client.get(path, headers=headers), 404, "not_found")
    # The data-link tables' route is the same code.
    await post(client, "/data-link-tables", admin, key="contacts")
    r = await client.get("/data-link-tables/contacts/dependencies", headers=admin)
    assert r.status_code == 200 and r.json() == []
