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
from datalinks.core.openapi_components import errors
from datalinks.core.pagination import PageDep
from datalinks.core.parameters import ListQuery, QueryBool, only
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


class ConnectionListQuery(ListQuery):
    integration_id: str | None = None
    integration_key: str | None = None
    user_id: str | None = None
    tenant_id: str | None = None
    is_test: Annotated[QueryBool, only("isTest")] = None
    connected: Annotated[QueryBool, only("connected")] = None
    disconnected: Annotated[QueryBool, only("disconnected")] = None


@router.get("/connections", operation_id="listConnections", response_model=schemas.ConnectionPage)
async def list_connections(
    repo: RepoDep, query: Annotated[ConnectionListQuery, Query()], page: PageDep
) -> dict[str, Any]:
    filters = ConnectionFilters(
        search=query.search,
        include_archived=query.archived_too(),
        integration_id=query.integration_id,
        integration_key=query.integration_key,
        user=query.user_id or query.tenant_id,
        is_test=parse_bool("isTest", query.is_test),
        # Every datalinks connection is connected: asking for disconnected ones finds none.
        disconnected=parse_bool("connected", query.connected) is False
        or bool(parse_bool("disconnected", query.disconnected)),
    )
    items, cursor = await repo.list_connections(filters, page)
    return {"items": items, "cursor": cursor}


@router.post(
    "/connections",
    operation_id="createConnection",
    response_model=schemas.Connection,
    # The integration it names.
    responses=errors(404),
)
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
