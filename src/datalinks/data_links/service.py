"""What the three link route families share: filters from the query, the link body (from a
DELETE's body or, failing that, its query) and the three operations on a resolved instance."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from datalinks.core.errors import ValidationFailed
from datalinks.core.pagination import PageParams
from datalinks.data_link_table_instances.repository import ResolvedInstance
from datalinks.data_links.repository import DataLinkRepository, LinkFilter
from datalinks.data_links.schemas import DataLinkWrite, Direction
from datalinks.models.data_link_table import RECORD_ID_MAX

LINK_FIELDS = ("externalRecordId", "appRecordId", "direction")


def _issues(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"path": ".".join(str(p) for p in error["loc"]), "message": error["msg"]}
        for error in exc.errors()
    ]


def link_filter(request: Request) -> LinkFilter:
    params = request.query_params
    direction = params.get("direction") or None
    directions = None
    if direction is not None:
        try:
            directions = Direction(direction).stored()
        except ValueError:
            raise ValidationFailed.field("direction", "must be import, export or both") from None
    ids: dict[str, str | None] = {}
    for name in ("externalRecordId", "appRecordId"):
        value = params.get(name) or None
        if value is not None and len(value) > RECORD_ID_MAX:
            raise ValidationFailed.field(name, f"must be at most {RECORD_ID_MAX} characters")
        ids[name] = value
    return LinkFilter(directions, ids["externalRecordId"], ids["appRecordId"])


async def link_from_body_or_query(request: Request) -> DataLinkWrite:
    """The SDK's deleteLink sends a JSON body on DELETE; clients that cannot may use the query.
    Body fields win."""
    raw = await request.body()
    document: Any = {}
    if raw.strip():
        try:
            document = json.loads(raw)
        except ValueError:
            raise ValidationFailed.field("", "the body is not valid JSON") from None
        if not isinstance(document, dict):
            raise ValidationFailed.field("", "the body must be a JSON object")
    fallback = {
        name: request.query_params[name] for name in LINK_FIELDS if name in request.query_params
    }
    try:
        return DataLinkWrite.model_validate({**fallback, **document})
    except ValidationError as exc:
        raise ValidationFailed(_issues(exc)) from None


async def list_links(
    links: DataLinkRepository, resolved: ResolvedInstance, request: Request, page: PageParams
) -> dict[str, Any]:
    items, cursor = await links.find(resolved.instance.id, link_filter(request), page)
    return {"items": items, "cursor": cursor}


async def create_link(
    links: DataLinkRepository, resolved: ResolvedInstance, body: DataLinkWrite
) -> None:
    resolved.ensure_writable()
    await links.upsert(
        resolved.instance.id, body.direction.stored(), body.external_record_id, body.app_record_id
    )


async def delete_link(
    links: DataLinkRepository, resolved: ResolvedInstance | None, body: DataLinkWrite
) -> None:
    if resolved is None:
        return
    resolved.ensure_writable()
    await links.delete(
        resolved.instance.id, body.direction.stored(), body.external_record_id, body.app_record_id
    )
