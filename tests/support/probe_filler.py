"""The operations of the app's OpenAPI document, and which of a probe world's objects
(tests/support/probe_world.py) each path and query parameter can name.

Shared by the tenant probe (tests/test_tenant_probe.py), which aims every operation at another
tenant's objects, and the fuzzer (tests/test_fuzz.py), which mixes real objects' ids into its
generated requests. A parameter without a rule here fails the probe's coverage test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.probe_world import World

Json = dict[str, Any]
HTTP_METHODS = ("get", "put", "post", "patch", "delete")
# Operations datalinks answers 501 not_implemented by design (they need a live connector).
NOT_SERVED = {
    "getDataSourceInstanceCollection",
    "runDataSourceInstanceCollection",
    "dataSourceInstanceUnifiedFieldsToNative",
}
# No token, no tenant: nothing to probe (they are sent anyway, and must not fail).
OPEN = {"getHealth", "getReadiness"}

# --- the operations, from the document --------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body: str | None  # a schema name, "text/..." for a non-JSON body, or None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path} ({self.id})"


def _schema_name(schema: Json) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        if "$ref" in option:
            return str(option["$ref"]).rsplit("/", 1)[-1]
    return json.dumps(schema, sort_keys=True)


def operations(document: Json) -> list[Operation]:
    shared = document.get("components", {}).get("parameters", {})
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            params = [
                shared[p["$ref"].rsplit("/", 1)[-1]] if "$ref" in p else p
                for p in [*item.get("parameters", []), *operation.get("parameters", [])]
            ]
            body = None
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = _schema_name(content["application/json"]["schema"])
            elif content:
                body = sorted(content)[0]
            found.append(
                Operation(
                    id=operation["operationId"],
                    method=method.upper(),
                    path=path,
                    path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                    query_params=tuple(p["name"] for p in params if p["in"] == "query"),
                    body=body,
                )
            )
    return found


# --- the filler: which of a world's objects each parameter can name ----------------------------

# Roles decide whose values a mixed request takes: the target's or the attacker's own.
PARENT, CONNECTION, USER, TARGET = "parent", "connection", "user", "target"
ROLES = frozenset({PARENT, CONNECTION, USER, TARGET})
Values = Callable[[World, Operation], list[str]]


def _resource(op: Operation, name: str) -> str:
    """The collection a path parameter sits under: /data-sources/{selector} -> data-sources."""
    parts = op.path.split("/")
    return parts[parts.index("{" + name + "}") - 1]


def _instance_family(op: Operation) -> str:
    if "data-link-table" in op.path:
        return "link"
    if "data-source" in op.path:
        return "source"
    raise KeyError(op.path)


def path_values(op: Operation, name: str, w: World) -> tuple[str, list[str]]:
    d, h = w.definitions, w.holdings
    resource = _resource(op, name)
    if name == "link_id":
        return TARGET, list(h.link_ids)
    if name == "collection_key":
        return PARENT, [d.collection_key]
    if name == "operation":
        return TARGET, ["list"]
    if resource in ("integrations",):
        return PARENT, [d.integration_id, d.integration_key]
    if resource == "connections":
        alternatives = [h.connection_id, h.connection_key, d.integration_key]
        if op.path.endswith("/restore"):
            alternatives.insert(0, h.archived_connection_id)
        return CONNECTION, alternatives
    if resource == "customers":
        return USER, [h.customer_id, h.internal_id]
    if resource == "data-link-tables":
        return PARENT, [d.table_id, d.table_key]
    if resource == "data-sources":
        return PARENT, [d.source_id, d.source_key, d.universal_source_key]
    raise KeyError(f"{op.label}: no rule for path parameter {name!r}")


def element_ids(w: World, op: Operation) -> list[str]:
    """`id` in the query: an element (find*), or an instance."""
    d, h = w.definitions, w.holdings
    by_path = {
        "/customer": [h.customer_id],
        "/integration": [d.integration_id],
        "/data-link-table": [d.table_id],
        "/data-source": [d.source_id],
    }
    if op.path in by_path:
        return by_path[op.path]
    if _instance_family(op) == "link":
        return [h.instance_id, h.archived_instance_id, h.keyed_instance_id]
    return [h.source_instance_id]


# Query parameters that name something: (role, group, values). One parameter of a group is
# set per request (a selector names its parent once, its connection once).
QUERY_REFERENCES: dict[str, tuple[str, str, Values]] = {
    "id": (TARGET, "id", element_ids),
    "dataLinkTableId": (PARENT, "parent", lambda w, op: [w.definitions.table_id]),
    "dataLinkTableKey": (PARENT, "parent", lambda w, op: [w.definitions.table_key]),
    "dataSourceId": (PARENT, "parent", lambda w, op: [w.definitions.source_id]),
    "dataSourceKey": (PARENT, "parent", lambda w, op: [w.definitions.source_key]),
    "udm": (PARENT, "parent", lambda w, op: [w.definitions.udm]),
    "universalDataSourceId": (
        PARENT,
        "universal",
        lambda w, op: [w.definitions.universal_source_id],
    ),
    "parentId": (PARENT, "universal", lambda w, op: [w.definitions.universal_source_id]),
    "universalParentId": (PARENT, "universal", lambda w, op: [w.definitions.universal_source_id]),
    "connectionId": (CONNECTION, "connection", lambda w, op: [w.holdings.connection_id]),
    "connectionKey": (CONNECTION, "connection", lambda w, op: [w.holdings.connection_key]),
    "integrationId": (CONNECTION, "connection", lambda w, op: [w.definitions.integration_id]),
    "integrationKey": (CONNECTION, "connection", lambda w, op: [w.definitions.integration_key]),
    "userId": (USER, "user", lambda w, op: [w.holdings.customer_id]),
    "tenantId": (USER, "user", lambda w, op: [w.holdings.internal_id]),
    "internalId": (USER, "internalId", lambda w, op: [w.holdings.internal_id]),
    "key": (PARENT, "key", lambda w, op: [_find_key(op, w)]),
    "instanceKey": (TARGET, "instanceKey", lambda w, op: [w.holdings.instance_key]),
    "dataLinkTableInstanceId": (TARGET, "instance", lambda w, op: [w.holdings.instance_id]),
    "externalRecordId": (TARGET, "external", lambda w, op: [w.holdings.external_record_id]),
    "appRecordId": (TARGET, "app", lambda w, op: [w.holdings.app_record_id]),
    # A search for the target's marker must find nothing of the target's.
    "search": (TARGET, "search", lambda w, op: [w.holdings.secret, w.definitions.secret]),
}
# Query parameters that name nothing: the value every request sends (None: left out).
QUERY_NEUTRAL: dict[str, str | None] = {
    "limit": "1000",
    "cursor": "0",
    "includeArchived": "true",
    "autoCreate": "true",
    "direction": "both",
    "format": "ndjson",
    "partial": "true",
    "layer": "connection",
    "isTest": None,
    "isActive": None,
    "isUniversal": None,
    "connected": None,
    "disconnected": None,
    "includeSecrets": None,
}


def _find_key(op: Operation, w: World) -> str:
    d = w.definitions
    keys = {"/integration": d.integration_key, "/data-link-table": d.table_key}
    return keys.get(op.path, d.source_key)
