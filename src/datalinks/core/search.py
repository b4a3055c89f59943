from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_


def search_filter(term: str, *columns: Any) -> ColumnElement[bool]:
    """Case-insensitive substring match; the term's own % and _ match themselves."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(*(column.ilike(f"%{escaped}%", escape="\\") for column in columns))
