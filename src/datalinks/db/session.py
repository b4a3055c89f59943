"""The request's transaction: commit when the handler succeeds, roll back on any error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from datalinks.db.engine import Database


def get_database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_database(request).sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": commit before the response is built, so a failed commit is an error
# response and never a 200 for data that was not stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
