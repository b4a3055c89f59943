"""The OpenAPI document, made precise enough to generate clients from.

FastAPI's own document knows the routes, their models and their declared parameters; it does
not know what the service does around them: every error is `{type, key, message, data}` and
validation is a 400 (never FastAPI's 422), the request guard answers 413 and 415, the session
answers 409 and 503, the instance routes read their selectors from the raw query string, and
responses omit what has no value instead of sending `null`. `build_document` starts from
FastAPI's document and adds what it cannot see, by rules on the routes rather than per route,
so a route added later with an explicit `operation_id` gets the same treatment.

`install(app)` makes `app.openapi()` (served at /openapi.json and printed by
`datalinks openapi`) return this document.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from datalinks.core.auth import authenticate
from datalinks.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from datalinks.models.base import KEY_MAX

Json = dict[str, Any]
SCHEMAS = "#/components/schemas/"
PARAMETERS = "#/components/parameters/"
RESPONSES = "#/components/responses/"
BEARER = "bearerAuth"

DESCRIPTION = """\
Membrane's data-link API on your own PostgreSQL.

**Authentication.** `Authorization: Bearer <JWT>`, HS256, signed with the workspace secret:
`iss` = workspace key, `exp` required, and either `id` (a customer token; the customer is
created on first use) or `isAdmin: true` (a workspace admin token).

**Errors.** Every non-2xx answer is an `Error`: `{type, key?, message, data?}`. Validation
failures are 400 with `data.issues: [{path, message}]`.

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
        "required": ["type", "message"],
        "properties": {
            "type": {
                "type": "string",
                "description": "The error class: `bad_request`, `concurrency` or `internal`.",
            },
            "key": {
                "type": "string",
                "description": "What went wrong, when there is a name for it: `not_found`, "
                "`not_authenticated`, `access_denied`, `already_exists`, `lock_timeout`, "
                "`rate_limit_exceeded`, `not_implemented`, `database_unavailable`.",
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
            {"type": "bad_request", "message": "Request body is larger than 1048576 bytes"},
        ),
    ),
    "415": (
        "UnsupportedMediaType",
        _error_response(
            "A non-empty body was not sent as `application/json`.",
            {
                "type": "bad_request",
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
        "data source key, which integration's data source is meant).",
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
# Declared query parameters that are the same thing as a shared one, wherever they appear.
SAME_EVERYWHERE = {
    "limit": "Limit",
    "cursor": "Cursor",
    "includeArchived": "IncludeArchived",
    "search": "Search",
}
# Query strings that are booleans on the wire (parsed by core/query.parse_bool).
BOOLEAN_QUERY = frozenset(
    {"includeArchived", "autoCreate", "isTest", "isActive", "connected", "disconnected"}
    | {"isUniversal"}
)

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

# --- what the routes do that their signatures do not say ----------------------------------

# Operations that answer 501 whatever they are sent (a connector would be needed).
NOT_SERVED = frozenset(
    {
        "getDataSourceInstanceCollection",
        "runDataSourceInstanceCollection",
        "dataSourceInstanceUnifiedFieldsToNative",
    }
)
# Writes a customer token may make in tags whose writes otherwise need an admin token.
CUSTOMER_WRITES = frozenset({"updateSelf"})
ADMIN_WRITE_TAGS = frozenset({"Customers", "Integrations", "Data Link Tables", "Data Sources"})
# Lists that answer an empty page, never 404, for filters that name nothing, and creates
# that reference nothing by name.
NEVER_NOT_FOUND = frozenset(
    {
        "createCustomer",
        "createIntegration",
        "createDataLinkTable",
        "listCustomers",
        "listIntegrations",
        "listConnections",
        "listDataLinkTables",
        "listDataLinkTableInstances",
        "listDataSourceInstances",
    }
)
# DELETE …/links reads the link from a JSON body (what the SDK sends) or, failing that, from
# the query string.
LINK_BODY_ON_DELETE = frozenset({"deleteDataLinkTableInstanceLink", "deleteDataLinkTableLink"})

SUMMARIES = {
    "getSelf": "Get the token's own customer",
    "updateSelf": "Update the token's own customer",
    "getDataLinkTable": "Get a data link table, or a connection's instance of it",
    "getDataSource": "Get a data source, or a connection's instance of it",
    "findDataLinkTableInstanceLinks": "Find links in an instance",
    "createDataLinkTableInstanceLink": "Create (upsert) a link in an instance",
    "deleteDataLinkTableInstanceLink": "Delete a link from an instance",
    "getDataLinkTableLinks": "Find links (table in the path)",
    "createDataLinkTableLink": "Create (upsert) a link (table in the path)",
    "deleteDataLinkTableLink": "Delete a link (table in the path)",
    "listDataLinks": "List the links of an instance",
    "deleteDataLink": "Delete a link by id",
    "runDataSourceInstanceCollection": "Run a collection operation (not served)",
    "getDataSourceInstanceCollection": "Get the collection (not served)",
    "dataSourceInstanceUnifiedFieldsToNative": "Unified fields to native (not served)",
}
VERBS = {
    "get": "Get",
    "list": "List",
    "find": "Find",
    "create": "Create",
    "put": "Replace",
    "update": "Update",
    "archive": "Archive",
    "restore": "Restore",
    "delete": "Delete",
    "export": "Export",
    "setup": "Set up",
    "reset": "Reset",
    "refresh": "Refresh",
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
}
# Response fields the models type loosely but the service answers from a fixed set.
RESPONSE_ENUMS = {("DataLink", "direction"): ["import", "export"]}


# The order of an operation's fields in the document, for people reading it.
KEY_ORDER = (
    "tags",
    "summary",
    "description",
    "operationId",
    "security",
    "parameters",
    "requestBody",
    "responses",
)

# --- building -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    # An APIRoute, or (FastAPI 0.16x) the RouteContext that stands for it in an app.
    route: Any
    path: str
    method: str
    spec: Json

    @property
    def id(self) -> str:
        return str(self.spec["operationId"])

    @property
    def authenticated(self) -> bool:
        return _depends_on(self.route.dependant, authenticate)

    @property
    def path_parameters(self) -> bool:
        return any(p.get("in") == "path" for p in self.spec.get("parameters", []))


def install(app: FastAPI) -> None:
    """Serve `build_document(app)` as the app's document, built once on first use."""

    def openapi() -> Json:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_document(app: FastAPI) -> Json:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=DESCRIPTION,
        routes=app.routes,
    )
    components = document.setdefault("components", {})
    schemas: Json = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    _rename_pages(document)
    schemas.update(copy.deepcopy(ERROR_SCHEMAS))
    components["parameters"] = copy.deepcopy(SHARED_PARAMETERS)
    components["responses"] = {name: copy.deepcopy(r) for name, r in ERROR_RESPONSES.values()}
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "HS256 JWT signed with the workspace secret.",
        }
    }
    for operation in _operations(app, document):
        _document_operation(operation)
    _omitted_not_null(document)
    _attach_examples(document)
    used = {t for item in document["paths"].values() for op in item.values() for t in op["tags"]}
    document["tags"] = [tag for tag in TAGS if tag["name"] in used]
    _drop_unused_parameters(document)
    return document


def _routes(app: FastAPI) -> Iterator[Any]:
    """Every route of the app: newer FastAPI keeps included routers as one entry each and
    walks them with `iter_route_contexts`."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    for route in iterate(app.routes) if iterate is not None else app.routes:
        if isinstance(getattr(route, "original_route", route), APIRoute):
            yield route


def _operations(app: FastAPI, document: Json) -> Iterator[Operation]:
    for route in _routes(app):
        if not route.include_in_schema:
            continue
        item = document["paths"].get(route.path_format, {})
        for method in sorted(route.methods):
            spec = item.get(method.lower())
            if spec is not None:
                yield Operation(route, route.path_format, method.lower(), spec)


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def _document_operation(op: Operation) -> None:
    spec = op.spec
    if op.route.summary is None:
        spec["summary"] = SUMMARIES.get(op.id) or summary_of(op.id)
    _parameters(op)
    if op.id in LINK_BODY_ON_DELETE:
        spec["requestBody"] = {
            "required": False,
            "description": "The link to delete; without a body, the query's "
            "`externalRecordId`, `appRecordId` and `direction` name it.",
            "content": {"application/json": {"schema": {"$ref": f"{SCHEMAS}DataLinkWrite"}}},
        }
    if op.authenticated:
        spec["security"] = [{BEARER: []}]
    _responses(op)
    ordered = {key: spec.pop(key) for key in KEY_ORDER if key in spec}
    rest = dict(spec)
    spec.clear()
    spec.update({**ordered, **rest})


def summary_of(operation_id: str) -> str:
    """`archiveIntegrationDataSource` → "Archive an integration data source"."""
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", operation_id)
    verb, noun = words[0], " ".join(word.lower() for word in words[1:])
    if verb not in VERBS or not noun:
        return " ".join([words[0].capitalize(), *(w.lower() for w in words[1:])])
    if verb == "list" or noun.endswith("s"):
        return f"{VERBS[verb]} {noun}"
    article = "an" if noun[0] in "aeiou" else "a"
    return f"{VERBS[verb]} {article} {noun}"


def _read_by_hand(op: Operation) -> tuple[str, ...]:
    """Query parameters a route reads from the raw query string (selectors, link filters)."""
    path, method = op.path, op.method
    names: tuple[str, ...] = ()
    if (
        path == "/data-link-table-instance"
        or path.startswith("/data-link-table-instance/")
        or path.startswith("/data-link-tables/{selector}/links")
    ):
        names = (*LINK_INSTANCE, *SLOT)
    elif path == "/data-link-tables/{selector}" and method == "get":
        # With a connection in the query: that connection's instance of the table.
        names = ("InstanceId", *CONNECTION, *OWNER, *SLOT)
    elif path == "/data-source-instance" or path.startswith("/data-source-instance/"):
        names = () if op.id in NOT_SERVED else (*SOURCE_INSTANCE, *SLOT)
    elif re.fullmatch(r"/data-sources/\{selector\}(/(restore|reset|setup|refresh))?", path):
        # An integration disambiguates the key; a connection in the query means the route acts
        # on that connection's instance of the data source.
        names = ("InstanceId", *CONNECTION, *OWNER, *SLOT)
    elif path in ("/data-sources", "/data-source") or path.startswith("/data-sources/"):
        names = ("IntegrationId", "IntegrationKey")
    elif path.startswith("/connections/{connection}/data-sources/{source}"):
        names = SLOT
    elif path == "/data-links" and method == "get":
        names = ("DataLinkTableInstanceId",)
    if (path.endswith("/links") or path == "/data-links") and method in ("get", "delete"):
        names = (*names, *LINK_FILTERS)
    return names


def _parameters(op: Operation) -> None:
    """Path parameters, then the selector the route reads by hand, then its own query
    parameters, then paging; a shared parameter is a $ref to its one definition."""
    by_hand = _read_by_hand(op)
    path: list[Json] = []
    query: list[Json] = []
    paging: list[Json] = []
    for parameter in op.spec.get("parameters", []):
        name = parameter["name"]
        if parameter["in"] == "path":
            if name in PATH_PARAMETERS:
                parameter.setdefault("description", PATH_PARAMETERS[name])
            path.append(parameter)
        elif name in SAME_EVERYWHERE:
            target = paging if name in ("limit", "cursor") else query
            target.append({"$ref": f"{PARAMETERS}{SAME_EVERYWHERE[name]}"})
        elif any(SHARED_PARAMETERS[n]["name"] == name for n in by_hand):
            continue  # documented once below, as the selector field it is
        else:
            parameter["schema"] = _without_null(parameter["schema"])
            if name in BOOLEAN_QUERY:
                parameter["schema"] = dict(BOOLEAN)
                described = parameter.get("description") or f"Only those whose `{name}` is this"
                parameter["description"] = described + BOOLEAN_NOTE
            query.append(parameter)
    selector = [{"$ref": f"{PARAMETERS}{name}"} for name in by_hand]
    parameters = path + selector + query + sorted(paging, key=lambda p: p["$ref"], reverse=True)
    if parameters:
        op.spec["parameters"] = parameters


def _responses(op: Operation) -> None:
    responses: Json = op.spec["responses"]
    responses.pop("422", None)
    if op.id in NOT_SERVED:
        for status in [s for s in responses if s.startswith("2")]:
            del responses[status]
    for status, response in responses.items():
        if status.startswith("2") and not response.get("content"):
            response.pop("content", None)
            if response.get("description") == "Successful Response":
                response["description"] = "Done; the body is empty."
    body = "requestBody" in op.spec
    statuses = {"400"}
    if body:
        statuses |= {"413", "415"}
    if op.authenticated:
        # Any authenticated request may create its customer (first use) and so wait on a
        # row lock: 409 is possible everywhere, as is the database being unavailable.
        statuses |= {"401", "409", "429", "503"}
        if op.id not in NEVER_NOT_FOUND:
            statuses.add("404")
        tag = op.spec.get("tags", [""])[0]
        if op.method != "get" and tag in ADMIN_WRITE_TAGS and op.id not in CUSTOMER_WRITES:
            statuses.add("403")
    elif op.id == "getReadiness":
        statuses.add("503")
    if op.id in NOT_SERVED:
        statuses.add("501")
    for status in sorted(statuses):
        responses.setdefault(status, {"$ref": f"{RESPONSES}{ERROR_RESPONSES[status][0]}"})
    op.spec["responses"] = dict(sorted(responses.items()))


def _rename_pages(document: Json) -> None:
    """`Page_DataLink_` → `DataLinkPage`: the name a generated client's class gets."""
    schemas: Json = document["components"]["schemas"]
    renames = {
        name: f"{match.group(1)}Page"
        for name in schemas
        if (match := re.fullmatch(r"Page_(\w+)_", name))
    }
    for old, new in renames.items():
        schemas[new] = schemas.pop(old)
        schemas[new]["title"] = new
    _replace_refs(document, {f"{SCHEMAS}{o}": f"{SCHEMAS}{n}" for o, n in renames.items()})


def _replace_refs(node: Any, mapping: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in mapping:
            node["$ref"] = mapping[ref]
        for value in node.values():
            _replace_refs(value, mapping)
    elif isinstance(node, list):
        for value in node:
            _replace_refs(value, mapping)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _closure(document: Json, roots: set[str]) -> set[str]:
    schemas: Json = document["components"]["schemas"]
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo += [r.removeprefix(SCHEMAS) for r in _refs(schemas[name]) if r.startswith(SCHEMAS)]
    return seen


def _admits_null(schema: Json) -> bool:
    if not schema or schema.get("type") == "null":
        return True
    return any(_admits_null(s) for s in schema.get("anyOf", []))


def _without_null(schema: Json) -> Json:
    """`anyOf: [X, {type: null}]` → X, keeping the outer title, description and default."""
    options = schema.get("anyOf")
    if not options:
        return schema
    kept = [option for option in options if option.get("type") != "null"]
    outer = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
    if schema.get("default") is not None:
        outer["default"] = schema["default"]
    if len(kept) == 1:
        return {**kept[0], **outer}
    return {**outer, "anyOf": kept}


def _schema_names(node: Any) -> set[str]:
    return {ref.removeprefix(SCHEMAS) for ref in _refs(node) if ref.startswith(SCHEMAS)}


def _request_and_response_schemas(document: Json) -> tuple[set[str], set[str]]:
    """The component schemas requests use, and those responses use (with what they nest)."""
    requests: set[str] = _schema_names(document["components"].get("parameters", {}))
    responses: set[str] = set()
    for item in document["paths"].values():
        for op in item.values():
            requests |= _schema_names([op.get("requestBody", {}), op.get("parameters", [])])
            responses |= _schema_names(op.get("responses", {}))
    return _closure(document, requests), _closure(document, responses)


def _omitted_not_null(document: Json) -> None:
    """Responses omit a field that has no value (routes set `response_model_exclude_none`):
    in the schemas only responses use, a nullable field is optional and never null, and every
    other field is always there. Request schemas keep their nullable fields: a `null` sent
    there is accepted (PATCH `description: null` clears it)."""
    for item in document["paths"].values():
        for op in item.values():
            for response in op.get("responses", {}).values():
                for media in response.get("content", {}).values():
                    if "schema" in media:
                        media["schema"] = _without_null(media["schema"])
    schemas: Json = document["components"]["schemas"]
    requests, responses = _request_and_response_schemas(document)
    for name in sorted(responses - requests - set(ERROR_SCHEMAS)):
        schema = schemas[name]
        properties: Json = schema.get("properties", {})
        required = set(schema.get("required", []))
        for field, prop in properties.items():
            if _admits_null(prop):
                properties[field] = _without_null(prop)
                required.discard(field)
            else:
                required.add(field)
            enum = RESPONSE_ENUMS.get((name, field))
            if enum:
                properties[field] = {**properties[field], "enum": enum}
        if required:
            schema["required"] = [field for field in properties if field in required]
    for name in sorted(requests - responses):
        _defaults_described(schemas[name])


def _defaults_described(schema: Json) -> None:
    """A request field the server defaults when it is absent says so in words: generators read
    a `default` as "always present" (openapi-typescript makes such a field required), which
    would make callers send what they may leave out."""
    for prop in schema.get("properties", {}).values():
        if "default" not in prop:
            continue
        default = prop.pop("default")
        if default is None:
            continue
        described = prop.get("description", "")
        if "default" in described.lower():
            prop["description"] = described
            continue
        shown = default if isinstance(default, str) else json.dumps(default)
        absent = f"Absent means `{shown}`."
        prop["description"] = f"{described.rstrip('.')}. {absent}" if described else absent


def _attach_examples(document: Json) -> None:
    for item in document["paths"].values():
        for op in item.values():
            body = op.get("requestBody", {})
            _example(body.get("content", {}), REQUEST_EXAMPLES)
            for status, response in op.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                media = response.get("content", {}).get("application/json")
                if media is not None and op["operationId"] in OPERATION_EXAMPLES:
                    media.setdefault(
                        "example", copy.deepcopy(OPERATION_EXAMPLES[op["operationId"]])
                    )
                _example(response.get("content", {}), RESPONSE_EXAMPLES)


def _example(content: Json, examples: dict[str, Any]) -> None:
    media = content.get("application/json")
    if not media or "example" in media:
        return
    schema: Json = media.get("schema", {})
    first: Json = next(iter(schema.get("anyOf", [])), {})
    ref = str(schema.get("$ref") or first.get("$ref", ""))
    example = examples.get(ref.removeprefix(SCHEMAS))
    if example is not None:
        media["example"] = copy.deepcopy(example)


def _drop_unused_parameters(document: Json) -> None:
    used = {r.removeprefix(PARAMETERS) for r in _refs(document["paths"])}
    parameters: Json = document["components"]["parameters"]
    for name in [n for n in parameters if n not in used]:
        del parameters[name]
