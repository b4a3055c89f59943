"""A table, an integration and a customer's connection: what every link test starts from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select

from datalinks.models import DataLink
from tests.support.helpers import Tenant


@dataclass
class LinkWorld:
    tenant: Tenant
    client: httpx.AsyncClient
    table: dict[str, str]
    integration: dict[str, str]
    connection: dict[str, str]
    customer: dict[str, str]

    @property
    def selector(self) -> dict[str, str]:
        """The SDK's usual selector: table key + connection id + autoCreate."""
        return {
            "dataLinkTableKey": self.table["key"],
            "connectionId": self.connection["id"],
            "autoCreate": "true",
        }

    async def create_link(
        self, ext: str, app: str, direction: str | None = "import", **params: str
    ) -> httpx.Response:
        body = {"externalRecordId": ext, "appRecordId": app}
        if direction is not None:
            body["direction"] = direction
        return await self.client.post(
            "/data-link-table-instance/links",
            params={**self.selector, **params},
            json=body,
            headers=self.customer,
        )

    async def find(self, **filters: str) -> list[dict[str, str]]:
        r = await self.client.get(
            "/data-link-table-instance/links",
            params={**self.selector, **filters},
            headers=self.customer,
        )
        assert r.status_code == 200, r.text
        items: list[dict[str, str]] = r.json()["items"]
        return items


async def make_world(
    client: httpx.AsyncClient, tenant: Tenant, customer_id: str = "alice"
) -> LinkWorld:
    admin = tenant.admin
    suffix = uuid.uuid4().hex[:6]
    r = await client.post("/data-link-tables", json={"name": f"Contacts {suffix}"}, headers=admin)
    assert r.status_code == 200, r.text
    table = r.json()
    r = await client.post("/integrations", json={"key": f"crm-{suffix}"}, headers=admin)
    assert r.status_code == 200, r.text
    integration = r.json()
    customer = tenant.customer(customer_id)
    r = await client.post(
        "/connections", json={"integrationId": integration["id"]}, headers=customer
    )
    assert r.status_code == 200, r.text
    return LinkWorld(tenant, client, table, integration, r.json(), customer)


async def link_rows(world: LinkWorld) -> int:
    """The links stored for the world's instance, read from the database, not the API."""
    async with world.tenant.database.sessionmaker() as session:
        stmt = select(func.count()).select_from(DataLink)
        instance = await world.client.get(
            "/data-link-table-instance", params=world.selector, headers=world.customer
        )
        stmt = stmt.where(DataLink.data_link_table_instance_id == instance.json()["id"])
        return int((await session.execute(stmt)).scalar_one())
