"""Bulk link routes (datalinks additions), on both instance path families: batch upsert,
resolve, delete-batch, and streaming export and import.

The instance is named and resolved exactly as for the single-link routes (same selector, same
guard, autoCreate on writes), and the link semantics are the same: `both` (or no direction)
stands for an import and an export link, a repeated link is an upsert, deleting what is not
there is no error."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import StreamingResponse

from datalinks.core.errors import PayloadTooLarge, ValidationFailed
from datalinks.core.query import parse_bool
from datalinks.core.routing import ApiRouter
from datalinks.core.selectors import InstanceSelector
from datalinks.data_link_table_instances.repository import Missing
from datalinks.data_links import bulk_io, service
from datalinks.data_links.batch import LinkBatchRepository, Resolved, stored_triples
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
from datalinks.data_links.repository import Guard
from datalinks.data_links.router import INSTANCE_LINKS, TABLE_LINKS, LinksDep
from datalinks.data_links.schemas import DataLinkWrite
from datalinks.db.session import get_database

router = ApiRouter(tags=["Data Links"])
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


async def _batch(
    deps: LinksDep, selector: InstanceSelector, body: DataLinkBatchWrite, fast: bool
) -> dict[str, Any]:
    invalid = [(i, item) for i, item in enumerate(body.links) if isinstance(item, InvalidLink)]
    if invalid and not body.partial:
        raise ValidationFailed(_batch_issues(invalid))
    triples = stored_triples(item for item in body.links if isinstance(item, DataLinkWrite))
    repository = LinkBatchRepository(deps.links.session)

    async def upsert(guard: Guard) -> tuple[int, int] | None:
        # With no valid item the statement writes nothing but still checks the instance, so
        # a wrong selector answers as it would with valid items.
        return await repository.upsert(guard, triples)

    done = await service.on_instance(deps.instances, selector, upsert, write=True, fast=fast)
    assert done is not None, "only Missing.NONE answers None"
    created, updated = done
    result: dict[str, Any] = {"created": created, "updated": updated}
    if body.partial and invalid:
        result["errors"] = [
            {"index": index, "message": _describe(item), "issues": item.issues}
            for index, item in invalid
        ]
    return result


async def _resolve(
    deps: LinksDep, selector: InstanceSelector, body: DataLinkResolve, fast: bool
) -> dict[str, Any]:
    repository = LinkBatchRepository(deps.links.session)
    directions = body.direction.stored()

    async def resolve(guard: Guard) -> Resolved | None:
        return await repository.resolve(guard, directions, body.by_external, body.ids)

    done = await service.on_instance(deps.instances, selector, resolve, write=False, fast=fast)
    assert done is not None, "only Missing.NONE answers None"
    return {
        "found": [{"external_record_id": e, "app_record_id": a} for e, a in done.found],
        "missing": done.missing,
    }


async def _delete_batch(
    deps: LinksDep, selector: InstanceSelector, body: DataLinkDeleteBatch, fast: bool
) -> dict[str, Any]:
    repository = LinkBatchRepository(deps.links.session)
    triples = stored_triples(body.links)

    async def remove(guard: Guard) -> int | None:
        return await repository.delete(guard, triples)

    # As for a single delete: a slot with no instance yet has nothing to delete, and gets none.
    deleted = await service.on_instance(
        deps.instances, selector, remove, write=True, missing=Missing.NONE, fast=fast
    )
    return {"deleted": deleted or 0}


def _export_format(value: str | None) -> bulk_io.BulkFormat:
    try:
        return bulk_io.BulkFormat(value or "ndjson")
    except ValueError:
        raise ValidationFailed.field("format", "must be ndjson or csv") from None


async def _export(
    request: Request, deps: LinksDep, selector: InstanceSelector, fmt: str | None, fast: bool
) -> StreamingResponse:
    chosen = _export_format(fmt)

    async def locate(guard: Guard) -> str | None:
        connection = await deps.links.session.connection()
        return guard.instance_id if await bulk_io.guard_holds(connection, guard) else None

    instance_id = await service.on_instance(
        deps.instances, selector, locate, write=False, fast=fast
    )
    assert instance_id is not None, "only Missing.NONE answers None"
    extension = "csv" if chosen is bulk_io.BulkFormat.CSV else "ndjson"
    return StreamingResponse(
        bulk_io.export_links(get_database(request), instance_id, chosen),
        media_type=chosen.media_type,
        headers={"Content-Disposition": f'attachment; filename="links-{instance_id}.{extension}"'},
    )


async def _import(
    request: Request, deps: LinksDep, selector: InstanceSelector, partial: str | None, fast: bool
) -> dict[str, Any]:
    upload = bulk_io.Upload(
        chunks=request.stream(),
        fmt=bulk_io.upload_format(request.headers.get("content-type")),
        partial=bool(parse_bool("partial", partial)),
        max_bytes=request.app.state.settings.max_import_bytes,
    )
    declared = request.headers.get("content-length")
    if upload.max_bytes and declared and declared.isdigit() and int(declared) > upload.max_bytes:
        raise PayloadTooLarge(f"The import is larger than {upload.max_bytes} bytes")
    session = deps.links.session

    async def load(guard: Guard) -> bulk_io.ImportReport | None:
        return await bulk_io.import_links(session, guard, upload)

    report = await service.on_instance(deps.instances, selector, load, write=True, fast=fast)
    assert report is not None, "only Missing.NONE answers None"
    return {
        "created": report.created,
        "updated": report.updated,
        "rejected": report.rejected,
        "errors": report.errors,
    }


# --- instance-addressed: /data-link-table-instance/links/… ---------------------------------


@router.post(
    f"{INSTANCE_LINKS}/batch",
    operation_id="createDataLinkTableInstanceLinksBatch",
    summary="Upsert up to 1,000 links in one call",
    response_model=DataLinkBatchResult,
)
async def batch_instance_links(
    request: Request, body: DataLinkBatchWrite, deps: LinksDep
) -> dict[str, Any]:
    return await _batch(deps, deps.instance_selector(request), body, fast=True)


@router.post(
    f"{INSTANCE_LINKS}/resolve",
    operation_id="resolveDataLinkTableInstanceLinks",
    summary="Look up the linked records of up to 1,000 record ids",
    response_model=DataLinkResolveResult,
)
async def resolve_instance_links(
    request: Request, body: DataLinkResolve, deps: LinksDep
) -> dict[str, Any]:
    return await _resolve(deps, deps.instance_selector(request), body, fast=True)


@router.post(
    f"{INSTANCE_LINKS}/delete-batch",
    operation_id="deleteDataLinkTableInstanceLinksBatch",
    summary="Delete up to 1,000 links in one call",
    response_model=DataLinkDeleteBatchResult,
)
async def delete_batch_instance_links(
    request: Request, body: DataLinkDeleteBatch, deps: LinksDep
) -> dict[str, Any]:
    return await _delete_batch(deps, deps.instance_selector(request), body, fast=True)


@router.get(
    f"{INSTANCE_LINKS}/export",
    operation_id="exportDataLinkTableInstanceLinks",
    summary="Stream all links of the instance as NDJSON or CSV",
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
)
async def export_instance_links(
    request: Request, deps: LinksDep, fmt: FormatQuery = None
) -> StreamingResponse:
    return await _export(request, deps, deps.instance_selector(request), fmt, fast=True)


@router.post(
    f"{INSTANCE_LINKS}/import",
    operation_id="importDataLinkTableInstanceLinks",
    summary="Upsert the links of an NDJSON or CSV upload, all or nothing",
    response_model=DataLinkImportResult,
    openapi_extra=IMPORT_BODY,
)
async def import_instance_links(
    request: Request, deps: LinksDep, partial: PartialQuery = None
) -> dict[str, Any]:
    return await _import(request, deps, deps.instance_selector(request), partial, fast=True)


# --- table-addressed: /data-link-tables/{selector}/links/… ---------------------------------
# As for single links, these resolve the table from the path on every call.


@router.post(
    f"{TABLE_LINKS}/batch",
    operation_id="createDataLinkTableLinksBatch",
    summary="Upsert up to 1,000 links in one call",
    response_model=DataLinkBatchResult,
)
async def batch_table_links(
    selector: str, request: Request, body: DataLinkBatchWrite, deps: LinksDep
) -> dict[str, Any]:
    return await _batch(deps, await deps.table_selector(selector, request), body, fast=False)


@router.post(
    f"{TABLE_LINKS}/resolve",
    operation_id="resolveDataLinkTableLinks",
    summary="Look up the linked records of up to 1,000 record ids",
    response_model=DataLinkResolveResult,
)
async def resolve_table_links(
    selector: str, request: Request, body: DataLinkResolve, deps: LinksDep
) -> dict[str, Any]:
    return await _resolve(deps, await deps.table_selector(selector, request), body, fast=False)


@router.post(
    f"{TABLE_LINKS}/delete-batch",
    operation_id="deleteDataLinkTableLinksBatch",
    summary="Delete up to 1,000 links in one call",
    response_model=DataLinkDeleteBatchResult,
)
async def delete_batch_table_links(
    selector: str, request: Request, body: DataLinkDeleteBatch, deps: LinksDep
) -> dict[str, Any]:
    table_selector = await deps.table_selector(selector, request)
    return await _delete_batch(deps, table_selector, body, fast=False)


@router.get(
    f"{TABLE_LINKS}/export",
    operation_id="exportDataLinkTableLinks",
    summary="Stream all links of the instance as NDJSON or CSV",
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
)
async def export_table_links(
    selector: str, request: Request, deps: LinksDep, fmt: FormatQuery = None
) -> StreamingResponse:
    table_selector = await deps.table_selector(selector, request)
    return await _export(request, deps, table_selector, fmt, fast=False)


@router.post(
    f"{TABLE_LINKS}/import",
    operation_id="importDataLinkTableLinks",
    summary="Upsert the links of an NDJSON or CSV upload, all or nothing",
    response_model=DataLinkImportResult,
    openapi_extra=IMPORT_BODY,
)
async def import_table_links(
    selector: str, request: Request, deps: LinksDep, partial: PartialQuery = None
) -> dict[str, Any]:
    table_selector = await deps.table_selector(selector, request)
    return await _import(request, deps, table_selector, partial, fast=False)
