"""Single links on all three path families: instance-addressed (what the SDK calls),
table-addressed (Membrane's current OpenAPI), both built from one set of handlers, and flat
`/data-links`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response

from datalinks.core.errors import ValidationFailed
from datalinks.core.pagination import Page, PageParams, page_params
from datalinks.core.routing import ApiRouter
from datalinks.core.selectors import ConnectionSelector, InstanceSelector
from datalinks.data_link_table_instances.repository import Missing
from datalinks.data_links import schemas, service
from datalinks.data_links.families import FAMILIES, Family, Links, LinksDep, Target
from datalinks.data_links.statements import Guard, stored_triples

router = ApiRouter(tags=["Data Links"])
NO_CONTENT: dict[int | str, dict[str, Any]] = {
    204: {"description": "Link stored (created, or updated if it existed)"}
}
PageDep = Annotated[PageParams, Depends(page_params)]


async def find_links(
    deps: Links, selector: InstanceSelector, request: Request, page: PageParams, fast: bool
) -> dict[str, Any]:
    link_filter = service.link_filter(request)

    async def find(guard: Guard) -> tuple[list[dict[str, str]], str | None] | None:
        return await deps.links.find(guard, link_filter, page)

    found = await service.on_instance(deps.instances, selector, find, write=False, fast=fast)
    assert found is not None, "only Missing.NONE answers None"
    items, cursor = found
    return {"items": items, "cursor": cursor}


def add_link_routes(family: Family) -> None:

    async def find(
        request: Request, page: PageDep, target: Target = Depends(family.target)
    ) -> dict[str, Any]:
        selector = await target.selector()
        return await find_links(target.deps, selector, request, page, target.fast)

    async def create(
        body: schemas.DataLinkWrite, target: Target = Depends(family.target)
    ) -> Response:
        triples = stored_triples([body])

        async def upsert(guard: Guard) -> tuple[int, int] | None:
            return await target.deps.links.upsert(guard, triples)

        selector = await target.selector()
        await service.on_instance(
            target.deps.instances, selector, upsert, write=True, fast=target.fast
        )
        return Response(status_code=204)

    async def delete(request: Request, target: Target = Depends(family.target)) -> Response:
        triples = stored_triples([await service.link_from_body_or_query(request)])

        async def remove(guard: Guard) -> int | None:
            return await target.deps.links.delete(guard, triples)

        # Deleting from a slot that has no instance yet creates none: nothing to delete.
        selector = await target.selector()
        await service.on_instance(
            target.deps.instances,
            selector,
            remove,
            write=True,
            missing=Missing.NONE,
            fast=target.fast,
        )
        return Response(status_code=200)

    ids = family.operation_ids
    router.add_api_route(
        family.path,
        find,
        methods=["GET"],
        operation_id=ids["find"],
        response_model=Page[schemas.DataLink],
    )
    router.add_api_route(
        family.path,
        create,
        methods=["POST"],
        operation_id=ids["create"],
        status_code=204,
        response_class=Response,
        responses=NO_CONTENT,
    )
    router.add_api_route(
        family.path,
        delete,
        methods=["DELETE"],
        operation_id=ids["delete"],
        response_class=Response,
    )


for link_family in FAMILIES:
    add_link_routes(link_family)


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
    return await find_links(deps, selector, request, page, fast=True)


@router.delete("/data-links/{link_id}", operation_id="deleteDataLink", response_class=Response)
async def delete_data_link(link_id: str, deps: LinksDep) -> Response:
    principal = deps.instances.principal
    link = await deps.links.get_scoped(link_id, principal.workspace_id, principal.customer_id)
    resolved = await deps.instances.by_id(link["dataLinkTableInstanceId"])
    resolved.ensure_writable()
    await deps.links.delete_by_id(link["id"])
    return Response(status_code=200)
