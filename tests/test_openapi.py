"""The committed openapi.json is the app's document, and a valid one: any API change shows up
in review as a diff of that file (regenerate with `./dev datalinks openapi > openapi.json`)."""

from __future__ import annotations

import json
from pathlib import Path

from openapi_spec_validator import validate

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
