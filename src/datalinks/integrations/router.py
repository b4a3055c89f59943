from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from datalinks.core.auth import PrincipalDep
from datalinks.core.element_routes import UPDATE_PATCH_ARCHIVE, add_element_routes, add_list_route
from datalinks.core.errors import ValidationFailed
from datalinks.core.openapi_components import errors
from datalinks.core.routing import ApiRouter
from datalinks.db.session import SessionDep
from datalinks.integrations import schemas
from datalinks.integrations.repository import IntegrationRepository
from datalinks.models import Integration

router = ApiRouter(tags=["Integrations"])
REQUIRED = frozenset({"key", "name", "uuid"})


async def repository(session: SessionDep, principal: PrincipalDep) -> IntegrationRepository:
    return IntegrationRepository(session, principal)


RepoDep = Annotated[IntegrationRepository, Depends(repository, scope="function")]


add_list_route(
    router,
    path="/integrations",
    name="Integrations",
    repo_dep=RepoDep,
    page_model=schemas.IntegrationPage,
)


@router.post(
    "/integrations",
    operation_id="createIntegration",
    response_model=schemas.Integration,
    responses=errors(403),
)
async def create_integration(body: schemas.IntegrationWrite, repo: RepoDep) -> Integration:
    repo.principal.require_admin()
    return await repo.create(body.model_dump(exclude_none=True))


@router.get(
    "/integration",
    operation_id="findIntegration",
    response_model=schemas.Integration,
    responses=errors(404),
)
async def find_integration(
    repo: RepoDep, id: str | None = None, key: str | None = None
) -> Integration:
    if id:
        return await repo.get(id)
    if not key:
        raise ValidationFailed.field("id", "id or key is required")
    # `key=` names a key: an integration whose id happens to be that string is not a match.
    return await repo.get_by_key(key)


add_element_routes(
    router,
    path="/integrations",
    name="Integration",
    repo_dep=RepoDep,
    write_model=schemas.IntegrationWrite,
    out_model=schemas.Integration,
    keep=REQUIRED,
    no_ops=("setup",),
    verbs=UPDATE_PATCH_ARCHIVE,
)
