"""The OpenAPI document, made precise enough to generate clients from.

FastAPI's own document knows the routes, their models and their declared parameters; it does
not know what the service does around them: every error is `{type, key, message, data}` and
validation is a 400 (never FastAPI's 422), the request guard answers 413 and 415, the session
answers 409 and 503, the instance routes read their selectors from the raw query string, and
responses omit what has no value instead of sending `null`. `build_document` starts from
FastAPI's document and adds what it cannot see, by rules on the routes rather than per route,
so a route added later with an explicit `operation_id` gets the same treatment.

`install(app)` makes `app.openapi()` (served at /openapi.json and printed by
`datalinks openapi`) return this document. The pieces it adds (the Error schema and responses,
shared parameters, examples) are in core/openapi_components.py; the rules are here.
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
from datalinks.core.openapi_components import (
    BEARER,
    BOOLEAN,
    BOOLEAN_NOTE,
    CONNECTION,
    DESCRIPTION,
    ERROR_RESPONSES,
    ERROR_SCHEMAS,
    LINK_FILTERS,
    LINK_INSTANCE,
    OPERATION_EXAMPLES,
    OWNER,
    PARAMETERS,
    PATH_PARAMETERS,
    REQUEST_EXAMPLES,
    RESPONSE_EXAMPLES,
    RESPONSES,
    SCHEMAS,
    SHARED_PARAMETERS,
    SLOT,
    SOURCE_INSTANCE,
    TAGS,
    Json,
)

# --- what the routes do that their signatures do not say ----------------------------------

# Declared query parameters that are the same thing as a shared one, wherever they appear.
SAME_EVERYWHERE = {
    "limit": "Limit",
    "cursor": "Cursor",
    "includeArchived": "IncludeArchived",
    "search": "Search",
}
# Query strings that are booleans on the wire (parsed by core/query.parse_bool).
BOOLEAN_QUERY = frozenset(
    {
        "includeArchived",
        "autoCreate",
        "isTest",
        "isActive",
        "connected",
        "disconnected",
        "isUniversal",
    }
)

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
    # Membrane's names: a DELETE that archives, and its "data locations" for our collections.
    "deleteCustomer": "Archive a customer",
    "deleteDataLinkTable": "Archive a data link table",
    "getIntegrationDataLocations": "Get data collections",
    "getIntegrationDataLocationByKey": "Get a data collection",
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
    "clone": "Clone",
}
# Membrane's ids call a PUT `update…` or `replace…` and a PATCH `patch…`, datalinks' own call
# them `put…` and `update…`: the summary follows the method, so every PUT reads "Replace".
WRITE_VERBS = frozenset({"put", "update", "patch", "replace"})
METHOD_VERBS = {"put": "Replace", "patch": "Update"}

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
            "description": "A JWT signed with the workspace secret (HS256, HS384 or HS512).",
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
        spec["summary"] = SUMMARIES.get(op.id) or summary_of(op.id, op.method)
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


def summary_of(operation_id: str, method: str = "") -> str:
    """`archiveIntegrationDataSource` → "Archive an integration data source"."""
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", operation_id)
    verb, noun = words[0], " ".join(word.lower() for word in words[1:])
    label = METHOD_VERBS.get(method) if verb in WRITE_VERBS else None
    label = label or VERBS.get(verb)
    if label is None or not noun:
        return " ".join([words[0].capitalize(), *(w.lower() for w in words[1:])])
    if verb == "list" or noun.endswith("s"):
        return f"{label} {noun}"
    article = "an" if noun[0] in "aeiou" else "a"
    return f"{label} {article} {noun}"


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
