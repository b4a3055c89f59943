from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from datalinks.core.pagination import Page
from datalinks.core.schemas import (
    ApiModel,
    JsonObject,
    Key,
    Name,
    NamedElementExport,
    NamedElementOut,
    NamedElementWrite,
    RequestModel,
    Text,
)
from datalinks.data_sources.paths import compute_path
from datalinks.models import DataSource as DataSourceRow

# Membrane's floor is a minute; a year is the most any scheduler would sensibly wait, and it
# keeps the value well inside a PostgreSQL integer.
MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 31_536_000
Interval = Annotated[int, Field(ge=MIN_INTERVAL_SECONDS, le=MAX_INTERVAL_SECONDS)]


class SubscribedTo(RequestModel):
    created: bool | None = None
    updated: bool | None = None
    deleted: bool | None = None


class DataSourceWrite(NamedElementWrite):
    integration_id: Key | None = None
    integration_key: Key | None = None
    integration_uuid: Key | None = None
    # The universal data source this one specialises (returned under this name); the
    # parent* fields below name it too.
    universal_data_source_id: Key | None = None
    parent_id: Key | None = None
    parent_key: Key | None = None
    parent_uuid: Key | None = None
    is_universal: bool | None = None
    udm: Key | None = None
    collection_key: Key | None = None
    collection_parameters: JsonObject | None = None
    pull_updates_interval_seconds: Interval | None = None
    full_sync_interval_seconds: Interval | None = None
    # Deprecated: parsed into collectionKey and collectionParameters.
    path: Text | None = None
    # Derived from the collection; accepted and ignored.
    default_path: Text | None = None
    # Only for the connection-level form of `/data-sources/{selector}` (an instance's own
    # setting); ignored on the data source itself.
    subscribed_to: SubscribedTo | None = None
    subscriptions: SubscribedTo | None = None


class DataSource(NamedElementOut):
    integration_id: str | None = None
    universal_data_source_id: str | None = None
    is_universal: bool
    udm: str | None = None
    collection_key: str | None = None
    collection_parameters: JsonObject | None = None
    pull_updates_interval_seconds: int
    full_sync_interval_seconds: int
    path: str | None = None
    default_path: str | None = None
    is_customized: bool = False

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        """Routes answer with the ORM row; the derived fields are computed here."""
        if not isinstance(data, DataSourceRow):
            return data
        values = {name: getattr(data, name) for name in _ROW_FIELDS}
        path = compute_path(data.collection_key, data.collection_parameters)
        return {
            **values,
            "universal_data_source_id": data.parent_id,
            "is_universal": data.integration_id is None,
            "path": path,
            "default_path": path,
        }


_ROW_FIELDS = (
    "id",
    "key",
    "name",
    "uuid",
    "description",
    "meta",
    "integration_id",
    "udm",
    "collection_key",
    "collection_parameters",
    "pull_updates_interval_seconds",
    "full_sync_interval_seconds",
    "revision",
    "created_at",
    "updated_at",
    "archived_at",
    "is_deactivated",
)


class DataSourcePage(Page[DataSource]):
    pass


class DataSourceExport(NamedElementExport):
    integration_uuid: str | None = None
    parent_uuid: str | None = None
    is_universal: bool
    udm: str | None = None
    collection_key: str | None = None
    collection_parameters: JsonObject | None = None
    pull_updates_interval_seconds: int
    full_sync_interval_seconds: int
    path: str | None = None


class DataCollectionWrite(RequestModel):
    name: Name | None = None
    parameters_schema: JsonObject | None = None


class DataCollectionListItem(ApiModel):
    key: str
    name: str
    type: Literal["collection"] = "collection"


class DataCollectionSpec(DataCollectionListItem):
    parameters_schema: JsonObject | None = None
