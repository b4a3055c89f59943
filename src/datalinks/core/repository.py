"""What every element repository shares: tenant-scoped selects, id-or-key lookup, paging,
archive/restore and turning unique violations into 409s."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from datalinks.core.auth import Principal
from datalinks.core.errors import AlreadyExists, BadRequest, NotFound, ValidationFailed
from datalinks.core.pagination import PageParams, keyset, page_of
from datalinks.core.schemas import slugify
from datalinks.core.search import search_filter
from datalinks.models.base import NamedElement, RevisionMixin, WorkspaceElement, new_id

M = TypeVar("M", bound=WorkspaceElement)
N = TypeVar("N", bound=NamedElement)
# A text column a selector or a search may name.
TextColumn = QueryableAttribute[str | None]


def is_unique_violation(exc: IntegrityError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "23505"


def named_element_values(values: dict[str, Any]) -> dict[str, Any]:
    """`key` from `name` when absent and `name` from `key`; a fresh `uuid` unless one is given."""
    if not values.get("key") and not values.get("name"):
        raise ValidationFailed.field("name", "name or key is required")
    element_id = new_id()
    key = values.get("key") or slugify(values["name"]) or element_id
    return {
        **values,
        "id": element_id,
        "key": key,
        "name": values.get("name") or key,
        "uuid": values.get("uuid") or str(uuid.uuid4()),
    }


class ElementRepository(Generic[M]):
    model: type[M]
    noun: str = "Element"

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    def scoped(self) -> Select[M]:
        """Every query starts here: the caller's workspace (and, in subclasses, customer)."""
        return select(self.model).where(self.model.workspace_id == self.principal.workspace_id)

    def live(self, stmt: Select[M]) -> Select[M]:
        return stmt.where(self.model.archived_at.is_(None))

    def search_columns(self) -> tuple[TextColumn, ...]:
        """What a list's `search` matches, case-insensitively."""
        return ()

    def key_column(self) -> TextColumn | None:
        """The column a path selector may name instead of the id."""
        return None

    def listing(self, *, search: str | None, include_archived: bool) -> Select[M]:
        """A list's base: the caller's scope, `search` over search_columns, live rows unless
        archived ones are asked for."""
        stmt = self.scoped()
        if search:
            stmt = stmt.where(search_filter(search, *self.search_columns()))
        return stmt if include_archived else self.live(stmt)

    async def list_page(
        self, params: PageParams, *, search: str | None = None, include_archived: bool = False
    ) -> tuple[list[M], str | None]:
        return await self.page(
            self.listing(search=search, include_archived=include_archived), params
        )

    async def page(self, stmt: Select[M], params: PageParams) -> tuple[list[M], str | None]:
        stmt = keyset(stmt, params, [self.model.created_at, self.model.id], [datetime, str])
        rows: Sequence[M] = (await self.session.execute(stmt)).scalars().all()
        return page_of(rows, params, lambda row: [row.created_at, row.id])

    async def find_by_id_or_key(self, selector: str, stmt: Select[M] | None = None) -> M | None:
        """`id` first (archived rows too), then the key among live rows."""
        model = self.model
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
        column = self.key_column()
        found = None
        if column is not None:
            stmt = self.live(self.scoped()).where(column == key)
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
        if element.archived_at is not None:
            raise BadRequest(f"{self.noun} is archived; restore it before changing it")

    async def save(self, element: M, changes: dict[str, Any]) -> M:
        """Apply a validated, snake_case change set to a live element and bump its revision."""
        self.ensure_live(element)
        for name, value in changes.items():
            setattr(element, name, value)
        if isinstance(element, RevisionMixin):
            element.revision = element.revision + 1
        element.updated_at = func.now()
        await self.flush()
        await self.session.refresh(element)
        return element

    async def archive(self, element: M) -> None:
        if element.archived_at is None:
            element.archived_at = func.now()
            element.updated_at = func.now()
            await self.flush()

    async def get_to_restore(self, selector: str) -> M:
        """What `POST …/{selector}/restore` means: the element by id or live key, else the most
        recently archived element with that key (the SDK restores by the key it archived by)."""
        found = await self.find_by_id_or_key(selector)
        key = self.key_column()
        if found is None and key is not None:
            archived = self.model.archived_at
            stmt = (
                self.scoped()
                .where(key == selector, archived.is_not(None))
                .order_by(archived.desc(), self.model.id.desc())
                .limit(1)
            )
            found = (await self.session.execute(stmt)).scalar_one_or_none()
        if found is None:
            raise NotFound(f"{self.noun} {selector!r} not found")
        return found

    async def restore(self, element: M) -> M:
        if element.archived_at is not None:
            element.archived_at = None
            element.updated_at = func.now()
            await self.flush()
            await self.session.refresh(element)
        return element


class NamedElementRepository(ElementRepository[N]):
    """Elements addressed by key, with `name` and `key` each derived from the other."""

    def search_columns(self) -> tuple[TextColumn, ...]:
        return (self.model.name, self.model.key)

    def key_column(self) -> TextColumn:
        return self.model.key

    async def create(self, values: dict[str, Any]) -> N:
        return await self.add_named(values)

    async def add_named(self, values: dict[str, Any], **columns: Any) -> N:
        """Insert an element from its validated values and the `columns` the repository
        resolved itself (references named in the body)."""
        row = self.model(
            workspace_id=self.principal.workspace_id, **columns, **named_element_values(values)
        )
        return await self.add(row)
