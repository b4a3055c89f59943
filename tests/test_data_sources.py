"""Data sources: workspace elements, universal or integration-specific (contract §8.1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from datalinks.models import DataSource
from tests.support.helpers import Tenant, assert_error, assert_wire_shape


async def integration(client: httpx.AsyncClient, tenant: Tenant, key: str) -> dict[str, Any]:
    r = await client.post("/integrations", json={"key": key, "name": key}, headers=tenant.admin)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def create(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    r = await client.post("/data-sources", json=body, headers=tenant.admin)
    assert r.status_code == 200, r.text
    created: dict[str, Any] = r.json()
    assert_wire_shape(created)
    return created


async def test_create_universal_with_defaults(client: httpx.AsyncClient, tenant: Tenant) -> None:
    ds = await create(client, tenant, name="All Tasks", udm="tasks")
    assert ds["key"] == "all-tasks" and ds["name"] == "All Tasks"
    assert ds["isUniversal"] is True and "integrationId" not in ds
    assert ds["pullUpdatesIntervalSeconds"] == 300
    assert ds["fullSyncIntervalSeconds"] == 10800
    assert ds["udm"] == "tasks" and ds["state"] == "READY"
    assert ds["revision"] == "1" and ds["isCustomized"] is False
    assert ds["uuid"] and ds["createdAt"].endswith("Z")
    assert "path" not in ds and "archivedAt" not in ds
    assert None not in ds.values()


async def test_create_integration_specific(client: httpx.AsyncClient, tenant: Tenant) -> None:
    hubspot = await integration(client, tenant, "hubspot")
    ds = await create(
        client,
        tenant,
        key="tasks",
        integrationKey="hubspot",
        collectionKey="tasks",
        collectionParameters={"projectId": "123"},
        pullUpdatesIntervalSeconds=600,
        fullSyncIntervalSeconds=7200,
        description="Open tasks",
        meta={"team": "sales"},
    )
    assert ds["name"] == "tasks" and ds["integrationId"] == hubspot["id"]
    assert ds["isUniversal"] is False
    assert ds["path"] == ds["defaultPath"] == "/data/tasks?projectId=123"
    assert ds["pullUpdatesIntervalSeconds"] == 600 and ds["fullSyncIntervalSeconds"] == 7200
    assert ds["meta"] == {"team": "sales"} and ds["description"] == "Open tasks"
    by_id = await create(client, tenant, key="t2", integrationId=hubspot["id"])
    by_uuid = await create(client, tenant, key="t3", integrationUuid=hubspot["uuid"])
    assert by_id["integrationId"] == by_uuid["integrationId"] == hubspot["id"]


async def test_create_from_path(client: httpx.AsyncClient, tenant: Tenant) -> None:
    ds = await create(client, tenant, key="t", path="/data/tasks?projectId=9&f[a]=1")
    assert ds["collectionKey"] == "tasks"
    assert ds["collectionParameters"] == {"projectId": "9", "f": {"a": "1"}}
    assert ds["path"] == "/data/tasks?f[a]=1&projectId=9"
    r = await client.post("/data-sources", json={"key": "u", "path": "tasks"}, headers=tenant.admin)
    assert assert_error(r, 400)["data"]["issues"][0]["path"] == "path"


async def test_duplicate_key_is_409(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await integration(client, tenant, "hubspot")
    await integration(client, tenant, "pipedrive")
    await create(client, tenant, key="tasks", integrationKey="hubspot")
    r = await client.post(
        "/data-sources", json={"key": "tasks", "integrationKey": "hubspot"}, headers=tenant.admin
    )
    assert_error(r, 409, "already_exists")
    # Keys are unique per integration, and among universal data sources.
    await create(client, tenant, key="tasks", integrationKey="pipedrive")
    await create(client, tenant, key="tasks")
    r = await client.post("/data-sources", json={"key": "tasks"}, headers=tenant.admin)
    assert_error(r, 409, "already_exists")
    assert await tenant.count(DataSource) == 3


async def test_writes_need_admin(client: httpx.AsyncClient, tenant: Tenant) -> None:
    ds = await create(client, tenant, key="tasks")
    alice = tenant.customer("alice")
    r = await client.post("/data-sources", json={"key": "x"}, headers=alice)
    assert_error(r, 403, "access_denied")
    for method, path in [
        ("PUT", "/data-sources/tasks"),
        ("PATCH", "/data-sources/tasks"),
        ("DELETE", "/data-sources/tasks"),
        ("POST", "/data-sources/tasks/restore"),
        ("POST", "/data-sources/tasks/reset"),
        ("POST", "/data-sources/tasks/setup"),
    ]:
        body = {"name": "x"} if method in ("PUT", "PATCH") else None
        r = await client.request(method, path, json=body, headers=alice)
        assert_error(r, 403, "access_denied")
    # Reading is open to the workspace's customers.
    r = await client.get("/data-sources/tasks", headers=alice)
    assert r.status_code == 200 and r.json()["id"] == ds["id"]
    assert (await client.get("/data-sources", headers=alice)).json()["items"][0]["id"] == ds["id"]
    assert await tenant.count(DataSource) == 1
    assert (await client.get("/data-sources/tasks", headers=tenant.admin)).json()["name"] == "tasks"


async def test_get_by_id_key_and_object_selector(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await integration(client, tenant, "hubspot")
    await integration(client, tenant, "pipedrive")
    hub = await create(client, tenant, key="tasks", integrationKey="hubspot")
    pipe = await create(client, tenant, key="tasks", integrationKey="pipedrive")
    r = await client.get(f"/data-sources/{hub['id']}", headers=tenant.admin)
    assert r.json()["id"] == hub["id"]
    # The key names two integrations' data sources: ambiguous without an integration.
    assert_error(await client.get("/data-sources/tasks", headers=tenant.admin), 400)
    r = await client.get("/data-sources/tasks?integrationKey=pipedrive", headers=tenant.admin)
    assert r.json()["id"] == pipe["id"]
    r = await client.get(
        "/data-source", params={"key": "tasks", "integrationKey": "hubspot"}, headers=tenant.admin
    )
    assert r.json()["id"] == hub["id"]
    r = await client.get("/data-source", params={"id": pipe["id"]}, headers=tenant.admin)
    assert r.json()["id"] == pipe["id"]
    assert_error(await client.get("/data-source", headers=tenant.admin), 400)
    # A universal data source is the answer when no integration is named.
    universal = await create(client, tenant, key="tasks")
    r = await client.get("/data-sources/tasks", headers=tenant.admin)
    assert r.json()["id"] == universal["id"]
    r = await client.get("/data-sources/tasks?integrationKey=hubspot", headers=tenant.admin)
    assert r.json()["id"] == hub["id"]
    assert_error(await client.get("/data-sources/nope", headers=tenant.admin), 404, "not_found")
    r = await client.get("/data-sources/tasks?integrationKey=nope", headers=tenant.admin)
    assert_error(r, 404, "not_found")


async def test_patch_and_put(client: httpx.AsyncClient, tenant: Tenant) -> None:
    ds = await create(
        client, tenant, key="tasks", description="d", udm="tasks", collectionKey="tasks"
    )
    r = await client.patch("/data-sources/tasks", json={"name": "Tasks"}, headers=tenant.admin)
    assert r.status_code == 200, r.text
    patched = r.json()
    assert patched["name"] == "Tasks" and patched["description"] == "d"
    assert patched["revision"] == "2"
    r = await client.patch(
        "/data-sources/tasks", json={"path": "/data/issues?repo=x"}, headers=tenant.admin
    )
    assert r.json()["collectionKey"] == "issues"
    assert r.json()["collectionParameters"] == {"repo": "x"}
    # PUT replaces the editable fields; key, name and the intervals stay unless sent.
    r = await client.put(
        f"/data-sources/{ds['id']}", json={"pullUpdatesIntervalSeconds": 900}, headers=tenant.admin
    )
    put = r.json()
    assert r.status_code == 200, r.text
    assert put["key"] == "tasks" and put["name"] == "Tasks"
    assert "description" not in put and "udm" not in put and "collectionKey" not in put
    assert put["pullUpdatesIntervalSeconds"] == 900 and put["fullSyncIntervalSeconds"] == 10800


async def test_archive_and_restore(client: httpx.AsyncClient, tenant: Tenant) -> None:
    ds = await create(client, tenant, key="tasks")
    r = await client.delete("/data-sources/tasks", headers=tenant.admin)
    assert r.status_code == 200 and r.content == b""
    assert (
        await client.delete(f"/data-sources/{ds['id']}", headers=tenant.admin)
    ).status_code == 200
    assert (await client.get("/data-sources", headers=tenant.admin)).json()["items"] == []
    r = await client.get("/data-sources?includeArchived=true", headers=tenant.admin)
    assert [item["id"] for item in r.json()["items"]] == [ds["id"]]
    assert_error(await client.get("/data-sources/tasks", headers=tenant.admin), 404)
    archived = (await client.get(f"/data-sources/{ds['id']}", headers=tenant.admin)).json()
    assert archived["archivedAt"] and archived["isDeactivated"] is True
    r = await client.patch(f"/data-sources/{ds['id']}", json={"name": "x"}, headers=tenant.admin)
    assert_error(r, 400)
    # The key is free while archived; restoring onto a taken key is 409.
    other = await create(client, tenant, key="tasks")
    assert_error(
        await client.post(f"/data-sources/{ds['id']}/restore", headers=tenant.admin),
        409,
        "already_exists",
    )
    await client.delete(f"/data-sources/{other['id']}", headers=tenant.admin)
    r = await client.post(f"/data-sources/{ds['id']}/restore", headers=tenant.admin)
    assert r.status_code == 200 and "archivedAt" not in r.json()


async def test_reset_setup_refresh_export(client: httpx.AsyncClient, tenant: Tenant) -> None:
    hubspot = await integration(client, tenant, "hubspot")
    parent = await create(client, tenant, key="tasks-u", udm="tasks")
    ds = await create(
        client,
        tenant,
        key="tasks",
        integrationId=hubspot["id"],
        parentKey="tasks-u",
        collectionKey="tasks",
        collectionParameters={"a": "1"},
    )
    assert ds["universalDataSourceId"] == parent["id"] and "parentId" not in ds
    # Bodiless, as the SDK sends them.
    headers = {
        **tenant.admin,
        "content-type": "application/x-www-form-urlencoded",
        "content-length": "0",
    }
    for action in ("reset", "setup", "refresh"):
        r = await client.post(f"/data-sources/{ds['id']}/{action}", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["id"] == ds["id"]
    r = await client.get(f"/data-sources/{ds['id']}/export", headers=tenant.admin)
    exported = r.json()
    assert exported["integrationUuid"] == hubspot["uuid"]
    assert exported["parentUuid"] == parent["uuid"]
    assert exported["path"] == "/data/tasks?a=1" and exported["isUniversal"] is False
    assert "id" not in exported


async def test_parent_must_be_universal(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await integration(client, tenant, "hubspot")
    await create(client, tenant, key="specific", integrationKey="hubspot")
    r = await client.post(
        "/data-sources", json={"key": "x", "parentKey": "specific"}, headers=tenant.admin
    )
    assert_error(r, 404, "not_found")
    r = await client.post(
        "/data-sources",
        json={"key": "x", "integrationKey": "hubspot", "isUniversal": True},
        headers=tenant.admin,
    )
    assert_error(r, 400)
    assert await tenant.count(DataSource) == 1


async def test_list_filters_and_paging(client: httpx.AsyncClient, tenant: Tenant) -> None:
    hubspot = await integration(client, tenant, "hubspot")
    universal = await create(client, tenant, key="contacts", name="Contacts")
    specific = [
        await create(client, tenant, key=f"t{i}", integrationKey="hubspot") for i in range(3)
    ]

    async def ids(query: str) -> list[str]:
        r = await client.get(f"/data-sources?{query}", headers=tenant.admin)
        assert r.status_code == 200, r.text
        return [item["id"] for item in r.json()["items"]]

    assert await ids("integrationKey=hubspot") == [s["id"] for s in specific]
    assert await ids(f"integrationId={hubspot['id']}") == [s["id"] for s in specific]
    assert await ids("isUniversal=true") == [universal["id"]]
    assert await ids("layer=universal") == [universal["id"]]
    assert await ids("isUniversal=false") == [s["id"] for s in specific]
    assert await ids("search=CONT") == [universal["id"]]
    assert await ids(f"dataSourceId={specific[1]['id']}") == [specific[1]["id"]]
    assert_error(await client.get("/data-sources?layer=nope", headers=tenant.admin), 400)
    assert_error(await client.get("/data-sources?isUniversal=maybe", headers=tenant.admin), 400)
    seen: list[str] = []
    cursor = "0"
    while cursor:
        r = await client.get(f"/data-sources?limit=3&cursor={cursor}", headers=tenant.admin)
        page = r.json()
        for item in page["items"]:
            assert_wire_shape(item)
        seen += [item["id"] for item in page["items"]]
        cursor = page.get("cursor", "")
    assert seen == [universal["id"]] + [s["id"] for s in specific]
    assert_error(await client.get("/data-sources?limit=0", headers=tenant.admin), 400)


async def test_integration_level_routes(client: httpx.AsyncClient, tenant: Tenant) -> None:
    hubspot = await integration(client, tenant, "hubspot")
    universal = await create(client, tenant, key="contacts")
    r = await client.post(
        "/integrations/hubspot/data-sources", json={"key": "tasks"}, headers=tenant.admin
    )
    assert r.status_code == 200, r.text
    tasks = r.json()
    assert tasks["integrationId"] == hubspot["id"]
    r = await client.get("/integrations/hubspot/data-sources?limit=5", headers=tenant.admin)
    assert [item["id"] for item in r.json()["items"]] == [tasks["id"]]
    r = await client.get(f"/integrations/{hubspot['id']}/data-sources/tasks", headers=tenant.admin)
    assert r.json()["id"] == tasks["id"]
    # Under an integration a key falls back to the universal data source.
    r = await client.get("/integrations/hubspot/data-sources/contacts", headers=tenant.admin)
    assert r.json()["id"] == universal["id"]
    r = await client.patch(
        "/integrations/hubspot/data-sources/tasks", json={"name": "T"}, headers=tenant.admin
    )
    assert r.json()["name"] == "T"
    r = await client.put(
        "/integrations/hubspot/data-sources/tasks", json={"name": "T2"}, headers=tenant.admin
    )
    assert r.json()["name"] == "T2" and r.json()["integrationId"] == hubspot["id"]
    r = await client.post("/integrations/hubspot/data-sources/tasks/reset", headers=tenant.admin)
    assert r.status_code == 200 and r.json()["id"] == tasks["id"]
    r = await client.delete("/integrations/hubspot/data-sources/tasks", headers=tenant.admin)
    assert r.status_code == 200 and r.content == b""
    assert_error(
        await client.get("/integrations/hubspot/data-sources/tasks", headers=tenant.admin), 404
    )
    assert_error(await client.get("/integrations/nope/data-sources", headers=tenant.admin), 404)
    r = await client.post(
        "/integrations/hubspot/data-sources", json={"key": "x"}, headers=tenant.customer("a")
    )
    assert_error(r, 403, "access_denied")
    other = await integration(client, tenant, "other")
    r = await client.post(
        "/integrations/hubspot/data-sources",
        json={"key": "x", "integrationId": other["id"]},
        headers=tenant.admin,
    )
    assert_error(r, 400)


async def test_other_workspace_is_invisible(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    ds = await create(client, tenant, key="tasks")
    r = await client.get(f"/data-sources/{ds['id']}", headers=other_tenant.admin)
    assert_error(r, 404, "not_found")
    r = await client.patch(
        f"/data-sources/{ds['id']}", json={"name": "x"}, headers=other_tenant.admin
    )
    assert_error(r, 404, "not_found")
    assert (await client.get("/data-sources", headers=other_tenant.admin)).json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"key": 1},
        {"key": ""},
        {"key": "k" * 256},
        {"name": "n" * 1001},
        {"key": "a", "meta": "x"},
        {"key": "a", "collectionParameters": ["x"]},
        {"key": "a", "collectionKey": 5},
        {"key": "a", "isUniversal": "yes"},
        {"key": "a", "pullUpdatesIntervalSeconds": 59},
        {"key": "a", "pullUpdatesIntervalSeconds": -1},
        {"key": "a", "pullUpdatesIntervalSeconds": "600"},
        {"key": "a", "pullUpdatesIntervalSeconds": 1e12},
        {"key": "a", "pullUpdatesIntervalSeconds": 600.5},
        {"key": "a", "pullUpdatesIntervalSeconds": True},
        {"key": "a", "fullSyncIntervalSeconds": 31_536_001},
        {"key": "a", "fullSyncIntervalSeconds": 2**40},
        {"key": "a", "path": "/elsewhere"},
        {"key": "a", "integrationKey": "nope"},
        {},
    ],
)
async def test_bad_input_writes_nothing(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any]
) -> None:
    r = await client.post("/data-sources", json=body, headers=tenant.admin)
    assert r.status_code in (400, 404), r.text
    assert_error(r, r.status_code)
    assert await tenant.count(DataSource) == 0


async def test_bad_patch_changes_nothing(client: httpx.AsyncClient, tenant: Tenant) -> None:
    ds = await create(client, tenant, key="tasks")
    for body in (
        {"pullUpdatesIntervalSeconds": 59},
        {"fullSyncIntervalSeconds": "600"},
        {"name": "bad\u0000name"},
        {"key": "x" * 256},
        {"meta": [1]},
    ):
        r = await client.patch("/data-sources/tasks", json=body, headers=tenant.admin)
        assert_error(r, 400)
    r = await client.get("/data-sources/tasks", headers=tenant.admin)
    assert r.json()["revision"] == ds["revision"] == "1"
    issues = assert_error(
        await client.patch(
            "/data-sources/tasks", json={"pullUpdatesIntervalSeconds": 59}, headers=tenant.admin
        ),
        400,
    )["data"]["issues"]
    assert issues[0]["path"] == "pullUpdatesIntervalSeconds"


async def test_renaming_onto_a_taken_key_is_409(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await create(client, tenant, key="tasks")
    other = await create(client, tenant, key="other")
    r = await client.patch(
        f"/data-sources/{other['id']}", json={"key": "tasks"}, headers=tenant.admin
    )
    assert_error(r, 409, "already_exists")
    r = await client.get(f"/data-sources/{other['id']}", headers=tenant.admin)
    assert r.json()["key"] == "other" and r.json()["revision"] == "1"


async def test_integration_level_writes_need_admin(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await integration(client, tenant, "hubspot")
    await create(client, tenant, key="tasks", integrationKey="hubspot")
    alice = tenant.customer("alice")
    url = "/integrations/hubspot/data-sources/tasks"
    assert (await client.get(url, headers=alice)).status_code == 200
    for method, path in [
        ("PUT", url),
        ("PATCH", url),
        ("DELETE", url),
        ("POST", f"{url}/reset"),
        ("POST", f"{url}/restore"),
    ]:
        body = {"name": "x"} if method in ("PUT", "PATCH") else None
        assert_error(await client.request(method, path, json=body, headers=alice), 403)
    r = await client.get(url, headers=tenant.admin)
    assert r.json()["name"] == "tasks" and "archivedAt" not in r.json()


async def test_an_archived_own_data_source_still_hides_the_universal_one(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """Retrying integration(I).dataSource(K).archive() must not archive the universal K."""
    admin = tenant.admin
    await client.post("/integrations", json={"key": "crm"}, headers=admin)
    universal = (await client.post("/data-sources", json={"key": "k"}, headers=admin)).json()
    own = (
        await client.post("/integrations/crm/data-sources", json={"key": "k"}, headers=admin)
    ).json()
    assert own["id"] != universal["id"]
    r = await client.delete("/integrations/crm/data-sources/k", headers=admin)
    assert r.status_code == 200
    # Like any archived element, by key it is gone and by id it is there; by key it still
    # shadows the universal one, which nothing here may touch.
    path = "/integrations/crm/data-sources/k"
    assert_error(await client.delete(path, headers=admin), 404, "not_found")
    assert_error(await client.patch(path, json={"name": "x"}, headers=admin), 404)
    assert_error(await client.get(path, headers=admin), 404)
    shared = (await client.get(f"/data-sources/{universal['id']}", headers=admin)).json()
    assert "archivedAt" not in shared and shared["name"] == universal["name"]
    r = await client.post(f"/data-sources/{own['id']}/restore", headers=admin)
    assert r.status_code == 200
    assert (await client.get(path, headers=admin)).json()["id"] == own["id"]


# --- the universal data source a data source specialises (universalDataSourceId) ------------


async def test_universal_data_source_id_round_trips(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    admin = tenant.admin
    await integration(client, tenant, "hubspot")
    contacts = await create(client, tenant, key="contacts", udm="contacts")
    people = await create(client, tenant, key="people", udm="contacts")
    ds = await create(
        client, tenant, key="tasks", integrationKey="hubspot", universalDataSourceId=contacts["id"]
    )
    assert ds["universalDataSourceId"] == contacts["id"] and "parentId" not in ds
    assert "universalDataSourceId" not in contacts
    r = await client.get(f"/data-sources/{ds['id']}", headers=admin)
    assert r.json()["universalDataSourceId"] == contacts["id"]

    async def patch(body: dict[str, Any], path: str = f"/data-sources/{ds['id']}") -> Any:
        r = await client.patch(path, json=body, headers=admin)
        assert r.status_code == 200, r.text
        assert_wire_shape(r.json())
        return r.json()["universalDataSourceId"]

    assert await patch({"universalDataSourceId": people["id"]}) == people["id"]
    # The older names are input aliases; Membrane's name wins when both are sent.
    assert await patch({"parentId": contacts["id"]}) == contacts["id"]
    assert await patch({"parentKey": "people"}) == people["id"]
    assert await patch({"parentUuid": contacts["uuid"]}) == contacts["id"]
    both = {"universalDataSourceId": people["id"], "parentId": contacts["id"]}
    assert await patch(both) == people["id"]
    # A PATCH without it, and a PUT without it, keep it.
    assert await patch({"name": "Tasks"}) == people["id"]
    r = await client.put(f"/data-sources/{ds['id']}", json={"name": "T"}, headers=admin)
    assert r.json()["universalDataSourceId"] == people["id"]
    r = await client.put(
        f"/data-sources/{ds['id']}", json={"universalDataSourceId": contacts["id"]}, headers=admin
    )
    assert r.json()["universalDataSourceId"] == contacts["id"]

    # The same under /integrations/{integration}/data-sources.
    r = await client.post(
        "/integrations/hubspot/data-sources",
        json={"key": "deals", "universalDataSourceId": people["id"]},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    deals = r.json()
    assert deals["universalDataSourceId"] == people["id"]
    item = "/integrations/hubspot/data-sources/deals"
    assert await patch({"universalDataSourceId": contacts["id"]}, item) == contacts["id"]
    r = await client.put(item, json={"universalDataSourceId": people["id"]}, headers=admin)
    assert r.status_code == 200 and r.json()["universalDataSourceId"] == people["id"]
    r = await client.get(item, headers=admin)
    assert r.json()["universalDataSourceId"] == people["id"]


async def test_list_by_universal_data_source_id(client: httpx.AsyncClient, tenant: Tenant) -> None:
    admin = tenant.admin
    await integration(client, tenant, "hubspot")
    contacts = await create(client, tenant, key="contacts")
    people = await create(client, tenant, key="people")
    a = await create(
        client, tenant, key="a", integrationKey="hubspot", universalDataSourceId=contacts["id"]
    )
    b = await create(client, tenant, key="b", integrationKey="hubspot", parentId=people["id"])
    c = await create(client, tenant, key="c", integrationKey="hubspot")

    async def ids(path: str) -> list[str]:
        r = await client.get(path, headers=admin)
        assert r.status_code == 200, r.text
        return [item["id"] for item in r.json()["items"]]

    for name in ("universalDataSourceId", "parentId", "universalParentId"):
        assert await ids(f"/data-sources?{name}={contacts['id']}") == [a["id"]]
    # @integration-app/sdk's `null`: those that specialise no universal data source.
    nothing = [contacts["id"], people["id"], c["id"]]
    assert await ids("/data-sources?universalDataSourceId=null") == nothing
    assert await ids("/data-sources?universalDataSourceId=nope") == []
    assert await ids(f"/data-sources?universalDataSourceId={people['id']}&isUniversal=true") == []
    under = "/integrations/hubspot/data-sources"
    assert await ids(f"{under}?universalDataSourceId={people['id']}") == [b["id"]]
    assert await ids(f"{under}?parentId={people['id']}") == [b["id"]]
    assert await ids(f"{under}?universalDataSourceId=null") == [c["id"]]
    assert await ids(under) == [a["id"], b["id"], c["id"]]


async def test_integration_id_null_lists_universal_data_sources(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """`dataSources.find({integrationId: 'null'})` (@integration-app/sdk 1.14.1)."""
    await integration(client, tenant, "hubspot")
    universal = await create(client, tenant, key="contacts", name="Contacts")
    other = await create(client, tenant, key="people")
    await create(client, tenant, key="contacts", integrationKey="hubspot")
    r = await client.get("/data-sources?integrationId=null", headers=tenant.admin)
    assert r.status_code == 200, r.text
    assert [item["id"] for item in r.json()["items"]] == [universal["id"], other["id"]]
    r = await client.get("/data-sources?integrationId=null&search=cont", headers=tenant.admin)
    assert [item["id"] for item in r.json()["items"]] == [universal["id"]]
    r = await client.get("/data-sources?integrationId=null", headers=tenant.customer("alice"))
    assert len(r.json()["items"]) == 2
    # A real integration id still has to exist.
    r = await client.get("/data-sources?integrationId=nope", headers=tenant.admin)
    assert_error(r, 404, "not_found")


async def test_universal_data_source_id_must_name_a_live_universal_data_source(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    admin = tenant.admin
    await integration(client, tenant, "hubspot")
    specific = await create(client, tenant, key="specific", integrationKey="hubspot")
    archived = await create(client, tenant, key="old")
    await client.delete(f"/data-sources/{archived['id']}", headers=admin)
    r = await client.post("/data-sources", json={"key": "elsewhere"}, headers=other_tenant.admin)
    elsewhere = r.json()
    universal = await create(client, tenant, key="contacts")
    before = await tenant.count(DataSource)

    async def refused(body: dict[str, Any], status: int) -> dict[str, Any]:
        r = await client.post(
            "/data-sources", json={"key": "x", "integrationKey": "hubspot", **body}, headers=admin
        )
        return assert_error(r, status, "not_found" if status == 404 else None)

    await refused({"universalDataSourceId": "nope"}, 404)
    await refused({"universalDataSourceId": elsewhere["id"]}, 404)
    await refused({"parentKey": "old"}, 404)
    for body in (
        {"universalDataSourceId": specific["id"]},
        {"universalDataSourceId": archived["id"]},
        {"parentId": archived["id"]},
    ):
        issues = (await refused(body, 400))["data"]["issues"]
        assert issues[0]["path"] == next(iter(body)), issues
    # Only an integration-specific data source specialises a universal one.
    r = await client.post(
        "/data-sources", json={"key": "y", "universalDataSourceId": universal["id"]}, headers=admin
    )
    assert assert_error(r, 400)["data"]["issues"][0]["path"] == "universalDataSourceId"
    r = await client.patch(
        f"/data-sources/{universal['id']}",
        json={"universalDataSourceId": universal["id"]},
        headers=admin,
    )
    assert_error(r, 400)
    r = await client.patch(
        f"/data-sources/{specific['id']}", json={"universalDataSourceId": "nope"}, headers=admin
    )
    assert_error(r, 404, "not_found")
    assert await tenant.count(DataSource) == before
    r = await client.get(f"/data-sources/{specific['id']}", headers=admin)
    assert r.json()["revision"] == "1" and "universalDataSourceId" not in r.json()


async def test_a_data_source_made_universal_specialises_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await integration(client, tenant, "hubspot")
    contacts = await create(client, tenant, key="contacts")
    ds = await create(
        client, tenant, key="tasks", integrationKey="hubspot", universalDataSourceId=contacts["id"]
    )
    r = await client.patch(
        f"/data-sources/{ds['id']}", json={"isUniversal": True}, headers=tenant.admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["isUniversal"] is True and "universalDataSourceId" not in r.json()


async def test_instances_carry_the_universal_data_source_id(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """Contract §9: an instance names the universal data source involved."""
    await integration(client, tenant, "hubspot")
    contacts = await create(client, tenant, key="contacts", udm="contacts")
    ds = await create(
        client, tenant, key="tasks", integrationKey="hubspot", universalDataSourceId=contacts["id"]
    )
    alice = tenant.customer("alice")
    r = await client.post("/connections", json={"integrationKey": "hubspot"}, headers=alice)
    connection = r.json()
    r = await client.get(
        f"/connections/{connection['id']}/data-sources/tasks?autoCreate=true", headers=alice
    )
    assert r.status_code == 200, r.text
    instance = r.json()
    assert instance["dataSourceId"] == ds["id"]
    assert instance["universalDataSourceId"] == contacts["id"]
    r = await client.get(
        "/data-source-instances", params={"universalDataSourceId": contacts["id"]}, headers=alice
    )
    assert [item["id"] for item in r.json()["items"]] == [instance["id"]]
