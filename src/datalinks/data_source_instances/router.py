from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Body, Depends, Path, Query, Request, Response

from datalinks.connections.repository import owner_named
from datalinks.core.auth import PrincipalDep
from datalinks.core.errors import NotImplementedByDatalinks
from datalinks.core.instance_routes import add_instance_routes
from datalinks.core.instances import InstanceListQuery, Missing
from datalinks.core.openapi_components import errors, shared
from datalinks.core.pagination import PageDep
from datalinks.core.parameters import ArchivedQuery, ListQuery, QueryFields
from datalinks.core.query import parse_bool
from datalinks.core.routing import ApiRouter
from datalinks.core.selectors import (
    INSTANCE_KEY,
    KEY,
    AutoCreate,
    InstanceSelector,
    Params,
    SourceInstanceQuery,
    instance_selector,
)
from datalinks.data_source_instances import schemas
from datalinks.data_source_instances.repository import (
    DataSourceInstanceRepository,
    ResolvedInstance,
    SourceInstanceFilters,
)
from datalinks.db.session import SessionDep
from datalinks.models.base import KEY_MAX

router = ApiRouter(tags=["Data Source Instances"])
FOUND = errors(404)
FOUND_INSTANCE: dict[str, Any] = {"response_model": schemas.DataSourceInstance, "responses": FOUND}
PATH = "/data-source-instance"
ITEM = "/connections/{connection}/data-sources/{source}"
NOT_SERVED = "datalinks stores data source settings only; it reads and writes no external records"


async def repository(
    request: Request, session: SessionDep, principal: PrincipalDep
) -> DataSourceInstanceRepository:
    return DataSourceInstanceRepository(session, principal, owner_named(request.query_params))


RepoDep = Annotated[DataSourceInstanceRepository, Depends(repository, scope="function")]


def read_selector(params: Params) -> InstanceSelector:
    return instance_selector(
        params,
        parent_id_field="dataSourceId",
        parent_key_field="dataSourceKey",
        parent_udm_field="udm",
    )


SelectorQuery = Annotated[SourceInstanceQuery, Query()]


async def selector(query: SelectorQuery) -> InstanceSelector:
    return read_selector(query.values())


SelectorDep = Annotated[InstanceSelector, Depends(selector)]
OptionalBody = Annotated[schemas.DataSourceInstanceWrite | None, Body()]


def out(resolved: ResolvedInstance) -> schemas.DataSourceInstance:
    return schemas.DataSourceInstance.of(resolved)


def sent(body: schemas.DataSourceInstanceWrite | None) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True) if body is not None else {}


class SourceFilter(QueryFields):
    id: str | None = None
    data_source_id: str | None = None
    data_source_key: str | None = None
    universal_data_source_id: str | None = None


class UdmFilter(QueryFields):
    udm: str | None = None


class InstanceList(ListQuery, UdmFilter, InstanceListQuery, SourceFilter):
    def filters(self) -> SourceInstanceFilters:
        parent = {"parent_id": self.data_source_id, "parent_key": self.data_source_key}
        return SourceInstanceFilters(
            **self.common(id=self.id, **parent),
            universal_data_source_id=self.universal_data_source_id,
            udm=self.udm,
            search=self.search,
            include_archived=self.archived_too(),
        )


@router.get(
    "/data-source-instances",
    operation_id="listDataSourceInstances",
    response_model=schemas.DataSourceInstancePage,
)
async def list_instances(
    repo: RepoDep, query: Annotated[InstanceList, Query()], page: PageDep
) -> dict[str, Any]:
    found, cursor = await repo.find(query.filters(), page)
    return {"items": [out(item) for item in found], "cursor": cursor}


# --- instance style: the selector is the query ------------------------------------------


@router.post(PATH, operation_id="createDataSourceInstance", **FOUND_INSTANCE)
async def create_instance(
    query: SelectorQuery,
    repo: RepoDep,
    body: Annotated[schemas.DataSourceInstanceCreate | None, Body()] = None,
) -> schemas.DataSourceInstance:
    """Idempotent: an occupied slot answers with its live instance. The SDK's body repeats the
    parent and connection, which stand in for the selector when the query lacks them."""
    params = query.values()
    if body is not None:
        for field, value in (
            ("dataSourceId", body.data_source_id),
            ("connectionId", body.connection_id),
        ):
            # Only where the query has no such field at all: an empty one stays empty.
            if value and params[field] is None:
                params[field] = value
    resolved = await repo.require(read_selector(params), Missing.CREATE)
    settings = sent(body)
    if resolved.created and any(value is not None for value in settings.values()):
        resolved = await repo.change_settings(resolved, settings, replace=False)
    return out(resolved)


async def _change(
    repo: DataSourceInstanceRepository,
    sel: InstanceSelector,
    body: schemas.DataSourceInstanceWrite | None,
    replace: bool,
) -> schemas.DataSourceInstance:
    resolved = await repo.require(sel)
    return out(await repo.change_settings(resolved, sent(body), replace=replace))


add_instance_routes(
    router,
    path=PATH,
    name="DataSourceInstance",
    repo_dep=RepoDep,
    selector_dep=SelectorDep,
    write_model=schemas.DataSourceInstanceWrite,
    out_model=schemas.DataSourceInstance,
    out=out,
    change=_change,
)


# Record-level calls need a live connector (contract §11); the caller is authenticated first so
# an anonymous probe learns nothing. They answer 501 whatever they are sent.
NOT_SERVED_ROUTE: dict[str, Any] = {
    "status_code": 501,
    "response_class": Response,
    "responses": errors(404, 501),
}


async def refuse(_: PrincipalDep) -> None:
    raise NotImplementedByDatalinks(NOT_SERVED)


for method, suffix, operation_id, summary in (
    ("GET", "collection", "getDataSourceInstanceCollection", "Get the collection"),
    (
        "POST",
        "unified-fields-to-native",
        "dataSourceInstanceUnifiedFieldsToNative",
        "Unified fields to native",
    ),
):
    router.add_api_route(
        f"{PATH}/{suffix}",
        refuse,
        methods=[method],
        operation_id=operation_id,
        summary=f"{summary} (not served)",
        **NOT_SERVED_ROUTE,
    )


@router.post(
    f"{PATH}/collection/{{operation}}",
    operation_id="runDataSourceInstanceCollection",
    summary="Run a collection operation (not served)",
    **NOT_SERVED_ROUTE,
)
async def collection_operation(
    operation: Annotated[str, Path(description="The collection operation.")], _: PrincipalDep
) -> None:
    raise NotImplementedByDatalinks(f"{NOT_SERVED} (collection/{operation[:64]})")


# --- connection level: /connections/{connection}/data-sources/{source} --------------------

ConnectionPath = Annotated[
    str,
    Path(
        description="The connection's id or key (a customer token may also name an "
        "integration it has exactly one live connection to)."
    ),
]
SourcePath = Annotated[str, Path(description="The data source's id or key.")]


class ItemSlot(QueryFields):
    """Which of the connection's instances of the data source, and whether to create it."""

    instance_key: Annotated[
        str | None, shared("InstanceKey", "instanceKey", INSTANCE_KEY, KEY, max_length=KEY_MAX)
    ] = None
    auto_create: AutoCreate = None


class DataSourceFilter(QueryFields):
    data_source_id: str | None = None


class ConnectionSourceList(ArchivedQuery, DataSourceFilter):
    pass


@router.get(
    "/connections/{connection}/data-sources",
    operation_id="listConnectionDataSources",
    response_model=schemas.DataSourceInstancePage,
    responses=FOUND,
)
async def list_connection_instances(
    connection: ConnectionPath,
    repo: RepoDep,
    query: Annotated[ConnectionSourceList, Query()],
    page: PageDep,
) -> dict[str, Any]:
    conn = await repo.connections.get(connection)
    filters = SourceInstanceFilters(
        connection_id=conn.id,
        parent_id=query.data_source_id,
        include_archived=query.archived_too(),
    )
    items, cursor = await repo.find(filters, page)
    return {"items": [out(item) for item in items], "cursor": cursor}


@dataclass(frozen=True)
class Item:
    """What a connection-level path names; looked up only when the handler asks, so that a
    bad body is answered before an unknown connection or data source."""

    connection: str
    source: str
    repo: DataSourceInstanceRepository
    slot: ItemSlot

    async def instance(self, missing: Missing, *, lock: bool = False) -> ResolvedInstance:
        conn = await self.repo.connections.get(self.connection)
        # Only Missing.AUTO reads `autoCreate` (a PUT creates, a DELETE never does, whatever
        # it says).
        create = missing is Missing.AUTO and bool(parse_bool("autoCreate", self.slot.auto_create))
        key = self.slot.instance_key or None
        return await self.repo.at_connection(conn, self.source, key, missing, create, lock=lock)


async def item(
    connection: ConnectionPath,
    source: SourcePath,
    repo: RepoDep,
    slot: Annotated[ItemSlot, Query()],
) -> Item:
    return Item(connection, source, repo, slot)


ItemDep = Annotated[Item, Depends(item)]


async def named_instance(named: ItemDep) -> ResolvedInstance:
    """The instance, created if `autoCreate` says so. Only for routes without a body: this
    lookup, in a dependency, would answer its 404 before a bad body's 400."""
    return await named.instance(Missing.AUTO)


NamedInstance = Annotated[ResolvedInstance, Depends(named_instance)]


@router.get(ITEM, operation_id="getConnectionDataSource", **FOUND_INSTANCE)
async def get_connection_instance(resolved: NamedInstance) -> schemas.DataSourceInstance:
    return out(resolved)


@router.put(ITEM, operation_id="putConnectionDataSource", **FOUND_INSTANCE)
async def put_connection_instance(
    named: ItemDep, body: OptionalBody = None
) -> schemas.DataSourceInstance:
    """The SDK's `create()` is this PUT with no body: create when missing. With a body it also
    replaces the settings."""
    resolved = await named.instance(Missing.CREATE)
    if body is None:
        return out(resolved)
    return out(await named.repo.change_settings(resolved, sent(body), replace=True))


@router.patch(ITEM, operation_id="updateConnectionDataSource", **FOUND_INSTANCE)
async def patch_connection_instance(
    named: ItemDep, body: OptionalBody = None
) -> schemas.DataSourceInstance:
    resolved = await named.instance(Missing.AUTO)
    return out(await named.repo.change_settings(resolved, sent(body), replace=False))


@router.delete(
    ITEM, operation_id="archiveConnectionDataSource", response_class=Response, responses=FOUND
)
async def archive_connection_instance(named: ItemDep) -> Response:
    resolved = await named.instance(Missing.NOT_FOUND, lock=True)
    await named.repo.archive(resolved.instance)
    return Response(status_code=200)


# What a connector would do to an instance (read the schema again, restore the defaults),
# done to the stored settings only.
Action = Callable[[DataSourceInstanceRepository, ResolvedInstance], Awaitable[ResolvedInstance]]
ACTIONS: dict[str, Action] = {
    "setup": DataSourceInstanceRepository.setup,
    "reset": DataSourceInstanceRepository.reset,
}


def add_action_routes(name: str) -> None:
    """`POST …/{name}` on both addressings of an instance."""
    action = ACTIONS[name]

    async def on_selected(repo: RepoDep, sel: SelectorDep) -> schemas.DataSourceInstance:
        return out(await action(repo, await repo.require(sel)))

    async def on_named(resolved: NamedInstance, repo: RepoDep) -> schemas.DataSourceInstance:
        return out(await action(repo, resolved))

    for path, endpoint, operation_id in (
        (f"{PATH}/{name}", on_selected, f"{name}DataSourceInstance"),
        (f"{ITEM}/{name}", on_named, f"{name}ConnectionDataSource"),
    ):
        router.add_api_route(
            path,
            endpoint,
            methods=["POST"],
            operation_id=operation_id,
            response_model=schemas.DataSourceInstance,
            responses=FOUND,
        )


for action_name in ACTIONS:
    add_action_routes(action_name)
