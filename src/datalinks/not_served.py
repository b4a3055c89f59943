"""Membrane routes the SDKs (`@membranehq/sdk` 0.28.3, `@integration-app/sdk` 1.14.1) can send
but datalinks does not serve (contract §11): connector-backed calls, the Membrane features
datalinks leaves out (flows, actions, field mappings, ...) and object-selector writes. They
answer 501 in the error shape, after the token is checked so an anonymous probe learns
nothing, instead of a 404 that reads like a wrong URL.

This router is mounted after every served one, and each path here either has no served
counterpart or lists only methods the served one lacks, so nothing served is shadowed.
tests/test_not_served.py lists the requests, walked from both SDKs' accessor classes.
"""

from __future__ import annotations

from fastapi import Response

from datalinks.core.auth import PrincipalDep
from datalinks.core.errors import NotImplementedByDatalinks
from datalinks.core.routing import ApiRouter

# Out of the document: no responses to declare.
router = ApiRouter(tags=["Not served"], responses={})
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
WRITES = ["PUT", "PATCH", "DELETE"]

# (path, message, methods)
Route = tuple[str, str, list[str]]


def _connector(what: str) -> str:
    return f"datalinks runs no connector, so it does not serve {what}"


def _left_out(what: str) -> str:
    return f"datalinks keeps data links and data sources only; it does not serve {what}"


def _tree(path: str, message: str) -> list[Route]:
    """`path` and everything under it: a Membrane feature of which datalinks serves nothing."""
    return [(path, message, ALL_METHODS), (f"{path}/{{rest:path}}", message, ALL_METHODS)]


def _object_selector(singular: str, plural: str) -> list[Route]:
    # The SDKs send an object selector to the singular path (`customer({id}).patch()` is
    # `PATCH /customer?id=…`); datalinks answers only its GET there.
    message = (
        f"datalinks serves /{singular} by object selector for GET only; "
        f"name the element in the path instead: /{plural}/{{idOrKey}}"
    )
    return [(f"/{singular}", message, WRITES), (f"/{singular}/{{rest:path}}", message, ALL_METHODS)]


# Membrane features with nothing served here: the paths of their elements, in every form the
# SDKs use (list, object selector, instances).
LEFT_OUT: dict[str, tuple[str, ...]] = {
    "actions": ("actions", "action", "action-instances", "action-instance"),
    "flows": ("flows", "flow", "flow-instances", "flow-instance", "flow-runs"),
    "field mappings": (
        "field-mappings",
        "field-mapping",
        "field-mapping-instances",
        "field-mapping-instance",
    ),
    "app data schemas": (
        "app-data-schemas",
        "app-data-schema",
        "app-data-schema-instances",
        "app-data-schema-instance",
    ),
    "app events": (
        "app-event-types",
        "app-event-type",
        "app-event-subscriptions",
        "app-event-subscription",
        "app-events",
    ),
    "screens": ("screens", "screen"),
    "scenarios": ("scenarios", "scenario"),
    "packages": ("packages", "package"),
}

ROUTES: tuple[Route, ...] = (
    *_tree("/connections/{connection}/api", _connector("the connection API proxy")),
    *_tree("/connections/{connection}/proxy", _connector("the connection API proxy")),
    *_tree("/connections/{connection}/operations", _connector("connector operations")),
    *_tree("/connections/{connection}/data", _connector("external data collections")),
    ("/connections/{connection}/execute-request", _connector("connection requests"), ["POST"]),
    ("/connections/{connection}/refresh-credentials", _connector("credential refresh"), ["POST"]),
    ("/connections/{connection}/reconnect", _connector("reconnection"), ["POST"]),
    ("/connections/{connection}/disconnect", _connector("disconnection"), ["POST"]),
    ("/connections/{connection}/test", _connector("connection tests"), ["GET", "POST"]),
    ("/integrations/{integration}/connector-spec", _connector("connector specs"), ["GET"]),
    ("/integrations/{integration}/disconnect", _connector("disconnection"), ["POST"]),
    *_tree("/integrations/{integration}/operations", _connector("connector operations")),
    *_tree("/connection-options", _connector("connection options")),
    *_tree("/external-event-subscriptions", _connector("external event subscriptions")),
    ("/data-sources/{selector}/apply", _left_out("applying data sources"), ["POST"]),
    *_tree("/connections/{connection}/actions", _left_out("actions")),
    *_tree("/connections/{connection}/flows", _left_out("flows")),
    *_tree("/connections/{connection}/field-mappings", _left_out("field mappings")),
    *_tree("/integrations/{integration}/actions", _left_out("actions")),
    *_tree("/integrations/{integration}/flows", _left_out("flows")),
    *_tree("/integrations/{integration}/field-mappings", _left_out("field mappings")),
    *(
        route
        for what, paths in LEFT_OUT.items()
        for path in paths
        for route in _tree(f"/{path}", _left_out(what))
    ),
    *_object_selector("customer", "customers"),
    *_object_selector("integration", "integrations"),
    *_object_selector("data-link-table", "data-link-tables"),
    *_object_selector("data-source", "data-sources"),
)


def _not_served(message: str) -> object:
    async def endpoint(_: PrincipalDep) -> Response:
        raise NotImplementedByDatalinks(message)

    return endpoint


for path, message, methods in ROUTES:
    router.add_api_route(
        path,
        _not_served(message),
        methods=methods,
        include_in_schema=False,
        response_class=Response,
    )
