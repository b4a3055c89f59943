"""Streaming export and import of one instance's links, as NDJSON or CSV.

Export reads the links in keyset batches of EXPORT_BATCH rows (by link id, on the
(instance, id) index), each batch on a pooled connection taken for that one query, and streams
each batch out before reading the next: memory stays constant whatever the size, and a slow
client holds no database connection or transaction while it reads. The output is therefore not
one snapshot: links created or deleted while an export runs may or may not be in it.

Import streams the request body line by line into a temporary staging table with `COPY`, then
merges it into the links with one `INSERT … ON CONFLICT`, all in the request's transaction: an
import that stops halfway (client gone, server error, a malformed line without partial mode)
leaves nothing behind. Lines are validated exactly as single creates are (`DataLinkWrite`).
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import BigInteger, Column, MetaData, Table, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import ClientDisconnect

from datalinks.core.errors import (
    BadRequest,
    LockTimeout,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from datalinks.data_links import statements
from datalinks.data_links.bulk_schemas import issues_of
from datalinks.data_links.repository import guard_holds
from datalinks.data_links.schemas import DataLinkWrite
from datalinks.data_links.statements import Guard, Variant
from datalinks.db.engine import Database

EXPORT_BATCH = 5000
EXPORT_FIELDS = ("externalRecordId", "appRecordId", "direction", "createdAt", "updatedAt")
# One line (a CSV record may span several) may hold two record ids of 1,000 characters, each
# up to 12 bytes in JSON escapes, and some ignored fields; anything longer is rejected.
MAX_LINE_BYTES = 64 * 1024
# An upload that sends nothing for this long is abandoned (and nothing is imported), so a
# stalled client cannot hold a connection and a transaction open for ever.
IMPORT_IDLE_SECONDS = 60.0
# How many line errors a report lists (all of them are counted in `rejected`).
MAX_REPORTED_ERRORS = 100
COPY_FLUSH_BYTES = 256 * 1024
# COPY's text format: these four characters need a backslash escape inside a value.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_BOM = b"\xef\xbb\xbf"


class BulkFormat(StrEnum):
    NDJSON = "ndjson"
    CSV = "csv"

    @property
    def media_type(self) -> str:
        return "application/x-ndjson" if self is BulkFormat.NDJSON else "text/csv; charset=utf-8"


NDJSON_MEDIA_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})
CSV_MEDIA_TYPES = frozenset({"text/csv"})


def upload_format(content_type: str | None) -> BulkFormat:
    media, _, params = (content_type or "").partition(";")
    media = media.strip().lower()
    charset = next(
        (
            value.strip().strip('"').lower()
            for name, _, value in (p.partition("=") for p in params.split(";"))
            if name.strip().lower() == "charset"
        ),
        "utf-8",
    )
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType("Imports are read as UTF-8; send charset=utf-8 or none")
    if media in NDJSON_MEDIA_TYPES:
        return BulkFormat.NDJSON
    if media in CSV_MEDIA_TYPES:
        return BulkFormat.CSV
    raise UnsupportedMediaType(
        "Send the links as Content-Type: application/x-ndjson (one JSON object per line) or "
        "text/csv (a header row, then one link per row)"
    )


# --- export --------------------------------------------------------------------------------


# Each batch must walk the (instance, id) index from the keyset position. Right after a bulk
# load, or for an instance much larger than the table's average, the row estimate is far too
# low, and the planner then prefers a bitmap scan of the rest of the instance plus a sort:
# every batch would read everything after it (measured: 440 ms instead of 10 ms per batch at
# 200k links, growing with the instance). For this transaction only, those plans are off.
_INDEX_ORDER_ONLY = (
    "SELECT set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true)"
)


def _ndjson_lines(rows: Iterable[Any]) -> bytes:
    return b"".join(
        orjson.dumps(dict(zip(EXPORT_FIELDS, row[:5], strict=True))) + b"\n" for row in rows
    )


def _csv_rows(rows: Iterable[Any], header: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(EXPORT_FIELDS)
    writer.writerows(row[:5] for row in rows)
    return out.getvalue().encode()


async def export_links(
    database: Database, instance_id: str, fmt: BulkFormat, batch: int = EXPORT_BATCH
) -> AsyncIterator[bytes]:
    """The instance's links in id order (oldest first), one encoded batch at a time."""
    if fmt is BulkFormat.CSV:
        yield _csv_rows((), header=True)
    after = 0
    while True:
        # A connection per batch, returned before the batch is sent: a slow reader pins none.
        async with database.engine.connect() as connection:
            await connection.exec_driver_sql(_INDEX_ORDER_ONLY)
            params = {"instance_id": instance_id, "after_id": after, "limit": batch}
            rows = (await connection.execute(statements.export_batch(), params)).all()
        if not rows:
            return
        yield _ndjson_lines(rows) if fmt is BulkFormat.NDJSON else _csv_rows(rows, header=False)
        if len(rows) < batch:
            return
        after = rows[-1][5]


# --- import: lines -------------------------------------------------------------------------


class TooLong:
    """Stands for a line longer than MAX_LINE_BYTES, whose bytes were dropped."""


TOO_LONG = TooLong()


class LineSplitter:
    """Bytes in, physical lines out (without their `\\n`), holding at most one line."""

    def __init__(self, max_bytes: int = MAX_LINE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.pending = bytearray()
        self.skipping = False  # inside a line already reported as too long

    def feed(self, chunk: bytes) -> list[bytes | TooLong]:
        self.pending += chunk
        if b"\n" not in chunk:
            if len(self.pending) > self.max_bytes:
                return self._overflow()
            return []
        *complete, rest = bytes(self.pending).split(b"\n")
        self.pending = bytearray(rest)
        lines: list[bytes | TooLong] = []
        for line in complete:
            if self.skipping:
                self.skipping = False  # the end of the long line: nothing new
                continue
            lines.append(TOO_LONG if len(line) > self.max_bytes else line)
        if len(self.pending) > self.max_bytes:
            lines += self._overflow()
        return lines

    def _overflow(self) -> list[bytes | TooLong]:
        self.pending.clear()
        if self.skipping:
            return []
        self.skipping = True
        return [TOO_LONG]

    def finish(self) -> list[bytes | TooLong]:
        if self.skipping or not self.pending:
            return []
        return [bytes(self.pending)]


class LineError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{issue['path']}: {issue['message']}" if issue["path"] else issue["message"]
        for issue in issues_of(exc)
    )


def link_of(document: Any) -> tuple[str, str, tuple[str, ...]]:
    """(externalRecordId, appRecordId, stored directions) of one line, accepted exactly when a
    single create would accept the same object as its body."""
    try:
        link = DataLinkWrite.model_validate(document)
    except ValidationError as exc:
        raise LineError(_describe(exc)) from None
    return link.external_record_id, link.app_record_id, link.direction.stored()


Parsed = tuple[int, tuple[str, str, tuple[str, ...]] | LineError]


class NdjsonParser:
    """One JSON object per line; blank lines are skipped; unknown fields are ignored."""

    def __init__(self) -> None:
        self.line_no = 0

    def feed(self, lines: Iterable[bytes | TooLong]) -> Iterator[Parsed]:
        for raw in lines:
            self.line_no += 1
            if isinstance(raw, TooLong):
                yield self.line_no, LineError(f"longer than {MAX_LINE_BYTES} bytes")
                continue
            if self.line_no == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            if not raw.strip():
                continue
            try:
                document = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield self.line_no, LineError(f"not a JSON object: {exc}")
                continue
            try:
                yield self.line_no, link_of(document)
            except LineError as exc:
                yield self.line_no, exc

    def finish(self, lines: Iterable[bytes | TooLong]) -> Iterator[Parsed]:
        return self.feed(lines)


class _Feed:
    """The csv reader's input: the one record the parser has just put in."""

    def __init__(self) -> None:
        self.record: str | None = None

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        record, self.record = self.record, None
        if record is None:
            raise StopIteration
        return record


def _still_quoted(text: str, quoted: bool) -> bool:
    """Whether `text` ends inside a quoted field (RFC 4180: a quote opens one only at the start
    of a field), given whether it started inside one: a record may span lines only there."""
    at_start = not quoted
    after_quote = False
    for char in text:
        if quoted:
            if char == '"':
                quoted, after_quote = False, True
        elif after_quote and char == '"':
            # A doubled quote inside a quoted field.
            quoted, after_quote = True, False
        else:
            after_quote = False
            if char == ",":
                at_start = True
            elif char == '"' and at_start:
                quoted, at_start = True, False
            else:
                at_start = False
    return quoted


class CsvParser:
    """RFC 4180 CSV: a header row naming the columns (externalRecordId and appRecordId
    required, direction optional, others ignored), then one link per row. An empty direction
    cell means `both`, as a missing direction does. Blank lines are skipped."""

    def __init__(self) -> None:
        self.line_no = 0
        self.feed_input = _Feed()
        self.reader = csv.reader(self.feed_input, strict=True)
        self.columns: tuple[int, int, int | None] | None = None
        self.width = 0
        self.record: list[str] = []
        self.record_bytes = 0
        self.record_line = 0
        self.quoted = False

    def feed(self, lines: Iterable[bytes | TooLong]) -> Iterator[Parsed]:
        for raw in lines:
            self.line_no += 1
            if isinstance(raw, TooLong):
                self._reset()
                yield self.line_no, LineError(f"longer than {MAX_LINE_BYTES} bytes")
                continue
            if self.line_no == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = self.record_line if self.record else self.line_no
                self._reset()
                yield line, LineError(f"not valid UTF-8: {exc.reason}")
                continue
            if not self.record:
                self.record_line = self.line_no
            self.record.append(text)
            self.record_bytes += len(raw) + 1
            if '"' in text or self.quoted:
                self.quoted = _still_quoted(text + "\n", self.quoted)
            if self.quoted:
                if self.record_bytes > MAX_LINE_BYTES:
                    line = self.record_line
                    self._reset()
                    yield line, LineError(f"a record longer than {MAX_LINE_BYTES} bytes")
                continue
            parsed = self._parse("\n".join(self.record) + "\n")
            line = self.record_line
            self._reset()
            if parsed is not None:
                yield line, parsed

    def finish(self, lines: Iterable[bytes | TooLong]) -> Iterator[Parsed]:
        yield from self.feed(lines)
        if self.record:
            line = self.record_line
            self._reset()
            yield line, LineError("a quoted field is not closed before the end of the file")

    def _reset(self) -> None:
        self.record = []
        self.record_bytes = 0
        self.quoted = False

    def _parse(self, record: str) -> tuple[str, str, tuple[str, ...]] | LineError | None:
        self.feed_input.record = record
        try:
            row = next(self.reader)
        except csv.Error as exc:
            return LineError(f"not valid CSV: {exc}")
        except StopIteration:
            return None
        if not row or (len(row) == 1 and not row[0].strip()):
            return None  # a blank line
        if self.columns is None:
            self._header(row)
            return None
        if len(row) != self.width:
            return LineError(f"has {len(row)} fields, the header {self.width}")
        ext, app, direction = self.columns
        document = {"externalRecordId": row[ext], "appRecordId": row[app]}
        if direction is not None and row[direction] != "":
            document["direction"] = row[direction]
        try:
            return link_of(document)
        except LineError as exc:
            return exc

    def _header(self, row: list[str]) -> None:
        names = [name.strip() for name in row]
        missing = [n for n in ("externalRecordId", "appRecordId") if n not in names]
        if missing:
            raise BadRequest(
                "The first CSV row must name the columns, among them externalRecordId and "
                f"appRecordId (missing: {', '.join(missing)})",
                data={"issues": [{"path": "line 1", "message": "not a header row"}]},
            )
        direction = names.index("direction") if "direction" in names else None
        self.columns = (names.index("externalRecordId"), names.index("appRecordId"), direction)
        self.width = len(names)


# --- import: loading -----------------------------------------------------------------------

_STAGING_METADATA = MetaData()
# Created per import (ON COMMIT DROP), so it exists only inside the import's transaction.
STAGING = Table(
    "datalinks_import_staging",
    _STAGING_METADATA,
    Column("position", BigInteger),
    Column("direction", Text),
    Column("external_record_id", Text),
    Column("app_record_id", Text),
)
_CREATE_STAGING = (
    "CREATE TEMPORARY TABLE datalinks_import_staging "
    "(position bigint, direction text, external_record_id text, app_record_id text) "
    "ON COMMIT DROP"
)
_COPY_STAGING = (
    "COPY datalinks_import_staging (position, direction, external_record_id, app_record_id) "
    "FROM STDIN"
)


@cache
def _merge(variant: Variant) -> Any:
    """Each distinct link of the staging table once (ON CONFLICT cannot touch a row twice),
    written in the order of its first line, into the guarded instance."""
    distinct = (
        select(
            STAGING.c.direction,
            STAGING.c.external_record_id,
            STAGING.c.app_record_id,
            func.min(STAGING.c.position).label("position"),
        )
        .group_by(STAGING.c.direction, STAGING.c.external_record_id, STAGING.c.app_record_id)
        .subquery("staged")
    )
    guarded = statements.guarded_instance(variant).cte("guarded")
    return statements.merge(guarded, distinct, distinct.c.position)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, line: int, message: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "message": message})


@dataclass(frozen=True)
class Upload:
    chunks: AsyncIterator[bytes]
    fmt: BulkFormat
    partial: bool
    # 0: no limit.
    max_bytes: int = 0


async def _read(upload: Upload) -> AsyncIterator[bytes]:
    """The body's chunks, enforcing the size limit and the idle timeout."""
    size = 0
    iterator = aiter(upload.chunks)
    while True:
        try:
            async with asyncio.timeout(IMPORT_IDLE_SECONDS):
                chunk = await anext(iterator)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise BadRequest(
                f"The upload sent nothing for {IMPORT_IDLE_SECONDS:.0f} s; nothing was imported"
            ) from None
        except ClientDisconnect:
            raise BadRequest(
                "The client went away during the upload; nothing was imported"
            ) from None
        size += len(chunk)
        if upload.max_bytes and size > upload.max_bytes:
            raise PayloadTooLarge(
                f"The import is larger than {upload.max_bytes} bytes; nothing was imported"
            )
        yield chunk


class Stager:
    """Turns parsed lines into COPY text rows (`both` as two rows) and keeps the report."""

    def __init__(self, partial: bool) -> None:
        self.partial = partial
        self.report = ImportReport()
        self.rows = 0
        self.buffer: list[str] = []
        self.buffered = 0

    def take(self, parsed: Iterable[Parsed]) -> None:
        buffer = self.buffer
        for line, result in parsed:
            if isinstance(result, LineError):
                self.report.reject(line, result.message)
                continue
            if self.report.rejected and not self.partial:
                continue  # the import fails: only the errors are still of use
            ext, app, directions = result
            ext = ext.translate(_COPY_ESCAPES)
            app = app.translate(_COPY_ESCAPES)
            for direction in directions:
                self.rows += 1
                text = f"{self.rows}\t{direction}\t{ext}\t{app}\n"
                buffer.append(text)
                self.buffered += len(text)

    def drain(self) -> bytes:
        data = "".join(self.buffer).encode()
        self.buffer.clear()
        self.buffered = 0
        return data

    def failure(self) -> BadRequest | None:
        """Without partial mode, any malformed line fails the whole import."""
        report = self.report
        if not report.rejected or self.partial:
            return None
        first = report.errors[0]
        return BadRequest(
            f"line {first['line']}: {first['message']} ({report.rejected} malformed line(s); "
            "nothing was imported; add partial=true to import the valid lines)",
            data={
                "issues": [
                    {"path": f"line {e['line']}", "message": e["message"]} for e in report.errors
                ],
                "rejected": report.rejected,
            },
        )


async def import_links(session: AsyncSession, guard: Guard, upload: Upload) -> ImportReport | None:
    """Load the upload into the guarded instance; None (the body untouched) if the guard fails.

    Runs on the request's transaction, which the caller commits: every error raised here rolls
    the whole import back."""
    connection = await session.connection()
    if not await guard_holds(connection, guard):
        return None
    # The COPY lasts as long as the upload, and the merge grows with it: the per-statement
    # limit that protects the API would cut a large import short. A stalled upload is ended
    # by IMPORT_IDLE_SECONDS instead.
    await connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    await connection.exec_driver_sql(_CREATE_STAGING)
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    splitter = LineSplitter()
    parser = NdjsonParser() if upload.fmt is BulkFormat.NDJSON else CsvParser()
    stager = Stager(upload.partial)
    async with driver.cursor() as cursor, cursor.copy(_COPY_STAGING) as copy:
        async for chunk in _read(upload):
            stager.take(parser.feed(splitter.feed(chunk)))
            if stager.buffered >= COPY_FLUSH_BYTES:
                await copy.write(stager.drain())
        stager.take(parser.finish(splitter.finish()))
        failure = stager.failure()
        if failure is not None:
            raise failure
        if stager.buffered:
            await copy.write(stager.drain())
    instances, created, updated = (
        await connection.execute(_merge(guard.variant), guard.params())
    ).one()
    if not instances:
        raise LockTimeout("The instance changed while the import ran; nothing was imported")
    report = stager.report
    report.created, report.updated = created, updated
    return report
