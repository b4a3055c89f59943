"""Batch link statements: upsert, resolve and delete up to 1,000 links in one round trip.

Each is one SQL statement carrying the same guard as the single-link statements (see
repository.py), with the links passed as arrays and expanded by `unnest`, so a batch costs
one statement whatever its size. A failed guard answers None, as for single links."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
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
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String

from datalinks.data_links.repository import LINKS, Guard, Variant, _guarded_instance
from datalinks.data_links.schemas import DataLinkWrite
from datalinks.models.data_link_table import RECORD_HASH_FUNCTION

UNIQUE_LINK = [
    "data_link_table_instance_id",
    "external_record_hash",
    "app_record_hash",
    "direction",
]
# Stored link triples in the order they are written.
Triple = tuple[str, str, str]


def _digest(value: Any) -> ColumnElement[bytes]:
    digest: ColumnElement[bytes] = getattr(func, RECORD_HASH_FUNCTION)(value)
    return digest


def _matches(prefix: str, value: Any) -> list[ColumnElement[bool]]:
    """Index lookup by digest, then an exact comparison (the digest alone is not the id)."""
    return [LINKS.c[f"{prefix}_hash"] == _digest(value), LINKS.c[f"{prefix}_id"] == value]


def _triples() -> Any:
    return func.unnest(
        bindparam("directions", type_=ARRAY(String)),
        bindparam("external_record_ids", type_=ARRAY(Text)),
        bindparam("app_record_ids", type_=ARRAY(Text)),
    )


def merge_into_links(guarded: Any, rows: Any, order: Any) -> Any:
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
def _upsert(variant: Variant) -> Any:
    guarded = _guarded_instance(variant).cte("guarded")
    rows = _triples().table_valued(
        "direction", "external_record_id", "app_record_id", with_ordinality="position"
    )
    rows = rows.render_derived("item")
    return merge_into_links(guarded, rows, rows.c.position)


@cache
def _resolve(variant: Variant, by_external: bool) -> Any:
    """For each id asked for (in order), its links oldest first, or one row of NULLs; no row at
    all when the guard failed."""
    guarded = _guarded_instance(variant).subquery("guarded")
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
            *_matches(prefix, asked.c.record_id),
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
def _delete(variant: Variant) -> Any:
    guarded = _guarded_instance(variant).cte("guarded")
    doomed = _triples().table_valued("direction", "external_record_id", "app_record_id")
    doomed = doomed.render_derived("doomed")
    deleted = (
        delete(LINKS)
        .where(
            LINKS.c.data_link_table_instance_id == select(guarded.c.id).scalar_subquery(),
            *_matches("external_record", doomed.c.external_record_id),
            *_matches("app_record", doomed.c.app_record_id),
            LINKS.c.direction == doomed.c.direction,
        )
        .returning(LINKS.c.id)
        .cte("deleted")
    )
    return select(
        select(func.count()).select_from(guarded).scalar_subquery(),
        select(func.count()).select_from(deleted).scalar_subquery(),
    )


def stored_triples(links: Iterable[DataLinkWrite]) -> list[Triple]:
    """The stored links the items stand for, `both` expanded to import then export, each link
    once, in the order of its first occurrence (later repeats change nothing: a link has no
    other field than its three ids)."""
    unique: dict[Triple, None] = {}
    for link in links:
        for direction in link.direction.stored():
            unique.setdefault((direction, link.external_record_id, link.app_record_id), None)
    return list(unique)


def _arrays(triples: Sequence[Triple]) -> dict[str, list[str]]:
    return {
        "directions": [t[0] for t in triples],
        "external_record_ids": [t[1] for t in triples],
        "app_record_ids": [t[2] for t in triples],
    }


@dataclass(frozen=True)
class Resolved:
    found: list[tuple[str, str]]
    missing: list[str]


class LinkBatchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _execute(self, stmt: Any, params: dict[str, Any]) -> Any:
        connection = await self.session.connection()
        return await connection.execute(stmt, params)

    async def upsert(self, guard: Guard, triples: Sequence[Triple]) -> tuple[int, int] | None:
        """(created, updated), or None when the guard failed (nothing written)."""
        result = await self._execute(_upsert(guard.variant), {**guard.params(), **_arrays(triples)})
        instances, created, updated = result.one()
        return (created, updated) if instances else None

    async def resolve(
        self, guard: Guard, directions: Sequence[str], by_external: bool, record_ids: list[str]
    ) -> Resolved | None:
        asked = list(dict.fromkeys(record_ids))
        params = {**guard.params(), "directions": list(directions), "record_ids": asked}
        rows = (await self._execute(_resolve(guard.variant, by_external), params)).all()
        if not rows:
            return None
        # With both directions, one pair can be stored twice (import and export): name it once.
        pairs: dict[tuple[str, str], None] = {}
        missing: list[str] = []
        for record_id, external_record_id, app_record_id in rows:
            if external_record_id is None:
                missing.append(record_id)
            else:
                pairs.setdefault((external_record_id, app_record_id), None)
        return Resolved(list(pairs), missing)

    async def delete(self, guard: Guard, triples: Sequence[Triple]) -> int | None:
        """How many stored links went, or None when the guard failed."""
        result = await self._execute(_delete(guard.variant), {**guard.params(), **_arrays(triples)})
        instances, deleted = result.one()
        return int(deleted) if instances else None
