from __future__ import annotations

from datalinks.core.instances import ResolvedInstance, instance_values
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
    def of(cls, resolved: ResolvedInstance[InstanceRow, DataLinkTable]) -> DataLinkTableInstance:
        instance = resolved.instance
        return cls.model_validate(
            {
                **instance_values(resolved),
                "data_link_table_id": instance.data_link_table_id,
                "description": instance.description,
                "meta": instance.meta,
            }
        )
