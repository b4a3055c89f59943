"""create_app(settings): routers, middleware and the one set of exception handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from datalinks import __version__
from datalinks.bootstrap import bootstrap_workspaces
from datalinks.core import openapi
from datalinks.core.auth import SecretCache
from datalinks.core.errors import (
    DatalinksError,
    InternalError,
    LockTimeout,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
    render,
)
from datalinks.core.guard import RequestGuard
from datalinks.core.rate_limit import RateLimiter
from datalinks.data_links.hot_path import HotLinks, HotPool
from datalinks.db.engine import Database
from datalinks.settings import Settings

log = logging.getLogger(__name__)

# SQLSTATE classes: 08 connection trouble, 57P0x server shutting down, 57014 statement timeout,
# 55P03 lock not available, 40001/40P01 serialization failure and deadlock.
_UNAVAILABLE = ("08", "57P01", "57P02", "57P03", "53")


def error_response(exc: DatalinksError) -> Response:
    return Response(
        render(exc),
        status_code=exc.status_code,
        headers=dict(exc.headers()),
        media_type="application/json",
    )


def _issue_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts)


def _validation_issues(exc: RequestValidationError) -> list[dict[str, str]]:
    issues = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        message = str(error.get("msg", "invalid"))
        if error.get("type") == "missing" and loc == ("body",):
            message = "a JSON body is required"
        issues.append({"path": _issue_path(loc), "message": message})
    return issues


def _database_error(exc: DBAPIError) -> DatalinksError:
    sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
    # A refused or dropped connection fails in the driver, before any SQLSTATE exists.
    unreachable = not sqlstate and isinstance(exc.orig, psycopg.OperationalError)
    if exc.connection_invalidated or unreachable or sqlstate.startswith(_UNAVAILABLE):
        return ServiceUnavailable("The database is not reachable; retry shortly")
    if sqlstate == "55P03":
        return LockTimeout("A row lock could not be taken in time; retry")
    if sqlstate in ("40001", "40P01"):
        return LockTimeout("The change conflicted with a concurrent one; retry")
    if sqlstate == "57014":
        return ServiceUnavailable("The query took too long and was cancelled")
    # psycopg refuses some values (a NUL in text) before sending them, without a SQLSTATE; they
    # came from the client, so they are a 400 like the server's own class-22 data errors.
    if sqlstate.startswith("22") or (not sqlstate and isinstance(exc.orig, psycopg.DataError)):
        return ValidationFailed.field("", "a value is out of range for the database")
    return InternalError("Internal server error")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DatalinksError)
    async def _datalinks(_: Request, exc: DatalinksError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        return error_response(ValidationFailed(_validation_issues(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_response(NotFound(f"No route {request.method} {request.url.path}"))
        if exc.status_code == 405:
            return error_response(
                MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
            )
        return error_response(DatalinksError(str(exc.detail)))

    @app.exception_handler(DBAPIError)
    async def _db(_: Request, exc: DBAPIError) -> Response:
        mapped = _database_error(exc)
        if isinstance(mapped, InternalError):
            log.error("database error", exc_info=exc)
        else:
            log.warning(
                "database error mapped to %s", mapped.status_code, extra={"error": str(exc.orig)}
            )
        return error_response(mapped)

    @app.exception_handler(PoolTimeout)
    async def _pool(_: Request, exc: PoolTimeout) -> Response:
        # Every pooled connection is busy (or the database is slow to accept new ones).
        log.warning("database pool exhausted", extra={"error": str(exc)})
        return error_response(ServiceUnavailable("The database is busy; retry shortly"))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        log.error("unhandled error", exc_info=exc)
        return error_response(InternalError("Internal server error"))


def include_routers(app: FastAPI) -> None:
    from datalinks import health, not_served
    from datalinks.connections.router import router as connections
    from datalinks.console.router import router as console
    from datalinks.customers.router import router as customers
    from datalinks.data_link_table_instances.flat_router import router as flat_data_link_tables
    from datalinks.data_link_table_instances.router import router as data_link_table_instances
    from datalinks.data_link_tables.router import router as data_link_tables
    from datalinks.data_links.bulk_router import router as data_link_bulk
    from datalinks.data_links.router import router as data_links
    from datalinks.data_source_instances.flat_router import router as flat_data_sources
    from datalinks.data_source_instances.router import router as data_source_instances
    from datalinks.data_sources.router import router as data_sources
    from datalinks.integrations.router import router as integrations

    # Each flat router serves its parent's `{selector}` path (and that connection's instance of
    # the element); it comes first so the path keeps its place in the OpenAPI document.
    for router in (
        health.router,
        customers,
        integrations,
        connections,
        flat_data_link_tables,
        data_link_tables,
        data_link_table_instances,
        data_links,
        data_link_bulk,
        flat_data_sources,
        data_sources,
        data_source_instances,
        not_served.router,
        console,
    ):
        app.include_router(router)


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    *,
    bootstrap: bool = True,
) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        db = database or Database.open(settings)
        app.state.database = db
        if owned:
            app.state.hot_pool = HotPool(db.url, settings)
        if bootstrap:
            async with db.sessionmaker.begin() as session:
                await bootstrap_workspaces(session, settings)
        try:
            yield
        finally:
            await app.state.hot_pool.close()
            if owned:
                await db.close()

    # /docs (Swagger UI) and /redoc load their scripts and styles from the fastapi-offline
    # package, not from a CDN: the API reference works on an air-gapped deployment.
    app = FastAPIOffline(
        title="datalinks",
        version=__version__,
        description="Membrane's data-link API on your own PostgreSQL.",
        lifespan=lifespan,
        # A 307 to the slash-less URL carries no error body and, behind a TLS proxy, points at
        # plain http; an unknown path is a 404 in the error shape like any other.
        redirect_slashes=False,
        # Swagger UI would send the document to the public online validator for a badge.
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.settings = settings
    app.state.secret_cache = SecretCache()
    app.state.rate_limiter = RateLimiter.from_settings(settings)
    if database is not None:
        app.state.database = database
        app.state.hot_pool = HotPool(database.url, settings)
    install_error_handlers(app)
    include_routers(app)
    openapi.install(app)
    from datalinks.data_links.bulk_router import UPLOAD_PATHS

    # Inside RequestGuard: it sees only requests already screened, with their whole body.
    app.add_middleware(HotLinks)
    app.add_middleware(
        RequestGuard,
        max_body_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
        streamed_uploads=UPLOAD_PATHS,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "membrane-api-version", "X-Request-Id"],
        expose_headers=["X-Request-Id", "Retry-After"],
        allow_credentials=False,
    )
    return app


def create_app_from_env() -> FastAPI:
    """The app of one worker of `datalinks serve --workers N` (uvicorn imports this factory in
    each worker process). The parent has started the database, migrated it and put its URL and
    the worker count in the environment, so a worker only reads its settings from there."""
    from datalinks.core.logging import configure_logging

    settings = Settings()
    # A spawned worker inherits no logging configuration from the parent.
    configure_logging(settings.log_level)
    # The parent bootstrapped already. A worker that needed the database to start would, if
    # uvicorn restarted it during an outage, fail to start and take the whole server down.
    return create_app(settings, bootstrap=False)
