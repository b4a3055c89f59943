"""What the three link route families share: filters from the query, the link body (from a
DELETE's body or, failing that, its query), and running a guarded link statement against the
instance a selector names, resolving the selector the long way only when needed."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from pydantic import ValidationError

from datalinks.core.auth import Principal
from datalinks.core.cache import TtlCache
from datalinks.core.errors import LockTimeout, ValidationFailed
from datalinks.core.openapi_components import SCHEMAS, shared
from datalinks.core.parameters import QueryFields
from datalinks.core.selectors import InstanceSelector, Params
from datalinks.data_link_table_instances.repository import (
    DataLinkTableInstanceRepository,
    Missing,
)
from datalinks.data_links.schemas import DataLinkWrite, Direction
from datalinks.data_links.statements import Guard, LinkFilter, Slot
from datalinks.models.data_link_table import RECORD_ID_MAX

T = TypeVar("T")
LINK_FIELDS = ("externalRecordId", "appRecordId", "direction")
# Which instance a (table, connection, instanceKey) selector named for a principal. An entry
# is only a hint: every link statement re-checks scope and liveness itself, and a stale entry
# costs one fallback to the full resolution. So the entry may live long: each expiry sends
# every concurrent call of that selector the long way at once (a latency spike in the
# benchmark's p99 at 60 s).
INSTANCE_CACHE_SECONDS = 600.0
# How often a link write re-resolves its selector when the instance changed under it.
RESOLVE_ATTEMPTS = 3
instance_ids: TtlCache[tuple[Any, ...], str] = TtlCache(INSTANCE_CACHE_SECONDS)


def _issues(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"path": ".".join(str(p) for p in error["loc"]), "message": error["msg"]}
        for error in exc.errors()
    ]


RECORD_ID: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": RECORD_ID_MAX}
# Lookups filter by them; a DELETE without a body takes its link from them.
FILTER_OR_LINK = "Lookups: a filter. DELETE: the link's, when no body is sent."


class LinkFilterQuery(QueryFields):
    direction: Annotated[
        str | None,
        shared(
            "Direction",
            "direction",
            "`import`, `export` or `both` (either). Lookups: a filter. DELETE: the link's "
            "direction, when no body is sent (absent = both).",
            # The request schema of the same name: `import`, `export` or `both`.
            {"$ref": f"{SCHEMAS}Direction"},
        ),
    ] = None
    external_record_id: Annotated[
        str | None,
        shared(
            "ExternalRecordId",
            "externalRecordId",
            f"The external record's id. {FILTER_OR_LINK}",
            RECORD_ID,
        ),
    ] = None
    app_record_id: Annotated[
        str | None,
        shared("AppRecordId", "appRecordId", f"The app record's id. {FILTER_OR_LINK}", RECORD_ID),
    ] = None


async def link_filter_query(query: Annotated[LinkFilterQuery, Query()]) -> Params:
    """The query's link fields as sent, read by the handler after the instance's selector."""
    return query.values()


LinkFilterDep = Annotated[Params, Depends(link_filter_query)]


def link_filter_from(params: Params) -> LinkFilter:
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


async def link_from_body_or_query(request: Request, query: Params) -> DataLinkWrite:
    """The SDK's deleteLink sends a JSON body on DELETE; clients that cannot may use the query
    (its link fields, `query`). Body fields win."""
    raw = await request.body()
    document: Any = {}
    if raw.strip():
        try:
            document = json.loads(raw)
        except ValueError:
            raise ValidationFailed.field("", "the body is not valid JSON") from None
        if not isinstance(document, dict):
            raise ValidationFailed.field("", "the body must be a JSON object")
    fallback = {name: query[name] for name in LINK_FIELDS if query.get(name) is not None}
    try:
        return DataLinkWrite.model_validate({**fallback, **document})
    except ValidationError as exc:
        raise ValidationFailed(_issues(exc)) from None


def remembered_slot(principal: Principal, selector: InstanceSelector) -> Slot | None:
    """The selectors worth remembering: table (by id or key) plus a connection by id, from a
    customer token or an admin that names no customer. Connection keys and integrations are
    resolved every time: which connection they name can change under the same words."""
    if selector.id or not selector.connection.connection_id:
        return None
    if principal.customer_id is None and selector.connection.user:
        return None
    return Slot(
        table_id=selector.parent_id,
        table_key=None if selector.parent_id else selector.parent_key,
        connection_id=selector.connection.connection_id,
        instance_key=selector.instance_key,
    )


async def on_instance(
    instances: DataLinkTableInstanceRepository,
    selector: InstanceSelector,
    operation: Callable[[Guard], Awaitable[T | None]],
    *,
    write: bool,
    missing: Missing = Missing.AUTO,
    fast: bool = True,
) -> T | None:
    """Run a guarded link statement on the instance `selector` names.

    First on the instance the selector is known to name (its `id`, or a remembered slot whose
    names the guard re-checks); if that guard fails, resolve the selector fully (creating,
    404, 400 as the selector and `missing` say) and run it on the result. None only when
    `missing` is NONE and the slot is empty."""
    principal = instances.principal

    def guard(
        instance_id: str, live: bool, slot: Slot | None = None, standalone: bool = False
    ) -> Guard:
        return Guard(
            instance_id, principal.workspace_id, principal.customer_id, live, slot, standalone
        )

    slot = remembered_slot(principal, selector)
    key = (principal.workspace_id, principal.customer_id, slot) if slot is not None else None
    known = selector.id or (instance_ids.get(key) if key is not None else None)
    if fast and known is not None:
        live = write or slot is not None
        done = await operation(guard(known, live=live, slot=slot, standalone=True))
        if done is not None:
            return done
        if key is not None:
            instance_ids.forget(key)
    # The instance can be archived between its resolution and the statement; resolving again
    # then sees the archive (each statement reads the latest commits) and acts as if this
    # request had come after it: autoCreate fills the slot anew, a delete finds nothing.
    for _ in range(RESOLVE_ATTEMPTS):
        resolved = await instances.resolve(selector, missing)
        if resolved is None:
            return None
        if write:
            resolved.ensure_writable()
        if key is not None and resolved.instance.archived_at is None:
            instance_ids.put(key, resolved.instance.id)
        done = await operation(guard(resolved.instance.id, live=write))
        if done is not None:
            return done
        if key is not None:
            instance_ids.forget(key)
    raise LockTimeout("The instance changed while this request ran; retry")
