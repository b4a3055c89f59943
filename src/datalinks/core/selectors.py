"""Instance selectors: the query string that names a data-link-table or data-source instance.

The SDK encodes them with `qs` and appends link filters with `&`, so one flat query string
carries selector fields and filters alike; each route reads the fields it knows.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import QueryParams

from datalinks.core.errors import ValidationFailed
from datalinks.core.query import parse_bool
from datalinks.models.base import KEY_MAX


@dataclass(frozen=True)
class ConnectionSelector:
    connection_id: str | None = None
    connection_key: str | None = None
    integration_id: str | None = None
    integration_key: str | None = None
    # Admin tokens: the customer (id or internalId) whose connection is meant.
    user: str | None = None

    @property
    def given(self) -> bool:
        return bool(
            self.connection_id or self.connection_key or self.integration_id or self.integration_key
        )


@dataclass(frozen=True)
class InstanceSelector:
    id: str | None
    parent_id: str | None
    parent_key: str | None
    connection: ConnectionSelector
    instance_key: str | None
    auto_create: bool
    # Data sources may also be named by their universal data model (`udm=contacts`).
    parent_udm: str | None = None


def _value(params: QueryParams, name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if len(value) > KEY_MAX:
        raise ValidationFailed.field(name, f"must be at most {KEY_MAX} characters")
    return value


def connection_selector(params: QueryParams) -> ConnectionSelector:
    return ConnectionSelector(
        connection_id=_value(params, "connectionId"),
        connection_key=_value(params, "connectionKey"),
        integration_id=_value(params, "integrationId"),
        integration_key=_value(params, "integrationKey"),
        user=_value(params, "userId") or _value(params, "tenantId"),
    )


def instance_selector(
    params: QueryParams,
    *,
    parent_id_field: str,
    parent_key_field: str,
    parent_id: str | None = None,
    parent_udm_field: str | None = None,
) -> InstanceSelector:
    """Read a selector; `parent_id` is the parent named by the path (table-addressed routes);
    `parent_udm_field` lets a parent be named by that field too."""
    selector = InstanceSelector(
        id=_value(params, "id"),
        parent_id=parent_id or _value(params, parent_id_field),
        parent_key=None if parent_id else _value(params, parent_key_field),
        connection=connection_selector(params),
        instance_key=_value(params, "instanceKey"),
        auto_create=bool(parse_bool("autoCreate", params.get("autoCreate"))),
        parent_udm=None if parent_id or not parent_udm_field else _value(params, parent_udm_field),
    )
    if selector.id:
        return selector
    if not (selector.parent_id or selector.parent_key or selector.parent_udm):
        alternatives = f"{parent_id_field} or {parent_key_field}"
        if parent_udm_field:
            alternatives = f"{parent_id_field}, {parent_key_field} or {parent_udm_field}"
        raise ValidationFailed.field(
            parent_id_field, f"an instance selector needs id, or {alternatives}"
        )
    if not selector.connection.given:
        raise ValidationFailed.field(
            "connectionId",
            "an instance selector needs connectionId, connectionKey, integrationId or "
            "integrationKey",
        )
    return selector
