"""Links: the hot path. Each operation is one SQL statement on Core (no ORM objects, no
session-level work), with record ids matched through the hashed indexes and compared exactly.

Every statement carries its own guard: it acts only if the instance is in the caller's scope
(and, for writes and selector lookups, live with a live table). A statement whose guard fails
answers None, and the caller falls back to resolving the selector the long way, which either
names the right instance or raises the right error. That is what makes it safe to remember
which instance a selector named (see router.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Table,
    any_,
    bindparam,
    delete,
    func,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.types import String

from datalinks.core.errors import NotFound
from datalinks.core.pagination import PageParams, decode_cursor, encode_cursor
from datalinks.models import Connection, DataLink, DataLinkTable, DataLinkTableInstance
from datalinks.models.data_link_table import RECORD_HASH_FUNCTION

LINKS: Table = DataLink.__table__  # type: ignore[assignment]
INSTANCES: Table = DataLinkTableInstance.__table__  # type: ignore[assignment]
TABLES: Table = DataLinkTable.__table__  # type: ignore[assignment]
CONNECTIONS: Table = Connection.__table__  # type: ignore[assignment]
COLUMNS = (
    LINKS.c.id,
    LINKS.c.data_link_table_instance_id,
    LINKS.c.direction,
    LINKS.c.external_record_id,
    LINKS.c.app_record_id,
    LINKS.c.created_at,
    LINKS.c.updated_at,
)


@dataclass(frozen=True)
class Slot:
    """The names a remembered selector used; the guard checks they still name the instance
    (a table or connection key can move to another row, an instance key is part of the slot)."""

    table_id: str | None
    table_key: str | None
    connection_id: str
    instance_key: str | None


Variant = tuple[bool, bool, str | None]


@dataclass(frozen=True)
class Guard:
    """Which instance a statement may touch, and on what condition."""

    instance_id: str
    workspace_id: str
    customer_id: str | None
    # Writes, and lookups through a (table, connection) selector, need a live instance of a
    # live table on a live connection; reads by instance id may see an archived one.
    live: bool
    slot: Slot | None = None
    # A statement on a known instance is complete by itself, so it runs on its own in
    # autocommit: no BEGIN/COMMIT round trips. After a fallback it joins the request's
    # transaction, which may have just created the instance.
    standalone: bool = False

    @property
    def variant(self) -> Variant:
        named_by = None
        if self.slot is not None:
            named_by = "table_id" if self.slot.table_id else "table_key"
        return (self.customer_id is not None, self.live, named_by)

    def params(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "guard_instance_id": self.instance_id,
            "guard_workspace_id": self.workspace_id,
        }
        if self.customer_id is not None:
            values["guard_customer_id"] = self.customer_id
        if self.slot is not None:
            values["guard_table"] = self.slot.table_id or self.slot.table_key
            values["guard_connection_id"] = self.slot.connection_id
            values["guard_instance_key"] = self.slot.instance_key
        return values


@cache
def _guarded_instance(variant: Variant) -> Select[Any]:
    """Built once per variant; the values travel as bound parameters (Guard.params)."""
    scoped, live, named_by = variant
    clauses = [
        INSTANCES.c.id == bindparam("guard_instance_id", type_=String),
        INSTANCES.c.workspace_id == bindparam("guard_workspace_id", type_=String),
    ]
    if scoped:
        clauses.append(INSTANCES.c.customer_id == bindparam("guard_customer_id", type_=String))
    joined = INSTANCES.join(TABLES, TABLES.c.id == INSTANCES.c.data_link_table_id)
    if live:
        joined = joined.join(CONNECTIONS, CONNECTIONS.c.id == INSTANCES.c.connection_id)
        clauses += [
            INSTANCES.c.archived_at.is_(None),
            TABLES.c.archived_at.is_(None),
            CONNECTIONS.c.archived_at.is_(None),
        ]
    if named_by is not None:
        table_column = TABLES.c.id if named_by == "table_id" else TABLES.c.key
        clauses += [
            table_column == bindparam("guard_table", type_=String),
            INSTANCES.c.connection_id == bindparam("guard_connection_id", type_=String),
            INSTANCES.c.instance_key.is_not_distinct_from(
                bindparam("guard_instance_key", type_=String)
            ),
        ]
    return select(INSTANCES.c.id).select_from(joined).where(*clauses)


def _link(row: Any) -> dict[str, Any]:
    # Stored as a bigint for a compact index; ids are opaque strings on the wire.
    return {
        "id": str(row.id),
        "data_link_table_instance_id": row.data_link_table_instance_id,
        "direction": row.direction,
        "external_record_id": row.external_record_id,
        "app_record_id": row.app_record_id,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _record_match(column: str) -> ColumnElement[bool]:
    """Index lookup by digest, then an exact comparison (the digest alone is not the id)."""
    value = bindparam(f"{column}_id", type_=String)
    digest: ColumnElement[bytes] = getattr(func, RECORD_HASH_FUNCTION)(value)
    return (LINKS.c[f"{column}_hash"] == digest) & (LINKS.c[f"{column}_id"] == value)


@dataclass(frozen=True)
class LinkFilter:
    directions: tuple[str, ...] | None = None
    external_record_id: str | None = None
    app_record_id: str | None = None

    @property
    def shape(self) -> tuple[bool, bool, bool]:
        return (
            bool(self.directions),
            self.external_record_id is not None,
            self.app_record_id is not None,
        )

    def params(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if self.directions:
            values["directions"] = list(self.directions)
        if self.external_record_id is not None:
            values["external_record_id"] = self.external_record_id
        if self.app_record_id is not None:
            values["app_record_id"] = self.app_record_id
        return values


def _filtered(instance_id: Any, shape: tuple[bool, bool, bool]) -> list[ColumnElement[bool]]:
    by_direction, by_external, by_app = shape
    clauses = [LINKS.c.data_link_table_instance_id == instance_id]
    if by_direction:
        clauses.append(LINKS.c.direction == any_(bindparam("directions", type_=ARRAY(String))))
    if by_external:
        clauses.append(_record_match("external_record"))
    if by_app:
        clauses.append(_record_match("app_record"))
    return clauses


@cache
def _find(variant: Variant, shape: tuple[bool, bool, bool], after: bool) -> Any:
    """The guard's instance row, left-joined to one page of its links, so that "no links" and
    "no instance" differ."""
    instance = _guarded_instance(variant).subquery("guarded")
    links = select(*COLUMNS).where(*_filtered(instance.c.id, shape))
    if after:
        links = links.where(LINKS.c.id > bindparam("after_id", type_=BigInteger))
    page = links.order_by(LINKS.c.id).limit(bindparam("limit", type_=BigInteger)).lateral("page")
    return select(instance.c.id.label("guard"), *page.c).select_from(
        instance.outerjoin(page, true())
    )


@cache
def _delete(variant: Variant) -> Any:
    guarded = _guarded_instance(variant).cte("guarded")
    shape = (True, True, True)
    deleted = (
        delete(LINKS)
        .where(*_filtered(select(guarded.c.id).scalar_subquery(), shape))
        .returning(LINKS.c.id)
        .cte("deleted")
    )
    return select(
        select(func.count()).select_from(guarded).scalar_subquery(),
        select(func.count()).select_from(deleted).scalar_subquery(),
    )


@cache
def _upsert(variant: Variant) -> Any:
    rows = _guarded_instance(variant).add_columns(
        func.unnest(bindparam("directions", type_=ARRAY(String))),
        bindparam("external_record_id", type_=String),
        bindparam("app_record_id", type_=String),
    )
    return (
        insert(LINKS)
        .from_select(
            ["data_link_table_instance_id", "direction", "external_record_id", "app_record_id"],
            rows,
        )
        .on_conflict_do_update(
            index_elements=[
                "data_link_table_instance_id",
                "external_record_hash",
                "app_record_hash",
                "direction",
            ],
            set_={"updated_at": func.now()},
        )
        .returning(LINKS.c.id)
    )


class DataLinkRepository:
    def __init__(self, session: AsyncSession, autocommit: AsyncEngine | None = None) -> None:
        self.session = session
        self.autocommit = autocommit

    async def _execute(
        self, stmt: Any, params: dict[str, Any] | None = None, *, standalone: bool = False
    ) -> Any:
        # Core, not the ORM: the ORM's per-statement work is not needed here.
        if standalone and self.autocommit is not None and not self.session.in_transaction():
            async with self.autocommit.connect() as connection:
                # AsyncConnection buffers the rows, so they outlive the connection's return.
                return await connection.execute(stmt, params or {})
        connection = await self.session.connection()
        return await connection.execute(stmt, params or {})

    async def upsert(
        self, guard: Guard, directions: Sequence[str], external_record_id: str, app_record_id: str
    ) -> bool:
        """False when the guard failed (nothing written)."""
        result = await self._execute(
            _upsert(guard.variant),
            {
                **guard.params(),
                "directions": list(directions),
                "external_record_id": external_record_id,
                "app_record_id": app_record_id,
            },
            standalone=guard.standalone,
        )
        return len(result.all()) > 0

    async def find(
        self, guard: Guard, link_filter: LinkFilter, page: PageParams
    ) -> tuple[list[dict[str, Any]], str | None] | None:
        """A page of links, or None when the guard failed. One statement: the guard's instance
        row, left-joined to the page of its links, so "no links" and "no instance" differ."""
        after = decode_cursor(page.cursor or "", [int])
        stmt = _find(guard.variant, link_filter.shape, bool(after))
        params = {**guard.params(), **link_filter.params(), "limit": page.limit + 1}
        if after:
            params["after_id"] = after[0]
        rows = (await self._execute(stmt, params, standalone=guard.standalone)).all()
        if not rows:
            return None
        found = [row for row in rows if row.id is not None]
        items = [_link(row) for row in found[: page.limit]]
        cursor = encode_cursor([found[page.limit - 1].id]) if len(found) > page.limit else None
        return items, cursor

    async def delete(
        self, guard: Guard, directions: Sequence[str], external_record_id: str, app_record_id: str
    ) -> bool:
        """False when the guard failed; deleting nothing that matched is still True."""
        link_filter = LinkFilter(tuple(directions), external_record_id, app_record_id)
        params = {**guard.params(), **link_filter.params()}
        stmt = _delete(guard.variant)
        result = await self._execute(stmt, params, standalone=guard.standalone)
        instances, _ = result.one()
        return bool(instances)

    async def get_scoped(
        self, link_id: str, workspace_id: str, customer_id: str | None
    ) -> dict[str, Any]:
        """A link by its id, only if its instance is in the caller's scope."""
        # ASCII digits only: str.isdigit() also accepts superscripts and other scripts' digits,
        # which int() or the database then refuse.
        if not re.fullmatch(r"[0-9]{1,18}", link_id):
            raise NotFound(f"Data link {link_id!r} not found")
        stmt = (
            select(*COLUMNS)
            .join(INSTANCES, INSTANCES.c.id == LINKS.c.data_link_table_instance_id)
            .where(
                LINKS.c.id == bindparam("link_id", type_=BigInteger),
                INSTANCES.c.workspace_id == workspace_id,
            )
        )
        if customer_id is not None:
            stmt = stmt.where(INSTANCES.c.customer_id == customer_id)
        row = (await self._execute(stmt, {"link_id": int(link_id)})).first()
        if row is None:
            raise NotFound(f"Data link {link_id!r} not found")
        return _link(row)

    async def delete_by_id(self, link_id: str) -> None:
        await self._execute(delete(LINKS).where(LINKS.c.id == int(link_id)))
