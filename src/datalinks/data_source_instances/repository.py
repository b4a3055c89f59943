"""Data source instances: one per (data source, connection, instanceKey), each a connection's
own copy of its data source's settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datalinks.connections.repository import ConnectionRepository
from datalinks.core.auth import Principal
from datalinks.core.errors import BadRequest, NotFound
from datalinks.core.pagination import PageParams, keyset, page_of
from datalinks.core.repository import ElementRepository
from datalinks.core.search import search_filter
from datalinks.core.selectors import InstanceSelector
from datalinks.data_source_instances.schemas import SETTINGS
from datalinks.data_sources.collections import DataCollectionRepository
from datalinks.data_sources.repository import DataSourceRepository, collection_from_path
from datalinks.models import Connection, DataSource, DataSourceInstance, Integration, new_id


class Missing(Enum):
    """What resolving a selector does when its slot has no live instance."""

    AUTO = "create if the selector says autoCreate, else 404"
    CREATE = "create"
    NOT_FOUND = "404, whatever the selector says"


@dataclass
class ResolvedInstance:
    instance: DataSourceInstance
    source: DataSource
    created: bool = False


@dataclass(frozen=True)
class InstanceFilters:
    id: str | None = None
    data_source_id: str | None = None
    data_source_key: str | None = None
    universal_data_source_id: str | None = None
    connection_id: str | None = None
    integration_id: str | None = None
    integration_key: str | None = None
    instance_key: str | None = None
    user: str | None = None
    udm: str | None = None
    search: str | None = None
    include_archived: bool = False


COLLECTION = frozenset({"collection_key", "collection_parameters"})


def differs(
    instance: DataSourceInstance,
    values: dict[str, Any],
    defaults: dict[str, Any],
    pinned: set[str],
) -> bool:
    """isCustomized: a pinned setting that differs from the data source's value (pinning the
    data source's own value customises nothing)."""
    return any(values.get(name, getattr(instance, name)) != defaults[name] for name in pinned)


def customized_fields(instance: DataSourceInstance) -> set[str]:
    """The settings an instance pinned; a row customised before they were recorded counts as
    having pinned them all."""
    if instance.customized_fields is not None:
        return set(instance.customized_fields)
    return set(SETTINGS) if instance.is_customized else set()


class DataSourceInstanceRepository(ElementRepository[DataSourceInstance]):
    model = DataSourceInstance
    noun = "Data source instance"

    def scoped(self) -> Select[DataSourceInstance]:
        stmt = super().scoped()
        if self.principal.customer_id is not None:
            stmt = stmt.where(DataSourceInstance.customer_id == self.principal.customer_id)
        return stmt

    def key_column(self) -> Any:
        return None

    def conflict_message(self) -> str:
        return "A live instance already holds this (data source, connection, instanceKey) slot"

    def __init__(
        self, session: AsyncSession, principal: Principal, connection_owner: str | None = None
    ) -> None:
        """`connection_owner`: what ConnectionRepository calls its `owner`."""
        super().__init__(session, principal)
        self.connection_owner = connection_owner

    @property
    def connections(self) -> ConnectionRepository:
        return ConnectionRepository(self.session, self.principal, self.connection_owner)

    @property
    def sources(self) -> DataSourceRepository:
        return DataSourceRepository(self.session, self.principal)

    async def with_source(self, instance: DataSourceInstance) -> ResolvedInstance:
        source = await self.session.get_one(DataSource, instance.data_source_id)
        return ResolvedInstance(instance, source)

    async def by_id(self, instance_id: str) -> ResolvedInstance:
        stmt = self.scoped().where(DataSourceInstance.id == instance_id)
        instance = (await self.session.execute(stmt)).scalar_one_or_none()
        if instance is None:
            raise NotFound(f"Data source instance {instance_id!r} not found")
        return await self.with_source(instance)

    async def resolve(
        self, selector: InstanceSelector, missing: Missing = Missing.AUTO, *, lock: bool = False
    ) -> ResolvedInstance | None:
        """The instance a selector names; an unknown data source or connection is 404
        whatever `autoCreate` says. `lock`: see live_in_slot."""
        if selector.id:
            return await self.by_id(selector.id)
        connection = await self.connections.for_selector(selector.connection)
        source = await self.sources.for_instance(
            connection.integration_id,
            data_source_id=selector.parent_id,
            key=selector.parent_key,
            udm=selector.parent_udm,
        )
        return await self.in_slot(
            connection, source, selector.instance_key, missing, selector.auto_create, lock=lock
        )

    async def require(
        self, selector: InstanceSelector, missing: Missing = Missing.AUTO
    ) -> ResolvedInstance:
        resolved = await self.resolve(selector, missing)
        if resolved is None:
            raise NotFound("No data source instance for this data source and connection")
        return resolved

    async def at_connection(
        self,
        connection: Connection,
        source_selector: str,
        instance_key: str | None,
        missing: Missing,
        auto_create: bool = False,
        *,
        lock: bool = False,
    ) -> ResolvedInstance | None:
        """`/connections/{conn}/data-sources/{ds}` and `/data-sources/{ds}?connectionId=…`:
        `{ds}` is an id or a key, the connection's integration's own data source first, then
        the universal one."""
        source = await self.sources.for_instance(
            connection.integration_id, id_or_key=source_selector
        )
        return await self.in_slot(connection, source, instance_key, missing, auto_create, lock=lock)

    async def in_slot(
        self,
        connection: Connection,
        source: DataSource,
        instance_key: str | None,
        missing: Missing,
        auto_create: bool,
        *,
        lock: bool = False,
    ) -> ResolvedInstance | None:
        found = await self.live_in_slot(source.id, connection.id, instance_key, lock=lock)
        if found is not None:
            return ResolvedInstance(found, source)
        if missing is Missing.CREATE or (missing is Missing.AUTO and auto_create):
            if source.archived_at is not None:
                raise BadRequest("The data source is archived; restore it to create instances")
            if connection.archived_at is not None:
                raise BadRequest("The connection is archived; restore it to use it")
            instance, created = await self.fill_slot(source, connection, instance_key)
            return ResolvedInstance(instance, source, created)
        raise NotFound("No data source instance for this data source and connection")

    async def live_in_slot(
        self, source_id: str, connection_id: str, instance_key: str | None, *, lock: bool = False
    ) -> DataSourceInstance | None:
        """The slot's live instance. `lock` (to archive it) takes its row lock: a concurrent
        archive of the same instance waits, then finds it no longer live, as if it had come
        second."""
        stmt = self.live(self.scoped()).where(
            DataSourceInstance.data_source_id == source_id,
            DataSourceInstance.connection_id == connection_id,
            DataSourceInstance.instance_key.is_not_distinct_from(instance_key),
        )
        if lock:
            stmt = stmt.with_for_update(of=DataSourceInstance)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def fill_slot(
        self, source: DataSource, connection: Connection, instance_key: str | None
    ) -> tuple[DataSourceInstance, bool]:
        """Insert the slot's instance with its data source's settings; under a race the unique
        index lets exactly one insert win and the others read the winner's row."""
        stmt = (
            insert(DataSourceInstance)
            .values(
                id=new_id(),
                workspace_id=self.principal.workspace_id,
                data_source_id=source.id,
                connection_id=connection.id,
                customer_id=connection.customer_id,
                integration_id=connection.integration_id,
                instance_key=instance_key,
                data_source_revision=source.revision,
                **DataSourceRepository.defaults(source),
            )
            .on_conflict_do_nothing(
                index_elements=["data_source_id", "connection_id", "instance_key"],
                index_where=DataSourceInstance.archived_at.is_(None),
            )
            .returning(DataSourceInstance)
        )
        created = (
            await self.session.execute(
                select(DataSourceInstance).from_statement(stmt),
                execution_options={"populate_existing": True},
            )
        ).scalar_one_or_none()
        if created is not None:
            return created, True
        winner = await self.live_in_slot(source.id, connection.id, instance_key)
        if winner is None:
            # The winner was archived between our insert and this read: the slot is free again.
            return await self.fill_slot(source, connection, instance_key)
        return winner, False

    async def change_settings(
        self, resolved: ResolvedInstance, sent: dict[str, Any], *, replace: bool
    ) -> ResolvedInstance:
        """Apply a connection's own settings. A value pins that setting (the instance is then
        customised); `null`, and for PUT an unsent setting, means the data source's value."""
        instance, source = resolved.instance, resolved.source
        self.ensure_live(instance)
        changes = dict(sent)
        alias = changes.pop("subscriptions", None)
        if changes.get("subscribed_to") is None and alias is not None:
            changes["subscribed_to"] = alias
        if isinstance(changes.get("subscribed_to"), dict):
            changes["subscribed_to"] = {
                name: flag for name, flag in changes["subscribed_to"].items() if flag is not None
            }
        if "path" in changes and changes["path"] is None:
            # `path: null` un-pins the collection the path stood for.
            del changes["path"]
            changes["collection_key"] = changes["collection_parameters"] = None
        elif changes.get("path") is not None:
            collection_from_path(changes)
            # A path names the whole collection: no query means no parameters.
            changes.setdefault("collection_parameters", None)
            if changes["collection_parameters"] is None:
                changes["collection_parameters"] = {}
        else:
            collection_from_path(changes)
        chosen = {name for name, value in changes.items() if value is not None}
        cleared = {name for name, value in changes.items() if value is None}
        if cleared & COLLECTION and not chosen & COLLECTION:
            # Key and parameters go together: clearing either returns both to the defaults.
            cleared |= COLLECTION
            changes.update(dict.fromkeys(COLLECTION))
        if replace:
            changes = {name: changes.get(name) for name in SETTINGS}
            pinned = chosen
        else:
            pinned = (customized_fields(instance) | chosen) - cleared
        if pinned & COLLECTION:
            # Key and parameters only make sense together: pinning one pins both.
            pinned |= COLLECTION
        defaults = self.defaults(source)
        values = {
            name: defaults[name] if value is None else value for name, value in changes.items()
        }
        if "collection_key" in values or "collection_parameters" in values:
            await DataCollectionRepository(self.session, self.principal.workspace_id).check_choice(
                instance.integration_id,
                values.get("collection_key", instance.collection_key),
                values.get("collection_parameters", instance.collection_parameters),
            )
        values["customized_fields"] = sorted(pinned)
        values["is_customized"] = differs(instance, values, defaults, pinned)
        return ResolvedInstance(await self.save(instance, values), source)

    @staticmethod
    def defaults(source: DataSource) -> dict[str, Any]:
        return {**DataSourceRepository.defaults(source), "subscribed_to": None}

    async def reset(self, resolved: ResolvedInstance) -> ResolvedInstance:
        """Back to the data source's current settings, none of them pinned."""
        values = {
            **self.defaults(resolved.source),
            "customized_fields": [],
            "is_customized": False,
            "data_source_revision": resolved.source.revision,
        }
        return ResolvedInstance(await self.save(resolved.instance, values), resolved.source)

    async def setup(self, resolved: ResolvedInstance) -> ResolvedInstance:
        """Re-apply the data source's current definition to every setting the connection did
        not pin itself, keeping the ones it did. Records when it ran."""
        pinned = customized_fields(resolved.instance)
        values: dict[str, Any] = {
            name: value
            for name, value in self.defaults(resolved.source).items()
            if name not in pinned
        }
        values["is_customized"] = differs(
            resolved.instance, values, self.defaults(resolved.source), pinned
        )
        values["data_source_revision"] = resolved.source.revision
        values["last_setup_at"] = func.now()
        return ResolvedInstance(await self.save(resolved.instance, values), resolved.source)

    async def restore_instance(self, resolved: ResolvedInstance) -> ResolvedInstance:
        return ResolvedInstance(await self.restore(resolved.instance), resolved.source)

    async def find(
        self, filters: InstanceFilters, params: PageParams
    ) -> tuple[list[ResolvedInstance], str | None]:
        stmt: Select[Any] = self.scoped().add_columns(DataSource)
        stmt = stmt.join(DataSource, DataSource.id == DataSourceInstance.data_source_id)
        if not filters.include_archived:
            # An archived data source hides its instances too; restoring it brings them back.
            stmt = stmt.where(
                DataSourceInstance.archived_at.is_(None), DataSource.archived_at.is_(None)
            )
        exact = {
            DataSourceInstance.id: filters.id,
            DataSourceInstance.data_source_id: filters.data_source_id,
            DataSource.key: filters.data_source_key,
            DataSourceInstance.connection_id: filters.connection_id,
            DataSourceInstance.integration_id: filters.integration_id,
            DataSourceInstance.instance_key: filters.instance_key,
            DataSourceInstance.udm: filters.udm,
        }
        for column, value in exact.items():
            if value:
                stmt = stmt.where(column == value)
        if filters.universal_data_source_id:
            universal = filters.universal_data_source_id
            stmt = stmt.where(or_(DataSource.parent_id == universal, DataSource.id == universal))
        if filters.integration_key:
            stmt = stmt.where(
                DataSourceInstance.integration_id.in_(
                    select(Integration.id).where(
                        Integration.workspace_id == self.principal.workspace_id,
                        Integration.key == filters.integration_key,
                    )
                )
            )
        if filters.user:
            customer_id = await self.connections.owner_filter(filters.user)
            if customer_id is None:
                return [], None
            stmt = stmt.where(DataSourceInstance.customer_id == customer_id)
        if filters.search:
            stmt = stmt.where(search_filter(filters.search, DataSource.name, DataSource.key))
        order: list[Any] = [DataSourceInstance.created_at, DataSourceInstance.id]
        stmt = keyset(stmt, params, order, [datetime, str])
        rows = (await self.session.execute(stmt)).all()
        items, cursor = page_of(rows, params, lambda row: [row[0].created_at, row[0].id])
        return [ResolvedInstance(row[0], row[1]) for row in items], cursor
