"""Operations Membrane's OpenAPI has carry Membrane's operationId in datalinks' document, at the
same method and path, so a client generated from either document has the same method names.

The two tables below are the source of truth. They were read from Membrane's generated
document as mirrored in the GitHub repository api-evangelist/integration-app, file
openapi/integration-app-membrane-api-openapi.json at commit
b9ba89848bfe57cdb42699e409524ad52b0c52d6 (its per-tag integration-app-datalinktables-,
-data-links- and -data-sources-api-openapi.yml agree). The hand-written customers and
connections summaries there disagree (PUT `replaceCustomer`, PATCH `updateConnection`,
`POST /connections/{id}/archive`); where they do, the generated document wins.

Paths are Membrane's, parameter names and all. The two documents name path parameters
differently (`/customers/{id}` is datalinks' `/customers/{selector}`), so a path matches by its
shape: the same segments with every `{…}` alike.
"""

from __future__ import annotations

import re
from typing import Any

from datalinks.app import create_app
from datalinks.settings import Settings

# (method, Membrane's path, Membrane's operationId) for every operation datalinks serves.
SERVED: tuple[tuple[str, str, str], ...] = (
    # Customers
    ("GET", "/customers", "listCustomers"),
    ("POST", "/customers", "createCustomer"),
    ("POST", "/customers/{elementSelector}/restore", "restoreCustomer"),
    ("GET", "/customers/{id}", "getCustomer"),
    ("PUT", "/customers/{id}", "updateCustomer"),
    ("PATCH", "/customers/{id}", "patchCustomer"),
    ("DELETE", "/customers/{id}", "deleteCustomer"),
    # Integrations
    ("GET", "/integrations", "listIntegrations"),
    ("POST", "/integrations", "createIntegration"),
    ("POST", "/integrations/{elementSelector}/restore", "restoreIntegration"),
    ("GET", "/integrations/{idOrKey}", "getIntegration"),
    ("PUT", "/integrations/{id}", "updateIntegration"),
    ("PATCH", "/integrations/{id}", "patchIntegration"),
    ("DELETE", "/integrations/{id}", "archiveIntegration"),
    ("POST", "/integrations/{id}/setup", "setupIntegration"),
    ("GET", "/integrations/{id}/data", "getIntegrationDataLocations"),
    ("GET", "/integrations/{id}/data/{dataLocationKey}", "getIntegrationDataLocationByKey"),
    # Connections
    ("GET", "/connections", "listConnections"),
    ("POST", "/connections", "createConnection"),
    ("POST", "/connections/{elementSelector}/restore", "restoreConnection"),
    ("GET", "/connections/{id}", "getConnection"),
    ("PUT", "/connections/{id}", "updateConnection"),
    ("PATCH", "/connections/{id}", "patchConnection"),
    ("DELETE", "/connections/{id}", "archiveConnection"),
    # Data link tables
    ("GET", "/data-link-tables", "listDataLinkTables"),
    ("POST", "/data-link-tables", "createDataLinkTable"),
    ("GET", "/data-link-tables/{elementSelector}/dependencies", "getDataLinkTableDependencies"),
    ("POST", "/data-link-tables/{elementSelector}/refresh", "refreshDataLinkTable"),
    ("POST", "/data-link-tables/{elementSelector}/restore", "restoreDataLinkTable"),
    ("GET", "/data-link-tables/{idOrKey}", "getDataLinkTable"),
    ("PUT", "/data-link-tables/{idOrKey}", "updateDataLinkTable"),
    ("PATCH", "/data-link-tables/{idOrKey}", "patchDataLinkTable"),
    ("DELETE", "/data-link-tables/{idOrKey}", "deleteDataLinkTable"),
    ("GET", "/data-link-tables/{idOrKey}/export", "exportDataLinkTable"),
    ("GET", "/data-link-tables/{idOrKey}/links", "getDataLinkTableLinks"),
    ("POST", "/data-link-tables/{idOrKey}/links", "createDataLinkTableLink"),
    ("DELETE", "/data-link-tables/{idOrKey}/links", "deleteDataLinkTableLink"),
    # Data links
    ("GET", "/data-links", "listDataLinks"),
    ("DELETE", "/data-links/{dataLinkId}", "deleteDataLink"),
    # Data sources
    ("GET", "/data-sources", "listDataSources"),
    ("POST", "/data-sources", "createDataSource"),
    ("GET", "/data-sources/{selector}", "getDataSource"),
    ("PUT", "/data-sources/{selector}", "replaceDataSource"),
    ("PATCH", "/data-sources/{selector}", "patchDataSource"),
    ("DELETE", "/data-sources/{selector}", "archiveDataSource"),
    ("GET", "/data-sources/{selector}/export", "exportDataSource"),
    ("POST", "/data-sources/{selector}/refresh", "refreshDataSource"),
    ("POST", "/data-sources/{selector}/reset", "resetDataSource"),
    ("POST", "/data-sources/{selector}/restore", "restoreDataSource"),
)

# The same elements' operations datalinks does not serve (yet): none may lend its name to
# another route, and one datalinks comes to serve must take its name.
NOT_SERVED: tuple[tuple[str, str, str], ...] = (
    ("POST", "/connections/ensure", "ensureConnection"),
    ("GET", "/connections/{elementSelector}/dependencies", "getConnectionDependencies"),
    ("GET", "/connections/{elementSelector}/logs", "getConnectionLogs"),
    ("POST", "/connections/{elementSelector}/refresh", "refreshConnection"),
    ("GET", "/connections/{id}/data", "listConnectionDataCollections"),
    ("GET", "/connections/{id}/data/{dataCollectionKey}", "getConnectionDataCollection"),
    ("POST", "/connections/{id}/data/{dataCollectionKey}/create", "createDataCollectionRecord"),
    ("POST", "/connections/{id}/data/{dataCollectionKey}/delete", "deleteDataCollectionRecord"),
    (
        "POST",
        "/connections/{id}/data/{dataCollectionKey}/find-by-id",
        "findDataCollectionRecordById",
    ),
    ("POST", "/connections/{id}/data/{dataCollectionKey}/list", "listDataCollectionRecords"),
    ("POST", "/connections/{id}/data/{dataCollectionKey}/match", "matchDataCollectionRecord"),
    (
        "POST",
        "/connections/{id}/data/{dataCollectionKey}/refresh",
        "refreshConnectionDataCollection",
    ),
    ("POST", "/connections/{id}/data/{dataCollectionKey}/search", "searchDataCollectionRecords"),
    ("POST", "/connections/{id}/data/{dataCollectionKey}/update", "updateDataCollectionRecord"),
    ("POST", "/connections/{id}/disconnect", "disconnectConnection"),
    ("GET", "/connections/{id}/export", "exportConnection"),
    ("POST", "/connections/{id}/refresh-credentials", "refreshConnectionCredentials"),
    ("POST", "/connections/{id}/test", "testConnection"),
    ("POST", "/integrations/{elementSelector}/refresh", "refreshIntegration"),
    ("PUT", "/integrations/{idOrKey}/parameters", "setIntegrationParameters"),
    ("GET", "/integrations/{id}/export", "exportIntegration"),
    ("GET", "/integrations/{id}/global-webhooks", "getIntegrationGlobalWebhooks"),
    ("GET", "/integrations/{id}/parameters", "getIntegrationParameters"),
    ("POST", "/integrations/{id}/upload-connector", "uploadIntegrationConnector"),
    ("POST", "/data-sources/{selector}/clone", "cloneDataSource"),
    ("GET", "/data-sources/{selector}/dependencies", "getDataSourceDependencies"),
)

METHODS = ("get", "put", "post", "delete", "patch")
Route = tuple[str, str]


def shape(path: str) -> str:
    """`/customers/{id}` and `/customers/{selector}` → `/customers/{}`."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def _document() -> dict[str, Any]:
    settings = Settings(database_url="postgresql://unused/unused")
    document: dict[str, Any] = create_app(settings).openapi()
    return document


def _datalinks_operations() -> dict[Route, str]:
    """(METHOD, path shape) → operationId, for every operation in datalinks' document."""
    found: dict[Route, str] = {}
    for path, item in _document()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                route = (method.upper(), shape(path))
                assert route not in found, f"{route} is two paths in datalinks' document"
                found[route] = operation["operationId"]
    return found


DATALINKS = _datalinks_operations()
MEMBRANE = {(method, shape(path)): op_id for method, path, op_id in (*SERVED, *NOT_SERVED)}


def test_the_tables_name_each_route_and_id_once() -> None:
    rows = (*SERVED, *NOT_SERVED)
    assert len(MEMBRANE) == len(rows)
    assert len({op_id for _, _, op_id in rows}) == len(rows)


def test_served_operations_have_membranes_ids() -> None:
    wrong = [
        (method, path, expected, DATALINKS.get((method, shape(path)), "(no such route)"))
        for method, path, expected in SERVED
        if DATALINKS.get((method, shape(path))) != expected
    ]
    assert wrong == []


def test_a_route_datalinks_adds_takes_membranes_id() -> None:
    # Once datalinks serves one of these, it belongs in SERVED.
    wrong = [
        (method, path, expected, DATALINKS[(method, shape(path))])
        for method, path, expected in NOT_SERVED
        if (method, shape(path)) in DATALINKS and DATALINKS[(method, shape(path))] != expected
    ]
    assert wrong == []


def test_no_other_route_uses_a_membrane_id() -> None:
    # A generated client would call this route where Membrane's client calls another.
    routes_of = {op_id: route for route, op_id in MEMBRANE.items()}
    borrowed = [
        (op_id, route, routes_of[op_id])
        for route, op_id in DATALINKS.items()
        if op_id in routes_of and routes_of[op_id] != route
    ]
    assert borrowed == []
