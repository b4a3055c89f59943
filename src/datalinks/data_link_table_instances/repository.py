"""Data-link table instances: one per (table, connection, instanceKey), resolved by selector."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from datalinks.connections.repository import ConnectionRepository
from datalinks.core import instances
from datalinks.core.errors import BadRequest
from datalinks.core.instances import Missing, Slot
from datalinks.core.selectors import InstanceSelector
from datalinks.data_link_tables.repository import DataLinkTableRepository
from datalinks.models import Connection, DataLinkTable, DataLinkTableInstance

# Missing is re-exported: the link routes name it beside the repository they call.
__all__ = ["DataLinkTableInstanceRepository", "Missing", "ResolvedInstance"]


class ResolvedInstance(instances.ResolvedInstance[DataLinkTableInstance, DataLinkTable]):
    def ensure_writable(self) -> None:
        """Links change only while the table, the instance and its connection are all live."""
        DataLinkTableRepository.ensure_writable(self.parent)
        if self.instance.archived_at is not None:
            raise BadRequest("The data link table instance is archived; restore it first")
        if self.connection_archived:
            raise BadRequest("The instance's connection is archived; restore it first")


class DataLinkTableInstanceRepository(
    instances.InstanceRepository[DataLinkTableInstance, DataLinkTable, ResolvedInstance]
):
    model = DataLinkTableInstance
    noun = "Data link table instance"
    parent_model = DataLinkTable
    resolved_type = ResolvedInstance
    connections_type = ConnectionRepository
    empty_slot = "No data link table instance for this table and connection"

    def parent_column(self) -> InstrumentedAttribute[str]:
        return DataLinkTableInstance.data_link_table_id

    def conflict_message(self) -> str:
        return "A live instance already holds this (table, connection, instanceKey) slot"

    async def by_id(self, instance_id: str, parent_id: str | None = None) -> ResolvedInstance:
        resolved = await super().by_id(instance_id, parent_id)
        archived = await self.session.scalar(
            select(Connection.archived_at).where(Connection.id == resolved.instance.connection_id)
        )
        resolved.connection_archived = archived is not None
        return resolved

    async def slot_of(self, selector: InstanceSelector) -> Slot[DataLinkTable]:
        table = await DataLinkTableRepository(self.session, self.principal).for_selector(
            selector.parent_id, selector.parent_key
        )
        connection = await self.connections.for_selector(selector.connection)
        return Slot(table, connection, selector.instance_key)

    def ensure_creatable(self, slot: Slot[DataLinkTable]) -> None:
        DataLinkTableRepository.ensure_writable(slot.parent)
