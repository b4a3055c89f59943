"""Data-link table instances: selectors, autoCreate, archive/restore, lists, and races."""

from __future__ import annotations

import asyncio

import httpx

from datalinks.models import DataLinkTableInstance
from tests.support.helpers import Tenant, assert_error
from tests.support.linkfixtures import make_world

PATH = "/data-link-table-instance"


async def test_get_without_autocreate_is_404_then_created(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    plain = {k: v for k, v in world.selector.items() if k != "autoCreate"}
    assert_error(await client.get(PATH, params=plain, headers=world.customer), 404, "not_found")
    r = await client.get(PATH, params=world.selector, headers=world.customer)
    assert r.status_code == 200, r.text
    instance = r.json()
    assert instance["key"] == world.table["key"]
    assert instance["integrationId"] == world.integration["id"]
    assert instance["userId"] == instance["tenantId"] == world.connection["userId"]
    assert (await client.get(PATH, params=plain, headers=world.customer)).json()["id"] == instance[
        "id"
    ]
    # String selector form: id=…
    r = await client.get(PATH, params={"id": instance["id"]}, headers=world.customer)
    assert r.json()["id"] == instance["id"]


async def test_selector_forms_name_the_same_instance(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    instance = (await client.get(PATH, params=world.selector, headers=world.customer)).json()
    forms = [
        {"dataLinkTableId": world.table["id"], "connectionId": world.connection["id"]},
        {"dataLinkTableKey": world.table["key"], "integrationKey": world.integration["key"]},
        {"dataLinkTableKey": world.table["key"], "integrationId": world.integration["id"]},
    ]
    for params in forms:
        r = await client.get(PATH, params=params, headers=world.customer)
        assert r.status_code == 200, (params, r.text)
        assert r.json()["id"] == instance["id"]
    # An admin names the customer when it picks the connection by integration.
    r = await client.get(
        PATH,
        params={
            "dataLinkTableKey": world.table["key"],
            "integrationKey": world.integration["key"],
            "userId": "alice",
        },
        headers=tenant.admin,
    )
    assert r.json()["id"] == instance["id"]


async def test_instance_keys_give_separate_instances(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    default = (await client.get(PATH, params=world.selector, headers=world.customer)).json()
    second = (
        await client.get(
            PATH, params={**world.selector, "instanceKey": "b"}, headers=world.customer
        )
    ).json()
    assert default["id"] != second["id"] and second["instanceKey"] == "b"
    r = await client.get(
        "/data-link-table-instances",
        params={"dataLinkTableId": world.table["id"]},
        headers=world.customer,
    )
    assert [x["id"] for x in r.json()["items"]] == [default["id"], second["id"]]
    r = await client.get(
        "/data-link-table-instances", params={"instanceKey": "b"}, headers=world.customer
    )
    assert [x["id"] for x in r.json()["items"]] == [second["id"]]


async def test_post_is_idempotent_and_put_patch_update(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    params = {"dataLinkTableKey": world.table["key"], "connectionId": world.connection["id"]}
    r = await client.post(
        PATH, params=params, json={"description": "first"}, headers=world.customer
    )
    assert r.status_code == 200, r.text
    created = r.json()
    assert created["description"] == "first"
    again = (await client.post(PATH, params=params, json={}, headers=world.customer)).json()
    assert again["id"] == created["id"] and again["description"] == "first"
    patched = (
        await client.patch(
            PATH, params={"id": created["id"]}, json={"meta": {"a": 1}}, headers=world.customer
        )
    ).json()
    assert patched["meta"] == {"a": 1} and patched["description"] == "first"
    put = (
        await client.put(PATH, params={"id": created["id"]}, json={}, headers=world.customer)
    ).json()
    assert "meta" not in put and "description" not in put
    assert put["revision"] == "3"


async def test_archive_restore_and_a_new_instance_in_the_slot(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    instance = (await client.get(PATH, params=world.selector, headers=world.customer)).json()
    await world.create_link("e", "a")
    r = await client.delete(PATH, params=world.selector, headers=world.customer)
    assert r.status_code == 200 and r.content == b""
    # By id, twice is a no-op; by the selector the slot is now empty, which is a 404 even
    # with autoCreate in it: archiving never creates.
    assert (
        await client.delete(PATH, params={"id": instance["id"]}, headers=world.customer)
    ).status_code == 200
    assert_error(await client.delete(PATH, params=world.selector, headers=world.customer), 404)
    assert await tenant.count(DataLinkTableInstance) == 1
    archived = (
        await client.get(PATH, params={"id": instance["id"]}, headers=world.customer)
    ).json()
    assert archived["archivedAt"]
    # The archived instance keeps its links, but takes no new ones.
    r = await client.get(
        "/data-link-table-instance/links", params={"id": instance["id"]}, headers=world.customer
    )
    assert len(r.json()["items"]) == 1
    r = await client.post(
        "/data-link-table-instance/links",
        params={"id": instance["id"]},
        json={"externalRecordId": "x", "appRecordId": "y"},
        headers=world.customer,
    )
    assert_error(r, 400)
    # Lists hide it unless asked.
    listed = (await client.get("/data-link-table-instances", headers=world.customer)).json()
    assert listed["items"] == []
    listed = (
        await client.get(
            "/data-link-table-instances", params={"includeArchived": "1"}, headers=world.customer
        )
    ).json()
    assert [x["id"] for x in listed["items"]] == [instance["id"]]
    # autoCreate fills the now-empty slot with a new instance; the old one cannot come back.
    fresh = (await client.get(PATH, params=world.selector, headers=world.customer)).json()
    assert fresh["id"] != instance["id"]
    r = await client.post(f"{PATH}/restore", params={"id": instance["id"]}, headers=world.customer)
    assert_error(r, 409, "already_exists")
    await client.delete(PATH, params={"id": fresh["id"]}, headers=world.customer)
    r = await client.post(f"{PATH}/restore", params={"id": instance["id"]}, headers=world.customer)
    assert r.status_code == 200 and "archivedAt" not in r.json()


async def test_archived_table_hides_instances_and_refuses_link_writes(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    instance = (await client.get(PATH, params=world.selector, headers=world.customer)).json()
    await world.create_link("e", "a")
    await client.delete(f"/data-link-tables/{world.table['id']}", headers=tenant.admin)
    listed = (await client.get("/data-link-table-instances", headers=world.customer)).json()
    assert listed["items"] == []
    r = await client.post(
        "/data-link-table-instance/links",
        params={"id": instance["id"]},
        json={"externalRecordId": "x", "appRecordId": "y"},
        headers=world.customer,
    )
    assert_error(r, 400)
    by_key = await world.create_link("x", "y")
    assert_error(by_key, 404, "not_found")
    await client.post(f"/data-link-tables/{world.table['id']}/restore", headers=tenant.admin)
    assert [x["externalRecordId"] for x in await world.find()] == ["e"]


async def test_fifty_parallel_autocreates_make_one_instance(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    responses = await asyncio.gather(
        *(client.get(PATH, params=world.selector, headers=world.customer) for _ in range(50))
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await tenant.count(DataLinkTableInstance) == 1


async def test_customers_reach_only_their_own_instances(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    instance = (await client.get(PATH, params=world.selector, headers=world.customer)).json()
    bob = tenant.customer("bob")
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        r = await client.request(method, PATH, params={"id": instance["id"]}, headers=bob)
        assert_error(r, 404, "not_found")
    assert_error(
        await client.post(f"{PATH}/restore", params={"id": instance["id"]}, headers=bob), 404
    )
    # Bob cannot create an instance on Alice's connection either.
    assert_error(await client.get(PATH, params=world.selector, headers=bob), 404, "not_found")
    assert (await client.get("/data-link-table-instances", headers=bob)).json()["items"] == []
    # Another workspace's admin sees nothing.
    foreign = other_tenant.admin
    assert_error(await client.get(PATH, params={"id": instance["id"]}, headers=foreign), 404)
    assert (await client.get("/data-link-table-instances", headers=foreign)).json()["items"] == []
    # The workspace admin sees everything, and can filter by customer.
    listed = (
        await client.get(
            "/data-link-table-instances", params={"userId": "alice"}, headers=tenant.admin
        )
    ).json()
    assert [x["id"] for x in listed["items"]] == [instance["id"]]


async def test_integration_filters_list_nothing_when_nothing_matches(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    # Found by the fuzzer: an unknown integrationId was a 404, which a list never answers
    # (an unknown userId already listed nothing).
    world = await make_world(client, tenant)
    instance = (await client.get(PATH, params=world.selector, headers=world.customer)).json()
    listed = "/data-link-table-instances"
    for headers in (world.customer, tenant.admin):
        for params, expected in (
            ({"integrationId": world.integration["id"]}, [instance["id"]]),
            ({"integrationKey": world.integration["key"]}, [instance["id"]]),
            ({"integrationId": "no-such-integration"}, []),
            ({"integrationKey": "no-such-integration"}, []),
            ({"integrationId": "\U0001d707T)\u00fe"}, []),
        ):
            r = await client.get(listed, params=params, headers=headers)
            assert r.status_code == 200, (params, r.text)
            assert [x["id"] for x in r.json()["items"]] == expected, params
    # An archived integration is hidden from key filters like any key selector, not by id.
    archived = await client.delete(f"/integrations/{world.integration['id']}", headers=tenant.admin)
    assert archived.status_code == 200, archived.text
    by_key = {"integrationKey": world.integration["key"], "includeArchived": "true"}
    r = await client.get(listed, params=by_key, headers=tenant.admin)
    assert r.status_code == 200 and r.json()["items"] == [], r.text
    by_id = {"integrationId": world.integration["id"], "includeArchived": "true"}
    r = await client.get(listed, params=by_id, headers=tenant.admin)
    assert [x["id"] for x in r.json()["items"]] == [instance["id"]], r.text
