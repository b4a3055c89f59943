"""A tenant's objects for the tenant probe: one of everything the API has, made through the API.

`Definitions` are a workspace's shared elements (integration, data collection, link table,
universal and integration data sources); `Holdings` are one customer's own (its customer row,
connections, link-table and data-source instances, links). Every object that belongs to a
tenant carries a unique marker string, so a leak of it can be spotted in any response.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.helpers import Tenant


async def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 204), f"{response.request.url}: {response.text}"
    return response.json() if response.content else None


@dataclass(frozen=True)
class Definitions:
    tag: str
    secret: str  # in every name, description and meta
    integration_id: str
    integration_key: str
    collection_key: str
    table_id: str
    table_key: str
    universal_source_id: str
    universal_source_key: str
    udm: str
    source_id: str
    source_key: str

    @property
    def ids(self) -> list[str]:
        return [self.integration_id, self.table_id, self.universal_source_id, self.source_id]


@dataclass(frozen=True)
class Holdings:
    tag: str
    secret: str
    headers: dict[str, str] = field(repr=False)
    customer_id: str
    internal_id: str
    connection_id: str
    connection_key: str
    archived_connection_id: str
    instance_id: str  # the default link-table instance
    instance_key: str
    keyed_instance_id: str
    archived_instance_id: str
    external_record_id: str
    app_record_id: str
    link_ids: tuple[str, ...]
    source_instance_id: str

    @property
    def ids(self) -> list[str]:
        """Ids unique enough to look for in answers (a link's id is a small number)."""
        return [
            self.customer_id,
            self.connection_id,
            self.archived_connection_id,
            self.instance_id,
            self.keyed_instance_id,
            self.archived_instance_id,
            self.source_instance_id,
        ]


@dataclass(frozen=True)
class World:
    """One customer's holdings on its workspace's definitions."""

    tenant: Tenant
    definitions: Definitions
    holdings: Holdings

    @property
    def admin(self) -> dict[str, str]:
        return self.tenant.admin


async def make_definitions(client: httpx.AsyncClient, tenant: Tenant, marked: bool) -> Definitions:
    tag = uuid.uuid4().hex[:10]
    secret = f"SECRET-{tag}" if marked else f"shared-{tag}"
    admin = tenant.admin
    integration = await _ok(
        await client.post(
            "/integrations",
            json={"key": f"int-{tag}", "name": f"Int {secret}", "description": secret},
            headers=admin,
        )
    )
    collection = f"coll-{tag}"
    await _ok(
        await client.put(
            f"/integrations/{integration['id']}/data/{collection}",
            json={"name": f"Coll {secret}", "parametersSchema": {"type": "object"}},
            headers=admin,
        )
    )
    table = await _ok(
        await client.post(
            "/data-link-tables",
            json={"key": f"tbl-{tag}", "name": f"Table {secret}", "meta": {"m": secret}},
            headers=admin,
        )
    )
    udm = f"udm-{tag}"
    universal = await _ok(
        await client.post(
            "/data-sources",
            json={"key": f"uds-{tag}", "name": f"Universal {secret}", "udm": udm},
            headers=admin,
        )
    )
    source = await _ok(
        await client.post(
            "/data-sources",
            json={
                "key": f"ds-{tag}",
                "name": f"Source {secret}",
                "integrationId": integration["id"],
                "parentId": universal["id"],
                "collectionKey": collection,
                "meta": {"m": secret},
            },
            headers=admin,
        )
    )
    return Definitions(
        tag=tag,
        secret=secret,
        integration_id=integration["id"],
        integration_key=integration["key"],
        collection_key=collection,
        table_id=table["id"],
        table_key=table["key"],
        universal_source_id=universal["id"],
        universal_source_key=universal["key"],
        udm=udm,
        source_id=source["id"],
        source_key=source["key"],
    )


async def make_holdings(
    client: httpx.AsyncClient, tenant: Tenant, definitions: Definitions, name: str
) -> Holdings:
    tag = uuid.uuid4().hex[:10]
    secret = f"SECRET-{tag}"
    internal_id = f"{name}-{tag}"
    headers = tenant.customer(internal_id, name=f"{name} {secret}")
    me = await _ok(await client.patch("/self", json={"meta": {"m": secret}}, headers=headers))
    connection = await _ok(
        await client.post(
            "/connections",
            json={
                "integrationKey": definitions.integration_key,
                "key": f"conn-{tag}",
                "name": f"Conn {secret}",
                "meta": {"m": secret},
            },
            headers=headers,
        )
    )
    old = await _ok(
        await client.post(
            "/connections",
            json={"integrationKey": definitions.integration_key, "key": f"old-{tag}"},
            headers=headers,
        )
    )
    await _ok(await client.delete(f"/connections/{old['id']}", headers=headers))
    slot = f"dataLinkTableKey={definitions.table_key}&connectionId={connection['id']}"
    body = {"description": secret, "meta": {"m": secret}}
    instance = await _ok(
        await client.post(f"/data-link-table-instance?{slot}", json=body, headers=headers)
    )
    instance_key = f"ik-{tag}"
    keyed = await _ok(
        await client.post(
            f"/data-link-table-instance?{slot}&instanceKey={instance_key}",
            json=body,
            headers=headers,
        )
    )
    gone = await _ok(
        await client.post(
            f"/data-link-table-instance?{slot}&instanceKey=gone-{tag}", headers=headers
        )
    )
    await _ok(await client.delete(f"/data-link-table-instance?id={gone['id']}", headers=headers))
    external, app = f"ext-{tag}", f"app-{tag}"
    for target in (instance, keyed):
        await _ok(
            await client.post(
                f"/data-link-table-instance/links?id={target['id']}",
                json={"externalRecordId": external, "appRecordId": app, "direction": "both"},
                headers=headers,
            )
        )
    links = await _ok(
        await client.get(f"/data-links?dataLinkTableInstanceId={instance['id']}", headers=headers)
    )
    source_instance = await _ok(
        await client.put(
            f"/connections/{connection['id']}/data-sources/{definitions.source_id}", headers=headers
        )
    )
    await _ok(
        await client.patch(
            f"/data-source-instance?id={source_instance['id']}",
            json={"collectionParameters": {"m": secret}, "pullUpdatesIntervalSeconds": 900},
            headers=headers,
        )
    )
    return Holdings(
        tag=tag,
        secret=secret,
        headers=headers,
        customer_id=me["id"],
        internal_id=internal_id,
        connection_id=connection["id"],
        connection_key=connection["key"],
        archived_connection_id=old["id"],
        instance_id=instance["id"],
        instance_key=instance_key,
        keyed_instance_id=keyed["id"],
        archived_instance_id=gone["id"],
        external_record_id=external,
        app_record_id=app,
        link_ids=tuple(link["id"] for link in links["items"]),
        source_instance_id=source_instance["id"],
    )


async def make_world(
    client: httpx.AsyncClient,
    tenant: Tenant,
    name: str,
    *,
    definitions: Definitions | None = None,
    marked: bool = True,
) -> World:
    """`name`'s holdings in `tenant`, on `definitions` (made afresh when not given)."""
    shared = definitions or await make_definitions(client, tenant, marked)
    return World(tenant, shared, await make_holdings(client, tenant, shared, name))
