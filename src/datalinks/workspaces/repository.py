"""Workspaces: created by the CLI or the bootstrap environment, read by authentication."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datalinks.models import Workspace, new_id


class WorkspaceExists(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(f"workspace {key!r} already exists")
        self.key = key


def generate_secret() -> str:
    # 64 random bytes: as long as HS512's own key length (RFC 7518 §3.2), the strongest
    # algorithm a token may be signed with.
    return secrets.token_urlsafe(64)


class WorkspaceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_key(self, key: str) -> Workspace | None:
        result = await self.session.execute(select(Workspace).where(Workspace.key == key))
        return result.scalar_one_or_none()

    async def list(self) -> list[Workspace]:
        result = await self.session.execute(select(Workspace).order_by(Workspace.created_at))
        return list(result.scalars())

    async def count(self) -> int:
        result = await self.session.execute(select(func.count()).select_from(Workspace))
        return int(result.scalar_one())

    async def create(self, key: str, name: str | None, secret: str | None = None) -> Workspace:
        """Raises WorkspaceExists when the key is taken, also when a concurrent create won."""
        stmt = (
            insert(Workspace)
            .values(id=new_id(), key=key, name=name or key, secret=secret or generate_secret())
            .on_conflict_do_nothing(index_elements=[Workspace.key])
            .returning(Workspace)
        )
        workspace = (await self.session.execute(stmt)).scalar_one_or_none()
        if workspace is None:
            raise WorkspaceExists(key)
        return workspace

    async def ensure(self, key: str, secret: str, name: str | None) -> bool:
        """Make the workspace exist with this secret; True when it was created or changed."""
        stmt = (
            insert(Workspace)
            .values(id=new_id(), key=key, name=name or key, secret=secret)
            .on_conflict_do_update(
                index_elements=[Workspace.key],
                set_={"secret": secret},
                where=Workspace.secret != secret,
            )
            .returning(Workspace.id)
        )
        result = await self.session.execute(stmt)
        return result.first() is not None
