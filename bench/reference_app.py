"""The references the link benchmark compares datalinks with (run by bench/run, never tests).

A bare FastAPI + uvicorn app with
- `GET /json`: one constant JSON answer, the framework ceiling;
- `POST /links`, `GET /links`: the very SQL statement datalinks runs for a link upsert and a
  link find (compiled from datalinks' own statement builders, so it cannot drift), one per
  request through a psycopg pool, with nothing else around it: no auth, no validation, no
  session, no middleware. The database-bound ceiling for the same work.

Configured by environment: DATABASE_URL, REF_POOL_SIZE and REF_GUARD (JSON of the guard's
bound values: instance, workspace, customer, table key, connection).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from psycopg_pool import AsyncConnectionPool

from datalinks.data_links import statements

# The remembered-slot variant a customer token takes on the SDK's route (scoped, live, by key).
VARIANT = (True, True, "table_key")
UPSERT_SQL = statements.psycopg_sql(statements.upsert(VARIANT))
FIND_SQL = statements.psycopg_sql(statements.find(VARIANT, (True, True, False), False))
GUARD: dict[str, Any] = json.loads(os.environ.get("REF_GUARD", "{}"))
pool = AsyncConnectionPool(
    os.environ.get("DATABASE_URL", ""),
    min_size=int(os.environ.get("REF_POOL_SIZE", "10")),
    max_size=int(os.environ.get("REF_POOL_SIZE", "10")),
    kwargs={"autocommit": True},
    open=False,
)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    await pool.open(wait=True)
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/json")
async def constant() -> dict[str, bool]:
    return {"ok": True}


@app.post("/links", status_code=204)
async def upsert(request: Request) -> Response:
    body = json.loads(await request.body())
    params = {
        **GUARD,
        "directions": [body["direction"]],
        "external_record_ids": [body["externalRecordId"]],
        "app_record_ids": [body["appRecordId"]],
    }
    async with pool.connection() as conn:
        await conn.execute(UPSERT_SQL, params)
    return Response(status_code=204)


@app.get("/links")
async def find(externalRecordId: str, direction: str = "import") -> dict[str, Any]:
    params = {
        **GUARD,
        "directions": [direction],
        "external_record_id": externalRecordId,
        "limit": 101,
    }
    async with pool.connection() as conn:
        rows = await (await conn.execute(FIND_SQL, params)).fetchall()
    items = [
        {
            "id": str(row[1]),
            "direction": row[3],
            "externalRecordId": row[4],
            "appRecordId": row[5],
            "createdAt": row[6].isoformat(),
            "updatedAt": row[7].isoformat(),
        }
        for row in rows
        if row[1] is not None
    ]
    return {"items": items}
