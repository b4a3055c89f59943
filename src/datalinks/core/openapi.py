"""The OpenAPI document, made precise enough to generate clients from.

The routes declare what they take and answer: parameters and query models (shared ones by
core/openapi_components.shared), error responses (`errors(...)` in `responses=`), security
(core/auth's HTTPBearer), examples (in the models), summaries (core/routing). What is left
here are the rules for what FastAPI cannot be told, each applied to its whole document.

`install(app)` makes `app.openapi()` (served at /openapi.json and printed by
`datalinks openapi`) return this document.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from datalinks.core.openapi_components import (
    DESCRIPTION,
    ERROR_RESPONSES,
    PARAMETERS,
    RESPONSES,
    SCHEMAS,
    SHARED,
    SHARED_PARAMETERS,
    TAGS,
    Json,
)


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
        tags=TAGS,
    )
    components: Json = document["components"]
    # FastAPI documents a 422 with its own body on every route that reads input; the
    # exception handler answers validation failures as a 400 `Error` instead.
    for name in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(name, None)
    shared: set[str] = set()
    used: set[int] = set()
    for operation in _operations(document):
        shared |= _parameters(operation)
        used |= _responses(operation)
    components["parameters"] = {
        name: parameter for name, parameter in SHARED_PARAMETERS.items() if name in shared
    }
    components["responses"] = {
        response.name: response.rendered()
        for status, response in ERROR_RESPONSES.items()
        if status in used
    }
    _omitted_not_null(document)
    _examples(document)
    return document


def _operations(document: Json) -> Iterator[Json]:
    for item in document["paths"].values():
        yield from item.values()


def _parameters(operation: Json) -> set[str]:
    """FastAPI writes every parameter inline: one declared with `shared(...)` becomes a $ref
    to its one definition (what a generated client makes one type of). FastAPI also writes an
    optional parameter as nullable, which a query string cannot be: absent is its None."""
    shared: set[str] = set()
    parameters: list[Json] = operation.get("parameters", [])
    for index, parameter in enumerate(parameters):
        component = parameter["schema"].get(SHARED)
        if component is not None:
            parameters[index] = {"$ref": f"{PARAMETERS}{component}"}
            shared.add(component)
        else:
            parameter["schema"] = _without_null(parameter["schema"])
    return shared


def _responses(operation: Json) -> set[int]:
    """Each error response is defined once under components/responses (FastAPI writes a
    declared one into every operation) and referenced; 413 and 415 come from the request
    guard, a middleware FastAPI does not see, which screens every request body."""
    responses: Json = operation["responses"]
    responses.pop("422", None)  # see build_document
    if "requestBody" in operation:
        for guarded in (413, 415):
            responses[str(guarded)] = ERROR_RESPONSES[guarded].rendered()
    used: set[int] = set()
    for status, response in responses.items():
        documented = ERROR_RESPONSES.get(int(status))
        if documented is not None and response["description"] == documented.description:
            responses[status] = {"$ref": f"{RESPONSES}{documented.name}"}
            used.add(int(status))
    # In status order, for people reading it (FastAPI puts the route's own status first).
    operation["responses"] = dict(sorted(responses.items()))
    return used


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


def _closure(schemas: Json, node: Any) -> set[str]:
    """The component schemas `node` refers to, and those they nest."""
    seen: set[str] = set()
    todo = [ref.removeprefix(SCHEMAS) for ref in _refs(node) if ref.startswith(SCHEMAS)]
    while todo:
        name = todo.pop()
        if name not in seen and name in schemas:
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


def _omitted_not_null(document: Json) -> None:
    """Responses omit a field that has no value (ApiRouter sets `response_model_exclude_none`)
    but the models say `X | None`: in the schemas only responses use, a nullable field is
    optional and never null, and every other field is always there. Request schemas keep
    their nullable fields: a `null` sent there is accepted (PATCH `description: null` clears
    it)."""
    schemas: Json = document["components"]["schemas"]
    requests = _closure(schemas, document["components"]["parameters"])
    responses: set[str] = set()
    for operation in _operations(document):
        requests |= _closure(schemas, [operation.get("requestBody"), operation.get("parameters")])
        for response in operation["responses"].values():
            for media in response.get("content", {}).values():
                media["schema"] = _without_null(media["schema"])
        responses |= _closure(schemas, operation["responses"])
    responses |= _closure(schemas, document["components"]["responses"])
    for name in sorted(responses - requests):
        schema = schemas[name]
        properties: Json = schema.get("properties", {})
        required = set(schema.get("required", []))
        for field, prop in properties.items():
            if _admits_null(prop):
                properties[field] = _without_null(prop)
                required.discard(field)
            else:
                required.add(field)
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


def _examples(document: Json) -> None:
    """A model's examples (`json_schema_extra`) land in its component schema, but Swagger UI,
    Redoc and the generators look for them on the media type: the first is moved to each
    request body and 2xx response whose schema is that model (or, for a union, starts with it)."""
    schemas: Json = document["components"]["schemas"]
    examples = {name: s.pop("examples")[0] for name, s in schemas.items() if "examples" in s}
    for operation in _operations(document):
        bodies = [operation.get("requestBody", {})]
        bodies += [r for status, r in operation["responses"].items() if status.startswith("2")]
        for body in bodies:
            media = body.get("content", {}).get("application/json")
            if not media or "example" in media:
                continue
            schema: Json = media["schema"]
            first: Json = next(iter(schema.get("anyOf", [])), {})
            ref = str(schema.get("$ref") or first.get("$ref", ""))
            example = examples.get(ref.removeprefix(SCHEMAS))
            if example is not None:
                media["example"] = copy.deepcopy(example)
