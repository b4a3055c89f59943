from __future__ import annotations

from typing import Any

from datalinks.core.schemas import ElementOut, JsonObject, RequestModel, Revision, Text
from datalinks.models import DataLinkTable
from datalinks.models import DataLinkTableInstance as InstanceRow


class DataLinkTableInstanceWrite(RequestModel):
    """The SDK's types make these bodies empty objects; description and meta are kept."""

    description: Text | None = None
    meta: JsonObject | None = None


class DataLinkTableInstance(ElementOut):
    name: str
    key: str
    data_link_table_id: str
    connection_id: str
    integration_id: str
    user_id: str
    tenant_id: str
    instance_key: str | None = None
    description: str | None = None
    meta: JsonObject | None = None
    revision: Revision

    @classmethod
    def of(cls, instance: InstanceRow, table: DataLinkTable) -> DataLinkTableInstance:
        values: dict[str, Any] = {
            "id": instance.id,
            "name": table.name,
            "key": table.key,
            "data_link_table_id": instance.data_link_table_id,
            "connection_id": instance.connection_id,
            "integration_id": instance.integration_id,
            "user_id": instance.customer_id,
            "tenant_id": instance.customer_id,
            "instance_key": instance.instance_key,
            "description": instance.description,
            "meta": instance.meta,
            "revision": instance.revision,
            "created_at": instance.created_at,
            "updated_at": instance.updated_at,
            "archived_at": instance.archived_at,
            "is_deactivated": instance.archived_at is not None or table.archived_at is not None,
        }
        return cls.model_validate(values)
