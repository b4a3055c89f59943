"""What data link table instances and data source instances share. Each is a connection's
instance of a workspace element (its parent), at most one live per slot (parent, connection,
instanceKey): found by id or by slot, created on demand under races, listed with the same
filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, QueryableAttribute

from datalinks.core.auth import Principal
from datalinks.core.errors import NotFound
from datalinks.core.pagination import PageParams, keyset, page_of
from datalinks.core.parameters import QueryFields
from datalinks.core.repository import ElementRepository
from datalinks.core.selectors import ConnectionSelector, InstanceSelector
from datalinks.models import Connection, Integration, new_id
from datalinks.models.base import ConnectionInstance, NamedElement

InstanceT = TypeVar("InstanceT", bound=ConnectionInstance)
ParentT = TypeVar("ParentT", bound=NamedElement)


class Missing(Enum):
    """What resolving a selector does when its slot has no live instance."""

    AUTO = "create if the selector says autoCreate, else 404"
    CREATE = "create"
    NONE = "answer None (deleting from an instance that never existed)"
    NOT_FOUND = "404, whatever the selector says"


@dataclass
class ResolvedInstance(Generic[InstanceT, ParentT]):
    """An instance with its parent, from which its answers take their name and key."""

    instance: InstanceT
    parent: ParentT
    # Whether resolving the selector inserted the instance.
    created: bool = False
    # Selectors that name a connection refuse an archived one themselves; an instance named
    # by id records it here, so it cannot change either (contract §1.8).
    connection_archived: bool = False


ResolvedT = TypeVar("ResolvedT", bound=ResolvedInstance[Any, Any])


@dataclass(frozen=True)
class Slot(Generic[ParentT]):
    """Where at most one live instance stands."""

    parent: ParentT
    connection: Connection
    instance_key: str | None


@dataclass(frozen=True)
class InstanceFilters:
    id: str | None = None
    parent_id: str | None = None
    parent_key: str | None = None
    connection_id: str | None = None
    integration_id: str | None = None
    integration_key: str | None = None
    instance_key: str | None = None
    user: str | None = None
    include_archived: bool = False

    def conditions(self) -> list[ColumnElement[bool]]:
        """What filters of a kind's own add to the query."""
        return []


class InstanceListQuery(QueryFields):
    """What every instance list filters by besides its parent: a list's query model names
    it between its parent's fields and the list's own, and makes its filters."""

    connection_id: str | None = None
    integration_id: str | None = None
    integration_key: str | None = None
    instance_key: str | None = None
    user_id: str | None = None
    tenant_id: str | None = None

    def filters(self) -> InstanceFilters:
        raise NotImplementedError

    def common(self, **parent: Any) -> dict[str, Any]:
        """InstanceFilters' fields (a kind's own come in `parent` too)."""
        return {
            **parent,
            "connection_id": self.connection_id,
            "integration_id": self.integration_id,
            "integration_key": self.integration_key,
            "instance_key": self.instance_key,
            "user": self.user_id or self.tenant_id,
        }


class Connections(Protocol):
    """What the shared code needs of connections/repository.py (a domain above core)."""

    def __init__(
        self, session: AsyncSession, principal: Principal, owner: str | None = None
    ) -> None: ...

    async def get(self, selector: str) -> Connection: ...

    async def for_selector(self, selector: ConnectionSelector) -> Connection: ...

    async def owner_filter(self, user: str) -> str | None: ...


def instance_values(resolved: ResolvedInstance[Any, Any]) -> dict[str, Any]:
    """The output fields every kind of instance has, from the instance and its parent."""
    instance, parent = resolved.instance, resolved.parent
    return {
        "id": instance.id,
        "name": parent.name,
        "key": parent.key,
        "connection_id": instance.connection_id,
        "integration_id": instance.integration_id,
        "user_id": instance.customer_id,
        "tenant_id": instance.customer_id,
        "instance_key": instance.instance_key,
        "revision": instance.revision,
        "created_at": instance.created_at,
        "updated_at": instance.updated_at,
        "archived_at": instance.archived_at,
        "is_deactivated": instance.archived_at is not None or parent.archived_at is not None,
    }


class InstanceRepository(ElementRepository[InstanceT], Generic[InstanceT, ParentT, ResolvedT]):
    """The instances of one kind of parent. Subclasses name the parent (`parent_model`, the
    instance's `parent_column`), the resolved type, and how a selector names a slot."""

    parent_model: type[ParentT]
    resolved_type: type[ResolvedT]
    connections_type: type[Connections]
    empty_slot: str = "No instance for this element and connection"
    # Whether an id selector's instance must also belong to the parent the selector names.
    id_matches_parent: bool = True

    def __init__(
        self, session: AsyncSession, principal: Principal, connection_owner: str | None = None
    ) -> None:
        """`connection_owner`: what ConnectionRepository calls its `owner`."""
        super().__init__(session, principal)
        self.connection_owner = connection_owner

    @property
    def connections(self) -> Connections:
        return self.connections_type(self.session, self.principal, self.connection_owner)

    def parent_column(self) -> InstrumentedAttribute[str]:
        raise NotImplementedError

    async def slot_of(self, selector: InstanceSelector) -> Slot[ParentT]:
        """The slot a selector names; an unknown parent or connection is 404."""
        raise NotImplementedError

    def new_values(self, parent: ParentT) -> dict[str, Any]:
        """What an instance created now copies from its parent."""
        return {}

    async def resolve(
        self,
        selector: InstanceSelector,
        missing: Missing = Missing.AUTO,
        initial: dict[str, Any] | None = None,
        *,
        lock: bool = False,
    ) -> ResolvedT | None:
        """The instance a selector names; an unknown parent or connection is 404 whatever
        `autoCreate` says. `initial`: column values for an instance created here. `lock`: see
        live_in_slot."""
        if selector.id:
            parent_id = selector.parent_id if self.id_matches_parent else None
            return await self.by_id(selector.id, parent_id)
        slot = await self.slot_of(selector)
        values = {**self.new_values(slot.parent), **(initial or {})}
        return await self.occupy(slot, missing, selector.auto_create, values, lock=lock)

    async def require(
        self,
        selector: InstanceSelector,
        missing: Missing = Missing.AUTO,
        initial: dict[str, Any] | None = None,
        *,
        lock: bool = False,
    ) -> ResolvedT:
        resolved = await self.resolve(selector, missing, initial, lock=lock)
        assert resolved is not None, "only Missing.NONE answers None"
        return resolved

    async def archive_selected(self, selector: InstanceSelector) -> None:
        # The SDK reuses its selector (autoCreate included) for every verb; archiving never
        # creates, and an empty slot is 404 as for any selector that names nothing.
        await self.archive((await self.require(selector, Missing.NOT_FOUND, lock=True)).instance)

    async def restore_selected(self, selector: InstanceSelector) -> ResolvedT:
        return await self.restore_instance(await self.require(selector, Missing.NOT_FOUND))

    def scoped(self) -> Select[InstanceT]:
        stmt = super().scoped()
        if self.principal.customer_id is not None:
            stmt = stmt.where(self.model.customer_id == self.principal.customer_id)
        return stmt

    async def with_parent(self, instance: InstanceT) -> ResolvedT:
        parent_id: str = getattr(instance, self.parent_column().key)
        return self.resolved_type(
            instance, await self.session.get_one(self.parent_model, parent_id)
        )

    async def by_id(self, instance_id: str, parent_id: str | None = None) -> ResolvedT:
        stmt = self.scoped().where(self.model.id == instance_id)
        if parent_id is not None:
            stmt = stmt.where(self.parent_column() == parent_id)
        instance = (await self.session.execute(stmt)).scalar_one_or_none()
        if instance is None:
            raise NotFound(f"{self.noun} {instance_id!r} not found")
        return await self.with_parent(instance)

    def ensure_creatable(self, slot: Slot[ParentT]) -> None:
        """Refuse to create an instance the parent or connection cannot have now."""

    async def occupy(
        self,
        slot: Slot[ParentT],
        missing: Missing,
        auto_create: bool,
        values: dict[str, Any],
        *,
        lock: bool = False,
    ) -> ResolvedT | None:
        """The slot's live instance, created (from `values`) when `missing` says so."""
        found = await self.live_in_slot(slot, lock=lock)
        if found is not None:
            return self.resolved_type(found, slot.parent)
        if missing is Missing.CREATE or (missing is Missing.AUTO and auto_create):
            self.ensure_creatable(slot)
            instance, created = await self.fill_slot(slot, values)
            return self.resolved_type(instance, slot.parent, created)
        if missing is Missing.NONE:
            return None
        raise NotFound(self.empty_slot)

    async def live_in_slot(self, slot: Slot[ParentT], *, lock: bool = False) -> InstanceT | None:
        """The slot's live instance. `lock` (to archive it) takes its row lock: a concurrent
        archive of the same instance waits, then finds it no longer live, as if it had come
        second."""
        stmt = self.live(self.scoped()).where(
            self.parent_column() == slot.parent.id,
            self.model.connection_id == slot.connection.id,
            self.model.instance_key.is_not_distinct_from(slot.instance_key),
        )
        if lock:
            stmt = stmt.with_for_update(of=self.model)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def fill_slot(
        self, slot: Slot[ParentT], values: dict[str, Any]
    ) -> tuple[InstanceT, bool]:
        """Insert the slot's instance (and say whether this call did); under a race the unique
        index lets exactly one insert win and the others read the winner's row."""
        parent_column = self.parent_column().key
        connection = slot.connection
        stmt = (
            insert(self.model)
            .values(
                id=new_id(),
                workspace_id=self.principal.workspace_id,
                connection_id=connection.id,
                customer_id=connection.customer_id,
                integration_id=connection.integration_id,
                instance_key=slot.instance_key,
                **{parent_column: slot.parent.id},
                **values,
            )
            .on_conflict_do_nothing(
                index_elements=[parent_column, "connection_id", "instance_key"],
                index_where=self.model.archived_at.is_(None),
            )
            .returning(self.model)
        )
        created = (
            await self.session.execute(
                select(self.model).from_statement(stmt),
                execution_options={"populate_existing": True},
            )
        ).scalar_one_or_none()
        if created is not None:
            return created, True
        winner = await self.live_in_slot(slot)
        if winner is None:
            # The winner was archived between our insert and this read: the slot is free again.
            return await self.fill_slot(slot, values)
        return winner, False

    async def restore_instance(self, resolved: ResolvedT) -> ResolvedT:
        restored = await self.restore(resolved.instance)
        return self.resolved_type(restored, resolved.parent)

    def integration_key_filter(self, key: str) -> ColumnElement[bool]:
        # Filters, not selectors: an integration nobody has (or an archived one, by key) lists
        # nothing, as an unknown userId does; it is no 404.
        live_with_key = select(Integration.id).where(
            Integration.workspace_id == self.principal.workspace_id,
            Integration.key == key,
            Integration.archived_at.is_(None),
        )
        return self.model.integration_id.in_(live_with_key)

    async def find(
        self, filters: InstanceFilters, params: PageParams
    ) -> tuple[list[ResolvedT], str | None]:
        """A page of instances, each with its parent."""
        model, parent = self.model, self.parent_model
        stmt = self.scoped().add_columns(parent).join(parent, parent.id == self.parent_column())
        if not filters.include_archived:
            # An archived parent hides its instances too; restoring it brings them back.
            stmt = stmt.where(model.archived_at.is_(None), parent.archived_at.is_(None))
        exact: dict[QueryableAttribute[str | None], str | None] = {
            model.id: filters.id,
            self.parent_column(): filters.parent_id,
            parent.key: filters.parent_key,
            model.connection_id: filters.connection_id,
            model.integration_id: filters.integration_id,
            model.instance_key: filters.instance_key,
        }
        for column, value in exact.items():
            if value:
                stmt = stmt.where(column == value)
        if filters.integration_key:
            stmt = stmt.where(self.integration_key_filter(filters.integration_key))
        if filters.user:
            customer_id = await self.connections.owner_filter(filters.user)
            if customer_id is None:
                return [], None
            stmt = stmt.where(model.customer_id == customer_id)
        stmt = keyset(
            stmt.where(*filters.conditions()), params, [model.created_at, model.id], [datetime, str]
        )
        rows = (await self.session.execute(stmt)).all()
        items, cursor = page_of(rows, params, lambda row: [row[0].created_at, row[0].id])
        return [self.resolved_type(row[0], row[1]) for row in items], cursor
