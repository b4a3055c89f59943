"""Data-link table instances: one per (table, connection, instanceKey), resolved by selector."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert

from datalinks.connections.repository import ConnectionRepository
from datalinks.core.errors import BadRequest, NotFound
from datalinks.core.pagination import PageParams, keyset, page_of
from datalinks.core.repository import ElementRepository
from datalinks.core.selectors import InstanceSelector
from datalinks.data_link_tables.repository import DataLinkTableRepository
from datalinks.models import Connection, DataLinkTable, DataLinkTableInstance, Integration, new_id


@dataclass(frozen=True)
class InstanceFilters:
    id: str | None = None
    data_link_table_id: str | None = None
    data_link_table_key: str | None = None
    connection_id: str | None = None
    integration_id: str | None = None
    integration_key: str | None = None
    instance_key: str | None = None
    user: str | None = None
    include_archived: bool = False


class Missing(Enum):
    """What resolving a selector does when its slot has no live instance."""

    AUTO = "create if the selector says autoCreate, else 404"
    CREATE = "create"
    NONE = "answer None (deleting from an instance that never existed)"
    NOT_FOUND = "404, whatever the selector says"


@dataclass
class ResolvedInstance:
    instance: DataLinkTableInstance
    table: DataLinkTable
    # Selectors that name a connection refuse an archived one themselves; an instance named
    # by id records it here, so its links cannot change either (contract §1.8).
    connection_archived: bool = False

    def ensure_writable(self) -> None:
        DataLinkTableRepository.ensure_writable(self.table)
        if self.instance.archived_at is not None:
            raise BadRequest("The data link table instance is archived; restore it first")
        if self.connection_archived:
            raise BadRequest("The instance's connection is archived; restore it first")


class DataLinkTableInstanceRepository(ElementRepository[DataLinkTableInstance]):
    model = DataLinkTableInstance
    noun = "Data link table instance"

    def scoped(self) -> Select[DataLinkTableInstance]:
        stmt = super().scoped()
        if self.principal.customer_id is not None:
            stmt = stmt.where(DataLinkTableInstance.customer_id == self.principal.customer_id)
        return stmt

    def key_column(self) -> Any:
        return None

    def conflict_message(self) -> str:
        return "A live instance already holds this (table, connection, instanceKey) slot"

    async def find(
        self, filters: InstanceFilters, params: PageParams
    ) -> tuple[list[ResolvedInstance], str | None]:
        stmt: Select[Any] = self.scoped().add_columns(DataLinkTable)
        stmt = stmt.join(
            DataLinkTable, DataLinkTable.id == DataLinkTableInstance.data_link_table_id
        )
        if not filters.include_archived:
            # An archived table hides its instances too; restoring it brings them back.
            stmt = stmt.where(
                DataLinkTableInstance.archived_at.is_(None), DataLinkTable.archived_at.is_(None)
            )
        exact = {
            DataLinkTableInstance.id: filters.id,
            DataLinkTableInstance.data_link_table_id: filters.data_link_table_id,
            DataLinkTable.key: filters.data_link_table_key,
            DataLinkTableInstance.connection_id: filters.connection_id,
            DataLinkTableInstance.instance_key: filters.instance_key,
        }
        for column, value in exact.items():
            if value:
                stmt = stmt.where(column == value)
        # Filters, not selectors: an integration nobody has (or an archived one, by key) lists
        # nothing, as an unknown userId does; it is no 404.
        if filters.integration_id:
            stmt = stmt.where(DataLinkTableInstance.integration_id == filters.integration_id)
        if filters.integration_key:
            live_with_key = select(Integration.id).where(
                Integration.workspace_id == self.principal.workspace_id,
                Integration.key == filters.integration_key,
                Integration.archived_at.is_(None),
            )
            stmt = stmt.where(DataLinkTableInstance.integration_id.in_(live_with_key))
        connections = ConnectionRepository(self.session, self.principal)
        if filters.user:
            customer_id = await connections.owner_filter(filters.user)
            if customer_id is None:
                return [], None
            stmt = stmt.where(DataLinkTableInstance.customer_id == customer_id)
        order: list[Any] = [DataLinkTableInstance.created_at, DataLinkTableInstance.id]
        rows = (await self.session.execute(keyset(stmt, params, order, [datetime, str]))).all()
        items, cursor = page_of(rows, params, lambda row: [row[0].created_at, row[0].id])
        return [ResolvedInstance(row[0], row[1]) for row in items], cursor

    async def with_table(self, instance: DataLinkTableInstance) -> ResolvedInstance:
        table = await self.session.get_one(DataLinkTable, instance.data_link_table_id)
        return ResolvedInstance(instance, table)

    async def by_id(self, instance_id: str, table_id: str | None = None) -> ResolvedInstance:
        stmt = self.scoped().where(DataLinkTableInstance.id == instance_id)
        if table_id is not None:
            stmt = stmt.where(DataLinkTableInstance.data_link_table_id == table_id)
        instance = (await self.session.execute(stmt)).scalar_one_or_none()
        if instance is None:
            raise NotFound(f"Data link table instance {instance_id!r} not found")
        resolved = await self.with_table(instance)
        archived = await self.session.scalar(
            select(Connection.archived_at).where(Connection.id == instance.connection_id)
        )
        resolved.connection_archived = archived is not None
        return resolved

    async def resolve(
        self,
        selector: InstanceSelector,
        missing: Missing = Missing.AUTO,
        initial: dict[str, Any] | None = None,
        *,
        lock: bool = False,
    ) -> ResolvedInstance | None:
        """The instance a selector names; an unknown table or connection is 404 regardless.
        `lock`: see in_slot."""
        if selector.id:
            return await self.by_id(selector.id, selector.parent_id)
        table = await DataLinkTableRepository(self.session, self.principal).for_selector(
            selector.parent_id, selector.parent_key
        )
        connection = await ConnectionRepository(self.session, self.principal).for_selector(
            selector.connection
        )
        found = await self.in_slot(table.id, connection.id, selector.instance_key, lock=lock)
        if found is not None:
            return ResolvedInstance(found, table)
        if missing is Missing.CREATE or (missing is Missing.AUTO and selector.auto_create):
            DataLinkTableRepository.ensure_writable(table)
            instance = await self.fill_slot(table, connection, selector.instance_key, initial or {})
            return ResolvedInstance(instance, table)
        if missing is Missing.NONE:
            return None
        raise NotFound("No data link table instance for this table and connection")

    async def in_slot(
        self, table_id: str, connection_id: str, instance_key: str | None, *, lock: bool = False
    ) -> DataLinkTableInstance | None:
        """The slot's live instance. `lock` (to archive it) takes its row lock: a concurrent
        archive of the same instance waits, then finds it no longer live, as if it had come
        second."""
        stmt = self.live(self.scoped()).where(
            DataLinkTableInstance.data_link_table_id == table_id,
            DataLinkTableInstance.connection_id == connection_id,
            DataLinkTableInstance.instance_key.is_not_distinct_from(instance_key),
        )
        if lock:
            stmt = stmt.with_for_update(of=DataLinkTableInstance)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def require(
        self,
        selector: InstanceSelector,
        missing: Missing = Missing.AUTO,
        initial: dict[str, Any] | None = None,
        *,
        lock: bool = False,
    ) -> ResolvedInstance:
        """`initial` values (description, meta) apply only to an instance created here."""
        resolved = await self.resolve(selector, missing, initial, lock=lock)
        assert resolved is not None, "only Missing.NONE answers None"
        return resolved

    async def fill_slot(
        self,
        table: DataLinkTable,
        connection: Connection,
        instance_key: str | None,
        initial: dict[str, Any],
    ) -> DataLinkTableInstance:
        """Insert the slot's instance; under a race the unique index lets exactly one win and
        the others read the winner's row."""
        stmt = (
            insert(DataLinkTableInstance)
            .values(
                id=new_id(),
                workspace_id=self.principal.workspace_id,
                data_link_table_id=table.id,
                connection_id=connection.id,
                customer_id=connection.customer_id,
                integration_id=connection.integration_id,
                instance_key=instance_key,
                **initial,
            )
            .on_conflict_do_nothing(
                index_elements=["data_link_table_id", "connection_id", "instance_key"],
                index_where=DataLinkTableInstance.archived_at.is_(None),
            )
            .returning(DataLinkTableInstance)
        )
        created: DataLinkTableInstance | None = (
            await self.session.execute(
                select(DataLinkTableInstance).from_statement(stmt),
                execution_options={"populate_existing": True},
            )
        ).scalar_one_or_none()
        if created is not None:
            return created
        winner = await self.in_slot(table.id, connection.id, instance_key)
        if winner is None:
            # The winner was archived between our insert and read; the slot is free again.
            return await self.fill_slot(table, connection, instance_key, initial)
        return winner

    async def restore_instance(self, resolved: ResolvedInstance) -> ResolvedInstance:
        restored = await self.restore(resolved.instance)
        return ResolvedInstance(restored, resolved.table)
