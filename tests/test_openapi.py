"""The committed openapi.json is the app's document, and a valid one: any API change shows up
in review as a diff of that file (regenerate with `./dev datalinks openapi > openapi.json`)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from datalinks.cli import openapi_document

COMMITTED = Path(__file__).resolve().parents[1] / "openapi.json"


def test_committed_document_matches_the_app() -> None:
    assert COMMITTED.read_text() == openapi_document(), (
        "openapi.json is stale: run `./dev datalinks openapi > openapi.json` and commit it"
    )


def test_document_is_valid_openapi() -> None:
    validate(json.loads(COMMITTED.read_text()))


def test_every_operation_has_a_unique_explicit_id() -> None:
    document = json.loads(COMMITTED.read_text())
    ids = [
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    assert len(ids) == len(set(ids))
    # FastAPI's generated ids end in the HTTP method; ours never do.
    assert not [i for i in ids if i.endswith(("_get", "_post", "_put", "_patch", "_delete"))]


# --- precise enough to generate clients from (core/openapi.py) ------------------------------

DOCUMENT: dict[str, Any] = json.loads(COMMITTED.read_text())
METHODS = ("get", "put", "post", "delete", "patch")
LINK_CREATES = ("createDataLinkTableInstanceLink", "createDataLinkTableLink")
# The link and table operations carry request and response examples.
EXAMPLE_TAGS = ("Data Links", "Data Link Tables")


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in DOCUMENT["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def ids(select: Callable[[str, str, dict[str, Any]], bool]) -> list[str]:
    return [op["operationId"] for path, method, op in operations() if select(path, method, op)]


def test_every_operation_has_tags_and_a_summary() -> None:
    assert ids(lambda _p, _m, op: not op.get("tags") or not op.get("summary")) == []
    # FastAPI's own summaries are the function name title-cased ("Get", "No Op").
    generic = {"Get", "Put", "Patch", "Archive", "Restore", "No Op", "List Elements"}
    assert ids(lambda _p, _m, op: op["summary"] in generic) == []


def test_validation_is_400_never_422() -> None:
    text = COMMITTED.read_text()
    assert "HTTPValidationError" not in text
    assert ids(lambda _p, _m, op: "422" in op["responses"]) == []
    assert ids(lambda _p, _m, op: "400" not in op["responses"]) == []


def test_every_error_is_the_error_shape() -> None:
    error = DOCUMENT["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"type", "key", "message", "data"}
    assert error["required"] == ["type", "key", "message"]
    for _path, _method, op in operations():
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                content = resolve(response)["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (
                    op["operationId"],
                    status,
                )


def test_authenticated_operations_document_their_failures() -> None:
    secured = ids(lambda _p, _m, op: "security" in op)
    open_ = set(ids(lambda _p, _m, op: "security" not in op))
    assert open_ == {"getHealth", "getReadiness"}
    for _path, _method, op in operations():
        if op["operationId"] in secured:
            assert {"401", "409", "429", "503"} <= set(op["responses"]), op["operationId"]
            retry = resolve(op["responses"]["429"])["headers"]["Retry-After"]
            assert retry["schema"]["type"] == "integer"
        if "requestBody" in op:
            assert {"413", "415"} <= set(op["responses"]), op["operationId"]
    # Admin-only writes, and lookups by name.
    assert "403" in resolve(DOCUMENT["paths"]["/data-link-tables"]["post"])["responses"]
    assert "403" not in DOCUMENT["paths"]["/data-link-table-instance/links"]["post"]["responses"]
    assert "404" in DOCUMENT["paths"]["/data-link-tables/{selector}"]["get"]["responses"]


def test_link_create_answers_204_without_content() -> None:
    for path, method, op in operations():
        if op["operationId"] in LINK_CREATES:
            assert [s for s in op["responses"] if s.startswith("2")] == ["204"], path
            assert "content" not in op["responses"]["204"], method


def _response_schemas() -> set[str]:
    """Component schemas that only responses use (what they nest included)."""

    def names(node: Any) -> set[str]:
        text = json.dumps(node)
        return set(re.findall(r'"#/components/schemas/([^"]+)"', text))

    def closure(roots: set[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += names(DOCUMENT["components"]["schemas"][name])
        return seen

    requests = names(DOCUMENT["components"]["parameters"])
    responses: set[str] = set()
    for _path, _method, op in operations():
        requests |= names([op.get("requestBody"), op.get("parameters")])
        responses |= names([resolve(response) for response in op["responses"].values()])
    return closure(responses) - closure(requests)


def test_responses_omit_optional_fields_instead_of_null() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    only_responses = _response_schemas()
    assert {"DataLink", "DataLinkPage", "DataLinkTable", "Error"} <= only_responses
    for name in only_responses:
        assert '"null"' not in json.dumps(schemas[name]), name
    # Always-present fields are required, so a generated client need not check for them.
    assert set(schemas["DataLink"]["required"]) == {
        "id",
        "dataLinkTableInstanceId",
        "externalRecordId",
        "appRecordId",
        "direction",
        "createdAt",
        "updatedAt",
    }
    assert "archivedAt" not in schemas["DataLinkTable"]["required"]


def test_a_request_field_that_accepts_null_says_so() -> None:
    # PATCH `description: null` clears the description.
    description = DOCUMENT["components"]["schemas"]["DataLinkTableWrite"]["properties"][
        "description"
    ]
    assert {"type": "null"} in description["anyOf"]


def test_selector_parameters_are_defined_once_and_referenced() -> None:
    shared = DOCUMENT["components"]["parameters"]
    assert {
        "ConnectionId",
        "IntegrationKey",
        "InstanceKey",
        "AutoCreate",
        "Limit",
        "Cursor",
    } <= set(shared)
    inline = [
        (op["operationId"], parameter["name"])
        for _path, _method, op in operations()
        for parameter in op.get("parameters", [])
        if "$ref" not in parameter and parameter["name"] in ("autoCreate", "limit", "cursor")
    ]
    assert inline == []
    find = DOCUMENT["paths"]["/data-link-table-instance/links"]["get"]["parameters"]
    refs = {parameter["$ref"].rsplit("/", 1)[1] for parameter in find}
    assert {"DataLinkTableKey", "ConnectionId", "AutoCreate", "ExternalRecordId"} <= refs


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(
        "urn:datalinks:openapi", Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
    )
    rebased = json.loads(
        json.dumps(schema).replace('"#/components/', '"urn:datalinks:openapi#/components/')
    )
    return Draft202012Validator(rebased, registry=registry)


def test_examples_match_their_schemas() -> None:
    checked = 0
    for _path, _method, op in operations():
        bodies = [op.get("requestBody", {})] + [resolve(r) for r in op["responses"].values()]
        for body in bodies:
            for media in body.get("content", {}).values():
                if "example" in media:
                    errors = list(_validator(media["schema"]).iter_errors(media["example"]))
                    assert errors == [], (op["operationId"], [e.message for e in errors])
                    checked += 1
    assert checked > 20


def test_link_and_table_operations_have_examples() -> None:
    missing = []
    for _path, _method, op in operations():
        if op["tags"][0] not in EXAMPLE_TAGS:
            continue
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None and "example" not in body:
            missing.append((op["operationId"], "request"))
        for status, response in op["responses"].items():
            media = response.get("content", {}).get("application/json")
            if status.startswith("2") and media is not None and "example" not in media:
                missing.append((op["operationId"], status))
    assert missing == []
