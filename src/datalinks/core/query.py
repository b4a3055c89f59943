"""Query-string values the SDK's encoders produce (booleans as true/false/1/0, any case)."""

from __future__ import annotations

from datalinks.core.errors import ValidationFailed

_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def parse_bool(name: str, value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValidationFailed.field(name, "must be true, false, 1 or 0")
