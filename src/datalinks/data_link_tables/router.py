from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from datalinks.core.auth import PrincipalDep
from datalinks.core.element_routes import (
    UPDATE_PATCH_DELETE,
    add_dependencies_route,
    add_element_routes,
    add_list_route,
)
from datalinks.core.errors import ValidationFailed
from datalinks.core.openapi_components import errors
from datalinks.core.parameters import Selector
from datalinks.core.routing import ApiRouter
from datalinks.data_link_tables import schemas
from datalinks.data_link_tables.repository import DataLinkTableRepository
from datalinks.db.session import SessionDep
from datalinks.models import DataLinkTable

router = ApiRouter(tags=["Data Link Tables"])
REQUIRED = frozenset({"key", "name", "uuid"})


async def repository(session: SessionDep, principal: PrincipalDep) -> DataLinkTableRepository:
    return DataLinkTableRepository(session, principal)


RepoDep = Annotated[DataLinkTableRepository, Depends(repository, scope="function")]


# `layer`, `integrationId` and `integrationKey` are accepted and ignored: tables are
# workspace-level.
add_list_route(
    router,
    path="/data-link-tables",
    name="DataLinkTables",
    repo_dep=RepoDep,
    page_model=schemas.DataLinkTablePage,
)


@router.post(
    "/data-link-tables",
    operation_id="createDataLinkTable",
    response_model=schemas.DataLinkTable,
    responses=errors(403),
)
async def create_table(body: schemas.DataLinkTableWrite, repo: RepoDep) -> DataLinkTable:
    repo.principal.require_admin()
    return await repo.create(body.model_dump(exclude_none=True))


@router.get(
    "/data-link-table",
    operation_id="findDataLinkTable",
    response_model=schemas.DataLinkTable,
    responses=errors(404),
)
async def find_table(repo: RepoDep, id: str | None = None, key: str | None = None) -> DataLinkTable:
    if not id and not key:
        raise ValidationFailed.field("id", "id or key is required")
    return await repo.get(id or key or "")


@router.get(
    "/data-link-tables/{selector}/export",
    operation_id="exportDataLinkTable",
    response_model=schemas.DataLinkTableExport,
    responses=errors(404),
)
async def export_table(selector: Selector, repo: RepoDep) -> DataLinkTable:
    return await repo.get(selector)


add_dependencies_route(router, path="/data-link-tables", name="DataLinkTable", repo_dep=RepoDep)


add_element_routes(
    router,
    path="/data-link-tables",
    name="DataLinkTable",
    repo_dep=RepoDep,
    write_model=schemas.DataLinkTableWrite,
    out_model=schemas.DataLinkTable,
    keep=REQUIRED,
    # data_link_table_instances/flat_router.py owns the GET: it answers for instances too.
    include_get=False,
    no_ops=("refresh",),
    verbs=UPDATE_PATCH_DELETE,
)
