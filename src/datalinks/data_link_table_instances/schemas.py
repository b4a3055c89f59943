from __future__ import annotations

from datalinks.core.instances import ResolvedInstance, instance_values
from datalinks.core.pagination import Page
from datalinks.core.schemas import (
    TIMESTAMPS_EXAMPLE,
    ElementOut,
    JsonObject,
    RequestModel,
    Revision,
    Text,
    example,
)
from datalinks.models import DataLinkTable
from datalinks.models import DataLinkTableInstance as InstanceRow

EXAMPLE = {
    "id": "dlti_7c41e2d9b0",
    "state": "READY",
    "errors": [],
    **TIMESTAMPS_EXAMPLE,
    "isDeactivated": False,
    "isReadOnly": False,
    "name": "Contacts",
    "key": "contacts",
    "dataLinkTableId": "dlt_2b8f1c0a9e",
    "connectionId": "conn_5e0a3f7c21",
    "integrationId": "int_9d2c4b6a18",
    "userId": "cus_3a7e9c1f52",
    "tenantId": "cus_3a7e9c1f52",
    "revision": "1",
}


class DataLinkTableInstanceWrite(RequestModel):
    """The SDK's types make these bodies empty objects; description and meta are kept."""

    model_config = example({"description": "Contacts of Alice's HubSpot"})

    description: Text | None = None
    meta: JsonObject | None = None


class DataLinkTableInstance(ElementOut):
    model_config = example(EXAMPLE)

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


class DataLinkTableInstancePage(Page[DataLinkTableInstance]):
    model_config = example({"items": [EXAMPLE]})
