"""Links on all three path families: instance-addressed (what the SDK calls), table-addressed
(Membrane's current OpenAPI) and flat `/data-links`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response

from datalinks.core.auth import PrincipalDep
from datalinks.core.errors import ValidationFailed
from datalinks.core.pagination import Page, PageParams, page_params
from datalinks.core.routing import ApiRouter
from datalinks.core.selectors import ConnectionSelector, InstanceSelector, instance_selector
from datalinks.data_link_table_instances.repository import (
    DataLinkTableInstanceRepository,
    Missing,
)
from datalinks.data_link_tables.repository import DataLinkTableRepository
from datalinks.data_links import schemas, service
from datalinks.data_links.repository import DataLinkRepository, Guard
from datalinks.db.engine import Database
from datalinks.db.session import SessionDep, get_database

router = ApiRouter(tags=["Data Links"])
INSTANCE_LINKS = "/data-link-table-instance/links"
TABLE_LINKS = "/data-link-tables/{selector}/links"
NO_CONTENT: dict[int | str, dict[str, Any]] = {
    204: {"description": "Link stored (created, or updated if it existed)"}
}


class Links:
    """Everything a link route needs, built per request."""

    def __init__(self, session: SessionDep, principal: PrincipalDep, database: Database) -> None:
        self.instances = DataLinkTableInstanceRepository(session, principal)
        self.tables = DataLinkTableRepository(session, principal)
        self.links = DataLinkRepository(session, database.autocommit)

    def instance_selector(self, request: Request) -> InstanceSelector:
        return instance_selector(
            request.query_params,
            parent_id_field="dataLinkTableId",
            parent_key_field="dataLinkTableKey",
        )

    async def table_selector(self, table_selector: str, request: Request) -> InstanceSelector:
        """The path names the table; the query picks the instance (`id` = instance id)."""
        table = await self.tables.get(table_selector)
        params = request.query_params
        for field, expected in (("dataLinkTableId", table.id), ("dataLinkTableKey", table.key)):
            if params.get(field) and params[field] != expected:
                raise ValidationFailed.field(field, "conflicts with the table named in the path")
        return instance_selector(
            params,
            parent_id_field="dataLinkTableId",
            parent_key_field="dataLinkTableKey",
            parent_id=table.id,
        )

    async def find(
        self, selector: InstanceSelector, request: Request, page: PageParams, *, fast: bool = True
    ) -> dict[str, Any]:
        link_filter = service.link_filter(request)

        async def find(guard: Guard) -> tuple[list[dict[str, Any]], str | None] | None:
            return await self.links.find(guard, link_filter, page)

        found = await service.on_instance(self.instances, selector, find, write=False, fast=fast)
        assert found is not None, "only Missing.NONE answers None"
        items, cursor = found
        return {"items": items, "cursor": cursor}

    async def create(
        self, selector: InstanceSelector, body: schemas.DataLinkWrite, *, fast: bool = True
    ) -> Response:
        async def upsert(guard: Guard) -> bool | None:
            ids = (body.external_record_id, body.app_record_id)
            return await self.links.upsert(guard, body.direction.stored(), *ids) or None

        await service.on_instance(self.instances, selector, upsert, write=True, fast=fast)
        return Response(status_code=204)

    async def delete(
        self, selector: InstanceSelector, request: Request, *, fast: bool = True
    ) -> Response:
        body = await service.link_from_body_or_query(request)

        async def remove(guard: Guard) -> bool | None:
            ids = (body.external_record_id, body.app_record_id)
            return await self.links.delete(guard, body.direction.stored(), *ids) or None

        # Deleting from a slot that has no instance yet creates none: there is nothing to delete.
        await service.on_instance(
            self.instances, selector, remove, write=True, missing=Missing.NONE, fast=fast
        )
        return Response(status_code=200)


async def links(request: Request, session: SessionDep, principal: PrincipalDep) -> Links:
    # An async factory: FastAPI runs a plain class or def dependency in a worker thread.
    return Links(session, principal, get_database(request))


LinksDep = Annotated[Links, Depends(links, scope="function")]
PageDep = Annotated[PageParams, Depends(page_params)]


@router.get(
    INSTANCE_LINKS,
    operation_id="findDataLinkTableInstanceLinks",
    response_model=Page[schemas.DataLink],
)
async def find_instance_links(request: Request, deps: LinksDep, page: PageDep) -> dict[str, Any]:
    return await deps.find(deps.instance_selector(request), request, page)


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
    return await deps.create(deps.instance_selector(request), body)


@router.delete(
    INSTANCE_LINKS, operation_id="deleteDataLinkTableInstanceLink", response_class=Response
)
async def delete_instance_link(request: Request, deps: LinksDep) -> Response:
    return await deps.delete(deps.instance_selector(request), request)


# The table-addressed family resolves the table from the path on every call (an `id` in the
# query must be an instance of that table), so it does not take the remembered-slot shortcut.


@router.get(
    TABLE_LINKS, operation_id="getDataLinkTableLinks", response_model=Page[schemas.DataLink]
)
async def find_table_links(
    selector: str, request: Request, deps: LinksDep, page: PageDep
) -> dict[str, Any]:
    return await deps.find(await deps.table_selector(selector, request), request, page, fast=False)


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
    return await deps.create(await deps.table_selector(selector, request), body, fast=False)


@router.delete(TABLE_LINKS, operation_id="deleteDataLinkTableLink", response_class=Response)
async def delete_table_link(selector: str, request: Request, deps: LinksDep) -> Response:
    return await deps.delete(await deps.table_selector(selector, request), request, fast=False)


@router.get("/data-links", operation_id="listDataLinks", response_model=Page[schemas.DataLink])
async def list_data_links(request: Request, deps: LinksDep, page: PageDep) -> dict[str, Any]:
    instance_id = request.query_params.get("dataLinkTableInstanceId")
    if not instance_id:
        raise ValidationFailed.field("dataLinkTableInstanceId", "is required")
    selector = InstanceSelector(
        id=instance_id,
        parent_id=None,
        parent_key=None,
        connection=ConnectionSelector(),
        instance_key=None,
        auto_create=False,
    )
    return await deps.find(selector, request, page)


@router.delete("/data-links/{link_id}", operation_id="deleteDataLink", response_class=Response)
async def delete_data_link(link_id: str, deps: LinksDep) -> Response:
    principal = deps.instances.principal
    link = await deps.links.get_scoped(link_id, principal.workspace_id, principal.customer_id)
    resolved = await deps.instances.by_id(link["data_link_table_instance_id"])
    resolved.ensure_writable()
    await deps.links.delete_by_id(link["id"])
    return Response(status_code=200)
