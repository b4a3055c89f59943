"""Links through SQLAlchemy Core: the statements of statements.py on the request's session, or
on the autocommit engine for a statement complete by itself (Guard.standalone). No ORM objects
and no session-level work: each operation is one statement.

Every method answers None when the statement's guard failed, so the caller can resolve the
selector the long way (service.on_instance)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from datalinks.core.errors import NotFound
from datalinks.core.pagination import PageParams, decode_cursor
from datalinks.data_links import statements
from datalinks.data_links.statements import Guard, LinkFilter, Triple


@dataclass(frozen=True)
class Resolved:
    found: list[tuple[str, str]]
    missing: list[str]


async def guard_holds(connection: AsyncConnection, guard: Guard) -> bool:
    check = statements.guard_check(guard.variant)
    return bool((await connection.execute(check, guard.params())).scalar())


class DataLinkRepository:
    def __init__(self, session: AsyncSession, autocommit: AsyncEngine | None = None) -> None:
        self.session = session
        self.autocommit = autocommit

    async def _execute(self, stmt: Any, params: dict[str, Any], *, standalone: bool) -> Any:
        if standalone and self.autocommit is not None and not self.session.in_transaction():
            async with self.autocommit.connect() as connection:
                # AsyncConnection buffers the rows, so they outlive the connection's return.
                return await connection.execute(stmt, params)
        connection = await self.session.connection()
        return await connection.execute(stmt, params)

    async def upsert(self, guard: Guard, triples: Sequence[Triple]) -> tuple[int, int] | None:
        """(created, updated). With no triple the statement writes nothing but still checks
        the instance, so a wrong selector answers as it would with links to write."""
        params = {**guard.params(), **statements.triple_params(triples)}
        result = await self._execute(
            statements.upsert(guard.variant), params, standalone=guard.standalone
        )
        instances, created, updated = result.one()
        return (created, updated) if instances else None

    async def delete(self, guard: Guard, triples: Sequence[Triple]) -> int | None:
        """How many stored links went (deleting what is not there is no error)."""
        params = {**guard.params(), **statements.triple_params(triples)}
        result = await self._execute(
            statements.delete_triples(guard.variant), params, standalone=guard.standalone
        )
        instances, deleted = result.one()
        return int(deleted) if instances else None

    async def find(
        self, guard: Guard, link_filter: LinkFilter, page: PageParams
    ) -> tuple[list[dict[str, str]], str | None] | None:
        """A page of links in the wire shape."""
        after = decode_cursor(page.cursor or "", [int])
        stmt = statements.find(guard.variant, link_filter.shape, bool(after))
        params = statements.find_params(guard, link_filter, page.limit, after[0] if after else None)
        rows = (await self._execute(stmt, params, standalone=guard.standalone)).all()
        if not rows:
            return None
        found = [row[1:] for row in rows if row.id is not None]
        items, cursor = statements.cut_page(found, page.limit, lambda row: row[0])
        return [statements.link_item(row) for row in items], cursor

    async def resolve(
        self, guard: Guard, directions: Sequence[str], by_external: bool, record_ids: list[str]
    ) -> Resolved | None:
        asked = list(dict.fromkeys(record_ids))
        params = {**guard.params(), "directions": list(directions), "record_ids": asked}
        stmt = statements.resolve(guard.variant, by_external)
        rows = (await self._execute(stmt, params, standalone=guard.standalone)).all()
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

    async def guard_holds(self, guard: Guard) -> bool:
        return await guard_holds(await self.session.connection(), guard)

    async def get_scoped(
        self, link_id: str, workspace_id: str, customer_id: str | None
    ) -> dict[str, str]:
        """A link by its id (wire shape), only if its instance is in the caller's scope."""
        # ASCII digits only: str.isdigit() also accepts superscripts and other scripts' digits,
        # which int() or the database then refuse.
        if not re.fullmatch(r"[0-9]{1,18}", link_id):
            raise NotFound(f"Data link {link_id!r} not found")
        params = {"link_id": int(link_id), "workspace_id": workspace_id}
        if customer_id is not None:
            params["customer_id"] = customer_id
        stmt = statements.scoped_link(customer_id is not None)
        row = (await self._execute(stmt, params, standalone=False)).first()
        if row is None:
            raise NotFound(f"Data link {link_id!r} not found")
        return statements.link_item(row)

    async def delete_by_id(self, link_id: str) -> None:
        await self._execute(statements.delete_by_id(), {"link_id": int(link_id)}, standalone=False)
