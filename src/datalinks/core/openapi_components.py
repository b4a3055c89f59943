"""What routes refer to in the OpenAPI document beyond their own signatures: the error
responses (`errors(404)` in a route's or router's `responses=`), the query parameters defined
once and referenced (`shared(...)` in a parameter's declaration), and the document's own
description and tags. core/openapi.py writes each of them once, under `components`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from datalinks.core.errors import (
    AccessDenied,
    DatalinksError,
    LockTimeout,
    NotAuthenticated,
    NotFound,
    NotImplementedByDatalinks,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
    UnsupportedMediaType,
    ValidationFailed,
)

Json = dict[str, Any]
Responses = dict[int | str, dict[str, Any]]
SCHEMAS = "#/components/schemas/"
PARAMETERS = "#/components/parameters/"
RESPONSES = "#/components/responses/"

DESCRIPTION = """\
Membrane's data-link API on your own PostgreSQL.

**Authentication.** `Authorization: Bearer <JWT>`, HS256, HS384 or HS512, signed with the
workspace secret: `iss` = workspace key, `exp` required, and either `id` (a customer token; the
customer is created on first use, with the token's optional `name` and `fields`) or
`isAdmin: true` (a workspace admin token).

**Errors.** Every non-2xx answer is an `Error`: `{type, key, message, data?}`. Validation
failures are 400 `validation_error` with `data.issues: [{path, message}]`.

**Lists.** `{items, cursor?}`, ascending by `(createdAt, id)`; pass `cursor` back for the next
page; the last page has no `cursor`.

**Optional fields** without a value are omitted from responses, never `null`.
"""

TAGS: list[Json] = [
    {"name": "Operations", "description": "Liveness and readiness probes; no token needed."},
    {"name": "Customers", "description": "Your app's users (Membrane's tenants)."},
    {"name": "Integrations", "description": "The external apps customers connect to."},
    {"name": "Connections", "description": "One customer's connection to one integration."},
    {
        "name": "Data Link Tables",
        "description": "Workspace-level link tables such as 'Contacts'. Writes need an admin "
        "token.",
    },
    {
        "name": "Data Link Table Instances",
        "description": "One connection's instance of a table, named by an instance selector.",
    },
    {
        "name": "Data Links",
        "description": "Pairs of an app record and an external record, per instance and direction.",
    },
    {"name": "Data Sources", "description": "Which external collection to read, stored only."},
    {
        "name": "Data Source Instances",
        "description": "One connection's own copy of a data source's settings.",
    },
]

# --- errors -------------------------------------------------------------------------------


class ValidationIssue(BaseModel):
    path: str = Field(
        description="The field, dotted (`collectionParameters.projectId`); empty for the "
        "request as a whole."
    )
    message: str


class ErrorData(BaseModel):
    """Details; validation failures list each offending field in `issues`."""

    model_config = ConfigDict(extra="allow")

    issues: list[ValidationIssue] | None = None


class Error(BaseModel):
    # The description, in one line (a docstring's line breaks would stay in it).
    model_config = ConfigDict(
        json_schema_extra={
            "description": "Every non-2xx answer. Membrane's SDK picks its error class from "
            "`type` and keeps `key` in `error.data.key`."
        }
    )

    type: str = Field(description="The error class: `bad_request`, `concurrency` or `internal`.")
    key: str = Field(
        description="What went wrong, for code to switch on: `bad_request`, "
        "`validation_error`, `not_authenticated`, `access_denied`, `not_found`, "
        "`method_not_allowed`, `already_exists`, `lock_timeout`, `payload_too_large`, "
        "`unsupported_media_type`, `headers_too_large`, `rate_limit_exceeded`, "
        "`internal_error`, `not_implemented`, `database_unavailable`."
    )
    message: str = Field(description="For people, not for code.")
    data: ErrorData | None = None


RETRY_AFTER: Json = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer", "minimum": 0},
}


@dataclass(frozen=True)
class ErrorResponse:
    # Its name under components/responses.
    name: str
    # What the service answers, rendered as the example.
    example: DatalinksError
    # Where one status stands for several kinds of error; else the kind's docstring.
    summary: str | None = None

    @property
    def description(self) -> str:
        return self.summary or " ".join((type(self.example).__doc__ or "").split())

    def rendered(self) -> Json:
        response: Json = {
            "description": self.description,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"{SCHEMAS}Error"},
                    "example": self.example.body(),
                }
            },
        }
        if self.example.retry_after:
            response["headers"] = {"Retry-After": RETRY_AFTER}
        return response


ERROR_RESPONSES: dict[int, ErrorResponse] = {
    response.example.status_code: response
    for response in (
        ErrorResponse(
            "BadRequest",
            ValidationFailed.field("externalRecordId", "Field required"),
            "The request is invalid (a field, a selector, a cursor, malformed JSON); nothing "
            "was changed. `data.issues` names each offending field.",
        ),
        ErrorResponse("NotAuthenticated", NotAuthenticated("Invalid or expired access token")),
        ErrorResponse("AccessDenied", AccessDenied("This operation needs a workspace admin token")),
        ErrorResponse("NotFound", NotFound("Data link table not found")),
        ErrorResponse(
            "Conflict",
            LockTimeout("A row lock could not be taken in time; retry"),
            "A live element already holds that key (`already_exists`), or a row lock could "
            "not be taken in time (`concurrency` / `lock_timeout`: retry).",
        ),
        ErrorResponse(
            "PayloadTooLarge", PayloadTooLarge("Request body is larger than 1048576 bytes")
        ),
        ErrorResponse(
            "UnsupportedMediaType",
            UnsupportedMediaType(
                "Request bodies must be JSON, sent with Content-Type: application/json"
            ),
        ),
        ErrorResponse("TooManyRequests", RateLimited(1)),
        ErrorResponse(
            "NotImplemented",
            NotImplementedByDatalinks(
                "datalinks stores data source settings only; it reads and writes no external "
                "records"
            ),
        ),
        ErrorResponse(
            "ServiceUnavailable",
            ServiceUnavailable("The database is not reachable; retry shortly"),
        ),
    )
}


def errors(*statuses: int) -> Responses:
    """The error responses of these statuses, for a route's or a router's `responses=`."""
    declared: Responses = {}
    for status in statuses:
        rendered = ERROR_RESPONSES[status].rendered()
        declared[status] = {**rendered, "model": Error}
    return declared


# Every request may fail validation (400); an authenticated one may also fail its token (401),
# wait in vain on a row lock while its customer is created on first use (409), be rate limited
# (429) or find the database unavailable (503).
PUBLIC = errors(400)
AUTHENTICATED = errors(400, 401, 409, 429, 503)

# --- shared query parameters --------------------------------------------------------------

# components/parameters: each defined once, by `shared`, and referenced wherever declared.
SHARED_PARAMETERS: dict[str, Json] = {}
# Where a declaration carries its component's name into FastAPI's document.
SHARED = "x-shared-parameter"
BOOLEAN: Json = {"type": "boolean"}
BOOLEAN_NOTE = " (`true`/`false`; `1`/`0` and any case are accepted too)"


def shared(
    component: str,
    name: str,
    description: str,
    schema: Json | None = None,
    *,
    required: bool = False,
    **constraints: Any,
) -> Any:
    """A query parameter's declaration (in a signature or a query model) that the document
    defines once as `components/parameters/{component}`. `schema` is what clients see: the
    value arrives as a string, checked by the code that reads it (`constraints` are checked
    by FastAPI)."""
    definition = {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }
    defined = SHARED_PARAMETERS.setdefault(component, definition)
    assert defined == definition, f"{component} is declared twice, differently"
    return Query(alias=name, json_schema_extra={SHARED: component}, **constraints)
