"""`datalinks links export|import`: one instance's links to or from a file, through a running
server's streaming routes (`GET|POST /data-link-tables/{table}/links/export|import`).

Both directions stream in fixed-size chunks (constant memory whatever the size) and show a
progress bar on stderr. An export is written to a temporary file beside FILE and renamed
only when the whole answer has arrived, so a broken transfer leaves no half file; an import
is applied by the server all or nothing."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

CHUNK_BYTES = 256 * 1024
DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT_SECONDS = 600.0
MEDIA_TYPES = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


class CliError(Exception):
    """A failure to report in one line, without a traceback."""


def _token(args: argparse.Namespace) -> str:
    if args.token:
        return str(args.token)
    key = os.environ.get("DATALINKS_WORKSPACE_KEY")
    secret = os.environ.get("DATALINKS_WORKSPACE_SECRET")
    if key and secret:
        from datalinks.core.auth import mint_token

        # An admin token for this one command, from the workspace secret a CI job already has.
        return mint_token(key, secret, admin=True, ttl_seconds=3600)
    raise CliError(
        "no token: pass --token or set DATALINKS_TOKEN (or DATALINKS_WORKSPACE_KEY and "
        "DATALINKS_WORKSPACE_SECRET to mint an admin token)"
    )


def _url(args: argparse.Namespace, action: str, **extra: str) -> str:
    table = urllib.parse.quote(args.table, safe="")
    query = {"connectionId": args.connection}
    if args.instance_key:
        query["instanceKey"] = args.instance_key
    query.update(extra)
    base = args.url.rstrip("/")
    return f"{base}/data-link-tables/{table}/links/{action}?{urllib.parse.urlencode(query)}"


def _http_error(exc: urllib.error.HTTPError) -> CliError:
    try:
        body: Any = json.loads(exc.read() or b"{}")
    except ValueError:
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    key = body.get("key") if isinstance(body, dict) else None
    detail = f"{key}: {message}" if key and message else message or exc.reason
    return CliError(f"the server answered {exc.code} ({detail})")


def _open(request: urllib.request.Request, timeout: float) -> Any:
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise _http_error(exc) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CliError(f"cannot reach {request.full_url.split('?')[0]}: {reason}") from None


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=quiet,
        transient=False,
    )


def _format_of(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    return "csv" if str(args.file).lower().endswith(".csv") else "ndjson"


def cmd_export(args: argparse.Namespace) -> int:
    fmt = _format_of(args)
    request = urllib.request.Request(
        _url(args, "export", format=fmt),
        headers={"Authorization": f"Bearer {_token(args)}", "Accept": MEDIA_TYPES[fmt]},
    )
    with _open(request, args.timeout) as response, _progress(args.quiet) as progress:
        task = progress.add_task(f"export {args.table}", total=None)
        if args.file == "-":
            size = _copy(response, sys.stdout.buffer, progress, task)
        else:
            size = _download(response, Path(args.file), progress, task)
    print(f"exported {size} bytes to {args.file}", file=sys.stderr)
    return 0


def _copy(response: Any, out: IO[bytes], progress: Progress, task: TaskID) -> int:
    size = 0
    while chunk := response.read(CHUNK_BYTES):
        out.write(chunk)
        size += len(chunk)
        progress.update(task, advance=len(chunk))
    out.flush()
    return size


def _download(response: Any, target: Path, progress: Progress, task: TaskID) -> int:
    directory = target.resolve().parent
    handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            size = _copy(response, out, progress, task)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return size


def _chunks(source: IO[bytes], progress: Progress, task: TaskID) -> Iterator[bytes]:
    while chunk := source.read(CHUNK_BYTES):
        progress.update(task, advance=len(chunk))
        yield chunk


def cmd_import(args: argparse.Namespace) -> int:
    fmt = _format_of(args)
    extra = {"autoCreate": "true"}
    if args.partial:
        extra["partial"] = "true"
    headers = {"Authorization": f"Bearer {_token(args)}", "Content-Type": MEDIA_TYPES[fmt]}
    source: IO[bytes]
    if args.file == "-":
        source, size = sys.stdin.buffer, None
    else:
        try:
            source = Path(args.file).open("rb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise CliError(f"cannot read {args.file}: {exc.strerror}") from None
        size = os.fstat(source.fileno()).st_size
        # A known length is sent as Content-Length; stdin goes chunked.
        headers["Content-Length"] = str(size)
    # An empty import first: it checks the token, table and connection (and creates the
    # instance) before the upload starts. A server that refuses a request while its body is
    # still being sent closes the connection, and the refusal would read as a broken pipe.
    preflight = urllib.request.Request(
        _url(args, "import", autoCreate="true"),
        data=b"",
        headers={**headers, "Content-Length": "0"},
        method="POST",
    )
    try:
        with _open(preflight, args.timeout) as response:
            response.read()
        with _progress(args.quiet) as progress:
            task = progress.add_task(f"import {args.table}", total=size)
            request = urllib.request.Request(
                _url(args, "import", **extra),
                data=_chunks(source, progress, task),
                headers=headers,
                method="POST",
            )
            with _open(request, args.timeout) as response:
                report = json.loads(response.read())
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    print(json.dumps(report))
    summary = (
        f"created {report['created']}, updated {report['updated']}, rejected {report['rejected']}"
    )
    print(summary, file=sys.stderr)
    for error in report.get("errors", []):
        print(f"  line {error['line']}: {error['message']}", file=sys.stderr)
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", required=True, help="data-link table key or id")
    parser.add_argument("--connection", required=True, help="connection id")
    parser.add_argument("--instance-key", help="the instance's instanceKey (default: none)")
    parser.add_argument(
        "--format",
        choices=sorted(MEDIA_TYPES),
        help="ndjson or csv (default: csv when FILE ends in .csv, else ndjson)",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("DATALINKS_URL", DEFAULT_URL),
        help=f"the server's base URL (default DATALINKS_URL or {DEFAULT_URL})",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("DATALINKS_TOKEN"),
        help="bearer token (default DATALINKS_TOKEN; else an admin token minted from "
        "DATALINKS_WORKSPACE_KEY and DATALINKS_WORKSPACE_SECRET)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        help="seconds to wait for the server at any one moment "
        f"(default {DEFAULT_TIMEOUT_SECONDS:.0f})",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_commands(commands: Any) -> None:
    """`links export|import` under the `datalinks` parser's subcommands."""
    links = commands.add_parser("links", help="export or import one instance's links")
    actions = links.add_subparsers(dest="links_command", required=True)
    export = actions.add_parser("export", help="stream the instance's links to FILE ('-' = stdout)")
    _common(export)
    export.add_argument("file", metavar="FILE")
    export.set_defaults(func=_reporting(cmd_export))
    load = actions.add_parser(
        "import",
        help="upsert the links of FILE ('-' = stdin) into the instance, creating it if needed",
    )
    _common(load)
    load.add_argument(
        "--partial",
        action="store_true",
        help="skip malformed lines (reported) instead of importing nothing",
    )
    load.add_argument("file", metavar="FILE")
    load.set_defaults(func=_reporting(cmd_import))


def _reporting(command: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            code: int = command(args)
        except CliError as exc:
            print(f"datalinks: {exc}", file=sys.stderr)
            return 1
        except (http.client.HTTPException, OSError) as exc:
            # The transfer broke off (server gone, connection reset, truncated answer).
            print(f"datalinks: the transfer broke off: {exc!r}", file=sys.stderr)
            return 1
        return code

    return run
