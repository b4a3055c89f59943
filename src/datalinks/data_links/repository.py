"""Links: the hot path. Each operation is one SQL statement on Core (no ORM objects), with
record ids matched through the hashed indexes and then compared exactly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, Table, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String

from datalinks.core.errors import NotFound
from datalinks.core.pagination import PageParams, decode_cursor, encode_cursor
from datalinks.models import DataLink, DataLinkTableInstance
from datalinks.models.data_link_table import RECORD_HASH_FUNCTION

LINKS: Table = DataLink.__table__  # type: ignore[assignment]
COLUMNS = (
    LINKS.c.id,
    LINKS.c.data_link_table_instance_id,
    LINKS.c.direction,
    LINKS.c.external_record_id,
    LINKS.c.app_record_id,
    LINKS.c.created_at,
    LINKS.c.updated_at,
)


def _link(row: Any) -> dict[str, Any]:
    # Stored as a bigint for a compact index; ids are opaque strings on the wire.
    return {**row._asdict(), "id": str(row.id)}


def _record_match(column: str, value: str) -> ColumnElement[bool]:
    """Index lookup by digest, then an exact comparison (the digest alone is not the id)."""
    digest: ColumnElement[bytes] = getattr(func, RECORD_HASH_FUNCTION)(value)
    return (LINKS.c[f"{column}_hash"] == digest) & (LINKS.c[f"{column}_id"] == value)


@dataclass(frozen=True)
class LinkFilter:
    directions: tuple[str, ...] | None = None
    external_record_id: str | None = None
    app_record_id: str | None = None

    def where(self, instance_id: str) -> list[ColumnElement[bool]]:
        clauses = [LINKS.c.data_link_table_instance_id == instance_id]
        if self.directions:
            clauses.append(LINKS.c.direction.in_(self.directions))
        if self.external_record_id is not None:
            clauses.append(_record_match("external_record", self.external_record_id))
        if self.app_record_id is not None:
            clauses.append(_record_match("app_record", self.app_record_id))
        return clauses


_UPSERT = insert(LINKS).from_select(
    ["data_link_table_instance_id", "direction", "external_record_id", "app_record_id"],
    select(
        bindparam("instance_id", type_=String),
        func.unnest(bindparam("directions", type_=ARRAY(String))),
        bindparam("external_record_id", type_=String),
        bindparam("app_record_id", type_=String),
    ),
)
UPSERT = _UPSERT.on_conflict_do_update(
    index_elements=[
        "data_link_table_instance_id",
        "external_record_hash",
        "app_record_hash",
        "direction",
    ],
    set_={"updated_at": func.now()},
)


class DataLinkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(
        self,
        instance_id: str,
        directions: Sequence[str],
        external_record_id: str,
        app_record_id: str,
    ) -> None:
        await self.session.execute(
            UPSERT,
            {
                "instance_id": instance_id,
                "directions": list(directions),
                "external_record_id": external_record_id,
                "app_record_id": app_record_id,
            },
        )

    async def find(
        self, instance_id: str, link_filter: LinkFilter, page: PageParams
    ) -> tuple[list[dict[str, Any]], str | None]:
        stmt: Select[Any] = select(*COLUMNS).where(*link_filter.where(instance_id))
        after = decode_cursor(page.cursor or "", [int])
        if after is not None:
            stmt = stmt.where(LINKS.c.id > after[0])
        rows = (await self.session.execute(stmt.order_by(LINKS.c.id).limit(page.limit + 1))).all()
        items = [_link(row) for row in rows[: page.limit]]
        cursor = encode_cursor([rows[page.limit - 1].id]) if len(rows) > page.limit else None
        return items, cursor

    async def delete(
        self,
        instance_id: str,
        directions: Sequence[str],
        external_record_id: str,
        app_record_id: str,
    ) -> int:
        link_filter = LinkFilter(tuple(directions), external_record_id, app_record_id)
        result = await self.session.execute(delete(LINKS).where(*link_filter.where(instance_id)))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def get_scoped(
        self, link_id: str, workspace_id: str, customer_id: str | None
    ) -> dict[str, Any]:
        """A link by its id, only if its instance is in the caller's scope."""
        if not link_id.isdigit() or len(link_id) > 18:
            raise NotFound(f"Data link {link_id!r} not found")
        instances: Table = DataLinkTableInstance.__table__  # type: ignore[assignment]
        stmt = (
            select(*COLUMNS)
            .join(instances, instances.c.id == LINKS.c.data_link_table_instance_id)
            .where(
                LINKS.c.id == bindparam("link_id", type_=BigInteger),
                instances.c.workspace_id == workspace_id,
            )
        )
        if customer_id is not None:
            stmt = stmt.where(instances.c.customer_id == customer_id)
        row = (await self.session.execute(stmt, {"link_id": int(link_id)})).first()
        if row is None:
            raise NotFound(f"Data link {link_id!r} not found")
        return _link(row)

    async def delete_by_id(self, link_id: str) -> None:
        await self.session.execute(delete(LINKS).where(LINKS.c.id == int(link_id)))
