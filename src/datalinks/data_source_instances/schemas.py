from __future__ import annotations

from pydantic import Field

from datalinks.core.instances import ResolvedInstance, instance_values
from datalinks.core.pagination import Page
from datalinks.core.schemas import (
    ElementOut,
    JsonObject,
    Key,
    RequestModel,
    Revision,
    Text,
    Timestamp,
)
from datalinks.data_sources.paths import compute_path
from datalinks.data_sources.schemas import Interval, SubscribedTo
from datalinks.models import DataSource
from datalinks.models import DataSourceInstance as InstanceRow

# The settings a connection may change on its instance (and `reset` puts back).
SETTINGS = (
    "udm",
    "collection_key",
    "collection_parameters",
    "pull_updates_interval_seconds",
    "full_sync_interval_seconds",
    "subscribed_to",
)


class DataSourceInstanceWrite(RequestModel):
    """Every field optional. PATCH changes what is sent; PUT sets every setting, an unsent one
    (or `null`) back to the data source's value."""

    udm: Key | None = None
    collection_key: Key | None = None
    collection_parameters: JsonObject | None = None
    pull_updates_interval_seconds: Interval | None = None
    full_sync_interval_seconds: Interval | None = None
    subscribed_to: SubscribedTo | None = None
    # The docs' name for subscribedTo; subscribedTo wins when both are sent.
    subscriptions: SubscribedTo | None = None
    # Deprecated: parsed into collectionKey and collectionParameters.
    path: Text | None = None


class DataSourceInstanceCreate(DataSourceInstanceWrite):
    """The SDK's create body repeats the selector's parent and connection."""

    data_source_id: Key | None = Field(default=None, exclude=True)
    connection_id: Key | None = Field(default=None, exclude=True)


class DataSourceInstance(ElementOut):
    name: str
    key: str
    data_source_id: str
    universal_data_source_id: str | None = None
    connection_id: str
    integration_id: str
    user_id: str
    tenant_id: str
    instance_key: str | None = None
    udm: str | None = None
    collection_key: str | None = None
    collection_parameters: JsonObject | None = None
    default_collection_key: str | None = None
    default_collection_parameters: JsonObject | None = None
    path: str | None = None
    default_path: str | None = None
    pull_updates_interval_seconds: int
    full_sync_interval_seconds: int
    subscribed_to: JsonObject | None = None
    is_customized: bool
    revision: Revision
    data_source_revision: Revision
    last_setup_at: Timestamp | None = None

    @classmethod
    def of(cls, resolved: ResolvedInstance[InstanceRow, DataSource]) -> DataSourceInstance:
        instance, source = resolved.instance, resolved.parent
        return cls.model_validate(
            {
                **instance_values(resolved),
                "data_source_id": source.id,
                "universal_data_source_id": (
                    source.id if source.integration_id is None else source.parent_id
                ),
                "udm": instance.udm,
                "collection_key": instance.collection_key,
                "collection_parameters": instance.collection_parameters,
                "default_collection_key": source.collection_key,
                "default_collection_parameters": source.collection_parameters,
                "path": compute_path(instance.collection_key, instance.collection_parameters),
                "default_path": compute_path(source.collection_key, source.collection_parameters),
                "pull_updates_interval_seconds": instance.pull_updates_interval_seconds,
                "full_sync_interval_seconds": instance.full_sync_interval_seconds,
                "subscribed_to": instance.subscribed_to,
                "is_customized": instance.is_customized,
                "data_source_revision": instance.data_source_revision,
                "last_setup_at": instance.last_setup_at,
            }
        )


class DataSourceInstancePage(Page[DataSourceInstance]):
    pass
