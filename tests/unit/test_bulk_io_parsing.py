"""The link import's parsing, called directly: the line splitter, the NDJSON and CSV parsers,
the COPY rows they become, and the choice of format by Content-Type.

tests/test_link_bulk_io.py drives the same code through the routes and the database; here each
edge (a line cut across chunks, a quoted field spanning lines, a byte-order mark) is pinned
down without either.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from datalinks.core.errors import BadRequest, UnsupportedMediaType
from datalinks.data_links.bulk_io import (
    MAX_LINE_BYTES,
    MAX_REPORTED_ERRORS,
    TOO_LONG,
    BulkFormat,
    CsvParser,
    LineError,
    LineSplitter,
    NdjsonParser,
    Parsed,
    Stager,
    TooLong,
    upload_format,
)

BOTH = ("import", "export")
BOM = b"\xef\xbb\xbf"
CSV_HEADER = b"externalRecordId,appRecordId,direction"


def split(chunks: Iterable[bytes], max_bytes: int = MAX_LINE_BYTES) -> list[bytes | TooLong]:
    splitter = LineSplitter(max_bytes)
    lines: list[bytes | TooLong] = []
    for chunk in chunks:
        lines += splitter.feed(chunk)
    return lines + splitter.finish()


def ndjson(*lines: bytes | TooLong) -> list[Parsed]:
    parser = NdjsonParser()
    return [*parser.feed(lines[:-1]), *parser.finish(lines[-1:])]


def csv_rows(*lines: bytes | TooLong) -> list[Parsed]:
    parser = CsvParser()
    return [*parser.feed(lines[:-1]), *parser.finish(lines[-1:])]


def errors(parsed: list[Parsed]) -> dict[int, str]:
    return {line: result.message for line, result in parsed if isinstance(result, LineError)}


def links(parsed: list[Parsed]) -> dict[int, tuple[str, str, tuple[str, ...]]]:
    return {line: result for line, result in parsed if not isinstance(result, LineError)}


# --- the line splitter -------------------------------------------------------------------------


def test_lines_are_whole_however_the_chunks_cut_them() -> None:
    body = b'{"a":1}\n{"b":22}\n\n{"c":333}'
    expected = [b'{"a":1}', b'{"b":22}', b"", b'{"c":333}']
    for size in range(1, len(body) + 1):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        assert split(chunks) == expected, size


def test_a_final_newline_adds_no_empty_line_and_crs_are_kept() -> None:
    # The parsers, not the splitter, decide what a carriage return means.
    assert split([b"one\r\ntwo\r\n"]) == [b"one\r", b"two\r"]
    assert split([b""]) == []


def test_a_line_at_the_limit_passes_and_one_byte_more_does_not() -> None:
    assert split([b"1234\n5678\n"], max_bytes=4) == [b"1234", b"5678"]
    assert split([b"12345\nok\n"], max_bytes=4) == [TOO_LONG, b"ok"]


def test_a_long_line_in_many_chunks_is_reported_once_and_its_rest_dropped() -> None:
    splitter = LineSplitter(max_bytes=4)
    assert splitter.feed(b"123") == []
    assert splitter.feed(b"45") == [TOO_LONG]
    # Still inside that line: its remaining bytes are neither kept nor reported again.
    assert splitter.feed(b"6789" * 10) == []
    assert splitter.feed(b"0\nok\n") == [b"ok"]
    assert splitter.finish() == []


def test_a_long_last_line_without_a_newline_is_reported_once() -> None:
    assert split([b"ok\n", b"123456", b"789"], max_bytes=4) == [b"ok", TOO_LONG]


# --- NDJSON ------------------------------------------------------------------------------------


def test_ndjson_lines_become_links_numbered_by_physical_line() -> None:
    parsed = ndjson(
        b'{"externalRecordId": "e1", "appRecordId": "a1", "direction": "import"}',
        b"",
        b"   ",
        b'{"externalRecordId": "e2", "appRecordId": "a2", "unknown": {"x": 1}}',
        b'{"externalRecordId": "e3", "appRecordId": "a3", "direction": "export"}\r',
    )
    assert parsed == [
        (1, ("e1", "a1", ("import",))),
        (4, ("e2", "a2", BOTH)),
        (5, ("e3", "a3", ("export",))),
    ]


def test_ndjson_line_numbers_run_on_across_feeds() -> None:
    parser = NdjsonParser()
    first = list(parser.feed([b'{"externalRecordId": "e", "appRecordId": "a"}']))
    second = list(parser.feed([b"", b"not json"]))
    assert [line for line, _ in first] == [1]
    assert [line for line, _ in second] == [3]


def test_a_byte_order_mark_is_dropped_from_the_first_line_only() -> None:
    line = b'{"externalRecordId": "e", "appRecordId": "a"}'
    parsed = ndjson(BOM + line, BOM + line)
    assert links(parsed) == {1: ("e", "a", BOTH)}
    assert set(errors(parsed)) == {2}


@pytest.mark.parametrize(
    "line, message",
    [
        (b"{nope", "not a JSON object"),
        (b"[1, 2]", "valid dictionary"),
        (b'"a string"', "valid dictionary"),
        (b'{"externalRecordId": "e"}', "appRecordId"),
        (b'{"externalRecordId": 1, "appRecordId": "a"}', "externalRecordId"),
        (b'{"externalRecordId": "", "appRecordId": "a"}', "externalRecordId"),
        (b'{"externalRecordId": "e\\u0000", "appRecordId": "a"}', "NUL"),
        (b'{"externalRecordId": "e", "appRecordId": "a", "direction": "sideways"}', "direction"),
        (b'{"externalRecordId": "e", "appRecordId": "a", "direction": null}', "direction"),
    ],
)
def test_a_malformed_ndjson_line_is_an_error_of_its_own_line(line: bytes, message: str) -> None:
    good = b'{"externalRecordId": "e", "appRecordId": "a"}'
    parsed = ndjson(good, line, good)
    assert set(links(parsed)) == {1, 3}
    assert list(errors(parsed)) == [2]
    assert message in errors(parsed)[2]


def test_a_record_id_over_the_limit_is_refused_as_a_single_create_refuses_it() -> None:
    too_long = "x" * 1001
    parsed = ndjson(f'{{"externalRecordId": "{too_long}", "appRecordId": "a"}}'.encode())
    assert "externalRecordId" in errors(parsed)[1]


def test_an_ndjson_line_too_long_is_named_by_its_number() -> None:
    parsed = ndjson(b'{"externalRecordId": "e", "appRecordId": "a"}', TOO_LONG)
    assert errors(parsed) == {2: f"longer than {MAX_LINE_BYTES} bytes"}


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_columns_are_found_by_name_and_others_ignored() -> None:
    parsed = csv_rows(
        b"note, appRecordId ,externalRecordId,direction",
        b"hello,a1,e1,import",
        b"x,a2,e2,",
        b"y,a3,e3,export\r",
    )
    assert parsed == [
        (2, ("e1", "a1", ("import",))),
        (3, ("e2", "a2", BOTH)),
        (4, ("e3", "a3", ("export",))),
    ]


def test_csv_without_a_direction_column_means_both() -> None:
    assert csv_rows(b"appRecordId,externalRecordId", b"a,e") == [(2, ("e", "a", BOTH))]


def test_a_quoted_csv_field_may_span_lines_and_double_its_quotes() -> None:
    parsed = csv_rows(
        CSV_HEADER,
        b'"first line',
        b'second, still quoted",a1,import',
        b'"say ""hi""","comma, inside",export',
        b"e3,a3,import",
    )
    assert parsed == [
        (2, ("first line\nsecond, still quoted", "a1", ("import",))),
        (4, ('say "hi"', "comma, inside", ("export",))),
        (5, ("e3", "a3", ("import",))),
    ]


def test_a_quote_inside_an_unquoted_field_opens_nothing() -> None:
    # RFC 4180: only a quote at the start of a field opens a quoted field.
    assert csv_rows(CSV_HEADER, b'5" pipe,a1,', b"e2,a2,") == [
        (2, ('5" pipe', "a1", BOTH)),
        (3, ("e2", "a2", BOTH)),
    ]


def test_blank_csv_lines_are_skipped_and_a_bom_before_the_header_dropped() -> None:
    assert csv_rows(BOM + CSV_HEADER, b"", b"e,a,import", b"") == [(3, ("e", "a", ("import",)))]


def test_csv_line_errors_name_their_lines() -> None:
    parsed = csv_rows(
        CSV_HEADER,
        b"e1,a1",  # too few fields
        b'"e2"x,a2,import',  # text after a closing quote
        b"\xff\xfe,a3,import",  # not UTF-8
        b"e4,a4,sideways",
        b",a5,import",  # an empty record id
        b"e6,a6,import",
    )
    found = errors(parsed)
    assert list(found) == [2, 3, 4, 5, 6]
    assert found[2] == "has 2 fields, the header 3"
    assert found[3].startswith("not valid CSV")
    assert found[4].startswith("not valid UTF-8")
    assert "direction" in found[5] and "externalRecordId" in found[6]
    assert links(parsed) == {7: ("e6", "a6", ("import",))}


def test_a_quoted_field_left_open_is_an_error_of_the_line_it_started_on() -> None:
    parsed = csv_rows(CSV_HEADER, b"e1,a1,import", b'"never closed', b"more text,a2,import")
    assert links(parsed) == {2: ("e1", "a1", ("import",))}
    assert errors(parsed) == {3: "a quoted field is not closed before the end of the file"}


def test_a_quoted_record_over_the_limit_is_refused_and_the_next_line_read_afresh() -> None:
    chunk = b"x" * 1024
    record = [b'"' + chunk]
    # Lines of one quoted record until, with their newlines, it just passes the limit.
    while sum(len(line) + 1 for line in record) <= MAX_LINE_BYTES:
        record.append(chunk)
    lines = [CSV_HEADER, *record, b"e2,a2,import"]
    parsed = csv_rows(*lines)
    assert errors(parsed) == {2: f"a record longer than {MAX_LINE_BYTES} bytes"}
    assert links(parsed) == {len(lines): ("e2", "a2", ("import",))}


def test_a_csv_without_a_header_row_fails_the_import() -> None:
    with pytest.raises(BadRequest) as raised:
        csv_rows(b"e1,a1,import", b"e2,a2,import")
    assert "externalRecordId" in raised.value.message and "appRecordId" in raised.value.message


# --- COPY rows and the report ------------------------------------------------------------------


def test_links_become_copy_rows_with_both_as_two_rows_and_escapes() -> None:
    stager = Stager(partial=False)
    stager.take([(1, ("tab\there", "back\\slash\nnew\rline", BOTH)), (2, ("e", "a", ("export",)))])
    assert stager.drain() == (
        b"1\timport\ttab\\there\tback\\\\slash\\nnew\\rline\n"
        b"2\texport\ttab\\there\tback\\\\slash\\nnew\\rline\n"
        b"3\texport\te\ta\n"
    )
    assert stager.drain() == b"" and stager.buffered == 0
    assert stager.failure() is None


def test_without_partial_one_bad_line_fails_the_import_and_lists_every_error() -> None:
    stager = Stager(partial=False)
    stager.take([(1, ("e1", "a1", BOTH)), (2, LineError("bad two")), (3, ("e3", "a3", BOTH))])
    stager.take([(4, LineError("bad four"))])
    # Nothing after the first error is staged: the import fails anyway.
    assert stager.drain().count(b"\n") == 2
    failure = stager.failure()
    assert failure is not None
    assert failure.message.startswith("line 2: bad two (2 malformed line(s)")
    assert failure.data == {
        "issues": [
            {"path": "line 2", "message": "bad two"},
            {"path": "line 4", "message": "bad four"},
        ],
        "rejected": 2,
    }


def test_with_partial_bad_lines_are_counted_and_the_rest_staged() -> None:
    stager = Stager(partial=True)
    bad = [(line, LineError(f"bad {line}")) for line in range(1, MAX_REPORTED_ERRORS + 6)]
    stager.take([*bad, (999, ("e", "a", ("import",)))])
    assert stager.failure() is None
    assert stager.drain() == b"1\timport\te\ta\n"
    assert stager.report.rejected == MAX_REPORTED_ERRORS + 5
    assert len(stager.report.errors) == MAX_REPORTED_ERRORS
    assert stager.report.errors[0] == {"line": 1, "message": "bad 1"}


# --- Content-Type ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type, expected",
    [
        ("application/x-ndjson", BulkFormat.NDJSON),
        ("application/ndjson", BulkFormat.NDJSON),
        ("application/jsonl; charset=utf-8", BulkFormat.NDJSON),
        ("text/csv", BulkFormat.CSV),
        (' Text/CSV ; header=present; charset="UTF8"', BulkFormat.CSV),
    ],
)
def test_the_upload_format_follows_the_media_type(content_type: str, expected: BulkFormat) -> None:
    assert upload_format(content_type) is expected


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "application/json",
        "text/plain",
        "text/csv2",
        "text/csv; charset=latin-1",
        "application/x-ndjson; Charset=UTF-16",
    ],
)
def test_other_media_types_and_charsets_are_refused(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaType):
        upload_format(content_type)


def test_each_format_answers_with_its_media_type() -> None:
    assert BulkFormat.NDJSON.media_type == "application/x-ndjson"
    assert BulkFormat.CSV.media_type == "text/csv; charset=utf-8"
    assert upload_format(BulkFormat.NDJSON.media_type) is BulkFormat.NDJSON
    assert upload_format(BulkFormat.CSV.media_type) is BulkFormat.CSV
