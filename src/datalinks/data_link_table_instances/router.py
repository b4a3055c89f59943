from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, Query, Request, Response

from datalinks.core.auth import PrincipalDep
from datalinks.core.instances import InstanceFilters, Missing
from datalinks.core.pagination import Page, PageParams, page_params
from datalinks.core.query import parse_bool
from datalinks.core.routing import ApiRouter
from datalinks.core.schemas import change_set
from datalinks.core.selectors import InstanceSelector, instance_selector
from datalinks.data_link_table_instances import schemas
from datalinks.data_link_table_instances.repository import (
    DataLinkTableInstanceRepository,
    ResolvedInstance,
)
from datalinks.db.session import SessionDep

router = ApiRouter(tags=["Data Link Table Instances"])
PATH = "/data-link-table-instance"


async def repository(
    session: SessionDep, principal: PrincipalDep
) -> DataLinkTableInstanceRepository:
    return DataLinkTableInstanceRepository(session, principal)


RepoDep = Annotated[DataLinkTableInstanceRepository, Depends(repository, scope="function")]


async def selector(request: Request) -> InstanceSelector:
    return instance_selector(
        request.query_params, parent_id_field="dataLinkTableId", parent_key_field="dataLinkTableKey"
    )


SelectorDep = Annotated[InstanceSelector, Depends(selector)]
OptionalBody = Annotated[schemas.DataLinkTableInstanceWrite | None, Body()]


def out(resolved: ResolvedInstance) -> schemas.DataLinkTableInstance:
    return schemas.DataLinkTableInstance.of(resolved)


@router.get(
    "/data-link-table-instances",
    operation_id="listDataLinkTableInstances",
    response_model=Page[schemas.DataLinkTableInstance],
)
async def list_instances(
    repo: RepoDep,
    page: Annotated[PageParams, Depends(page_params)],
    id: str | None = None,
    data_link_table_id: Annotated[str | None, Query(alias="dataLinkTableId")] = None,
    data_link_table_key: Annotated[str | None, Query(alias="dataLinkTableKey")] = None,
    connection_id: Annotated[str | None, Query(alias="connectionId")] = None,
    integration_id: Annotated[str | None, Query(alias="integrationId")] = None,
    integration_key: Annotated[str | None, Query(alias="integrationKey")] = None,
    instance_key: Annotated[str | None, Query(alias="instanceKey")] = None,
    user_id: Annotated[str | None, Query(alias="userId")] = None,
    tenant_id: Annotated[str | None, Query(alias="tenantId")] = None,
    include_archived: Annotated[str | None, Query(alias="includeArchived")] = None,
) -> dict[str, Any]:
    filters = InstanceFilters(
        id=id,
        parent_id=data_link_table_id,
        parent_key=data_link_table_key,
        connection_id=connection_id,
        integration_id=integration_id,
        integration_key=integration_key,
        instance_key=instance_key,
        user=user_id or tenant_id,
        include_archived=bool(parse_bool("includeArchived", include_archived)),
    )
    found, cursor = await repo.find(filters, page)
    return {"items": [out(item) for item in found], "cursor": cursor}


@router.get(
    PATH, operation_id="getDataLinkTableInstance", response_model=schemas.DataLinkTableInstance
)
async def get_instance(repo: RepoDep, sel: SelectorDep) -> schemas.DataLinkTableInstance:
    return out(await repo.require(sel))


@router.post(
    PATH, operation_id="createDataLinkTableInstance", response_model=schemas.DataLinkTableInstance
)
async def create_instance(
    repo: RepoDep, sel: SelectorDep, body: OptionalBody = None
) -> schemas.DataLinkTableInstance:
    initial = body.model_dump(exclude_none=True) if body is not None else None
    return out(await repo.require(sel, Missing.CREATE, initial))


async def _update(
    repo: DataLinkTableInstanceRepository,
    sel: InstanceSelector,
    body: schemas.DataLinkTableInstanceWrite | None,
    replace: bool,
) -> schemas.DataLinkTableInstance:
    resolved = await repo.require(sel)
    body = body or schemas.DataLinkTableInstanceWrite()
    resolved.instance = await repo.save(
        resolved.instance, change_set(body, replace=replace, keep=frozenset())
    )
    return out(resolved)


@router.put(
    PATH, operation_id="putDataLinkTableInstance", response_model=schemas.DataLinkTableInstance
)
async def put_instance(
    repo: RepoDep, sel: SelectorDep, body: OptionalBody = None
) -> schemas.DataLinkTableInstance:
    return await _update(repo, sel, body, replace=True)


@router.patch(
    PATH, operation_id="updateDataLinkTableInstance", response_model=schemas.DataLinkTableInstance
)
async def patch_instance(
    repo: RepoDep, sel: SelectorDep, body: OptionalBody = None
) -> schemas.DataLinkTableInstance:
    return await _update(repo, sel, body, replace=False)


@router.delete(PATH, operation_id="archiveDataLinkTableInstance", response_class=Response)
async def archive_instance(repo: RepoDep, sel: SelectorDep) -> Response:
    await repo.archive_selected(sel)
    return Response(status_code=200)


@router.post(
    f"{PATH}/restore",
    operation_id="restoreDataLinkTableInstance",
    response_model=schemas.DataLinkTableInstance,
)
async def restore_instance(repo: RepoDep, sel: SelectorDep) -> schemas.DataLinkTableInstance:
    return out(await repo.restore_selected(sel))
