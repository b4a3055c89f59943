"""Every SQL statement on links, for every path that reads or writes them.

The regular routes, batch, resolve, delete-batch, import, export and the hot path all run the
statements built here, so a rule about links (how record ids are matched, which instances a
caller may touch, what a repeated create does) is written once. Each builder is cached per
shape: a statement is built the first time it is needed and its values travel as bound
parameters, so the hot path can compile it once to psycopg SQL (see `psycopg_sql`).

Every statement carries its own guard: it acts only if the instance is in the caller's scope
(and, for writes and selector lookups, live with a live table on a live connection). A
statement whose guard fails reports it (no row, or a zero count of guarded instances), and
the caller falls back to resolving the selector the long way, which either names the right
instance or raises the right error. That is what makes it safe to remember which instance a
selector named (service.py).

Single links go through the same array statements as batches: a link is one or two
(direction, externalRecordId, appRecordId) triples."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Index,
    Select,
    Table,
    Text,
    any_,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.types import String

from datalinks.core.pagination import encode_cursor
from datalinks.core.schemas import iso_utc
from datalinks.data_links.schemas import DataLinkWrite
from datalinks.models import Connection, DataLink, DataLinkTable, DataLinkTableInstance
from datalinks.models.data_link_table import RECORD_HASH_FUNCTION

LINKS: Table = DataLink.__table__  # type: ignore[assignment]
INSTANCES: Table = DataLinkTableInstance.__table__  # type: ignore[assignment]
TABLES: Table = DataLinkTable.__table__  # type: ignore[assignment]
CONNECTIONS: Table = Connection.__table__  # type: ignore[assignment]
# A link as read: `link_item` turns such a row into the wire shape.
LINK_COLUMNS = (
    LINKS.c.id,
    LINKS.c.data_link_table_instance_id,
    LINKS.c.direction,
    LINKS.c.external_record_id,
    LINKS.c.app_record_id,
    LINKS.c.created_at,
    LINKS.c.updated_at,
)


def _unique_link_columns() -> list[str]:
    """The columns of the (instance, externalRecordId, appRecordId, direction) unique index
    that makes a repeated create an upsert, read from the model."""
    unique: list[Index] = [index for index in LINKS.indexes if index.unique]
    assert len(unique) == 1, "data_links has exactly one unique index"
    return [column.name for column in unique[0].columns]


UNIQUE_LINK = _unique_link_columns()
# A stored link: (direction, externalRecordId, appRecordId), direction never `both`.
Triple = tuple[str, str, str]


@dataclass(frozen=True)
class Slot:
    """The names a remembered selector used; the guard checks they still name the instance
    (a table or connection key can move to another row, an instance key is part of the slot)."""

    table_id: str | None
    table_key: str | None
    connection_id: str
    instance_key: str | None


# (customer-scoped, live, the slot's table named by "table_id" | "table_key" | None)
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
def guarded_instance(variant: Variant) -> Select[Any]:
    """The guard's instance id, or no row: the first step of every link statement."""
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


@cache
def guard_check(variant: Variant) -> Any:
    """1 when the guard holds, else 0."""
    return select(func.count()).select_from(guarded_instance(variant).subquery())


def record_match(prefix: str, value: Any) -> list[ColumnElement[bool]]:
    """`prefix` ("external_record" or "app_record") equals `value`: an index lookup by digest,
    then an exact comparison (the digest alone is not the id)."""
    digest: ColumnElement[bytes] = getattr(func, RECORD_HASH_FUNCTION)(value)
    return [LINKS.c[f"{prefix}_hash"] == digest, LINKS.c[f"{prefix}_id"] == value]


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkFilter:
    """A find's filters, ANDed; None matches anything."""

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


@cache
def find(variant: Variant, shape: tuple[bool, bool, bool], after: bool) -> Any:
    """The guard's instance row, left-joined to one page of its links (`limit` + 1 of them, by
    id after `after_id`), so that "no links" (one row of NULL links) and "no instance" (no row)
    differ. Rows: the guard's instance id, then LINK_COLUMNS."""
    instance = guarded_instance(variant).subquery("guarded")
    by_direction, by_external, by_app = shape
    clauses = [LINKS.c.data_link_table_instance_id == instance.c.id]
    if by_direction:
        clauses.append(LINKS.c.direction == any_(bindparam("directions", type_=ARRAY(String))))
    if by_external:
        clauses += record_match("external_record", bindparam("external_record_id", type_=String))
    if by_app:
        clauses += record_match("app_record", bindparam("app_record_id", type_=String))
    links = select(*LINK_COLUMNS).where(*clauses)
    if after:
        links = links.where(LINKS.c.id > bindparam("after_id", type_=BigInteger))
    page = links.order_by(LINKS.c.id).limit(bindparam("limit", type_=BigInteger)).lateral("page")
    return select(instance.c.id.label("guard"), *page.c).select_from(
        instance.outerjoin(page, true())
    )


def find_params(
    guard: Guard, link_filter: LinkFilter, limit: int, after: int | None
) -> dict[str, Any]:
    params: dict[str, Any] = {**guard.params(), **link_filter.params(), "limit": limit + 1}
    if after is not None:
        params["after_id"] = after
    return params


def link_item(row: Sequence[Any]) -> dict[str, str]:
    """A link on the wire, from a row of LINK_COLUMNS (the DataLink schema's shape)."""
    link_id, instance_id, direction, external_id, app_id, created, updated = row
    return {
        # Stored as a bigint for a compact index; ids are opaque strings on the wire.
        "id": str(link_id),
        "dataLinkTableInstanceId": instance_id,
        "externalRecordId": external_id,
        "appRecordId": app_id,
        "direction": direction,
        "createdAt": iso_utc(created),
        "updatedAt": iso_utc(updated),
    }


R = TypeVar("R")


def cut_page(
    rows: Sequence[R], limit: int, last_id: Callable[[R], int]
) -> tuple[Sequence[R], str | None]:
    """A page from `limit` + 1 rows: the first `limit`, and a cursor when there were more."""
    if len(rows) > limit:
        return rows[:limit], encode_cursor([last_id(rows[limit - 1])])
    return rows, None


@cache
def resolve(variant: Variant, by_external: bool) -> Any:
    """For each id asked for (in order), its links oldest first, or one row of NULLs; no row at
    all when the guard failed."""
    guarded = guarded_instance(variant).subquery("guarded")
    asked = (
        func.unnest(bindparam("record_ids", type_=ARRAY(Text)))
        .table_valued("record_id", with_ordinality="position")
        .render_derived("asked")
    )
    prefix = "external_record" if by_external else "app_record"
    found = (
        select(LINKS.c.id, LINKS.c.external_record_id, LINKS.c.app_record_id)
        .where(
            LINKS.c.data_link_table_instance_id == guarded.c.id,
            *record_match(prefix, asked.c.record_id),
            LINKS.c.direction == any_(bindparam("directions", type_=ARRAY(String))),
        )
        .lateral("found")
    )
    return (
        select(asked.c.record_id, found.c.external_record_id, found.c.app_record_id)
        .select_from(guarded.join(asked, true()).outerjoin(found, true()))
        .order_by(asked.c.position, found.c.id)
    )


@cache
def export_batch() -> Any:
    """One keyset batch of an instance's links for export: externalRecordId, appRecordId,
    direction, createdAt and updatedAt (formatted by PostgreSQL as iso_utc does, so no datetime
    is built in Python per exported link), then the id."""
    return (
        select(
            LINKS.c.external_record_id,
            LINKS.c.app_record_id,
            LINKS.c.direction,
            _utc_text(LINKS.c.created_at),
            _utc_text(LINKS.c.updated_at),
            LINKS.c.id,
        )
        .where(
            LINKS.c.data_link_table_instance_id == bindparam("instance_id", type_=String),
            LINKS.c.id > bindparam("after_id", type_=BigInteger),
        )
        .order_by(LINKS.c.id)
        .limit(bindparam("limit", type_=BigInteger))
    )


def _utc_text(column: Any) -> Any:
    return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')


def scoped_link(customer_scoped: bool) -> Any:
    """A link by its id, only if its instance is in the caller's workspace (and customer)."""
    stmt = (
        select(*LINK_COLUMNS)
        .join(INSTANCES, INSTANCES.c.id == LINKS.c.data_link_table_instance_id)
        .where(
            LINKS.c.id == bindparam("link_id", type_=BigInteger),
            INSTANCES.c.workspace_id == bindparam("workspace_id", type_=String),
        )
    )
    if customer_scoped:
        stmt = stmt.where(INSTANCES.c.customer_id == bindparam("customer_id", type_=String))
    return stmt


# --- writing -------------------------------------------------------------------------------


def stored_triples(links: Iterable[DataLinkWrite]) -> list[Triple]:
    """The stored links the items stand for, `both` expanded to import then export, each link
    once, in the order of its first occurrence (later repeats change nothing: a link has no
    other field than its three ids)."""
    unique: dict[Triple, None] = {}
    for link in links:
        for direction in link.direction.stored():
            unique.setdefault((direction, link.external_record_id, link.app_record_id), None)
    return list(unique)


def triple_params(triples: Sequence[Triple]) -> dict[str, list[str]]:
    return {
        "directions": [t[0] for t in triples],
        "external_record_ids": [t[1] for t in triples],
        "app_record_ids": [t[2] for t in triples],
    }


def _triples(name: str) -> Any:
    """The `directions`, `external_record_ids` and `app_record_ids` arrays as rows."""
    return (
        func.unnest(
            bindparam("directions", type_=ARRAY(String)),
            bindparam("external_record_ids", type_=ARRAY(Text)),
            bindparam("app_record_ids", type_=ARRAY(Text)),
        )
        .table_valued(
            "direction", "external_record_id", "app_record_id", with_ordinality="position"
        )
        .render_derived(name)
    )


def merge(guarded: Any, rows: Any, order: Any) -> Any:
    """INSERT the `rows` (direction, external_record_id, app_record_id) into the guarded
    instance, existing links only moving their updatedAt, and count created and updated links
    in one row: (instances the guard let through, created, updated). `rows` must hold each
    link once: ON CONFLICT DO UPDATE cannot touch one row twice in a statement."""
    source = (
        select(guarded.c.id, rows.c.direction, rows.c.external_record_id, rows.c.app_record_id)
        .select_from(guarded.join(rows, true()))
        .order_by(order)
    )
    merged = (
        insert(LINKS)
        .from_select(
            ["data_link_table_instance_id", "direction", "external_record_id", "app_record_id"],
            source,
        )
        .on_conflict_do_update(index_elements=UNIQUE_LINK, set_={"updated_at": func.now()})
        # xmax is 0 on a row this statement inserted, the locking transaction's id on one it
        # updated.
        .returning(literal_column("xmax = '0'", Boolean).label("created"))
        .cte("merged")
    )
    return select(
        select(func.count()).select_from(guarded).scalar_subquery(),
        func.count().filter(merged.c.created),
        func.count().filter(~merged.c.created),
    ).select_from(merged)


@cache
def upsert(variant: Variant) -> Any:
    """Upsert the triples (triple_params) into the guarded instance, in their order: one row
    (instances the guard let through, created, updated)."""
    guarded = guarded_instance(variant).cte("guarded")
    rows = _triples("item")
    return merge(guarded, rows, rows.c.position)


@cache
def delete_triples(variant: Variant) -> Any:
    """Delete the triples (triple_params) from the guarded instance: one row (instances the
    guard let through, links deleted)."""
    guarded = guarded_instance(variant).cte("guarded")
    doomed = _triples("doomed")
    deleted = (
        delete(LINKS)
        .where(
            LINKS.c.data_link_table_instance_id == select(guarded.c.id).scalar_subquery(),
            *record_match("external_record", doomed.c.external_record_id),
            *record_match("app_record", doomed.c.app_record_id),
            LINKS.c.direction == doomed.c.direction,
        )
        .returning(LINKS.c.id)
        .cte("deleted")
    )
    return select(
        select(func.count()).select_from(guarded).scalar_subquery(),
        select(func.count()).select_from(deleted).scalar_subquery(),
    )


def delete_by_id() -> Any:
    return delete(LINKS).where(LINKS.c.id == bindparam("link_id", type_=BigInteger))


_DIALECT = psycopg_dialect.dialect()  # type: ignore[no-untyped-call]


@cache
def psycopg_sql(statement: Any) -> str:
    """A cached statement as psycopg SQL with %(name)s parameters, for a plain psycopg pool."""
    return str(statement.compile(dialect=_DIALECT))
