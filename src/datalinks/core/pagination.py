"""Keyset pagination shared by every list: `{items, cursor}`, opaque cursors, limit 1..1000."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, SQLColumnExpression, tuple_

from datalinks.core.errors import ValidationFailed
from datalinks.core.openapi_components import shared

T = TypeVar("T")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_CURSOR_LENGTH = 512
LIMIT_PATTERN = re.compile(r"[0-9]{1,7}")


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(from_attributes=True)

    items: list[T]
    cursor: str | None = None


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: Sequence[type]) -> list[Any] | None:
    """None for "from the start" (absent, empty or the SDK's `0`); 400 for anything unreadable."""
    if cursor in ("", "0"):
        return None
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("wrong shape")
        out: list[Any] = []
        for value, kind in zip(values, kinds, strict=True):
            # Never in a cursor we issued, and PostgreSQL refuses NUL in text.
            if isinstance(value, str) and "\x00" in value:
                raise ValueError("NUL character")
            if kind is datetime:
                out.append(datetime.fromisoformat(value))
            elif kind is int and isinstance(value, int) and not isinstance(value, bool):
                # Link ids are bigints; anything outside that range was never issued.
                if not -(2**63) <= value < 2**63:
                    raise ValueError("out of range")
                out.append(value)
            elif isinstance(value, kind) and not isinstance(value, bool):
                out.append(value)
            else:
                raise ValueError("wrong type")
        return out
    except (ValueError, TypeError, UnicodeError, binascii.Error) as exc:
        raise ValidationFailed.field("cursor", "is not a cursor this service issued") from exc


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


Limit = Annotated[
    str | None,
    shared(
        "Limit",
        "limit",
        f"Page size, 1..{MAX_LIMIT} (default {DEFAULT_LIMIT}).",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    ),
]
Cursor = Annotated[
    str | None,
    shared(
        "Cursor",
        "cursor",
        "The `cursor` of the previous page; absent (or `0`) for the first page.",
    ),
]


async def page_params(limit: Limit = None, cursor: Cursor = None) -> PageParams:
    if limit is None or limit == "":
        return PageParams(limit=DEFAULT_LIMIT, cursor=cursor)
    # ASCII digits only: int() would also take " 5", "+5", "1_0" and other scripts' digits.
    if not LIMIT_PATTERN.fullmatch(limit) or not 1 <= int(limit) <= MAX_LIMIT:
        raise ValidationFailed.field("limit", "must be an integer from 1 to 1000")
    return PageParams(limit=int(limit), cursor=cursor)


PageDep = Annotated[PageParams, Depends(page_params)]


def keyset(
    stmt: Select[Any],
    params: PageParams,
    columns: Sequence[SQLColumnExpression[Any]],
    kinds: Sequence[type],
) -> Select[Any]:
    """Order by `columns` ascending and start after the cursor; fetch one extra row."""
    after = decode_cursor(params.cursor or "", kinds)
    if after is not None:
        stmt = stmt.where(tuple_(*columns) > tuple_(*after))
    return stmt.order_by(*columns).limit(params.limit + 1)


def page_of(rows: Sequence[T], params: PageParams, key: Any) -> tuple[list[T], str | None]:
    """Cut the extra row and turn the last kept row into the next cursor."""
    items = list(rows[: params.limit])
    cursor = encode_cursor(key(items[-1])) if len(rows) > params.limit else None
    return items, cursor
