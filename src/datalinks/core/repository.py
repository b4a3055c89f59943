"""What every element repository shares: tenant-scoped selects, id-or-key lookup, paging,
archive/restore and turning unique violations into 409s."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from datalinks.core.auth import Principal
from datalinks.core.errors import AlreadyExists, BadRequest, NotFound
from datalinks.core.pagination import PageParams, keyset, page_of
from datalinks.core.search import search_filter
from datalinks.models import Base

M = TypeVar("M", bound=Base)


def is_unique_violation(exc: IntegrityError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "23505"


class ElementRepository(Generic[M]):
    model: type[M]
    noun: str = "Element"
    # What a list's `search` matches, case-insensitively.
    search_columns: tuple[str, ...] = ("name", "key")

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    def scoped(self) -> Select[M]:
        """Every query starts here: the caller's workspace (and, in subclasses, customer)."""
        model: Any = self.model
        return select(self.model).where(model.workspace_id == self.principal.workspace_id)

    def live(self, stmt: Select[M]) -> Select[M]:
        model: Any = self.model
        return stmt.where(model.archived_at.is_(None))

    def listing(self, *, search: str | None, include_archived: bool) -> Select[M]:
        """A list's base: the caller's scope, `search` over search_columns, live rows unless
        archived ones are asked for."""
        stmt = self.scoped()
        if search:
            columns = [getattr(self.model, name) for name in self.search_columns]
            stmt = stmt.where(search_filter(search, *columns))
        return stmt if include_archived else self.live(stmt)

    async def list_page(
        self, params: PageParams, *, search: str | None = None, include_archived: bool = False
    ) -> tuple[list[M], str | None]:
        return await self.page(
            self.listing(search=search, include_archived=include_archived), params
        )

    async def page(self, stmt: Select[M], params: PageParams) -> tuple[list[M], str | None]:
        model: Any = self.model
        stmt = keyset(stmt, params, [model.created_at, model.id], [datetime, str])
        rows: Sequence[M] = (await self.session.execute(stmt)).scalars().all()
        return page_of(rows, params, lambda row: [row.created_at, row.id])

    def key_column(self) -> Any:
        """The column a path selector may name instead of the id."""
        return getattr(self.model, "key", None)

    async def find_by_id_or_key(self, selector: str, stmt: Select[M] | None = None) -> M | None:
        """`id` first (archived rows too), then the key among live rows."""
        model: Any = self.model
        base = stmt if stmt is not None else self.scoped()
        condition = model.id == selector
        key = self.key_column()
        if key is not None:
            condition = or_(condition, (key == selector) & model.archived_at.is_(None))
        result = await self.session.execute(
            base.where(condition).order_by(case((model.id == selector, 0), else_=1)).limit(1)
        )
        return result.scalar_one_or_none()

    async def get_by_key(self, key: str) -> M:
        """A live element by its key alone (an object selector that names the key field)."""
        model: Any = self.model
        column = self.key_column()
        found = None
        if column is not None:
            stmt = self.scoped().where(column == key, model.archived_at.is_(None))
            found = (await self.session.execute(stmt)).scalar_one_or_none()
        if found is None:
            raise NotFound(f"{self.noun} {key!r} not found")
        return found

    async def get(self, selector: str, stmt: Select[M] | None = None) -> M:
        found = await self.find_by_id_or_key(selector, stmt)
        if found is None:
            raise NotFound(f"{self.noun} {selector!r} not found")
        return found

    async def flush(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise AlreadyExists(self.conflict_message()) from None
            raise

    def conflict_message(self) -> str:
        return f"A live {self.noun.lower()} with this key already exists"

    async def add(self, element: M) -> M:
        self.session.add(element)
        await self.flush()
        await self.session.refresh(element)
        return element

    def ensure_live(self, element: M) -> None:
        if getattr(element, "archived_at", None) is not None:
            raise BadRequest(f"{self.noun} is archived; restore it before changing it")

    async def save(self, element: M, changes: dict[str, Any]) -> M:
        """Apply a validated, snake_case change set to a live element and bump its revision."""
        self.ensure_live(element)
        for name, value in changes.items():
            setattr(element, name, value)
        target: Any = element
        if hasattr(target, "revision"):
            target.revision = target.revision + 1
        target.updated_at = func.now()
        await self.flush()
        await self.session.refresh(element)
        return element

    async def archive(self, element: M) -> None:
        if getattr(element, "archived_at", None) is None:
            element.archived_at = func.now()  # type: ignore[attr-defined]
            element.updated_at = func.now()  # type: ignore[attr-defined]
            await self.flush()

    async def get_to_restore(self, selector: str) -> M:
        """What `POST …/{selector}/restore` means: the element by id or live key, else the most
        recently archived element with that key (the SDK restores by the key it archived by)."""
        found = await self.find_by_id_or_key(selector)
        key = self.key_column()
        if found is None and key is not None:
            model: Any = self.model
            stmt = (
                self.scoped()
                .where(key == selector, model.archived_at.is_not(None))
                .order_by(model.archived_at.desc(), model.id.desc())
                .limit(1)
            )
            found = (await self.session.execute(stmt)).scalar_one_or_none()
        if found is None:
            raise NotFound(f"{self.noun} {selector!r} not found")
        return found

    async def restore(self, element: M) -> M:
        if getattr(element, "archived_at", None) is not None:
            element.archived_at = None  # type: ignore[attr-defined]
            element.updated_at = func.now()  # type: ignore[attr-defined]
            await self.flush()
            await self.session.refresh(element)
        return element
