"""Data sources: workspace elements, universal (no integration) or integration-specific."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from pydantic.alias_generators import to_camel
from sqlalchemy import Select, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datalinks.core.auth import Principal
from datalinks.core.errors import AlreadyExists, BadRequest, NotFound, ValidationFailed
from datalinks.core.pagination import PageParams
from datalinks.core.repository import NamedElementRepository
from datalinks.core.search import search_filter
from datalinks.data_sources.collections import DataCollectionRepository
from datalinks.data_sources.paths import (
    PathError,
    compute_path,
    encode_parameters,
    parse_path,
)
from datalinks.data_sources.schemas import DataSourceExport
from datalinks.models import DataSource, Integration, new_id
from datalinks.models.base import KEY_MAX
from datalinks.models.data_source import (
    DEFAULT_FULL_SYNC_INTERVAL_SECONDS,
    DEFAULT_PULL_UPDATES_INTERVAL_SECONDS,
)

INTEGRATION_REFS = ("integration_id", "integration_key", "integration_uuid")
# The fields that name the universal data source a data source specialises; when several
# are sent, the first of them here wins.
PARENT_REFS = ("universal_data_source_id", "parent_id", "parent_key", "parent_uuid")
# What a clone copies; it gets its own id, uuid, key, revision and timestamps.
CLONED = (
    "name",
    "description",
    "meta",
    "integration_id",
    "parent_id",
    "udm",
    "collection_key",
    "collection_parameters",
    "pull_updates_interval_seconds",
    "full_sync_interval_seconds",
)
# Each attempt loses only to a clone committed meanwhile, so a handful is plenty.
CLONE_ATTEMPTS = 10
COLLECTION_FIELDS = ("integration_id", "collection_key", "collection_parameters")
# Accepted on a data source's body and not stored on it: derived, or an instance's own setting.
IGNORED = ("default_path", "subscribed_to", "subscriptions")
EXPORTED = (
    "uuid",
    "key",
    "name",
    "description",
    "meta",
    "udm",
    "collection_key",
    "collection_parameters",
    "pull_updates_interval_seconds",
    "full_sync_interval_seconds",
)


def collection_from_path(changes: dict[str, Any], field: str = "path") -> None:
    """Turn a (deprecated) written `path` into collectionKey and collectionParameters (fields
    sent explicitly alongside it win), and make sure the parameters have a path form, since
    every answer shows one."""
    path = changes.pop(field, None)
    if path is not None:
        try:
            key, parameters = parse_path(path)
        except PathError as exc:
            raise ValidationFailed.field(field, str(exc)) from None
        if changes.get("collection_key") is None:
            changes["collection_key"] = key
        if changes.get("collection_parameters") is None:
            changes["collection_parameters"] = parameters
    if changes.get("collection_parameters"):
        try:
            encode_parameters(changes["collection_parameters"])
        except PathError as exc:
            raise ValidationFailed.field("collectionParameters", str(exc)) from None


def _universal_cannot_specialise() -> ValidationFailed:
    return ValidationFailed.field(
        "universalDataSourceId",
        "only an integration-specific data source specialises a universal one",
    )


@dataclass(frozen=True)
class SourceFilters:
    search: str | None = None
    include_archived: bool = False
    integration_id: str | None = None
    is_universal: bool | None = None
    universal_data_source_id: str | None = None
    # Only those that specialise no universal data source (`universalDataSourceId=null`).
    no_universal_data_source: bool = False
    id: str | None = None


class DataSourceRepository(NamedElementRepository[DataSource]):
    model = DataSource
    noun = "Data source"

    def __init__(
        self, session: AsyncSession, principal: Principal, integration: Integration | None = None
    ) -> None:
        super().__init__(session, principal)
        # The integration a route is under (or its query names): keys resolve within it first,
        # then among universal data sources, and creates default to it.
        self.integration = integration

    def conflict_message(self) -> str:
        return (
            "A live data source with this key already exists for this integration (or among "
            "universal data sources), or its uuid is taken"
        )

    def context(self) -> Integration:
        """The integration of a route under `/integrations/{integration}`."""
        if self.integration is None:
            raise BadRequest("This route needs an integration")
        return self.integration

    async def find(
        self, filters: SourceFilters, params: PageParams
    ) -> tuple[list[DataSource], str | None]:
        stmt = self.scoped()
        if not filters.include_archived:
            stmt = self.live(stmt)
        if filters.search:
            stmt = stmt.where(search_filter(filters.search, DataSource.name, DataSource.key))
        if filters.integration_id:
            stmt = stmt.where(DataSource.integration_id == filters.integration_id)
        if filters.is_universal is not None:
            stmt = stmt.where(
                DataSource.integration_id.is_(None)
                if filters.is_universal
                else DataSource.integration_id.is_not(None)
            )
        if filters.universal_data_source_id:
            stmt = stmt.where(DataSource.parent_id == filters.universal_data_source_id)
        if filters.no_universal_data_source:
            stmt = stmt.where(DataSource.parent_id.is_(None))
        if filters.id:
            stmt = stmt.where(DataSource.id == filters.id)
        return await self.page(stmt, params)

    async def export(self, element: DataSource) -> DataSourceExport:
        integration = (
            await self.session.get_one(Integration, element.integration_id)
            if element.integration_id
            else None
        )
        parent = (
            await self.session.get_one(DataSource, element.parent_id) if element.parent_id else None
        )
        return DataSourceExport.model_validate(
            {
                **{name: getattr(element, name) for name in EXPORTED},
                "integration_uuid": integration.uuid if integration else None,
                "parent_uuid": parent.uuid if parent else None,
                "is_universal": element.integration_id is None,
                "path": compute_path(element.collection_key, element.collection_parameters),
            }
        )

    @property
    def collections(self) -> DataCollectionRepository:
        return DataCollectionRepository(self.session, self.principal.workspace_id)

    async def integration_by(
        self, integration_id: str | None, key: str | None, uuid: str | None
    ) -> Integration:
        column, value, field = (
            (Integration.id, integration_id, "integrationId")
            if integration_id
            else (Integration.key, key, "integrationKey")
            if key
            else (Integration.uuid, uuid, "integrationUuid")
        )
        stmt = select(Integration).where(
            Integration.workspace_id == self.principal.workspace_id, column == value
        )
        if column is not Integration.id:
            stmt = stmt.where(Integration.archived_at.is_(None))
        found = (await self.session.execute(stmt)).scalar_one_or_none()
        if found is None:
            raise NotFound(f"Integration {value!r} ({field}) not found")
        return found

    def _in_context(
        self, stmt: Select[DataSource], integration_id: str | None
    ) -> Select[DataSource]:
        """Keys resolve to the integration's own data source first, then the universal one."""
        if integration_id is None:
            return stmt.where(DataSource.integration_id.is_(None))
        return stmt.where(
            or_(DataSource.integration_id == integration_id, DataSource.integration_id.is_(None))
        ).order_by(DataSource.integration_id.is_(None))

    async def find_by_id_or_key(
        self, selector: str, stmt: Select[DataSource] | None = None
    ) -> DataSource | None:
        base = stmt if stmt is not None else self.scoped()
        by_id = (
            await self.session.execute(base.where(DataSource.id == selector))
        ).scalar_one_or_none()
        if by_id is not None:
            return by_id
        live = self.live(base).where(DataSource.key == selector)
        if self.integration is not None:
            # The integration's own data source with this key, even archived, hides the
            # universal one: archiving it twice, or patching it after, must not reach the
            # data source every integration shares.
            own = base.where(
                DataSource.key == selector, DataSource.integration_id == self.integration.id
            ).order_by(DataSource.archived_at.is_not(None), DataSource.archived_at.desc())
            return await self._first(own) or await self._first(
                live.where(DataSource.integration_id.is_(None))
            )
        # No integration named: a universal data source is the natural answer; otherwise the
        # key must be unambiguous across integrations.
        rows = (
            (
                await self.session.execute(
                    live.order_by(DataSource.integration_id.is_not(None)).limit(2)
                )
            )
            .scalars()
            .all()
        )
        if len(rows) > 1 and rows[0].integration_id is not None:
            raise BadRequest(
                f"Data source key {selector!r} exists for several integrations; "
                "add integrationId or integrationKey"
            )
        return rows[0] if rows else None

    async def get(self, selector: str, stmt: Select[DataSource] | None = None) -> DataSource:
        found = await self.find_by_id_or_key(selector, stmt)
        # An archived own data source answers to its key only to hide the universal one (and
        # for restore); like any archived element it is otherwise found by id alone.
        if found is None or (found.archived_at is not None and found.id != selector):
            raise NotFound(f"{self.noun} {selector!r} not found")
        return found

    async def _first(self, stmt: Select[DataSource]) -> DataSource | None:
        return (await self.session.execute(stmt.limit(1))).scalars().first()

    async def for_instance(
        self,
        integration_id: str,
        *,
        data_source_id: str | None = None,
        key: str | None = None,
        udm: str | None = None,
        id_or_key: str | None = None,
    ) -> DataSource:
        """The data source an instance selector names, for a connection to `integration_id`:
        by id (archived too), else by key or udm among live ones, the integration's own first."""
        if data_source_id or id_or_key:
            found = (
                await self.session.execute(
                    self.scoped().where(DataSource.id == (data_source_id or id_or_key))
                )
            ).scalar_one_or_none()
            if found is None and data_source_id:
                raise NotFound(f"Data source {data_source_id!r} not found")
            if found is not None:
                if found.integration_id not in (None, integration_id):
                    raise BadRequest(
                        "The data source belongs to another integration than the connection"
                    )
                return found
            key = id_or_key
        live = self.live(self.scoped())
        if key:
            found = await self._first(
                self._in_context(live.where(DataSource.key == key), integration_id)
            )
            if found is None:
                raise NotFound(f"Data source {key!r} not found")
            return found
        stmt = self._in_context(live.where(DataSource.udm == udm), integration_id).order_by(
            DataSource.created_at
        )
        rows = (await self.session.execute(stmt.limit(2))).scalars().all()
        if not rows:
            raise NotFound(f"No data source for udm {udm!r}")
        if len(rows) > 1 and rows[0].integration_id == rows[1].integration_id:
            raise BadRequest(f"Several data sources have udm {udm!r}; name one by key or id")
        return rows[0]

    async def _parent(self, values: dict[str, Any]) -> str | None:
        """The live universal data source `universalDataSourceId` (or an alias) names; pops
        them all."""
        refs = {name: values.pop(name, None) for name in PARENT_REFS}
        name, value = next(((n, v) for n, v in refs.items() if v), (None, None))
        if name is None:
            return None
        field = to_camel(name)
        column = {"parent_key": DataSource.key, "parent_uuid": DataSource.uuid}.get(
            name, DataSource.id
        )
        stmt = self.scoped().where(column == value)
        if column is not DataSource.id:
            # Keys and uuids name live elements, and a key is unique only within one scope:
            # here, the universal data sources.
            stmt = self.live(stmt).where(DataSource.integration_id.is_(None))
        found = await self._first(stmt)
        if found is None:
            raise NotFound(f"Universal data source {value!r} ({field}) not found")
        if found.integration_id is not None:
            raise ValidationFailed.field(field, "names an integration-specific data source")
        if found.archived_at is not None:
            raise ValidationFailed.field(field, "names an archived data source")
        return found.id

    async def _integration_id(self, values: dict[str, Any]) -> str | None:
        """The integration the values name (or the route's), popping the reference fields."""
        refs = [values.pop(name, None) for name in INTEGRATION_REFS]
        universal = values.pop("is_universal", None)
        named = await self.integration_by(*refs) if any(refs) else None
        if named and self.integration and named.id != self.integration.id:
            raise ValidationFailed.field(
                "integrationId", "names another integration than the route"
            )
        chosen = named or self.integration
        if universal and chosen is not None:
            raise ValidationFailed.field(
                "isUniversal", "a universal data source cannot name an integration"
            )
        if chosen is not None and chosen.archived_at is not None:
            raise BadRequest("The integration is archived")
        return chosen.id if chosen else None

    async def create(self, values: dict[str, Any]) -> DataSource:
        values = {name: value for name, value in values.items() if name not in IGNORED}
        integration_id = await self._integration_id(values)
        parent_id = await self._parent(values)
        if parent_id is not None and integration_id is None:
            raise _universal_cannot_specialise()
        collection_from_path(values)
        await self.collections.check_choice(
            integration_id, values.get("collection_key"), values.get("collection_parameters")
        )
        values.setdefault("pull_updates_interval_seconds", DEFAULT_PULL_UPDATES_INTERVAL_SECONDS)
        values.setdefault("full_sync_interval_seconds", DEFAULT_FULL_SYNC_INTERVAL_SECONDS)
        return await self.add_named(values, integration_id=integration_id, parent_id=parent_id)

    async def save(self, element: DataSource, changes: dict[str, Any]) -> DataSource:
        """Resolve references and check the resulting collection choice before saving."""
        self.ensure_live(element)
        changes = {name: value for name, value in changes.items() if name not in IGNORED}
        if any(changes.get(name) for name in (*INTEGRATION_REFS, "is_universal")):
            changes["integration_id"] = await self._integration_id(changes)
        else:
            for name in (*INTEGRATION_REFS, "is_universal"):
                changes.pop(name, None)
        parent_id = await self._parent(changes)
        universal = changes.get("integration_id", element.integration_id) is None
        if parent_id is not None:
            if universal:
                raise _universal_cannot_specialise()
            changes["parent_id"] = parent_id
        elif universal and element.parent_id is not None:
            # Made universal, it specialises nothing any more.
            changes["parent_id"] = None
        collection_from_path(changes)
        if any(name in changes for name in COLLECTION_FIELDS):
            after = {name: changes.get(name, getattr(element, name)) for name in COLLECTION_FIELDS}
            await self.collections.check_choice(
                after["integration_id"], after["collection_key"], after["collection_parameters"]
            )
        return await super().save(element, changes)

    async def clone(self, source: DataSource) -> DataSource:
        """A live copy of `source` with a new id and uuid and the first free key of
        `{key}-copy`, `{key}-copy-2`, …: two clones racing for a key meet in the unique index,
        and the one that loses takes the next free key."""
        if source.integration_id is not None:
            integration = await self.session.get_one(Integration, source.integration_id)
            if integration.archived_at is not None:
                raise BadRequest("The integration is archived")
        copied = {name: getattr(source, name) for name in CLONED}
        for _ in range(CLONE_ATTEMPTS):
            stmt = (
                insert(DataSource)
                .values(
                    id=new_id(),
                    uuid=str(uuid4()),
                    key=await self._free_copy_key(source),
                    workspace_id=self.principal.workspace_id,
                    **copied,
                )
                .on_conflict_do_nothing(
                    index_elements=["workspace_id", "integration_id", "key"],
                    index_where=DataSource.archived_at.is_(None),
                )
                .returning(DataSource.id)
            )
            created = (await self.session.execute(stmt)).scalar_one_or_none()
            if created is not None:
                return await self.session.get_one(DataSource, created)
        raise AlreadyExists("Every key tried for the copy was taken meanwhile; retry")

    async def _free_copy_key(self, source: DataSource) -> str:
        # Room for "-copy-" and any count, so that every candidate shares one stem.
        stem = f"{source.key[: KEY_MAX - 16]}-copy"
        stmt = (
            self.live(self.scoped())
            .where(
                DataSource.integration_id.is_not_distinct_from(source.integration_id),
                DataSource.key.startswith(stem, autoescape=True),
            )
            .with_only_columns(DataSource.key)
        )
        taken = set((await self.session.execute(stmt)).scalars())
        key, count = stem, 1
        while key in taken:
            count += 1
            key = f"{stem}-{count}"
        return key

    @staticmethod
    def defaults(row: DataSource) -> dict[str, Any]:
        """The settings an instance copies from its data source (and resets to)."""
        return {
            "udm": row.udm,
            "collection_key": row.collection_key,
            "collection_parameters": row.collection_parameters,
            "pull_updates_interval_seconds": row.pull_updates_interval_seconds,
            "full_sync_interval_seconds": row.full_sync_interval_seconds,
        }
