"""`datalinks serve | migrate | workspace create|list | token` — the operator's commands."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from datalinks.core.auth import ALGORITHMS, mint_token
from datalinks.db import migrate
from datalinks.db.engine import Database
from datalinks.models.base import KEY_MAX, NAME_MAX
from datalinks.settings import Settings

T = TypeVar("T")
# The key is every token's `iss` and gets typed into shells and config files: keep it plain.
WORKSPACE_KEY = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{KEY_MAX - 1}}}$")


def workspace_key(value: str) -> str:
    if not WORKSPACE_KEY.match(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a workspace key: 1 to {KEY_MAX} letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


def lifetime(value: str) -> int:
    try:
        seconds = int(value)
    except ValueError:
        seconds = 0
    if seconds < 1:
        # A token that is born expired only ever answers 401.
        raise argparse.ArgumentTypeError("the lifetime is a whole number of seconds, at least 1")
    return seconds


def json_object(value: str) -> dict[str, Any]:
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise argparse.ArgumentTypeError('must be a JSON object, e.g. \'{"plan": "pro"}\'')
    return parsed


def worker_count(value: str) -> int:
    try:
        workers = int(value)
    except ValueError:
        workers = 0
    if workers < 1:
        raise argparse.ArgumentTypeError("the number of workers is a whole number, at least 1")
    return workers


def workspace_name(value: str) -> str:
    if not 1 <= len(value) <= NAME_MAX:
        raise argparse.ArgumentTypeError(f"a workspace name has 1 to {NAME_MAX} characters")
    return value


def _describe_storage(settings: Settings, url: str) -> str:
    if not settings.database_url:
        return f"embedded PostgreSQL in {settings.embedded_pgdata}"
    return f"PostgreSQL at {make_url(url).render_as_string(hide_password=True)}"


def _cli() -> str:
    """How to call this command again: `./dev datalinks` from a checkout (the script sets
    DATALINKS_CLI), plain `datalinks` where it is installed on the PATH."""
    return os.environ.get("DATALINKS_CLI", "datalinks")


def _open(settings: Settings) -> Database:
    database = Database.open(settings)
    migrate.upgrade(database.url, settings=settings)
    return database


def _run(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    database = _open(settings)

    async def go() -> T:
        try:
            async with database.sessionmaker.begin() as session:
                return await work(session)
        finally:
            await database.close()

    return asyncio.run(go())


def cmd_serve(args: argparse.Namespace) -> int:
    from datalinks.bootstrap import bootstrap_workspaces
    from datalinks.core.logging import configure_logging

    overrides: dict[str, Any] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.workers is not None:
        overrides["workers"] = args.workers
    settings = Settings(**overrides)
    configure_logging(settings.log_level)
    # uvicorn shuts down gracefully on SIGTERM and then raises the signal again; its default
    # action would end the process before the embedded PostgreSQL is stopped, leaving it
    # running after `docker stop`, systemd or a plain `kill`. Exiting normally lets it stop.
    # Ctrl-C likewise, without a KeyboardInterrupt traceback. Set before the database starts,
    # so that a signal during start-up stops it too.
    signal.signal(signal.SIGTERM, _exit_quietly)
    signal.signal(signal.SIGINT, _exit_quietly)
    # Migrations and the bootstrap run here, once, whatever the number of workers.
    database = _open(settings)
    try:

        async def bootstrap() -> Any:
            try:
                async with database.sessionmaker.begin() as session:
                    return await bootstrap_workspaces(session, settings)
            finally:
                await database.engine.dispose()

        created = asyncio.run(bootstrap())
        workers = settings.worker_count
        url = f"http://{settings.host}:{settings.port}"
        print(
            f"datalinks {url}  ({workers} worker{'s' if workers > 1 else ''}, "
            f"data: {_describe_storage(settings, database.url)})",
            flush=True,
        )
        print(f"console   {url}/console", flush=True)
        if created is not None:
            print(
                "\nCreated workspace 'default'. Its secret is shown only this once:\n"
                f"  key:    {created.key}\n  secret: {created.secret}\n"
                "Mint an admin token with (same DATALINKS_DATA_DIR / DATABASE_URL as this "
                f"server):\n  {_cli()} token --workspace {created.key} --admin\n",
                flush=True,
            )
        # The app reuses the URL resolved here; `database` keeps the embedded server alive.
        resolved = settings.model_copy(update={"database_url": database.url})
        if workers == 1:
            _serve_in_process(resolved)
            return 0
        return _serve_workers(resolved, workers)
    finally:
        if database.embedded_server is not None:
            database.embedded_server.cleanup()


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "timeout_graceful_shutdown": 10,
        "proxy_headers": True,
        # httptools alone buffers a request head of any size; this one answers 431 past
        # DATALINKS_MAX_HEADER_BYTES. Named, not imported: spawned workers import it.
        "http": "datalinks.core.head_limit:BoundedHeadProtocol",
    }


def _serve_in_process(settings: Settings) -> None:
    import uvicorn

    from datalinks.app import create_app

    uvicorn.run(create_app(settings), **_uvicorn_options(settings))


def _serve_workers(settings: Settings, workers: int) -> int:
    """uvicorn's supervisor: it binds the socket here and spawns `workers` processes that
    share it; on SIGTERM or SIGINT it stops them and waits for them, then returns, and the
    caller stops the embedded PostgreSQL. Workers need no database to start (they answer 503
    until it is back); one that fails to start all the same (a broken install, say) stops
    them all, and the exit status says so."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    # Spawned workers build their app from the environment (create_app_from_env): hand them
    # the database this process resolved and migrated, and their number (for the pool size).
    assert settings.database_url
    os.environ["DATALINKS_DATABASE_URL"] = settings.database_url
    os.environ["DATALINKS_WORKERS"] = str(workers)
    config = uvicorn.Config(
        "datalinks.app:create_app_from_env",
        factory=True,
        workers=workers,
        **_uvicorn_options(settings),
    )
    socket = config.bind_socket()
    try:
        supervisor = Multiprocess(config, sockets=[socket])
        supervisor.run()
    finally:
        socket.close()
    if any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes):
        print("datalinks: a worker failed to start; see its log above", file=sys.stderr)
        return 1
    return 0


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = Settings()
    database = Database.open(settings)
    if args.revision.startswith("-") or args.downgrade:
        migrate.downgrade(database.url, args.revision, settings=settings)
    else:
        migrate.upgrade(database.url, args.revision, settings=settings)
    print(f"migrated {_describe_storage(settings, database.url)} to {args.revision}")
    return 0


def cmd_workspace_create(args: argparse.Namespace) -> int:
    from datalinks.workspaces.repository import WorkspaceExists, WorkspaceRepository

    async def work(session: AsyncSession) -> tuple[str, str]:
        try:
            workspace = await WorkspaceRepository(session).create(args.key, args.name)
        except WorkspaceExists as exc:
            raise SystemExit(str(exc)) from None
        return workspace.key, workspace.secret

    key, secret = _run(Settings(), work)
    print(f"Created workspace {key!r}. Its secret is shown only this once:\n  secret: {secret}")
    print(f"Mint an admin token with:\n  {_cli()} token --workspace {key} --admin")
    return 0


def cmd_workspace_list(_: argparse.Namespace) -> int:
    from datalinks.workspaces.repository import WorkspaceRepository

    async def work(session: AsyncSession) -> list[tuple[str, str, str]]:
        rows = await WorkspaceRepository(session).list()
        return [(w.key, w.name, w.created_at.isoformat()) for w in rows]

    for key, name, created in _run(Settings(), work):
        print(f"{key}\t{name}\t{created}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from datalinks.workspaces.repository import WorkspaceRepository

    if not args.admin and not args.customer:
        raise SystemExit("name a --customer ID, or pass --admin for a workspace admin token")
    if args.admin and (args.name or args.fields is not None):
        raise SystemExit("--name and --fields describe a customer; an --admin token has none")

    async def work(session: AsyncSession) -> str:
        workspace = await WorkspaceRepository(session).get_by_key(args.workspace)
        if workspace is None:
            raise SystemExit(f"no workspace {args.workspace!r} (see `datalinks workspace list`)")
        return workspace.secret

    secret = _run(Settings(), work)
    print(
        mint_token(
            args.workspace,
            secret,
            customer_id=args.customer,
            name=args.name,
            fields=args.fields,
            admin=args.admin,
            ttl_seconds=args.ttl,
            algorithm=args.alg,
        )
    )
    return 0


def openapi_document() -> str:
    """The API's OpenAPI document as committed in openapi.json (stable formatting)."""
    from datalinks.app import create_app

    return json.dumps(create_app(Settings()).openapi(), indent=2, ensure_ascii=False) + "\n"


def cmd_openapi(_: argparse.Namespace) -> int:
    sys.stdout.write(openapi_document())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="datalinks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate the database and serve the API")
    serve.add_argument("--host", help="address to listen on (default DATALINKS_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default DATALINKS_PORT or 8000)")
    serve.add_argument(
        "--workers",
        type=worker_count,
        help="worker processes (default DATALINKS_WORKERS or one per available core)",
    )
    serve.set_defaults(func=cmd_serve)

    mig = commands.add_parser("migrate", help="upgrade the database schema (to head by default)")
    mig.add_argument("revision", nargs="?", default="head")
    mig.add_argument("--downgrade", action="store_true", help="downgrade to REVISION instead")
    mig.set_defaults(func=cmd_migrate)

    ws = commands.add_parser("workspace", help="manage workspaces")
    ws_commands = ws.add_subparsers(dest="workspace_command", required=True)
    ws_create = ws_commands.add_parser("create", help="create a workspace and print its secret")
    ws_create.add_argument("--key", required=True, type=workspace_key)
    ws_create.add_argument("--name", type=workspace_name)
    ws_create.set_defaults(func=cmd_workspace_create)
    ws_list = ws_commands.add_parser("list", help="list workspaces")
    ws_list.set_defaults(func=cmd_workspace_list)

    token = commands.add_parser("token", help="print a signed JWT for curl")
    token.add_argument("--workspace", required=True, help="workspace key (the token's iss)")
    who = token.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer", help="customer internal id (the token's id)")
    who.add_argument("--admin", action="store_true", help="workspace admin token")
    token.add_argument("--name", help="customer display name (with --customer)")
    token.add_argument(
        "--fields",
        type=json_object,
        help="customer fields, a JSON object stored on the customer (with --customer)",
    )
    token.add_argument(
        "--ttl", type=lifetime, default=3600, help="lifetime in seconds (default 3600)"
    )
    token.add_argument(
        "--alg", choices=ALGORITHMS, default="HS256", help="signing algorithm (default HS256)"
    )
    token.set_defaults(func=cmd_token)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document (openapi.json)")
    openapi.set_defaults(func=cmd_openapi)

    from datalinks import links_cli

    links_cli.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
    except ValidationError as exc:
        # Bad environment settings: say which, without a traceback.
        raise SystemExit(f"datalinks: invalid settings: {exc}") from None
    sys.exit(code)
