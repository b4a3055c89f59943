"""Make sure a workspace exists at start: the one the environment names, or a first `default`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from datalinks.settings import Settings
from datalinks.workspaces.repository import WorkspaceExists, WorkspaceRepository

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
        try:
            workspace = await repo.create(DEFAULT_WORKSPACE_KEY, "Default workspace")
        except WorkspaceExists:
            # Another replica started at the same moment and made it; its log has the secret.
            return None
        return CreatedWorkspace(key=workspace.key, secret=workspace.secret)
    return None
