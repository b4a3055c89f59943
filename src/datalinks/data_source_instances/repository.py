"""Data source instances: one per (data source, connection, instanceKey), each a connection's
own copy of its data source's settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from datalinks.connections.repository import ConnectionRepository
from datalinks.core import instances
from datalinks.core.errors import BadRequest
from datalinks.core.instances import InstanceFilters, Missing, Slot
from datalinks.core.search import search_filter
from datalinks.core.selectors import InstanceSelector
from datalinks.data_source_instances.schemas import SETTINGS
from datalinks.data_sources.collections import DataCollectionRepository
from datalinks.data_sources.repository import DataSourceRepository, collection_from_path
from datalinks.models import Connection, DataSource, DataSourceInstance, Integration

ResolvedInstance = instances.ResolvedInstance[DataSourceInstance, DataSource]


@dataclass(frozen=True)
class SourceInstanceFilters(InstanceFilters):
    universal_data_source_id: str | None = None
    udm: str | None = None
    search: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found = []
        if self.udm:
            found.append(DataSourceInstance.udm == self.udm)
        if self.universal_data_source_id:
            universal = self.universal_data_source_id
            found.append(or_(DataSource.parent_id == universal, DataSource.id == universal))
        if self.search:
            found.append(search_filter(self.search, DataSource.name, DataSource.key))
        return found


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


class DataSourceInstanceRepository(
    instances.InstanceRepository[DataSourceInstance, DataSource, ResolvedInstance]
):
    model = DataSourceInstance
    noun = "Data source instance"
    parent_model = DataSource
    resolved_type = ResolvedInstance
    connections_type = ConnectionRepository
    empty_slot = "No data source instance for this data source and connection"
    # Kept as it was: a data source instance named by id is found whatever data source the
    # selector also names.
    id_matches_parent = False

    @property
    def sources(self) -> DataSourceRepository:
        return DataSourceRepository(self.session, self.principal)

    def parent_column(self) -> InstrumentedAttribute[str]:
        return DataSourceInstance.data_source_id

    def conflict_message(self) -> str:
        return "A live instance already holds this (data source, connection, instanceKey) slot"

    async def slot_of(self, selector: InstanceSelector) -> Slot[DataSource]:
        # The connection first: its integration says which data source a key means.
        connection = await self.connections.for_selector(selector.connection)
        source = await self.sources.for_instance(
            connection.integration_id,
            data_source_id=selector.parent_id,
            key=selector.parent_key,
            udm=selector.parent_udm,
        )
        return Slot(source, connection, selector.instance_key)

    async def at_connection(
        self,
        connection: Connection,
        source_selector: str,
        instance_key: str | None,
        missing: Missing,
        auto_create: bool = False,
        *,
        lock: bool = False,
    ) -> ResolvedInstance:
        """`/connections/{conn}/data-sources/{ds}` and `/data-sources/{ds}?connectionId=…`:
        `{ds}` is an id or a key, the connection's integration's own data source first, then
        the universal one."""
        source = await self.sources.for_instance(
            connection.integration_id, id_or_key=source_selector
        )
        slot = Slot(source, connection, instance_key)
        resolved = await self.occupy(slot, missing, auto_create, self.new_values(source), lock=lock)
        assert resolved is not None, "only Missing.NONE answers None"
        return resolved

    def new_values(self, parent: DataSource) -> dict[str, Any]:
        return {"data_source_revision": parent.revision, **DataSourceRepository.defaults(parent)}

    def ensure_creatable(self, slot: Slot[DataSource]) -> None:
        if slot.parent.archived_at is not None:
            raise BadRequest("The data source is archived; restore it to create instances")
        if slot.connection.archived_at is not None:
            raise BadRequest("The connection is archived; restore it to use it")

    def integration_key_filter(self, key: str) -> ColumnElement[bool]:
        # Unlike every other key filter, an archived integration's key matches too: kept as it
        # was, so this list answers as before.
        with_key = select(Integration.id).where(
            Integration.workspace_id == self.principal.workspace_id, Integration.key == key
        )
        return DataSourceInstance.integration_id.in_(with_key)

    async def change_settings(
        self, resolved: ResolvedInstance, sent: dict[str, Any], *, replace: bool
    ) -> ResolvedInstance:
        """Apply a connection's own settings. A value pins that setting (the instance is then
        customised); `null`, and for PUT an unsent setting, means the data source's value."""
        instance, source = resolved.instance, resolved.parent
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
            **self.defaults(resolved.parent),
            "customized_fields": [],
            "is_customized": False,
            "data_source_revision": resolved.parent.revision,
        }
        return ResolvedInstance(await self.save(resolved.instance, values), resolved.parent)

    async def setup(self, resolved: ResolvedInstance) -> ResolvedInstance:
        """Re-apply the data source's current definition to every setting the connection did
        not pin itself, keeping the ones it did. Records when it ran."""
        pinned = customized_fields(resolved.instance)
        values: dict[str, Any] = {
            name: value
            for name, value in self.defaults(resolved.parent).items()
            if name not in pinned
        }
        values["is_customized"] = differs(
            resolved.instance, values, self.defaults(resolved.parent), pinned
        )
        values["data_source_revision"] = resolved.parent.revision
        values["last_setup_at"] = func.now()
        return ResolvedInstance(await self.save(resolved.instance, values), resolved.parent)
