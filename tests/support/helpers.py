"""Test helpers: a fresh workspace with its tokens, and checks of Membrane's error shape."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from datalinks.core.auth import mint_token
from datalinks.db.engine import Database
from datalinks.models import Base
from datalinks.workspaces.repository import WorkspaceRepository


@dataclass
class Tenant:
    """A workspace of its own for one test."""

    database: Database
    workspace_id: str
    key: str
    secret: str

    @classmethod
    async def create(cls, database: Database) -> Tenant:
        key = f"ws-{uuid.uuid4().hex[:10]}"
        async with database.sessionmaker.begin() as session:
            workspace = await WorkspaceRepository(session).create(key, None)
            return cls(database, workspace.id, workspace.key, workspace.secret)

    def token(self, **kwargs: Any) -> str:
        return mint_token(self.key, self.secret, **kwargs)

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(admin=True)}"}

    def customer(self, internal_id: str, name: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(customer_id=internal_id, name=name)}"}

    async def count(self, model: type[Base]) -> int:
        column: Any = model.__table__.c  # type: ignore[attr-defined]
        async with self.database.sessionmaker() as session:
            stmt = select(func.count()).select_from(model)
            if "workspace_id" in column:
                stmt = stmt.where(column.workspace_id == self.workspace_id)
            return int((await session.execute(stmt)).scalar_one())


def assert_error(
    response: httpx.Response, status: int, key: str | None = None, type_: str = "bad_request"
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["type"] == type_, body
    assert isinstance(body["message"], str) and body["message"], body
    # Every error names what went wrong in `key`, for code to switch on.
    assert isinstance(body.get("key"), str) and body["key"], body
    if key is not None:
        assert body.get("key") == key, body
    assert set(body) <= {"type", "key", "message", "data"}, body
    return body


TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
# The caller's own JSON objects, whose keys are the caller's business.
FREE_FORM = frozenset(
    {
        "meta",
        "fields",
        "parameters",
        "collectionParameters",
        "defaultCollectionParameters",
        "parametersSchema",
        "subscribedTo",
    }
)


def assert_wire_shape(element: dict[str, Any]) -> None:
    """What every element on the wire looks like: camelCase keys, no nulls (optional fields are
    omitted), timestamps as ISO-8601 UTC with milliseconds and `Z`."""
    for name, value in element.items():
        assert "_" not in name and name[:1].islower(), (name, element)
        assert value is not None, (name, element)
        if name.endswith("At"):
            assert isinstance(value, str) and TIMESTAMP.match(value), (name, value)
        if isinstance(value, dict) and name not in FREE_FORM:
            assert_wire_shape(value)
