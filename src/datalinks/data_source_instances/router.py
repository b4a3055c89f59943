from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, Query, Request, Response
from starlette.datastructures import QueryParams

from datalinks.connections.repository import owner_named
from datalinks.core.auth import PrincipalDep
from datalinks.core.errors import NotImplementedByDatalinks
from datalinks.core.instances import Missing
from datalinks.core.pagination import Page, PageParams, page_params
from datalinks.core.query import parse_bool
from datalinks.core.routing import ApiRouter
from datalinks.core.selectors import InstanceSelector, instance_selector
from datalinks.data_source_instances import schemas
from datalinks.data_source_instances.repository import (
    DataSourceInstanceRepository,
    ResolvedInstance,
    SourceInstanceFilters,
)
from datalinks.db.session import SessionDep

router = ApiRouter(tags=["Data Source Instances"])
PATH = "/data-source-instance"
ITEM = "/connections/{connection}/data-sources/{source}"
NOT_SERVED = "datalinks stores data source settings only; it reads and writes no external records"


async def repository(
    request: Request, session: SessionDep, principal: PrincipalDep
) -> DataSourceInstanceRepository:
    return DataSourceInstanceRepository(session, principal, owner_named(request.query_params))


RepoDep = Annotated[DataSourceInstanceRepository, Depends(repository, scope="function")]


def read_selector(params: QueryParams) -> InstanceSelector:
    return instance_selector(
        params,
        parent_id_field="dataSourceId",
        parent_key_field="dataSourceKey",
        parent_udm_field="udm",
    )


async def selector(request: Request) -> InstanceSelector:
    return read_selector(request.query_params)


SelectorDep = Annotated[InstanceSelector, Depends(selector)]
OptionalBody = Annotated[schemas.DataSourceInstanceWrite | None, Body()]
InstanceKey = Annotated[str | None, Query(alias="instanceKey", max_length=255)]
AutoCreate = Annotated[str | None, Query(alias="autoCreate")]


def out(resolved: ResolvedInstance) -> schemas.DataSourceInstance:
    return schemas.DataSourceInstance.of(resolved)


def sent(body: schemas.DataSourceInstanceWrite | None) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True) if body is not None else {}


@router.get(
    "/data-source-instances",
    operation_id="listDataSourceInstances",
    response_model=Page[schemas.DataSourceInstance],
)
async def list_instances(
    repo: RepoDep,
    page: Annotated[PageParams, Depends(page_params)],
    id: str | None = None,
    data_source_id: Annotated[str | None, Query(alias="dataSourceId")] = None,
    data_source_key: Annotated[str | None, Query(alias="dataSourceKey")] = None,
    universal_data_source_id: Annotated[str | None, Query(alias="universalDataSourceId")] = None,
    connection_id: Annotated[str | None, Query(alias="connectionId")] = None,
    integration_id: Annotated[str | None, Query(alias="integrationId")] = None,
    integration_key: Annotated[str | None, Query(alias="integrationKey")] = None,
    instance_key: Annotated[str | None, Query(alias="instanceKey")] = None,
    user_id: Annotated[str | None, Query(alias="userId")] = None,
    tenant_id: Annotated[str | None, Query(alias="tenantId")] = None,
    udm: str | None = None,
    search: str | None = None,
    include_archived: Annotated[str | None, Query(alias="includeArchived")] = None,
) -> dict[str, Any]:
    filters = SourceInstanceFilters(
        id=id,
        parent_id=data_source_id,
        parent_key=data_source_key,
        universal_data_source_id=universal_data_source_id,
        connection_id=connection_id,
        integration_id=integration_id,
        integration_key=integration_key,
        instance_key=instance_key,
        user=user_id or tenant_id,
        udm=udm,
        search=search,
        include_archived=bool(parse_bool("includeArchived", include_archived)),
    )
    items, cursor = await repo.find(filters, page)
    return {"items": [out(item) for item in items], "cursor": cursor}


# --- instance style: the selector is the query ------------------------------------------


@router.get(PATH, operation_id="getDataSourceInstance", response_model=schemas.DataSourceInstance)
async def get_instance(repo: RepoDep, sel: SelectorDep) -> schemas.DataSourceInstance:
    return out(await repo.require(sel))


@router.post(
    PATH, operation_id="createDataSourceInstance", response_model=schemas.DataSourceInstance
)
async def create_instance(
    request: Request,
    repo: RepoDep,
    body: Annotated[schemas.DataSourceInstanceCreate | None, Body()] = None,
) -> schemas.DataSourceInstance:
    """Idempotent: an occupied slot answers with its live instance. The SDK's body repeats the
    parent and connection, which stand in for the selector when the query lacks them."""
    params = dict(request.query_params)
    if body is not None:
        if body.data_source_id and not params.get("dataSourceId"):
            params.setdefault("dataSourceId", body.data_source_id)
        if body.connection_id and not params.get("connectionId"):
            params.setdefault("connectionId", body.connection_id)
    resolved = await repo.require(read_selector(QueryParams(params)), Missing.CREATE)
    settings = sent(body)
    if resolved.created and any(value is not None for value in settings.values()):
        resolved = await repo.change_settings(resolved, settings, replace=False)
    return out(resolved)


@router.put(PATH, operation_id="putDataSourceInstance", response_model=schemas.DataSourceInstance)
async def put_instance(
    repo: RepoDep, sel: SelectorDep, body: OptionalBody = None
) -> schemas.DataSourceInstance:
    resolved = await repo.require(sel)
    return out(await repo.change_settings(resolved, sent(body), replace=True))


@router.patch(
    PATH, operation_id="updateDataSourceInstance", response_model=schemas.DataSourceInstance
)
async def patch_instance(
    repo: RepoDep, sel: SelectorDep, body: OptionalBody = None
) -> schemas.DataSourceInstance:
    resolved = await repo.require(sel)
    return out(await repo.change_settings(resolved, sent(body), replace=False))


@router.delete(PATH, operation_id="archiveDataSourceInstance", response_class=Response)
async def archive_instance(repo: RepoDep, sel: SelectorDep) -> Response:
    await repo.archive_selected(sel)
    return Response(status_code=200)


@router.post(
    f"{PATH}/restore",
    operation_id="restoreDataSourceInstance",
    response_model=schemas.DataSourceInstance,
)
async def restore_instance(repo: RepoDep, sel: SelectorDep) -> schemas.DataSourceInstance:
    return out(await repo.restore_selected(sel))


@router.post(
    f"{PATH}/setup",
    operation_id="setupDataSourceInstance",
    response_model=schemas.DataSourceInstance,
)
async def setup_instance(repo: RepoDep, sel: SelectorDep) -> schemas.DataSourceInstance:
    return out(await repo.setup(await repo.require(sel)))


@router.post(
    f"{PATH}/reset",
    operation_id="resetDataSourceInstance",
    response_model=schemas.DataSourceInstance,
)
async def reset_instance(repo: RepoDep, sel: SelectorDep) -> schemas.DataSourceInstance:
    return out(await repo.reset(await repo.require(sel)))


# Record-level calls need a live connector (contract §11); the caller is authenticated first so
# an anonymous probe learns nothing.


@router.get(f"{PATH}/collection", operation_id="getDataSourceInstanceCollection")
async def get_collection(_: PrincipalDep) -> None:
    raise NotImplementedByDatalinks(NOT_SERVED)


@router.post(f"{PATH}/collection/{{operation}}", operation_id="runDataSourceInstanceCollection")
async def collection_operation(operation: str, _: PrincipalDep) -> None:
    raise NotImplementedByDatalinks(f"{NOT_SERVED} (collection/{operation[:64]})")


@router.post(
    f"{PATH}/unified-fields-to-native", operation_id="dataSourceInstanceUnifiedFieldsToNative"
)
async def unified_fields_to_native(_: PrincipalDep) -> None:
    raise NotImplementedByDatalinks(NOT_SERVED)


# --- connection level: /connections/{connection}/data-sources/{source} --------------------


@router.get(
    "/connections/{connection}/data-sources",
    operation_id="listConnectionDataSources",
    response_model=Page[schemas.DataSourceInstance],
)
async def list_connection_instances(
    connection: str,
    repo: RepoDep,
    page: Annotated[PageParams, Depends(page_params)],
    data_source_id: Annotated[str | None, Query(alias="dataSourceId")] = None,
    include_archived: Annotated[str | None, Query(alias="includeArchived")] = None,
) -> dict[str, Any]:
    conn = await repo.connections.get(connection)
    filters = SourceInstanceFilters(
        connection_id=conn.id,
        parent_id=data_source_id,
        include_archived=bool(parse_bool("includeArchived", include_archived)),
    )
    items, cursor = await repo.find(filters, page)
    return {"items": [out(item) for item in items], "cursor": cursor}


async def _at(
    repo: DataSourceInstanceRepository,
    connection: str,
    source: str,
    instance_key: str | None,
    missing: Missing,
    auto_create: str | None = None,
    *,
    lock: bool = False,
) -> ResolvedInstance:
    conn = await repo.connections.get(connection)
    create = bool(parse_bool("autoCreate", auto_create))
    return await repo.at_connection(conn, source, instance_key or None, missing, create, lock=lock)


async def named_instance(
    connection: str,
    source: str,
    repo: RepoDep,
    instance_key: InstanceKey = None,
    auto_create: AutoCreate = None,
) -> ResolvedInstance:
    """The instance a connection-level path names, created if `autoCreate` says so. Only for
    routes without a body: a dependency runs before the body is read, so a bad body would
    answer after the lookup's 404 instead of before it."""
    return await _at(repo, connection, source, instance_key, Missing.AUTO, auto_create)


NamedInstance = Annotated[ResolvedInstance, Depends(named_instance)]


@router.get(ITEM, operation_id="getConnectionDataSource", response_model=schemas.DataSourceInstance)
async def get_connection_instance(resolved: NamedInstance) -> schemas.DataSourceInstance:
    return out(resolved)


@router.put(ITEM, operation_id="putConnectionDataSource", response_model=schemas.DataSourceInstance)
async def put_connection_instance(
    connection: str,
    source: str,
    repo: RepoDep,
    instance_key: InstanceKey = None,
    body: OptionalBody = None,
) -> schemas.DataSourceInstance:
    """The SDK's `create()` is this PUT with no body: create when missing. With a body it also
    replaces the settings."""
    resolved = await _at(repo, connection, source, instance_key, Missing.CREATE)
    if body is None:
        return out(resolved)
    return out(await repo.change_settings(resolved, sent(body), replace=True))


@router.patch(
    ITEM, operation_id="updateConnectionDataSource", response_model=schemas.DataSourceInstance
)
async def patch_connection_instance(
    connection: str,
    source: str,
    repo: RepoDep,
    instance_key: InstanceKey = None,
    auto_create: AutoCreate = None,
    body: OptionalBody = None,
) -> schemas.DataSourceInstance:
    resolved = await _at(repo, connection, source, instance_key, Missing.AUTO, auto_create)
    return out(await repo.change_settings(resolved, sent(body), replace=False))


@router.delete(ITEM, operation_id="archiveConnectionDataSource", response_class=Response)
async def archive_connection_instance(
    connection: str, source: str, repo: RepoDep, instance_key: InstanceKey = None
) -> Response:
    resolved = await _at(repo, connection, source, instance_key, Missing.NOT_FOUND, lock=True)
    await repo.archive(resolved.instance)
    return Response(status_code=200)


@router.post(
    f"{ITEM}/reset",
    operation_id="resetConnectionDataSource",
    response_model=schemas.DataSourceInstance,
)
async def reset_connection_instance(
    resolved: NamedInstance, repo: RepoDep
) -> schemas.DataSourceInstance:
    return out(await repo.reset(resolved))


@router.post(
    f"{ITEM}/setup",
    operation_id="setupConnectionDataSource",
    response_model=schemas.DataSourceInstance,
)
async def setup_connection_instance(
    resolved: NamedInstance, repo: RepoDep
) -> schemas.DataSourceInstance:
    return out(await repo.setup(resolved))
