from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request

from datalinks.connections import schemas
from datalinks.connections.repository import (
    ConnectionFilters,
    ConnectionRepository,
    owner_named,
)
from datalinks.core.auth import PrincipalDep
from datalinks.core.element_routes import UPDATE_PATCH_ARCHIVE, add_element_routes
from datalinks.core.pagination import Page, PageParams, page_params
from datalinks.core.query import parse_bool
from datalinks.core.repository import ElementRepository
from datalinks.core.routing import ApiRouter
from datalinks.db.session import SessionDep
from datalinks.models import Connection

router = ApiRouter(tags=["Connections"])
REQUIRED = frozenset({"name", "is_test"})
# A connection never changes owner or integration: instances copy both.
FIXED = ("integration_id", "integration_key", "user_id", "tenant_id", "credentials")


async def repository(
    request: Request, session: SessionDep, principal: PrincipalDep
) -> ConnectionRepository:
    return ConnectionRepository(session, principal, owner_named(request.query_params))


RepoDep = Annotated[ConnectionRepository, Depends(repository, scope="function")]


@router.get("/connections", operation_id="listConnections", response_model=Page[schemas.Connection])
async def list_connections(
    repo: RepoDep,
    page: Annotated[PageParams, Depends(page_params)],
    search: str | None = None,
    include_archived: Annotated[str | None, Query(alias="includeArchived")] = None,
    integration_id: Annotated[str | None, Query(alias="integrationId")] = None,
    integration_key: Annotated[str | None, Query(alias="integrationKey")] = None,
    user_id: Annotated[str | None, Query(alias="userId")] = None,
    tenant_id: Annotated[str | None, Query(alias="tenantId")] = None,
    is_test: Annotated[str | None, Query(alias="isTest")] = None,
    connected: str | None = None,
    disconnected: str | None = None,
) -> dict[str, Any]:
    filters = ConnectionFilters(
        search=search,
        include_archived=bool(parse_bool("includeArchived", include_archived)),
        integration_id=integration_id,
        integration_key=integration_key,
        user=user_id or tenant_id,
        is_test=parse_bool("isTest", is_test),
        # Every datalinks connection is connected: asking for disconnected ones finds none.
        disconnected=parse_bool("connected", connected) is False
        or bool(parse_bool("disconnected", disconnected)),
    )
    items, cursor = await repo.list_connections(filters, page)
    return {"items": items, "cursor": cursor}


@router.post("/connections", operation_id="createConnection", response_model=schemas.Connection)
async def create_connection(body: schemas.ConnectionWrite, repo: RepoDep) -> Connection:
    return await repo.create(body.model_dump(exclude_none=True))


async def _fixed_fields(_: ElementRepository[Any], changes: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in changes.items() if name not in FIXED}


add_element_routes(
    router,
    path="/connections",
    name="Connection",
    repo_dep=RepoDep,
    write_model=schemas.ConnectionWrite,
    out_model=schemas.Connection,
    keep=REQUIRED,
    prepare=_fixed_fields,
    admin_writes=False,
    verbs=UPDATE_PATCH_ARCHIVE,
)
