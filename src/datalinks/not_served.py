"""Connector-backed Membrane routes the SDK can reach but datalinks, which runs no connector,
does not serve (contract §11). They answer 501 in the error shape, after the token is checked
so an anonymous probe learns nothing, instead of a 404 that reads like a wrong URL."""

from __future__ import annotations

from fastapi import Response

from datalinks.core.auth import PrincipalDep
from datalinks.core.errors import NotImplementedByDatalinks
from datalinks.core.routing import ApiRouter

router = ApiRouter(tags=["Not served"])
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
NOT_SERVED = "datalinks runs no connector, so it does not serve {what}"

# (path, what it is, methods)
ROUTES: tuple[tuple[str, str, list[str]], ...] = (
    ("/connections/{connection}/api/{rest:path}", "the connection API proxy", ALL_METHODS),
    ("/connections/{connection}/proxy/{rest:path}", "the connection API proxy", ALL_METHODS),
    ("/connections/{connection}/operations", "connector operations", ALL_METHODS),
    ("/connections/{connection}/operations/{rest:path}", "connector operations", ALL_METHODS),
    ("/connections/{connection}/data", "external data collections", ALL_METHODS),
    ("/connections/{connection}/data/{rest:path}", "external data collections", ALL_METHODS),
    ("/connections/{connection}/execute-request", "connection requests", ["POST"]),
    ("/connections/{connection}/refresh-credentials", "credential refresh", ["POST"]),
    ("/connections/{connection}/reconnect", "reconnection", ["POST"]),
    ("/connections/{connection}/disconnect", "disconnection", ["POST"]),
    ("/connections/{connection}/test", "connection tests", ["GET", "POST"]),
    ("/integrations/{integration}/connector-spec", "connector specs", ["GET"]),
)


def _not_served(what: str) -> object:
    async def endpoint(_: PrincipalDep) -> Response:
        raise NotImplementedByDatalinks(NOT_SERVED.format(what=what))

    return endpoint


for path, what, methods in ROUTES:
    router.add_api_route(
        path,
        _not_served(what),
        methods=methods,
        include_in_schema=False,
        response_class=Response,
    )
