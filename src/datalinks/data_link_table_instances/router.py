from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, Query

from datalinks.core.auth import PrincipalDep
from datalinks.core.instance_routes import add_instance_routes
from datalinks.core.instances import InstanceFilters, InstanceListQuery, Missing
from datalinks.core.openapi_components import errors
from datalinks.core.pagination import PageDep
from datalinks.core.parameters import ArchivedQuery, QueryFields
from datalinks.core.routing import ApiRouter
from datalinks.core.schemas import change_set
from datalinks.core.selectors import InstanceSelector, TableInstanceQuery, instance_selector
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


async def selector(query: Annotated[TableInstanceQuery, Query()]) -> InstanceSelector:
    return instance_selector(
        query.values(), parent_id_field="dataLinkTableId", parent_key_field="dataLinkTableKey"
    )


SelectorDep = Annotated[InstanceSelector, Depends(selector)]
OptionalBody = Annotated[schemas.DataLinkTableInstanceWrite | None, Body()]


def out(resolved: ResolvedInstance) -> schemas.DataLinkTableInstance:
    return schemas.DataLinkTableInstance.of(resolved)


class TableFilter(QueryFields):
    id: str | None = None
    data_link_table_id: str | None = None
    data_link_table_key: str | None = None


class InstanceList(ArchivedQuery, InstanceListQuery, TableFilter):
    def filters(self) -> InstanceFilters:
        parent = {"parent_id": self.data_link_table_id, "parent_key": self.data_link_table_key}
        return InstanceFilters(
            **self.common(id=self.id, **parent), include_archived=self.archived_too()
        )


@router.get(
    "/data-link-table-instances",
    operation_id="listDataLinkTableInstances",
    response_model=schemas.DataLinkTableInstancePage,
)
async def list_instances(
    repo: RepoDep, query: Annotated[InstanceList, Query()], page: PageDep
) -> dict[str, Any]:
    found, cursor = await repo.find(query.filters(), page)
    return {"items": [out(item) for item in found], "cursor": cursor}


@router.post(
    PATH,
    operation_id="createDataLinkTableInstance",
    response_model=schemas.DataLinkTableInstance,
    responses=errors(404),
)
async def create_instance(
    repo: RepoDep, sel: SelectorDep, body: OptionalBody = None
) -> schemas.DataLinkTableInstance:
    initial = body.model_dump(exclude_none=True) if body is not None else None
    return out(await repo.require(sel, Missing.CREATE, initial))


async def _change(
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


add_instance_routes(
    router,
    path=PATH,
    name="DataLinkTableInstance",
    repo_dep=RepoDep,
    selector_dep=SelectorDep,
    write_model=schemas.DataLinkTableInstanceWrite,
    out_model=schemas.DataLinkTableInstance,
    out=out,
    change=_change,
)
