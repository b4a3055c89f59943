"""Instance selectors: the query string that names a data-link-table or data-source instance.

The SDK encodes them with `qs` and appends link filters with `&`, so one flat query string
carries selector fields and filters alike. A route declares the fields it reads as one of the
query models below, and reads the selector from them (`instance_selector(query.values())`)
when it is ready to answer for it: after its body, where it has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from datalinks.core.errors import ValidationFailed
from datalinks.core.openapi_components import BOOLEAN, BOOLEAN_NOTE, Json, shared
from datalinks.core.parameters import QueryFields
from datalinks.core.query import parse_bool
from datalinks.models.base import KEY_MAX

KEY: Json = {"type": "string", "maxLength": KEY_MAX}
BY_INTEGRATION = (
    "selects the caller's only live connection to it (and, for a data source key, which "
    "integration's data source is meant)"
)
# A query as a route reads it: QueryFields.values(), or the hot path's raw query string.
Params = Mapping[str, str | None]


def _key(component: str, name: str, description: str) -> object:
    return shared(component, name, description, KEY)


InstanceId = Annotated[
    str | None,
    _key("InstanceId", "id", "The instance, by id: then no other selector field is needed."),
]
TABLE_IN_PATH = "(where the path names the table, it must agree)"
DataLinkTableId = Annotated[
    str | None,
    _key("DataLinkTableId", "dataLinkTableId", f"The data-link table, by id {TABLE_IN_PATH}."),
]
DataLinkTableKey = Annotated[
    str | None,
    _key("DataLinkTableKey", "dataLinkTableKey", f"The data-link table, by key {TABLE_IN_PATH}."),
]
DataSourceId = Annotated[
    str | None, _key("DataSourceId", "dataSourceId", "The data source, by id.")
]
DataSourceKey = Annotated[
    str | None, _key("DataSourceKey", "dataSourceKey", "The data source, by key.")
]
Udm = Annotated[
    str | None, _key("Udm", "udm", "The data source, by its universal data model (`contacts`).")
]
ConnectionId = Annotated[str | None, _key("ConnectionId", "connectionId", "The connection, by id.")]
ConnectionKey = Annotated[
    str | None, _key("ConnectionKey", "connectionKey", "The connection, by key.")
]
IntegrationId = Annotated[
    str | None,
    _key(
        "IntegrationId",
        "integrationId",
        f"The integration, by id: {BY_INTEGRATION}. Listing data sources, `null` means "
        "universal ones only.",
    ),
]
IntegrationKey = Annotated[
    str | None,
    _key("IntegrationKey", "integrationKey", f"The integration, by key: {BY_INTEGRATION}."),
]
UserId = Annotated[
    str | None,
    _key(
        "UserId",
        "userId",
        "Admin tokens: the customer (id or internalId) whose connection is meant.",
    ),
]
TenantId = Annotated[
    str | None, _key("TenantId", "tenantId", "Same as `userId` (Membrane's other name for it).")
]
INSTANCE_KEY = "Which of the connection's instances (absent: the default one)."
InstanceKey = Annotated[str | None, _key("InstanceKey", "instanceKey", INSTANCE_KEY)]
AUTO_CREATE = f"Create the instance when the selector names none yet{BOOLEAN_NOTE}."
AutoCreate = Annotated[str | None, shared("AutoCreate", "autoCreate", AUTO_CREATE, BOOLEAN)]


class IntegrationQuery(QueryFields):
    integration_id: IntegrationId = None
    integration_key: IntegrationKey = None


class InstanceIdQuery(QueryFields):
    id: InstanceId = None


class TableQuery(InstanceIdQuery):
    data_link_table_id: DataLinkTableId = None
    data_link_table_key: DataLinkTableKey = None


class SourceQuery(InstanceIdQuery):
    data_source_id: DataSourceId = None
    data_source_key: DataSourceKey = None
    udm: Udm = None


class ConnectionQuery(QueryFields):
    connection_id: ConnectionId = None
    connection_key: ConnectionKey = None
    integration_id: IntegrationId = None
    integration_key: IntegrationKey = None


class SlotQuery(QueryFields):
    """Whose connection (admin tokens), and which of its instances."""

    user_id: UserId = None
    tenant_id: TenantId = None
    instance_key: InstanceKey = None
    auto_create: AutoCreate = None


class ConnectionInstanceQuery(SlotQuery, ConnectionQuery, InstanceIdQuery):
    """A connection's instance of the element the path names."""


class TableInstanceQuery(SlotQuery, ConnectionQuery, TableQuery):
    """A data-link table instance."""


class SourceInstanceQuery(SlotQuery, ConnectionQuery, SourceQuery):
    """A data source instance."""


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


def _value(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if len(value) > KEY_MAX:
        raise ValidationFailed.field(name, f"must be at most {KEY_MAX} characters")
    return value


def connection_selector(params: Params) -> ConnectionSelector:
    return ConnectionSelector(
        connection_id=_value(params, "connectionId"),
        connection_key=_value(params, "connectionKey"),
        integration_id=_value(params, "integrationId"),
        integration_key=_value(params, "integrationKey"),
        user=_value(params, "userId") or _value(params, "tenantId"),
    )


def instance_selector(
    params: Params,
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
