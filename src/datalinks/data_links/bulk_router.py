"""Bulk link routes (datalinks additions), on both instance path families: batch upsert,
resolve, delete-batch, and streaming export and import.

The instance is named and resolved exactly as for the single-link routes (same selector, same
guard, autoCreate on writes), and the link semantics are the same: `both` (or no direction)
stands for an import and an export link, a repeated link is an upsert, deleting what is not
there is no error."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from datalinks.core.errors import PayloadTooLarge, ValidationFailed
from datalinks.core.openapi_components import AUTHENTICATED, errors
from datalinks.core.query import parse_bool
from datalinks.core.routing import ApiRouter
from datalinks.data_link_table_instances.repository import Missing
from datalinks.data_links import bulk_io, service
from datalinks.data_links.bulk_schemas import (
    DataLinkBatchResult,
    DataLinkBatchWrite,
    DataLinkDeleteBatch,
    DataLinkDeleteBatchResult,
    DataLinkImportResult,
    DataLinkResolve,
    DataLinkResolveResult,
    InvalidLink,
)
from datalinks.data_links.families import FAMILIES, Family, Target
from datalinks.data_links.repository import Resolved
from datalinks.data_links.schemas import DataLinkWrite
from datalinks.data_links.statements import Guard, stored_triples
from datalinks.db.session import get_database

# Every route names an instance.
router = ApiRouter(tags=["Data Links"], responses={**AUTHENTICATED, **errors(404)})
# The import routes stream their body: the request guard passes it through unread.
UPLOAD_PATHS = re.compile(
    r"/data-link-table-instance/links/import|/data-link-tables/[^/]+/links/import"
)

FormatQuery = Annotated[
    str | None,
    Query(
        alias="format",
        description="`ndjson` (default): one JSON object per line; `csv`: a header row "
        "(externalRecordId,appRecordId,direction,createdAt,updatedAt), then one link per row",
    ),
]
PartialQuery = Annotated[
    str | None,
    Query(
        description="false (default): any malformed line fails the import (400, listing the "
        "first 100 malformed lines) and nothing is imported. true: malformed lines are "
        "skipped, counted in `rejected` and the first 100 listed in `errors`."
    ),
]
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The instance's links, oldest first, streamed",
        "content": {
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}
IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "NDJSON (`{externalRecordId, appRecordId, direction?}` per line, other "
        "fields ignored) or CSV with a header row naming externalRecordId, appRecordId and "
        "optionally direction (other columns ignored); UTF-8; streamed, any size up to "
        "DATALINKS_MAX_IMPORT_BYTES.",
        "content": {
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


def _batch_issues(invalid: list[tuple[int, InvalidLink]]) -> list[dict[str, str]]:
    return [
        {"path": f"links.{index}.{issue['path']}".rstrip("."), "message": issue["message"]}
        for index, item in invalid
        for issue in item.issues
    ]


def _describe(item: InvalidLink) -> str:
    first = item.issues[0]
    return f"{first['path']}: {first['message']}" if first["path"] else first["message"]


async def _batch(target: Target, body: DataLinkBatchWrite) -> dict[str, Any]:
    invalid = [(i, item) for i, item in enumerate(body.links) if isinstance(item, InvalidLink)]
    if invalid and not body.partial:
        raise ValidationFailed(_batch_issues(invalid))
    triples = stored_triples(item for item in body.links if isinstance(item, DataLinkWrite))
    deps = target.deps

    async def upsert(guard: Guard) -> tuple[int, int] | None:
        return await deps.links.upsert(guard, triples)

    selector = await target.selector()
    done = await service.on_instance(deps.instances, selector, upsert, write=True, fast=target.fast)
    assert done is not None, "only Missing.NONE answers None"
    created, updated = done
    result: dict[str, Any] = {"created": created, "updated": updated}
    if body.partial and invalid:
        result["errors"] = [
            {"index": index, "message": _describe(item), "issues": item.issues}
            for index, item in invalid
        ]
    return result


async def _resolve(target: Target, body: DataLinkResolve) -> dict[str, Any]:
    deps = target.deps
    directions = body.direction.stored()

    async def resolve(guard: Guard) -> Resolved | None:
        return await deps.links.resolve(guard, directions, body.by_external, body.ids)

    selector = await target.selector()
    done = await service.on_instance(
        deps.instances, selector, resolve, write=False, fast=target.fast
    )
    assert done is not None, "only Missing.NONE answers None"
    return {
        "found": [{"external_record_id": e, "app_record_id": a} for e, a in done.found],
        "missing": done.missing,
    }


async def _delete_batch(target: Target, body: DataLinkDeleteBatch) -> dict[str, Any]:
    deps = target.deps
    triples = stored_triples(body.links)

    async def remove(guard: Guard) -> int | None:
        return await deps.links.delete(guard, triples)

    # As for a single delete: a slot with no instance yet has nothing to delete, and gets none.
    selector = await target.selector()
    deleted = await service.on_instance(
        deps.instances, selector, remove, write=True, missing=Missing.NONE, fast=target.fast
    )
    return {"deleted": deleted or 0}


def _export_format(value: str | None) -> bulk_io.BulkFormat:
    try:
        return bulk_io.BulkFormat(value or "ndjson")
    except ValueError:
        raise ValidationFailed.field("format", "must be ndjson or csv") from None


async def _export(target: Target, fmt: str | None) -> StreamingResponse:
    chosen = _export_format(fmt)
    deps = target.deps

    async def locate(guard: Guard) -> str | None:
        return guard.instance_id if await deps.links.guard_holds(guard) else None

    selector = await target.selector()
    instance_id = await service.on_instance(
        deps.instances, selector, locate, write=False, fast=target.fast
    )
    assert instance_id is not None, "only Missing.NONE answers None"
    extension = "csv" if chosen is bulk_io.BulkFormat.CSV else "ndjson"
    return StreamingResponse(
        bulk_io.export_links(get_database(target.request), instance_id, chosen),
        media_type=chosen.media_type,
        headers={"Content-Disposition": f'attachment; filename="links-{instance_id}.{extension}"'},
    )


async def _import(target: Target, partial: str | None) -> dict[str, Any]:
    request = target.request
    upload = bulk_io.Upload(
        chunks=request.stream(),
        fmt=bulk_io.upload_format(request.headers.get("content-type")),
        partial=bool(parse_bool("partial", partial)),
        max_bytes=request.app.state.settings.max_import_bytes,
    )
    declared = request.headers.get("content-length")
    if upload.max_bytes and declared and declared.isdigit() and int(declared) > upload.max_bytes:
        raise PayloadTooLarge(f"The import is larger than {upload.max_bytes} bytes")
    session = target.deps.links.session

    async def load(guard: Guard) -> bulk_io.ImportReport | None:
        return await bulk_io.import_links(session, guard, upload)

    selector = await target.selector()
    report = await service.on_instance(
        target.deps.instances, selector, load, write=True, fast=target.fast
    )
    assert report is not None, "only Missing.NONE answers None"
    return {
        "created": report.created,
        "updated": report.updated,
        "rejected": report.rejected,
        "errors": report.errors,
    }


def add_bulk_routes(family: Family) -> None:
    stem = family.stem

    async def batch(
        body: DataLinkBatchWrite, target: Target = Depends(family.target)
    ) -> dict[str, Any]:
        return await _batch(target, body)

    async def resolve(
        body: DataLinkResolve, target: Target = Depends(family.target)
    ) -> dict[str, Any]:
        return await _resolve(target, body)

    async def delete_batch(
        body: DataLinkDeleteBatch, target: Target = Depends(family.target)
    ) -> dict[str, Any]:
        return await _delete_batch(target, body)

    async def export(
        fmt: FormatQuery = None, target: Target = Depends(family.target)
    ) -> StreamingResponse:
        return await _export(target, fmt)

    async def import_(
        partial: PartialQuery = None, target: Target = Depends(family.target)
    ) -> dict[str, Any]:
        return await _import(target, partial)

    # (path suffix, handler, method, operationId, summary, what it answers)
    routes: tuple[tuple[str, Any, str, str, str, dict[str, Any]], ...] = (
        (
            "batch",
            batch,
            "POST",
            f"create{stem}LinksBatch",
            "Upsert up to 1,000 links in one call",
            {"response_model": DataLinkBatchResult},
        ),
        (
            "resolve",
            resolve,
            "POST",
            f"resolve{stem}Links",
            "Look up the linked records of up to 1,000 record ids",
            {"response_model": DataLinkResolveResult},
        ),
        (
            "delete-batch",
            delete_batch,
            "POST",
            f"delete{stem}LinksBatch",
            "Delete up to 1,000 links in one call",
            {"response_model": DataLinkDeleteBatchResult},
        ),
        (
            "export",
            export,
            "GET",
            f"export{stem}Links",
            "Stream all links of the instance as NDJSON or CSV",
            {"response_class": StreamingResponse, "responses": EXPORT_RESPONSES},
        ),
        (
            "import",
            import_,
            "POST",
            f"import{stem}Links",
            "Upsert the links of an NDJSON or CSV upload, all or nothing",
            {"response_model": DataLinkImportResult, "openapi_extra": IMPORT_BODY},
        ),
    )
    for suffix, endpoint, method, operation_id, summary, answers in routes:
        router.add_api_route(
            f"{family.path}/{suffix}",
            endpoint,
            methods=[method],
            operation_id=operation_id,
            summary=summary,
            **answers,
        )


for link_family in FAMILIES:
    add_bulk_routes(link_family)
