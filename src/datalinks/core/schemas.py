"""Base pydantic models and field types shared by every domain's schemas."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)
from pydantic.alias_generators import to_camel

from datalinks.models.base import KEY_MAX, NAME_MAX, TEXT_MAX


def iso_utc(value: datetime) -> str:
    """ISO-8601 UTC with milliseconds and `Z`, as Membrane writes timestamps."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


Timestamp = Annotated[datetime, PlainSerializer(iso_utc, return_type=str)]
# In the models' examples.
TIMESTAMPS_EXAMPLE = {
    "createdAt": "2025-01-31T09:30:00.000Z",
    "updatedAt": "2025-01-31T09:30:00.000Z",
}


def example(value: Any) -> ConfigDict:
    """A model's `model_config` that gives it this example (shown in the OpenAPI document)."""
    return ConfigDict(json_schema_extra={"examples": [value]})


Revision = Annotated[int, PlainSerializer(str, return_type=str)]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Key = Annotated[str, StringConstraints(min_length=1, max_length=KEY_MAX), AfterValidator(_no_nul)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX), AfterValidator(_no_nul)]


def _addressable(value: str) -> str:
    # A key stands in a URL path (`/integrations/{key}`): a `/` could never be addressed there,
    # and a blank key could never be told apart from a missing one.
    if "/" in value:
        raise ValueError("must not contain '/'")
    if not value.strip():
        raise ValueError("must not be blank")
    # Clients (browsers, the SDK's URL handling, curl) drop `.` and `..` path segments.
    if value in (".", ".."):
        raise ValueError("must not be '.' or '..'")
    return value


# The key of an element that routes address by key.
ElementKey = Annotated[Key, AfterValidator(_addressable)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX), AfterValidator(_no_nul)]
JsonObject = dict[str, Any]


class ApiModel(BaseModel):
    """camelCase on the wire; unknown request fields are ignored, as Membrane does."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        from_attributes=True,
    )


class RequestModel(ApiModel):
    # Strict: "1" is not a boolean and 1 is not a string in a JSON body.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", strict=True
    )


class ElementOut(ApiModel):
    """Read-only fields every workspace element answers with."""

    id: str
    state: str = "READY"
    errors: list[Any] = Field(default_factory=list)
    created_at: Timestamp
    updated_at: Timestamp
    archived_at: Timestamp | None = None
    is_deactivated: bool = False
    is_read_only: bool = False


def slugify(text: str) -> str:
    """A key from a name: lowercase ASCII letters, digits and single dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:KEY_MAX]


def change_set(body: BaseModel, *, replace: bool, keep: frozenset[str]) -> dict[str, Any]:
    """PATCH: only the fields sent. PUT: every editable field, the unsent ones cleared, except
    the `keep` fields (required columns), which change only when a value is sent."""
    sent = body.model_dump(exclude_unset=not replace)
    return {name: value for name, value in sent.items() if not (name in keep and value is None)}


class NamedElementWrite(RequestModel):
    """Editable fields of every keyed workspace element (integrations, tables, data sources)."""

    key: ElementKey | None = None
    name: Name | None = None
    uuid: Key | None = None
    description: Text | None = None
    meta: JsonObject | None = None


class NamedElementExport(ApiModel):
    uuid: str
    key: str
    name: str
    description: str | None = None
    meta: JsonObject | None = None


class NamedElementOut(ElementOut):
    key: str
    name: str
    uuid: str
    description: str | None = None
    meta: JsonObject | None = None
    revision: Revision
