"""Single links on all three path families: instance-addressed (what the SDK calls),
table-addressed (Membrane's current OpenAPI), both built from one set of handlers, and flat
`/data-links`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Response

from datalinks.core.errors import ValidationFailed
from datalinks.core.openapi_components import AUTHENTICATED, SCHEMAS, errors, shared
from datalinks.core.pagination import PageDep, PageParams
from datalinks.core.routing import ApiRouter
from datalinks.core.selectors import KEY, ConnectionSelector, InstanceSelector, Params
from datalinks.data_link_table_instances.repository import Missing
from datalinks.data_links import schemas, service
from datalinks.data_links.families import FAMILIES, Family, Links, LinksDep, Target
from datalinks.data_links.service import LinkFilterDep
from datalinks.data_links.statements import Guard, stored_triples

# Every route names an instance or a link.
router = ApiRouter(tags=["Data Links"], responses={**AUTHENTICATED, **errors(404)})
# The link to delete, from the body the SDK sends (or else from the query's link fields).
LINK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "description": "The link to delete; without a body, the query's `externalRecordId`, "
        "`appRecordId` and `direction` name it.",
        "content": {"application/json": {"schema": {"$ref": f"{SCHEMAS}DataLinkWrite"}}},
    }
}
# What each operation of a family answers.
ANSWERS: dict[str, dict[str, Any]] = {
    "find": {"response_model": schemas.DataLinkPage},
    "create": {
        "status_code": 204,
        "response_class": Response,
        "responses": {204: {"description": "Link stored (created, or updated if it existed)"}},
    },
    "delete": {"response_class": Response, "openapi_extra": LINK_BODY},
}
InstanceId = Annotated[
    str | None,
    shared(
        "DataLinkTableInstanceId",
        "dataLinkTableInstanceId",
        "The instance whose links to list.",
        KEY,
        required=True,
    ),
]
LinkId = Annotated[str, Path(description="The link's id.")]


async def find_links(
    deps: Links, selector: InstanceSelector, filters: Params, page: PageParams, fast: bool
) -> dict[str, Any]:
    link_filter = service.link_filter_from(filters)

    async def find(guard: Guard) -> tuple[list[dict[str, str]], str | None] | None:
        return await deps.links.find(guard, link_filter, page)

    found = await service.on_instance(deps.instances, selector, find, write=False, fast=fast)
    assert found is not None, "only Missing.NONE answers None"
    items, cursor = found
    return {"items": items, "cursor": cursor}


def add_link_routes(family: Family) -> None:

    # Keyword-only, so that `target` (a default: the annotations are strings FastAPI resolves
    # in this module, where `family` is not) comes first, and with it its parameters.
    async def find(
        *, target: Target = Depends(family.target), filters: LinkFilterDep, page: PageDep
    ) -> dict[str, Any]:
        selector = await target.selector()
        return await find_links(target.deps, selector, filters, page, target.fast)

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

    async def delete(
        *, target: Target = Depends(family.target), filters: LinkFilterDep
    ) -> Response:
        link = await service.link_from_body_or_query(target.request, filters)
        triples = stored_triples([link])

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

    for operation, method, handler in (
        ("find", "GET", find),
        ("create", "POST", create),
        ("delete", "DELETE", delete),
    ):
        router.add_api_route(
            family.path,
            handler,
            methods=[method],
            operation_id=family.operation_ids[operation],
            summary=family.summaries[operation],
            **ANSWERS[operation],
        )


for link_family in FAMILIES:
    add_link_routes(link_family)


@router.get(
    "/data-links",
    operation_id="listDataLinks",
    summary="List the links of an instance",
    response_model=schemas.DataLinkPage,
)
async def list_data_links(
    deps: LinksDep, filters: LinkFilterDep, page: PageDep, instance_id: InstanceId = None
) -> dict[str, Any]:
    # Documented as required, checked here: its absence (or an empty value) is this 400.
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
    return await find_links(deps, selector, filters, page, fast=True)


@router.delete(
    "/data-links/{link_id}",
    operation_id="deleteDataLink",
    summary="Delete a link by id",
    response_class=Response,
)
async def delete_data_link(link_id: LinkId, deps: LinksDep) -> Response:
    principal = deps.instances.principal
    link = await deps.links.get_scoped(link_id, principal.workspace_id, principal.customer_id)
    resolved = await deps.instances.by_id(link["dataLinkTableInstanceId"])
    resolved.ensure_writable()
    await deps.links.delete_by_id(link["id"])
    return Response(status_code=200)
