"""Races on real parallel connections: the database, not the code, keeps links unique."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from datalinks.models import DataLink, DataLinkTableInstance
from tests.helpers import Tenant
from tests.linkfixtures import LinkWorld, make_world


async def count_links(world: LinkWorld) -> int:
    async with world.tenant.database.sessionmaker() as session:
        stmt = (
            select(func.count())
            .select_from(DataLink)
            .join(DataLinkTableInstance)
            .where(DataLinkTableInstance.workspace_id == world.tenant.workspace_id)
        )
        return int((await session.execute(stmt)).scalar_one())


async def test_fifty_identical_creates_make_one_link(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    # The instance does not exist yet: the creates race on it too.
    responses = await asyncio.gather(*(world.create_link("e", "a", "both") for _ in range(50)))
    assert [r.status_code for r in responses] == [204] * 50, [r.text for r in responses]
    assert await count_links(world) == 2
    assert await tenant.count(DataLinkTableInstance) == 1


async def test_create_racing_delete_leaves_a_serial_outcome(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    world = await make_world(client, tenant)
    await world.find()
    body = {"externalRecordId": "e", "appRecordId": "a", "direction": "import"}

    async def delete() -> httpx.Response:
        return await client.request(
            "DELETE",
            "/data-link-table-instance/links",
            params=world.selector,
            json=body,
            headers=world.customer,
        )

    for _ in range(10):
        results = await asyncio.gather(
            *(world.create_link("e", "a") if i % 2 else delete() for i in range(20))
        )
        assert all(r.status_code in (200, 204) for r in results)
        # Whatever the interleaving, there is at most one such link, and a final create
        # or delete decides the state.
        assert await count_links(world) in (0, 1)
    await world.create_link("e", "a")
    assert await count_links(world) == 1
    await delete()
    assert await count_links(world) == 0
