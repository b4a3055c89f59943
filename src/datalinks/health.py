"""Liveness and readiness probes (no token needed)."""

from __future__ import annotations

import asyncio

from fastapi import Request
from sqlalchemy import text

from datalinks.core.errors import ServiceUnavailable
from datalinks.core.openapi_components import PUBLIC, Responses, errors
from datalinks.core.routing import ApiRouter
from datalinks.db.session import get_database

router = ApiRouter(tags=["Operations"], responses=PUBLIC)
READY_TIMEOUT_SECONDS = 3.0


def answers(example: dict[str, str]) -> Responses:
    return {200: {"content": {"application/json": {"example": example}}}}


# HEAD too, for load balancers that probe with it; kept out of the document so that the
# operationId stays unique.
@router.api_route("/health", methods=["HEAD"], include_in_schema=False)
@router.get(
    "/health",
    operation_id="getHealth",
    summary="The process is up",
    responses=answers({"status": "ok"}),
)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready",
    operation_id="getReadiness",
    summary="The database answers",
    responses={**answers({"status": "ready"}), **errors(503)},
)
async def ready(request: Request) -> dict[str, str]:
    database = get_database(request)

    async def probe() -> None:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(probe(), READY_TIMEOUT_SECONDS)
    except Exception as exc:
        raise ServiceUnavailable("The database is not reachable") from exc
    return {"status": "ready"}
