"""Flat instance addressing (contract §8.2): the routes on a data source's own path act on a
connection's instance of it when the query names a connection.

One route per method and path answers both cases, so they are mounted here, above both
packages: the data source's own case is data_sources/router.py's, the instance's is this
package's repository."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Response

from datalinks.core.instances import Missing
from datalinks.core.openapi_components import AUTHENTICATED, errors
from datalinks.core.parameters import Selector
from datalinks.core.routing import ApiRouter
from datalinks.core.selectors import ConnectionInstanceQuery, instance_selector
from datalinks.data_source_instances.repository import (
    DataSourceInstanceRepository,
    ResolvedInstance,
)
from datalinks.data_source_instances.router import ACTIONS, RepoDep, out
from datalinks.data_source_instances.schemas import DataSourceInstance, DataSourceInstanceWrite
from datalinks.data_sources import router as data_sources
from datalinks.data_sources.repository import DataSourceRepository
from datalinks.data_sources.schemas import DataSource, DataSourceWrite

# Every route names a data source; a write to the data source itself needs an admin token.
router = ApiRouter(tags=["Data Sources"], responses={**AUTHENTICATED, **errors(404)})
WRITES = errors(403)
PATH = "/data-sources/{selector}"
SourceOrInstance = DataSource | DataSourceInstance


@dataclass
class FlatRequest:
    selector: str
    query: ConnectionInstanceQuery
    sources: DataSourceRepository
    instances: DataSourceInstanceRepository

    @property
    def names_connection(self) -> bool:
        """`integrationId`/`integrationKey` alone only disambiguate the data source's key."""
        return bool(self.query.connection_id or self.query.connection_key)

    async def instance(self, missing: Missing, *, lock: bool = False) -> ResolvedInstance:
        # The path names the data source; the query's instance fields are read (and checked)
        # as in any instance selector.
        sel = instance_selector(
            self.query.values(),
            parent_id_field="dataSourceId",
            parent_key_field="dataSourceKey",
            parent_id=self.selector,
        )
        connection = await self.instances.connections.for_selector(sel.connection)
        return await self.instances.at_connection(
            connection, self.selector, sel.instance_key, missing, sel.auto_create, lock=lock
        )


async def flat_request(
    selector: Selector,
    query: Annotated[ConnectionInstanceQuery, Query()],
    sources: data_sources.RepoDep,
    instances: RepoDep,
) -> FlatRequest:
    return FlatRequest(selector, query, sources, instances)


FlatDep = Annotated[FlatRequest, Depends(flat_request)]


@router.get(
    PATH,
    operation_id="getDataSource",
    summary="Get a data source, or a connection's instance of it",
    response_model=SourceOrInstance,
)
async def get_data_source(flat: FlatDep) -> SourceOrInstance:
    if not flat.names_connection:
        return await data_sources.get_data_source(flat.selector, flat.sources)
    return out(await flat.instance(Missing.AUTO))


async def _update(flat: FlatRequest, body: DataSourceWrite, replace: bool) -> SourceOrInstance:
    if not flat.names_connection:
        return await data_sources.update_data_source(
            flat.selector, body, flat.sources, replace=replace
        )
    resolved = await flat.instance(Missing.AUTO)
    # The body is a data source's; the instance takes the settings it has of its own.
    sent = {
        name: value
        for name, value in body.model_dump(exclude_unset=True).items()
        if name in DataSourceInstanceWrite.model_fields
    }
    return out(await flat.instances.change_settings(resolved, sent, replace=replace))


@router.put(
    PATH, operation_id="replaceDataSource", response_model=SourceOrInstance, responses=WRITES
)
async def put_data_source(flat: FlatDep, body: DataSourceWrite) -> SourceOrInstance:
    return await _update(flat, body, replace=True)


@router.patch(
    PATH, operation_id="patchDataSource", response_model=SourceOrInstance, responses=WRITES
)
async def patch_data_source(flat: FlatDep, body: DataSourceWrite) -> SourceOrInstance:
    return await _update(flat, body, replace=False)


@router.delete(PATH, operation_id="archiveDataSource", response_class=Response, responses=WRITES)
async def archive_data_source(flat: FlatDep) -> Response:
    if not flat.names_connection:
        await data_sources.archive_data_source(flat.selector, flat.sources)
    else:
        resolved = await flat.instance(Missing.NOT_FOUND, lock=True)
        await flat.instances.archive(resolved.instance)
    return Response(status_code=200)


@router.post(
    f"{PATH}/restore",
    operation_id="restoreDataSource",
    response_model=SourceOrInstance,
    responses=WRITES,
)
async def restore_data_source(flat: FlatDep) -> SourceOrInstance:
    if not flat.names_connection:
        return await data_sources.restore_data_source(flat.selector, flat.sources)
    return out(await flat.instances.restore_instance(await flat.instance(Missing.NOT_FOUND)))


def add_action_route(name: str) -> None:
    """`POST …/{name}` (reset, setup): a no-op on the data source itself (no connector to read
    a schema from), the instance action on a connection's instance."""
    action = ACTIONS[name]

    async def act(flat: FlatDep) -> SourceOrInstance:
        if not flat.names_connection:
            return await data_sources.no_op(flat.selector, flat.sources)
        return out(await action(flat.instances, await flat.instance(Missing.AUTO)))

    router.add_api_route(
        f"{PATH}/{name}",
        act,
        methods=["POST"],
        operation_id=f"{name}DataSource",
        response_model=SourceOrInstance,
        responses=WRITES,
    )


for action_name in ("reset", "setup"):
    add_action_route(action_name)
