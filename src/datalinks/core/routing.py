"""Router defaults shared by every domain."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Response

from datalinks.core.openapi_components import AUTHENTICATED, Responses

EMPTY_BODY = "Done; the body is empty."
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
METHOD_VERBS = {"PUT": "Replace", "PATCH": "Update"}


def summary_of(operation_id: str, method: str = "") -> str:
    """`archiveIntegrationDataSource` → "Archive an integration data source"."""
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", operation_id)
    verb, noun = words[0], " ".join(word.lower() for word in words[1:])
    label = METHOD_VERBS.get(method.upper()) if verb in WRITE_VERBS else None
    label = label or VERBS.get(verb)
    if label is None or not noun:
        return " ".join([words[0].capitalize(), *(w.lower() for w in words[1:])])
    if verb == "list" or noun.endswith("s"):
        return f"{label} {noun}"
    article = "an" if noun[0] in "aeiou" else "a"
    return f"{label} {article} {noun}"


class ApiRouter(APIRouter):
    """Optional fields without a value are omitted, never `null` (the SDK's zod schemas are
    `optional()`, not `nullable()`), so every route drops None from its response.

    For the document: a route's summary, unless it has its own, is its operation id in words;
    a route that answers with a bare `Response` says its body is empty; and every route has
    the error responses of an authenticated request unless the router is given others
    (`responses=PUBLIC`)."""

    def __init__(self, *, responses: Responses | None = None, **kwargs: Any) -> None:
        super().__init__(responses=AUTHENTICATED if responses is None else responses, **kwargs)

    def add_api_route(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        kwargs["response_model_exclude_none"] = True
        operation_id = kwargs.get("operation_id")
        if kwargs.get("summary") is None and operation_id is not None:
            kwargs["summary"] = summary_of(operation_id, next(iter(kwargs.get("methods", [""]))))
        if kwargs.get("response_class") is Response and kwargs.get("response_description") in (
            None,
            "Successful Response",
        ):
            kwargs["response_description"] = EMPTY_BODY
        super().add_api_route(path, endpoint, **kwargs)
