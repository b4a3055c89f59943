"""Links on all three path families: instance-addressed (what the SDK calls), table-addressed
(Membrane's current OpenAPI) and flat `/data-links`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response

from datalinks.core.auth import PrincipalDep
from datalinks.core.errors import ValidationFailed
from datalinks.core.pagination import Page, PageParams, page_params
from datalinks.core.routing import ApiRouter
from datalinks.core.selectors import instance_selector
from datalinks.data_link_table_instances.repository import (
    DataLinkTableInstanceRepository,
    Missing,
    ResolvedInstance,
)
from datalinks.data_link_tables.repository import DataLinkTableRepository
from datalinks.data_links import schemas, service
from datalinks.data_links.repository import DataLinkRepository
from datalinks.db.session import SessionDep

router = ApiRouter(tags=["Data Links"])
INSTANCE_LINKS = "/data-link-table-instance/links"
TABLE_LINKS = "/data-link-tables/{selector}/links"
NO_CONTENT: dict[int | str, dict[str, Any]] = {
    204: {"description": "Link stored (created, or updated if it existed)"}
}


class Links:
    """Everything a link route needs, built per request."""

    def __init__(self, session: SessionDep, principal: PrincipalDep) -> None:
        self.instances = DataLinkTableInstanceRepository(session, principal)
        self.tables = DataLinkTableRepository(session, principal)
        self.links = DataLinkRepository(session)

    async def by_instance_selector(
        self, request: Request, missing: Missing = Missing.AUTO
    ) -> ResolvedInstance | None:
        selector = instance_selector(
            request.query_params,
            parent_id_field="dataLinkTableId",
            parent_key_field="dataLinkTableKey",
        )
        return await self.instances.resolve(selector, missing)

    async def by_table(
        self, table_selector: str, request: Request, missing: Missing = Missing.AUTO
    ) -> ResolvedInstance | None:
        """The path names the table; the query picks the instance (`id` = instance id)."""
        table = await self.tables.get(table_selector)
        params = request.query_params
        for field, expected in (("dataLinkTableId", table.id), ("dataLinkTableKey", table.key)):
            if params.get(field) and params[field] != expected:
                raise ValidationFailed.field(field, "conflicts with the table named in the path")
        selector = instance_selector(
            params,
            parent_id_field="dataLinkTableId",
            parent_key_field="dataLinkTableKey",
            parent_id=table.id,
        )
        return await self.instances.resolve(selector, missing)


LinksDep = Annotated[Links, Depends(Links, scope="function")]
PageDep = Annotated[PageParams, Depends(page_params)]


def _found(resolved: ResolvedInstance | None) -> ResolvedInstance:
    assert resolved is not None, "only Missing.NONE answers None"
    return resolved


@router.get(
    INSTANCE_LINKS,
    operation_id="findDataLinkTableInstanceLinks",
    response_model=Page[schemas.DataLink],
)
async def find_instance_links(request: Request, deps: LinksDep, page: PageDep) -> dict[str, Any]:
    resolved = _found(await deps.by_instance_selector(request))
    return await service.list_links(deps.links, resolved, request, page)


@router.post(
    INSTANCE_LINKS,
    operation_id="createDataLinkTableInstanceLink",
    status_code=204,
    response_class=Response,
    responses=NO_CONTENT,
)
async def create_instance_link(
    request: Request, body: schemas.DataLinkWrite, deps: LinksDep
) -> Response:
    resolved = _found(await deps.by_instance_selector(request))
    await service.create_link(deps.links, resolved, body)
    return Response(status_code=204)


@router.delete(
    INSTANCE_LINKS, operation_id="deleteDataLinkTableInstanceLink", response_class=Response
)
async def delete_instance_link(request: Request, deps: LinksDep) -> Response:
    body = await service.link_from_body_or_query(request)
    resolved = await deps.by_instance_selector(request, Missing.NONE)
    await service.delete_link(deps.links, resolved, body)
    return Response(status_code=200)


@router.get(
    TABLE_LINKS, operation_id="getDataLinkTableLinks", response_model=Page[schemas.DataLink]
)
async def find_table_links(
    selector: str, request: Request, deps: LinksDep, page: PageDep
) -> dict[str, Any]:
    resolved = _found(await deps.by_table(selector, request))
    return await service.list_links(deps.links, resolved, request, page)


@router.post(
    TABLE_LINKS,
    operation_id="createDataLinkTableLink",
    status_code=204,
    response_class=Response,
    responses=NO_CONTENT,
)
async def create_table_link(
    selector: str, request: Request, body: schemas.DataLinkWrite, deps: LinksDep
) -> Response:
    resolved = _found(await deps.by_table(selector, request))
    await service.create_link(deps.links, resolved, body)
    return Response(status_code=204)


@router.delete(TABLE_LINKS, operation_id="deleteDataLinkTableLink", response_class=Response)
async def delete_table_link(selector: str, request: Request, deps: LinksDep) -> Response:
    body = await service.link_from_body_or_query(request)
    resolved = await deps.by_table(selector, request, Missing.NONE)
    await service.delete_link(deps.links, resolved, body)
    return Response(status_code=200)


@router.get("/data-links", operation_id="listDataLinks", response_model=Page[schemas.DataLink])
async def list_data_links(request: Request, deps: LinksDep, page: PageDep) -> dict[str, Any]:
    instance_id = request.query_params.get("dataLinkTableInstanceId")
    if not instance_id:
        raise ValidationFailed.field("dataLinkTableInstanceId", "is required")
    resolved = await deps.instances.by_id(instance_id)
    return await service.list_links(deps.links, resolved, request, page)


@router.delete("/data-links/{link_id}", operation_id="deleteDataLink", response_class=Response)
async def delete_data_link(link_id: str, deps: LinksDep) -> Response:
    principal = deps.instances.principal
    link = await deps.links.get_scoped(link_id, principal.workspace_id, principal.customer_id)
    resolved = await deps.instances.by_id(link["data_link_table_instance_id"])
    resolved.ensure_writable()
    await deps.links.delete_by_id(link["id"])
    return Response(status_code=200)
