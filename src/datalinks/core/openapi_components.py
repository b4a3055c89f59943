"""What the OpenAPI document is made of beyond FastAPI's own: the error schema and responses,
the query parameters defined once and referenced, the tag descriptions and the examples.
core/openapi.py puts them where the routes need them."""

from __future__ import annotations

from typing import Any

from datalinks.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from datalinks.models.base import KEY_MAX

Json = dict[str, Any]
SCHEMAS = "#/components/schemas/"
PARAMETERS = "#/components/parameters/"
RESPONSES = "#/components/responses/"
BEARER = "bearerAuth"

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

ERROR_SCHEMAS: dict[str, Json] = {
    "Error": {
        "title": "Error",
        "description": "Every non-2xx answer. Membrane's SDK picks its error class from "
        "`type` and keeps `key` in `error.data.key`.",
        "type": "object",
        "required": ["type", "key", "message"],
        "properties": {
            "type": {
                "type": "string",
                "description": "The error class: `bad_request`, `concurrency` or `internal`.",
            },
            "key": {
                "type": "string",
                "description": "What went wrong, for code to switch on: `bad_request`, "
                "`validation_error`, `not_authenticated`, `access_denied`, `not_found`, "
                "`method_not_allowed`, `already_exists`, `lock_timeout`, `payload_too_large`, "
                "`unsupported_media_type`, `headers_too_large`, `rate_limit_exceeded`, "
                "`internal_error`, `not_implemented`, `database_unavailable`.",
            },
            "message": {"type": "string", "description": "For people, not for code."},
            "data": {"$ref": f"{SCHEMAS}ErrorData"},
        },
    },
    "ErrorData": {
        "title": "ErrorData",
        "description": "Details; validation failures list each offending field in `issues`.",
        "type": "object",
        "properties": {
            "issues": {"type": "array", "items": {"$ref": f"{SCHEMAS}ValidationIssue"}},
        },
        "additionalProperties": True,
    },
    "ValidationIssue": {
        "title": "ValidationIssue",
        "type": "object",
        "required": ["path", "message"],
        "properties": {
            "path": {
                "type": "string",
                "description": "The field, dotted (`collectionParameters.projectId`); empty "
                "for the request as a whole.",
            },
            "message": {"type": "string"},
        },
    },
}

RETRY_AFTER: Json = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer", "minimum": 0},
}


def _error_response(description: str, example: Json, *, retry_after: bool = False) -> Json:
    response: Json = {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"{SCHEMAS}Error"}, "example": example}
        },
    }
    if retry_after:
        response["headers"] = {"Retry-After": RETRY_AFTER}
    return response


# status -> (components/responses name, the response)
ERROR_RESPONSES: dict[str, tuple[str, Json]] = {
    "400": (
        "BadRequest",
        _error_response(
            "The request is invalid (a field, a selector, a cursor, malformed JSON); nothing "
            "was changed. `data.issues` names each offending field.",
            {
                "type": "bad_request",
                "key": "validation_error",
                "message": "externalRecordId: Field required",
                "data": {"issues": [{"path": "externalRecordId", "message": "Field required"}]},
            },
        ),
    ),
    "401": (
        "NotAuthenticated",
        _error_response(
            "The bearer token is missing, malformed, badly signed or expired.",
            {
                "type": "bad_request",
                "key": "not_authenticated",
                "message": "Invalid or expired access token",
            },
        ),
    ),
    "403": (
        "AccessDenied",
        _error_response(
            "The operation needs a workspace admin token.",
            {
                "type": "bad_request",
                "key": "access_denied",
                "message": "This operation needs a workspace admin token",
            },
        ),
    ),
    "404": (
        "NotFound",
        _error_response(
            "Nothing by that name in the caller's scope (another customer's elements are 404 "
            "too, never 403).",
            {"type": "bad_request", "key": "not_found", "message": "Data link table not found"},
        ),
    ),
    "409": (
        "Conflict",
        _error_response(
            "A live element already holds that key (`already_exists`), or a row lock could "
            "not be taken in time (`concurrency` / `lock_timeout`: retry).",
            {
                "type": "concurrency",
                "key": "lock_timeout",
                "message": "A row lock could not be taken in time; retry",
            },
        ),
    ),
    "413": (
        "PayloadTooLarge",
        _error_response(
            "The body is larger than the server's limit (DATALINKS_MAX_BODY_BYTES).",
            {
                "type": "bad_request",
                "key": "payload_too_large",
                "message": "Request body is larger than 1048576 bytes",
            },
        ),
    ),
    "415": (
        "UnsupportedMediaType",
        _error_response(
            "A non-empty body was not sent as `application/json`.",
            {
                "type": "bad_request",
                "key": "unsupported_media_type",
                "message": "Request bodies must be JSON, sent with Content-Type: application/json",
            },
        ),
    ),
    "429": (
        "TooManyRequests",
        _error_response(
            "Too many requests with this token (when the server limits the rate); retry "
            "after `Retry-After` seconds.",
            {
                "type": "bad_request",
                "key": "rate_limit_exceeded",
                "message": "Too many requests; retry in 1 s",
            },
            retry_after=True,
        ),
    ),
    "501": (
        "NotImplemented",
        _error_response(
            "A Membrane operation that needs a live connector, which datalinks does not run.",
            {
                "type": "bad_request",
                "key": "not_implemented",
                "message": "datalinks stores data source settings only; it reads and writes "
                "no external records",
            },
        ),
    ),
    "503": (
        "ServiceUnavailable",
        _error_response(
            "The database is unreachable, busy or too slow; retry after `Retry-After` seconds.",
            {
                "type": "internal",
                "key": "database_unavailable",
                "message": "The database is not reachable; retry shortly",
            },
            retry_after=True,
        ),
    ),
}

# --- shared query parameters --------------------------------------------------------------


def _query(name: str, description: str, schema: Json | None = None) -> Json:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


BOOLEAN: Json = {"type": "boolean"}
BOOLEAN_NOTE = " (`true`/`false`; `1`/`0` and any case are accepted too)"
KEY: Json = {"type": "string", "maxLength": KEY_MAX}

# components/parameters: each named once, referenced wherever a route reads it.
SHARED_PARAMETERS: dict[str, Json] = {
    "Limit": _query(
        "limit",
        f"Page size, 1..{MAX_LIMIT} (default {DEFAULT_LIMIT}).",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    ),
    "Cursor": _query(
        "cursor",
        "The `cursor` of the previous page; absent (or `0`) for the first page.",
    ),
    "Search": _query("search", "Only elements whose name or key contains this text."),
    "IncludeArchived": _query(
        "includeArchived", f"Also list archived elements{BOOLEAN_NOTE}.", BOOLEAN
    ),
    # Instance selectors (core/selectors.py): `id`, or a parent plus a connection.
    "InstanceId": _query("id", "The instance, by id: then no other selector field is needed.", KEY),
    "DataLinkTableId": _query(
        "dataLinkTableId",
        "The data-link table, by id (where the path names the table, it must agree).",
        KEY,
    ),
    "DataLinkTableKey": _query(
        "dataLinkTableKey",
        "The data-link table, by key (where the path names the table, it must agree).",
        KEY,
    ),
    "DataSourceId": _query("dataSourceId", "The data source, by id.", KEY),
    "DataSourceKey": _query("dataSourceKey", "The data source, by key.", KEY),
    "Udm": _query("udm", "The data source, by its universal data model (`contacts`).", KEY),
    "ConnectionId": _query("connectionId", "The connection, by id.", KEY),
    "ConnectionKey": _query("connectionKey", "The connection, by key.", KEY),
    "IntegrationId": _query(
        "integrationId",
        "The integration, by id: selects the caller's only live connection to it (and, for a "
        "data source key, which integration's data source is meant). Listing data sources, "
        "`null` means universal ones only.",
        KEY,
    ),
    "IntegrationKey": _query(
        "integrationKey",
        "The integration, by key: selects the caller's only live connection to it (and, for a "
        "data source key, which integration's data source is meant).",
        KEY,
    ),
    "UserId": _query(
        "userId",
        "Admin tokens: the customer (id or internalId) whose connection is meant.",
        KEY,
    ),
    "TenantId": _query("tenantId", "Same as `userId` (Membrane's other name for it).", KEY),
    "InstanceKey": _query(
        "instanceKey", "Which of the connection's instances (absent: the default one).", KEY
    ),
    "AutoCreate": _query(
        "autoCreate",
        f"Create the instance when the selector names none yet{BOOLEAN_NOTE}.",
        BOOLEAN,
    ),
    # Link filters; on DELETE the same names give the link when no body is sent.
    "Direction": _query(
        "direction",
        "`import`, `export` or `both` (either). Lookups: a filter. DELETE: the link's "
        "direction, when no body is sent (absent = both).",
        # The request schema of the same name: `import`, `export` or `both`.
        {"$ref": f"{SCHEMAS}Direction"},
    ),
    "ExternalRecordId": _query(
        "externalRecordId",
        "The external record's id. Lookups: a filter. DELETE: the link's, when no body is sent.",
        {"type": "string", "minLength": 1, "maxLength": 1000},
    ),
    "AppRecordId": _query(
        "appRecordId",
        "The app record's id. Lookups: a filter. DELETE: the link's, when no body is sent.",
        {"type": "string", "minLength": 1, "maxLength": 1000},
    ),
    "DataLinkTableInstanceId": {
        **_query("dataLinkTableInstanceId", "The instance whose links to list.", KEY),
        "required": True,
    },
}

CONNECTION = ("ConnectionId", "ConnectionKey", "IntegrationId", "IntegrationKey")
OWNER = ("UserId", "TenantId")
LINK_INSTANCE = ("InstanceId", "DataLinkTableId", "DataLinkTableKey", *CONNECTION, *OWNER)
SOURCE_INSTANCE = ("InstanceId", "DataSourceId", "DataSourceKey", "Udm", *CONNECTION, *OWNER)
SLOT = ("InstanceKey", "AutoCreate")
LINK_FILTERS = ("Direction", "ExternalRecordId", "AppRecordId")

PATH_PARAMETERS = {
    "selector": "The element's id or key.",
    "integration": "The integration's id or key.",
    "connection": "The connection's id or key (a customer token may also name an "
    "integration it has exactly one live connection to).",
    "source": "The data source's id or key.",
    "link_id": "The link's id.",
    "collection_key": "The collection's key.",
    "operation": "The collection operation.",
}

# --- examples -----------------------------------------------------------------------------

TIMESTAMPS = {"createdAt": "2025-01-31T09:30:00.000Z", "updatedAt": "2025-01-31T09:30:00.000Z"}
TABLE_EXAMPLE: Json = {
    "id": "dlt_2b8f1c0a9e",
    "state": "READY",
    "errors": [],
    **TIMESTAMPS,
    "isDeactivated": False,
    "isReadOnly": False,
    "key": "contacts",
    "name": "Contacts",
    "uuid": "0b5c3c1e-4a2f-4f0e-9d51-6f3a8e2b7c10",
    "revision": "1",
}
INSTANCE_EXAMPLE: Json = {
    "id": "dlti_7c41e2d9b0",
    "state": "READY",
    "errors": [],
    **TIMESTAMPS,
    "isDeactivated": False,
    "isReadOnly": False,
    "name": "Contacts",
    "key": "contacts",
    "dataLinkTableId": "dlt_2b8f1c0a9e",
    "connectionId": "conn_5e0a3f7c21",
    "integrationId": "int_9d2c4b6a18",
    "userId": "cus_3a7e9c1f52",
    "tenantId": "cus_3a7e9c1f52",
    "revision": "1",
}
LINK_EXAMPLE: Json = {
    "id": "1024",
    "dataLinkTableInstanceId": "dlti_7c41e2d9b0",
    "externalRecordId": "hs-42",
    "appRecordId": "user-7",
    "direction": "import",
    **TIMESTAMPS,
}
CURSOR_EXAMPLE = "WyIyMDI1LTAxLTMxVDA5OjMwOjAwKzAwOjAwIiwgMTAyNF0"
TWO_LINKS = [
    {"externalRecordId": "hs-42", "appRecordId": "user-7", "direction": "import"},
    {"externalRecordId": "hs-43", "appRecordId": "user-8"},
]
# Keyed by the component schema a request body or response is exactly (or, for a union, its
# first member).
REQUEST_EXAMPLES: dict[str, Json] = {
    "DataLinkWrite": {"externalRecordId": "hs-42", "appRecordId": "user-7", "direction": "import"},
    "DataLinkBatchWrite": {"links": TWO_LINKS},
    "DataLinkDeleteBatch": {"links": TWO_LINKS},
    "DataLinkResolve": {"direction": "import", "externalRecordIds": ["hs-42", "hs-99"]},
    "DataLinkTableWrite": {"name": "Contacts", "key": "contacts"},
    "DataLinkTableInstanceWrite": {"description": "Contacts of Alice's HubSpot"},
}
RESPONSE_EXAMPLES: dict[str, Any] = {
    "DataLink": LINK_EXAMPLE,
    "DataLinkPage": {"items": [LINK_EXAMPLE], "cursor": CURSOR_EXAMPLE},
    "DataLinkBatchResult": {"created": 3, "updated": 0},
    "DataLinkDeleteBatchResult": {"deleted": 3},
    "DataLinkResolveResult": {
        "found": [{"externalRecordId": "hs-42", "appRecordId": "user-7"}],
        "missing": ["hs-99"],
    },
    "DataLinkImportResult": {"created": 2, "updated": 0, "rejected": 0, "errors": []},
    "DataLinkTable": TABLE_EXAMPLE,
    "DataLinkTablePage": {"items": [TABLE_EXAMPLE]},
    "DataLinkTableExport": {key: TABLE_EXAMPLE[key] for key in ("uuid", "key", "name")},
    "DataLinkTableInstance": INSTANCE_EXAMPLE,
    "DataLinkTableInstancePage": {"items": [INSTANCE_EXAMPLE]},
}
# Responses that are not one component schema, by operation.
OPERATION_EXAMPLES: dict[str, Any] = {
    "getHealth": {"status": "ok"},
    "getReadiness": {"status": "ready"},
    "getDataLinkTableDependencies": [],
    "getDataSourceDependencies": [],
}
