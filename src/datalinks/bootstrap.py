"""Make sure a workspace exists at start: the one the environment names, or a first `default`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from datalinks.settings import Settings
from datalinks.workspaces.repository import WorkspaceRepository

DEFAULT_WORKSPACE_KEY = "default"


@dataclass(frozen=True)
class CreatedWorkspace:
    key: str
    secret: str


async def bootstrap_workspaces(
    session: AsyncSession, settings: Settings
) -> CreatedWorkspace | None:
    """Returns the `default` workspace when this start created it (its secret is shown once)."""
    repo = WorkspaceRepository(session)
    if settings.workspace_key and settings.workspace_secret:
        await repo.ensure(
            settings.workspace_key, settings.workspace_secret, settings.workspace_name
        )
        return None
    if await repo.count() == 0:
        workspace = await repo.create(DEFAULT_WORKSPACE_KEY, "Default workspace")
        return CreatedWorkspace(key=workspace.key, secret=workspace.secret)
    return None
