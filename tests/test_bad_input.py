"""Bad input, table-driven, for every operation that can write.

The operations come from the app's own OpenAPI document; each needs an entry in TARGETS (how
to reach it with a real object, and a body it accepts), so a new write route fails
`test_every_write_operation_has_cases` until it is covered. For each operation the suite
derives the bad requests from the operation's request-body schema (wrong JSON types per field,
missing fields, 1 MB strings, NUL bytes, out-of-range and non-integer numbers) and adds those
every route must refuse the same way (NUL bytes and invalid UTF-8 in path, query and body,
bodies over the limit, deeply nested JSON, SQL- and path-traversal-looking ids). Each must
answer a 4xx in the error shape and leave every table of the database as it was. Then the
valid request, with unknown fields added (ignored, as Membrane does), must succeed: proof
that the refusals came from the bad input and not from a wrong URL.

Paging input (`limit`, `cursor`) is covered the same way for every list operation.

tests/test_errors.py checks the request guard's individual messages on one route; this suite
checks that every write route sits behind it and writes nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest

from datalinks.app import create_app
from datalinks.core.element_routes import OWN_VERBS, UPDATE_PATCH_ARCHIVE, UPDATE_PATCH_DELETE
from datalinks.db.engine import Database
from datalinks.settings import Settings
from tests.support.dbstate import changes, snapshot
from tests.support.figures import record
from tests.support.helpers import Tenant, assert_error

WRITE_METHODS = ("post", "put", "patch", "delete")
ONE_MB = 1_000_000
OVER_LIMIT = 1_048_576 + 1  # core/guard.py's default limit, plus one byte
SQL_IDS = (
    "' OR '1'='1",
    "1; DROP TABLE customers; --",
    "1) UNION SELECT secret FROM workspaces --",
)
TRAVERSAL_IDS = ("..", "../../etc/passwd", "..\\..\\windows\\win.ini", "....//....//")
ID_STATUSES = frozenset({400, 404, 405})
LONGEST_URL = 60_000


@dataclass(frozen=True)
class Raw:
    """Text put into a URL as it is, already percent-encoded (to send bytes that are not
    UTF-8, which no `str` can carry)."""

    encoded: str


Value = str | Raw


def _encode(value: Value) -> str:
    if isinstance(value, Raw):
        return value.encoded
    # Dots too: a client removes `.` and `..` path segments before sending them.
    return quote(value, safe="").replace(".", "%2E")


@dataclass(frozen=True)
class Target:
    """One way to call an operation so that it succeeds."""

    method: str
    path: str  # template with {name} parameters
    path_params: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    as_admin: bool = True
    body: dict[str, Any] | None = None
    # Operations whose body is not in the OpenAPI document (DELETE …/links reads one).
    body_schema: str | None = None
    # Link imports: a valid NDJSON body, streamed past the request guard.
    upload: bytes | None = None
    # Field groups whose absence is a 400 (schema-required fields are added automatically).
    needs: tuple[tuple[str, ...], ...] = ()
    # Query values that are data, not references, so SQL-looking text in them is legal.
    free_query: frozenset[str] = frozenset({"instanceKey", "autoCreate"})
    # Path parameters that name what an upsert creates (any key is legal there).
    free_path: frozenset[str] = frozenset()
    # The valid request's answer: 2xx, or 501 for the routes datalinks does not serve (which
    # read no selector, so theirs is left out).
    ok: frozenset[int] = frozenset({200, 204})

    def url(self, path_params: dict[str, Value] | None = None) -> str:
        values: dict[str, Value] = {**self.path_params, **(path_params or {})}
        return self.path.format(**{name: _encode(value) for name, value in values.items()})

    def query_string(self, query: dict[str, Value] | None = None) -> str:
        values: dict[str, Value] = {**self.query, **(query or {})}
        return "&".join(f"{quote(name, safe='')}={_encode(v)}" for name, v in values.items())


@dataclass
class World:
    """One of everything, in a fresh workspace."""

    tenant: Tenant
    alice: dict[str, str]
    alice_id: str
    connection_id: str
    link_id: str
    ds_instance_id: str

    @property
    def admin(self) -> dict[str, str]:
        return self.tenant.admin

    def links_selector(self, **extra: str) -> dict[str, str]:
        return {
            "dataLinkTableKey": "contacts",
            "connectionId": self.connection_id,
            "autoCreate": "true",
            **extra,
        }

    def ds_selector(self, **extra: str) -> dict[str, str]:
        return {
            "dataSourceKey": "orders",
            "connectionId": self.connection_id,
            "autoCreate": "true",
            **extra,
        }


async def make_world(client: httpx.AsyncClient, tenant: Tenant) -> World:
    admin, alice = tenant.admin, tenant.customer("alice")

    async def call(method: str, url: str, headers: dict[str, str], **kw: Any) -> Any:
        r = await client.request(method, url, headers=headers, **kw)
        assert r.status_code == 200, (method, url, r.text)
        return r.json()

    await call("POST", "/integrations", admin, json={"key": "crm", "name": "CRM"})
    await call("POST", "/integrations", admin, json={"key": "decl"})
    await call(
        "PUT",
        "/integrations/decl/data/tasks",
        admin,
        json={"name": "Tasks", "parametersSchema": {"type": "object"}},
    )
    await call("POST", "/data-link-tables", admin, json={"key": "contacts", "name": "Contacts"})
    await call("POST", "/data-sources", admin, json={"key": "tasks", "collectionKey": "tasks"})
    await call(
        "POST",
        "/integrations/crm/data-sources",
        admin,
        json={"key": "orders", "collectionKey": "orders"},
    )
    connection = await call(
        "POST", "/connections", alice, json={"integrationKey": "crm", "key": "main"}
    )
    selector = {
        "dataLinkTableKey": "contacts",
        "connectionId": connection["id"],
        "autoCreate": "true",
    }
    link = {"externalRecordId": "e", "appRecordId": "a", "direction": "import"}
    r = await client.post(
        "/data-link-table-instance/links", params=selector, json=link, headers=alice
    )
    assert r.status_code == 204, r.text
    links = await call("GET", "/data-link-table-instance/links", alice, params=selector)
    ds_instance = await call(
        "GET",
        "/data-source-instance",
        alice,
        params={"dataSourceKey": "orders", "connectionId": connection["id"], "autoCreate": "1"},
    )
    await call(
        "GET",
        "/data-source-instance",
        alice,
        params={"dataSourceKey": "tasks", "connectionId": connection["id"], "autoCreate": "1"},
    )
    me = await call("GET", "/self", alice)
    return World(
        tenant, alice, me["id"], connection["id"], links["items"][0]["id"], ds_instance["id"]
    )


TargetFactory = Callable[[World], list[Target]]
INSTANCE_BODY = {"description": "d", "meta": {"a": 1}}
DS_INSTANCE_BODY = {
    "pullUpdatesIntervalSeconds": 900,
    "fullSyncIntervalSeconds": 7200,
    "subscribedTo": {"created": True},
}
LINK = {"externalRecordId": "e2", "appRecordId": "a2", "direction": "export"}
LINK_NEEDS = (("externalRecordId",), ("appRecordId",))
DLTI = "/data-link-table-instance"
DSI = "/data-source-instance"
CONN_DS = "/connections/{connection}/data-sources/{source}"
INT_DS = "/integrations/{integration}/data-sources/{selector}"


def _element(
    path: str,
    selector: Callable[[World], str],
    body: dict[str, Any],
    *,
    as_admin: bool = True,
    verbs: Mapping[str, str] = OWN_VERBS,
) -> dict[str, TargetFactory]:
    """PUT / PATCH / DELETE / restore of one element, addressed by `selector`, under the
    verbs its operation ids use (core/element_routes.py)."""
    item = f"{path}/{{selector}}"

    def target(method: str, suffix: str = "", **kw: Any) -> TargetFactory:
        return lambda w: [
            Target(method, item + suffix, {"selector": selector(w)}, as_admin=as_admin, **kw)
        ]

    return {
        verbs["PUT"]: target("PUT", body=body),
        verbs["PATCH"]: target("PATCH", body=body),
        verbs["DELETE"]: target("DELETE"),
        "restore": target("POST", "/restore"),
    }


def _named(stem: str, factories: dict[str, TargetFactory]) -> dict[str, TargetFactory]:
    return {f"{verb}{stem}": factory for verb, factory in factories.items()}


def _connection_ds(w: World, method: str, suffix: str = "", **kw: Any) -> list[Target]:
    """`/connections/{connection}/data-sources/{source}…`: a fresh slot where the verb may
    create an instance (PUT always does, the others with autoCreate), else the existing one."""
    params = {"connection": w.connection_id, "source": "orders"}
    query = {"instanceKey": "fresh", "autoCreate": "true"}
    if method == "PUT":
        query = {"instanceKey": "fresh"}
    elif method == "DELETE":
        query = {}
    return [Target(method, CONN_DS + suffix, params, query, as_admin=False, **kw)]


def _flat_ds(
    w: World,
    method: str,
    suffix: str = "",
    body: dict[str, Any] | None = None,
    instance_body: dict[str, Any] | None = None,
) -> list[Target]:
    """`/data-sources/{selector}…`: with a connection in the query on that connection's
    instance (customer; not for refresh), and on the data source itself (admin)."""
    item = "/data-sources/{selector}" + suffix
    params = {"selector": "tasks"}
    query = {"connectionId": w.connection_id, "autoCreate": "true", "instanceKey": "flat"}
    if method == "DELETE" or suffix == "/restore":
        query = {"connectionId": w.connection_id}
    on_data_source = Target(method, item, params, body=body)
    if suffix == "/refresh":
        return [on_data_source]
    # The instance first: the admin variant may archive the data source itself.
    return [Target(method, item, params, query, as_admin=False, body=instance_body), on_data_source]


LINK_2 = {**LINK, "appRecordId": "a3"}
UPLOAD = b"".join(json.dumps(link).encode() + b"\n" for link in (LINK, LINK_2))


def _bulk(family: str, suffix: str, **kw: Any) -> TargetFactory:
    """A bulk link route, instance-addressed or table-addressed, on a fresh slot."""

    def targets(w: World) -> list[Target]:
        query = w.links_selector(instanceKey="fresh")
        if family == "DataLinkTableInstance":
            return [Target("POST", f"{DLTI}/links{suffix}", {}, query, as_admin=False, **kw)]
        del query["dataLinkTableKey"]
        path = "/data-link-tables/{selector}/links" + suffix
        return [Target("POST", path, {"selector": "contacts"}, query, as_admin=False, **kw)]

    return targets


TARGETS: dict[str, TargetFactory] = {
    # Customers
    "createCustomer": lambda w: [
        Target(
            "POST",
            "/customers",
            body={"name": "Zed", "internalId": "zed"},
            needs=(("name", "internalId"),),
        )
    ],
    "updateSelf": lambda w: [Target("PATCH", "/self", as_admin=False, body={"name": "Alice 2"})],
    **_named(
        "Customer",
        _element("/customers", lambda w: w.alice_id, {"name": "Alice"}, verbs=UPDATE_PATCH_DELETE),
    ),
    # Integrations
    "createIntegration": lambda w: [
        Target(
            "POST",
            "/integrations",
            body={"key": "new", "name": "New"},
            needs=(("key", "name"),),
        )
    ],
    "setupIntegration": lambda w: [
        Target("POST", "/integrations/{selector}/setup", {"selector": "crm"})
    ],
    **_named(
        "Integration",
        _element("/integrations", lambda w: "crm", {"name": "CRM 2"}, verbs=UPDATE_PATCH_ARCHIVE),
    ),
    # Connections (a customer's own)
    "createConnection": lambda w: [
        Target(
            "POST",
            "/connections",
            as_admin=False,
            body={"integrationKey": "decl", "key": "second"},
            needs=(("integrationId", "integrationKey"),),
        )
    ],
    **_named(
        "Connection",
        _element(
            "/connections",
            lambda w: w.connection_id,
            {"name": "Main"},
            as_admin=False,
            verbs=UPDATE_PATCH_ARCHIVE,
        ),
    ),
    # Data-link tables
    "createDataLinkTable": lambda w: [
        Target(
            "POST",
            "/data-link-tables",
            body={"key": "deals", "name": "Deals"},
            needs=(("key", "name"),),
        )
    ],
    **_named(
        "DataLinkTable",
        _element(
            "/data-link-tables", lambda w: "contacts", {"name": "People"}, verbs=UPDATE_PATCH_DELETE
        ),
    ),
    "refreshDataLinkTable": lambda w: [
        Target("POST", "/data-link-tables/{selector}/refresh", {"selector": "contacts"})
    ],
    # Data-link-table instances (a fresh slot where the verb may create one)
    "putDataLinkTableInstance": lambda w: [
        Target(
            "PUT",
            DLTI,
            query=w.links_selector(instanceKey="fresh"),
            as_admin=False,
            body=INSTANCE_BODY,
        )
    ],
    "createDataLinkTableInstance": lambda w: [
        Target(
            "POST",
            DLTI,
            query=w.links_selector(instanceKey="fresh"),
            as_admin=False,
            body=INSTANCE_BODY,
        )
    ],
    "updateDataLinkTableInstance": lambda w: [
        Target(
            "PATCH",
            DLTI,
            query=w.links_selector(instanceKey="fresh"),
            as_admin=False,
            body=INSTANCE_BODY,
        )
    ],
    "archiveDataLinkTableInstance": lambda w: [
        Target("DELETE", DLTI, query=w.links_selector(), as_admin=False)
    ],
    "restoreDataLinkTableInstance": lambda w: [
        Target("POST", f"{DLTI}/restore", query=w.links_selector(), as_admin=False)
    ],
    # Links, on all three path families
    "createDataLinkTableInstanceLink": lambda w: [
        Target(
            "POST",
            f"{DLTI}/links",
            query=w.links_selector(instanceKey="fresh"),
            as_admin=False,
            body=LINK,
            needs=LINK_NEEDS,
        )
    ],
    "deleteDataLinkTableInstanceLink": lambda w: [
        Target(
            "DELETE",
            f"{DLTI}/links",
            query=w.links_selector(),
            as_admin=False,
            body={"externalRecordId": "e", "appRecordId": "a", "direction": "import"},
            body_schema="DataLinkWrite",
            needs=LINK_NEEDS,
        )
    ],
    "createDataLinkTableLink": lambda w: [
        Target(
            "POST",
            "/data-link-tables/{selector}/links",
            {"selector": "contacts"},
            {"connectionId": w.connection_id, "autoCreate": "true", "instanceKey": "fresh"},
            as_admin=False,
            body=LINK,
            needs=LINK_NEEDS,
        )
    ],
    "deleteDataLinkTableLink": lambda w: [
        Target(
            "DELETE",
            "/data-link-tables/{selector}/links",
            {"selector": "contacts"},
            {"connectionId": w.connection_id},
            as_admin=False,
            body={"externalRecordId": "e", "appRecordId": "a", "direction": "import"},
            body_schema="DataLinkWrite",
            needs=LINK_NEEDS,
        )
    ],
    "deleteDataLink": lambda w: [
        Target("DELETE", "/data-links/{link_id}", {"link_id": w.link_id}, as_admin=False)
    ],
    # Bulk link routes, on both instance path families
    **{
        operation.format(family): _bulk(family, suffix, **kw)
        for family in ("DataLinkTableInstance", "DataLinkTable")
        for operation, suffix, kw in (
            ("create{}LinksBatch", "/batch", {"body": {"links": [LINK, LINK_2]}}),
            ("delete{}LinksBatch", "/delete-batch", {"body": {"links": [LINK]}}),
            ("resolve{}Links", "/resolve", {"body": {"externalRecordIds": ["e"]}}),
            ("import{}Links", "/import", {"upload": UPLOAD}),
        )
    },
    # Data sources, flat: on the data source, and on a connection's instance of it
    "createDataSource": lambda w: [
        Target(
            "POST",
            "/data-sources",
            body={"key": "notes", "collectionKey": "notes", "pullUpdatesIntervalSeconds": 600},
        )
    ],
    "replaceDataSource": lambda w: _flat_ds(
        w,
        "PUT",
        body={"name": "Tasks", "fullSyncIntervalSeconds": 3600},
        instance_body=DS_INSTANCE_BODY,
    ),
    "patchDataSource": lambda w: _flat_ds(
        w,
        "PATCH",
        body={"pullUpdatesIntervalSeconds": 900},
        instance_body=DS_INSTANCE_BODY,
    ),
    "archiveDataSource": lambda w: _flat_ds(w, "DELETE"),
    "restoreDataSource": lambda w: _flat_ds(w, "POST", "/restore"),
    "resetDataSource": lambda w: _flat_ds(w, "POST", "/reset"),
    "setupDataSource": lambda w: _flat_ds(w, "POST", "/setup"),
    "refreshDataSource": lambda w: _flat_ds(w, "POST", "/refresh"),
    "cloneDataSource": lambda w: [
        Target("POST", "/data-sources/{selector}/clone", {"selector": "tasks"})
    ],
    # Data sources under an integration
    "createIntegrationDataSource": lambda w: [
        Target(
            "POST",
            "/integrations/{integration}/data-sources",
            {"integration": "crm"},
            body={"key": "invoices", "collectionKey": "invoices"},
        )
    ],
    "putIntegrationDataSource": lambda w: [
        Target("PUT", INT_DS, {"integration": "crm", "selector": "orders"}, body={"name": "O"})
    ],
    "updateIntegrationDataSource": lambda w: [
        Target(
            "PATCH",
            INT_DS,
            {"integration": "crm", "selector": "orders"},
            body={"fullSyncIntervalSeconds": 3600},
        )
    ],
    "archiveIntegrationDataSource": lambda w: [
        Target("DELETE", INT_DS, {"integration": "crm", "selector": "orders"})
    ],
    "restoreIntegrationDataSource": lambda w: [
        Target("POST", INT_DS + "/restore", {"integration": "crm", "selector": "orders"})
    ],
    "resetIntegrationDataSource": lambda w: [
        Target("POST", INT_DS + "/reset", {"integration": "crm", "selector": "orders"})
    ],
    # Data collections
    "putDataCollection": lambda w: [
        Target(
            "PUT",
            "/integrations/{integration}/data/{collection_key}",
            {"integration": "decl", "collection_key": "projects"},
            body={"name": "Projects", "parametersSchema": {"type": "object"}},
            free_path=frozenset({"collection_key"}),
        )
    ],
    "deleteDataCollection": lambda w: [
        Target(
            "DELETE",
            "/integrations/{integration}/data/{collection_key}",
            {"integration": "decl", "collection_key": "tasks"},
        )
    ],
    # Data-source instances, by selector
    "putDataSourceInstance": lambda w: [
        Target(
            "PUT",
            DSI,
            query=w.ds_selector(instanceKey="fresh"),
            as_admin=False,
            body=DS_INSTANCE_BODY,
        )
    ],
    "createDataSourceInstance": lambda w: [
        Target(
            "POST",
            DSI,
            query=w.ds_selector(instanceKey="fresh"),
            as_admin=False,
            body=DS_INSTANCE_BODY,
        )
    ],
    "updateDataSourceInstance": lambda w: [
        Target(
            "PATCH",
            DSI,
            query=w.ds_selector(instanceKey="fresh"),
            as_admin=False,
            body=DS_INSTANCE_BODY,
        )
    ],
    "archiveDataSourceInstance": lambda w: [
        Target("DELETE", DSI, query={"id": w.ds_instance_id}, as_admin=False)
    ],
    "restoreDataSourceInstance": lambda w: [
        Target("POST", f"{DSI}/restore", query={"id": w.ds_instance_id}, as_admin=False)
    ],
    "setupDataSourceInstance": lambda w: [
        Target("POST", f"{DSI}/setup", query=w.ds_selector(), as_admin=False)
    ],
    "resetDataSourceInstance": lambda w: [
        Target("POST", f"{DSI}/reset", query=w.ds_selector(), as_admin=False)
    ],
    "runDataSourceInstanceCollection": lambda w: [
        Target(
            "POST",
            f"{DSI}/collection/{{operation}}",
            {"operation": "list"},
            as_admin=False,
            free_path=frozenset({"operation"}),
            ok=frozenset({501}),
        )
    ],
    "dataSourceInstanceUnifiedFieldsToNative": lambda w: [
        Target(
            "POST",
            f"{DSI}/unified-fields-to-native",
            as_admin=False,
            ok=frozenset({501}),
        )
    ],
    # Data-source instances, under the connection
    "putConnectionDataSource": lambda w: _connection_ds(w, "PUT", body=DS_INSTANCE_BODY),
    "updateConnectionDataSource": lambda w: _connection_ds(w, "PATCH", body=DS_INSTANCE_BODY),
    "archiveConnectionDataSource": lambda w: _connection_ds(w, "DELETE"),
    "resetConnectionDataSource": lambda w: _connection_ds(w, "POST", "/reset"),
    "setupConnectionDataSource": lambda w: _connection_ds(w, "POST", "/setup"),
}

# GETs that write: a selector with autoCreate=true creates the instance it names. Covered like
# the writes (the OpenAPI document cannot say which GETs these are).
CREATING_GETS: dict[str, TargetFactory] = {
    "getDataLinkTableInstance": lambda w: [
        Target("GET", DLTI, query=w.links_selector(instanceKey="fresh"), as_admin=False)
    ],
    "findDataLinkTableInstanceLinks": lambda w: [
        Target("GET", f"{DLTI}/links", query=w.links_selector(instanceKey="fresh"), as_admin=False)
    ],
    "getDataLinkTableLinks": lambda w: [
        Target(
            "GET",
            "/data-link-tables/{selector}/links",
            {"selector": "contacts"},
            {"connectionId": w.connection_id, "autoCreate": "true", "instanceKey": "fresh"},
            as_admin=False,
        )
    ],
    "getDataSourceInstance": lambda w: [
        Target("GET", DSI, query=w.ds_selector(instanceKey="fresh"), as_admin=False)
    ],
    "getConnectionDataSource": lambda w: _connection_ds(w, "GET"),
    "getDataSource": lambda w: [
        Target(
            "GET",
            "/data-sources/{selector}",
            {"selector": "tasks"},
            {"connectionId": w.connection_id, "autoCreate": "true", "instanceKey": "fresh"},
            as_admin=False,
        )
    ],
}


def _document() -> dict[str, Any]:
    # No database is touched: create_app only connects in its lifespan.
    settings = Settings(database_url="postgresql://unused/unused")
    document: dict[str, Any] = create_app(settings).openapi()
    return document


DOCUMENT = _document()


def _operations(methods: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for item in DOCUMENT["paths"].values()
        for method, operation in item.items()
        if method in methods
    }


WRITE_OPERATIONS = _operations(WRITE_METHODS)


def test_every_write_operation_has_cases() -> None:
    assert set(WRITE_OPERATIONS) - set(TARGETS) == set(), "write operations with no cases"
    assert set(TARGETS) - set(WRITE_OPERATIONS) == set(), "cases for operations that are gone"
    assert set(CREATING_GETS) <= set(_operations(("get",)))


# --- the cases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    label: str
    statuses: frozenset[int]
    path_params: dict[str, Value] = field(default_factory=dict)
    query: dict[str, Value] = field(default_factory=dict)
    # JSON to send, or raw bytes; None keeps the target's own body.
    json_body: Any = None
    raw_body: bytes | None = None
    content_type: str = "application/json"
    raw_path: str | None = None  # sent as is, dot segments included


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        if len(options) == 1:
            return _resolve(options[0])
    return schema


def body_schema(operation_id: str, target: Target) -> dict[str, Any] | None:
    if target.body_schema:
        return _resolve({"$ref": f"#/components/schemas/{target.body_schema}"})
    operations = {**WRITE_OPERATIONS, **_operations(("get",))}
    content = operations[operation_id].get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return _resolve(schema) if schema else None


def wrong_values(schema: dict[str, Any]) -> list[Any]:
    """JSON values of the wrong type for a property."""
    if "enum" in schema:
        return ["sideways", 1, [schema["enum"][0]]]
    kind = schema.get("type")
    if kind == "string":
        return [123, {"a": "b"}, ["x"]]
    if kind == "integer":
        return ["300", True, [300]]
    if kind == "boolean":
        return ["true", 1]
    if kind == "object":
        return ["x", ["x"], 1]
    if kind == "array":
        return ["x", {"a": 1}, 1]
    return []  # any JSON is accepted (credentials)


def out_of_range(schema: dict[str, Any]) -> list[Any]:
    if schema.get("type") != "integer":
        return []
    # Negative, huge (past int64 and any JSON parser's fast path), and not integers.
    values: list[Any] = [-1, 2**63, 10**30, 1e3, 600.5]
    if "minimum" in schema:
        values.append(int(schema["minimum"]) - 1)
    if "maximum" in schema:
        values.append(int(schema["maximum"]) + 1)
    return values


def value_cases(schema: dict[str, Any], valid: Any) -> Iterator[tuple[str, Any]]:
    """(label, bad value) for a value of `schema`, `valid` being a good one to vary: wrong
    types, numbers out of range or not integers, 1 MB strings, NUL bytes, and the same one
    level down in objects and array items, missing required fields, too few or many items."""
    schema = _resolve(schema)
    for value in (*wrong_values(schema), *out_of_range(schema)):
        yield f" = {value!r:.40}", value
    kind = schema.get("type")
    if kind == "string":
        yield " of 1 MB", "x" * ONE_MB
        yield " with NUL", "a\x00b"
    elif kind == "object" and "properties" in schema:
        base = valid if isinstance(valid, dict) else {}
        for name, inner in schema["properties"].items():
            for label, value in value_cases(inner, base.get(name)):
                yield f".{name}{label}", {**base, name: value}
        for name in schema.get("required", []):
            yield f" without {name}", {k: v for k, v in base.items() if k != name}
    elif kind == "array" and isinstance(valid, list) and valid:
        if "minItems" in schema:
            yield " with no items", []
        if "maxItems" in schema:
            yield f" of {schema['maxItems'] + 1} items", valid[:1] * (schema["maxItems"] + 1)
        for label, value in value_cases(schema["items"], valid[0]):
            yield f"[0]{label}", [value]


def body_cases(target: Target, schema: dict[str, Any]) -> Iterator[Case]:
    body = target.body or {}
    bad = frozenset({400})
    for label, value in value_cases(schema, body):
        yield Case(f"body{label}", bad, json_body=value)
    yield Case("body is an array of it", bad, json_body=[body])
    for group in target.needs:
        rest = {k: v for k, v in body.items() if k not in group}
        yield Case(f"body without {'/'.join(group)}", bad, json_body=rest)
    # Unknown fields (ignored, as Membrane does) do not make up for a defect.
    for label, value in list(value_cases(schema, body))[:3]:
        if isinstance(value, dict):
            extra = {**value, "unknownField": "x", "extra": {"nested": True}}
            yield Case(f"body{label}, with unknown fields", bad, json_body=extra)


def upload_cases(target: Target) -> Iterator[Case]:
    """Imports stream NDJSON or CSV past the guard and screen it line by line: a bad line, or
    a body of another type, fails the whole import (without partial=true)."""
    assert target.upload is not None
    bad = frozenset({400})
    good = target.upload
    ndjson = "application/x-ndjson"
    item = json.loads(good.splitlines()[0])
    schema = _resolve({"$ref": "#/components/schemas/DataLinkWrite"})
    for label, value in value_cases(schema, item):
        line = json.dumps(value).encode()
        yield Case(f"line 2{label}", bad, raw_body=good + line + b"\n", content_type=ndjson)
    for label, line in (
        ("invalid UTF-8", b'{"externalRecordId": "caf\xe9", "appRecordId": "a"}'),
        ("a NUL byte", b'{"externalRecordId": "a\x00", "appRecordId": "a"}'),
        ("malformed JSON", b'{"externalRecordId": '),
        ("NaN", b'{"externalRecordId": "e", "appRecordId": "a", "n": NaN}'),
        ("nested 10000 deep", b"[" * 10_000 + b"]" * 10_000),
        ("not an object", b'["e", "a"]'),
    ):
        yield Case(f"line 2 is {label}", bad, raw_body=good + line + b"\n", content_type=ndjson)
    unsupported = frozenset({415})
    for content_type in (
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/x-ndjson; charset=latin-1",
    ):
        yield Case(f"sent as {content_type}", unsupported, raw_body=good, content_type=content_type)
    csv = "text/csv"
    yield Case("CSV without a header", bad, raw_body=b"e,a,import\n", content_type=csv)
    yield Case(
        "CSV with a row too short",
        bad,
        raw_body=b"externalRecordId,appRecordId,direction\ne,a,import\ne2\n",
        content_type=csv,
    )
    yield Case("partial = 'maybe'", bad, query={"partial": "maybe"})


def guard_cases(target: Target) -> Iterator[Case]:
    """What the request guard refuses on any route, body or not."""
    bad = frozenset({400})
    yield Case("invalid UTF-8 body", bad, raw_body=b'{"name": "caf\xe9 \xff\xfe"}')
    yield Case("invalid UTF-8 in a key", bad, raw_body=b'{"\xc3\x28": 1}')
    yield Case("NUL in a body string", bad, raw_body=b'{"name": "a\\u0000b"}')
    yield Case("NUL in a body key", bad, raw_body=b'{"a\\u0000": 1}')
    yield Case("malformed JSON", bad, raw_body=b'{"name": ')
    yield Case("NaN in the body", bad, raw_body=b'{"meta": {"n": NaN}}')
    for depth in (33, 10_000):
        nested = b'{"meta": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
        yield Case(f"meta nested {depth} deep", bad, raw_body=nested)
        yield Case(f"arrays nested {depth} deep", bad, raw_body=b"[" * depth + b"]" * depth)
    big = b'{"meta": {"blob": "' + b"x" * OVER_LIMIT + b'"}}'
    yield Case("body over the limit", frozenset({413}), raw_body=big)
    yield Case(
        "body not sent as JSON",
        frozenset({415}),
        raw_body=b'{"name": "x"}',
        content_type="text/plain",
    )
    yield Case(
        "form body",
        frozenset({415}),
        raw_body=b"name=x",
        content_type="application/x-www-form-urlencoded",
    )


def url_cases(target: Target) -> Iterator[Case]:
    bad = frozenset({400})
    # A `/` in an import's path parameter leaves the import route; what remains is an unknown
    # path with a body that is not JSON.
    ids = ID_STATUSES | {415} if target.upload is not None else ID_STATUSES
    for name in target.path_params:
        yield Case(f"NUL in path {{{name}}}", bad, path_params={name: "a\x00b"})
        yield Case(f"NUL alone in path {{{name}}}", bad, path_params={name: "\x00"})
        yield Case(f"invalid UTF-8 in path {{{name}}}", bad, path_params={name: Raw("%FF%FE")})
        yield Case(f"overlong UTF-8 in path {{{name}}}", bad, path_params={name: Raw("%C0%80")})
        if name in target.free_path:
            continue
        for value in (*SQL_IDS, *TRAVERSAL_IDS, "x" * ONE_MB):
            yield Case(f"path {{{name}}} = {value[:40]!r}", ids, path_params={name: value})
        # Dot segments as sent by a client that does not normalise them (curl --path-as-is).
        raw = target.path.format(
            **{k: (f"../../../{k}" if k == name else v) for k, v in target.path_params.items()}
        )
        yield Case(f"literal ../ in path {{{name}}}", ids, raw_path=raw)
    for name in target.query:
        yield Case(f"NUL in query {name}", bad, query={name: "a\x00b"})
        yield Case(f"invalid UTF-8 in query {name}", bad, query={name: Raw("%C3%28")})
        yield Case(f"query {name} of 1 MB", bad, query={name: "x" * ONE_MB})
        if name in target.free_query:
            continue
        for value in (*SQL_IDS, *TRAVERSAL_IDS):
            yield Case(f"query {name} = {value!r}", ID_STATUSES, query={name: value})
    yield Case("NUL in an extra query name", bad, query={"a\x00": "1"})
    yield Case("NUL in an extra query value", bad, query={"x": "\x00"})
    if "autoCreate" in target.query:
        for value in ("yes", "2", "truee", "\x00"):
            yield Case(f"autoCreate = {value!r}", bad, query={"autoCreate": value})


def all_cases(operation_id: str, target: Target) -> list[Case]:
    if target.upload is not None:
        return [*url_cases(target), *upload_cases(target)]
    cases = [*url_cases(target), *guard_cases(target)]
    schema = body_schema(operation_id, target)
    if schema is not None:
        cases += body_cases(target, schema)
    return cases


# --- running them --------------------------------------------------------------------------


async def send(
    client: httpx.AsyncClient, app: Any, target: Target, case: Case, headers: dict[str, str]
) -> httpx.Response:
    if case.raw_body is not None:
        content: bytes | None = case.raw_body
    elif case.json_body is not None:
        content = json.dumps(case.json_body).encode()
    elif target.body is not None:
        content = json.dumps(target.body).encode()
    elif target.upload is not None:
        content = target.upload
    else:
        content = None
    headers = dict(headers)
    if content is not None:
        headers["Content-Type"] = case.content_type
        if target.upload is not None and case.raw_body is None:
            headers["Content-Type"] = "application/x-ndjson"
    query = target.query_string(case.query)
    path = case.raw_path if case.raw_path is not None else target.url(case.path_params)
    # httpx refuses URLs over 64 kB, and removes `..` segments from any URL.
    if case.raw_path is not None or len(path) + len(query) > LONGEST_URL:
        return await raw_asgi(app, target.method, path, query, headers, content or b"")
    url = path + (f"?{query}" if query else "")
    return await client.request(target.method, url, content=content, headers=headers)


async def raw_asgi(
    app: Any, method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes
) -> httpx.Response:
    """One request straight into the ASGI app, with the URL exactly as given (as uvicorn would
    pass it on: `path` percent-decoded, nothing normalised)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"datalinks.test"),
            (b"content-length", str(len(body)).encode()),
            *((k.lower().encode(), v.encode()) for k, v in headers.items()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("datalinks.test", 80),
    }
    sent = False
    status = 0
    response_headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send_(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers.extend(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send_)
    return httpx.Response(status, headers=response_headers, content=b"".join(chunks))


def check(response: httpx.Response, case: Case) -> str | None:
    """None when the answer is right, else what is wrong with it."""
    if response.status_code not in case.statuses:
        expected = sorted(case.statuses)
        return f"status {response.status_code}, expected {expected}: {response.text[:300]}"
    try:
        assert_error(response, response.status_code)
    except (AssertionError, ValueError, KeyError, TypeError) as exc:
        return f"not in the error shape: {exc!s:.300}"
    return None


async def run_cases(
    client: httpx.AsyncClient,
    app: Any,
    database: Database,
    world: World,
    operation_id: str,
    targets: list[Target],
) -> None:
    failures: list[str] = []
    tried = 0
    for target in targets:
        headers = world.admin if target.as_admin else world.alice
        cases = all_cases(operation_id, target)
        before = await snapshot(database)
        for case in cases:
            problem = check(await send(client, app, target, case, headers), case)
            if problem:
                failures.append(f"{target.method} {target.path} [{case.label}]: {problem}")
        tried += len(cases)
        after = await snapshot(database)
        if after != before:
            # Something wrote: replay the cases one at a time to name the culprits.
            failures.append(f"{target.method} {target.path}: wrote {changes(before, after)}")
            for case in cases:
                before = await snapshot(database)
                await send(client, app, target, case, headers)
                if await snapshot(database) != before:
                    failures.append(f"{target.method} {target.path} [{case.label}] writes")
        # The same request without the defect (plus unknown fields, which are ignored) works.
        extra = {"unknownField": "ignored", "anotherOne": {"x": 1}}
        valid = Case("valid", target.ok)
        if target.body is not None:
            valid = replace(valid, json_body={**target.body, **extra})
        response = await send(client, app, target, valid, headers)
        if response.status_code not in target.ok:
            failures.append(f"{target.method} {target.path} [valid]: {response.text[:300]}")
        elif response.content and response.status_code < 300:
            assert "unknownField" not in response.text, response.text
    record("bad inputs tried", tried)
    record("operations given bad input", 1)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("operation_id", sorted(TARGETS))
async def test_bad_input_to_a_write(
    client: httpx.AsyncClient, app: Any, database: Database, tenant: Tenant, operation_id: str
) -> None:
    world = await make_world(client, tenant)
    await run_cases(client, app, database, world, operation_id, TARGETS[operation_id](world))


@pytest.mark.parametrize("operation_id", sorted(CREATING_GETS))
async def test_bad_input_to_a_get_that_creates(
    client: httpx.AsyncClient, app: Any, database: Database, tenant: Tenant, operation_id: str
) -> None:
    world = await make_world(client, tenant)
    await run_cases(client, app, database, world, operation_id, CREATING_GETS[operation_id](world))


# --- paging input on every list ------------------------------------------------------------


def _parameter_names(operation: dict[str, Any]) -> set[str]:
    names = set()
    for parameter in operation.get("parameters", []):
        while "$ref" in parameter:
            parameter = DOCUMENT["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        names.add(parameter["name"])
    return names


LIST_OPERATIONS = {
    operation_id
    for operation_id, operation in _operations(("get",)).items()
    if "limit" in _parameter_names(operation)
}
LIST_TARGETS: dict[str, TargetFactory] = {
    "listCustomers": lambda w: [Target("GET", "/customers")],
    "listIntegrations": lambda w: [Target("GET", "/integrations")],
    "listConnections": lambda w: [Target("GET", "/connections", as_admin=False)],
    "listDataLinkTables": lambda w: [Target("GET", "/data-link-tables")],
    "listDataLinkTableInstances": lambda w: [Target("GET", "/data-link-table-instances")],
    "findDataLinkTableInstanceLinks": CREATING_GETS["findDataLinkTableInstanceLinks"],
    "getDataLinkTableLinks": CREATING_GETS["getDataLinkTableLinks"],
    "listDataLinks": lambda w: [
        Target("GET", "/data-links", query={"dataLinkTableInstanceId": "-"}, as_admin=False)
    ],
    "listDataSources": lambda w: [Target("GET", "/data-sources")],
    "listIntegrationDataSources": lambda w: [
        Target("GET", "/integrations/{integration}/data-sources", {"integration": "crm"})
    ],
    "listDataSourceInstances": lambda w: [Target("GET", "/data-source-instances", as_admin=False)],
    "listConnectionDataSources": lambda w: [
        Target(
            "GET",
            "/connections/{connection}/data-sources",
            {"connection": w.connection_id},
            as_admin=False,
        )
    ],
}


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BAD_LIMITS = (
    "-1", "0", "1001", str(2**31), str(2**63), "1" + "0" * 30, "-" + "9" * 30, "1.5", "1e3",
    "abc", "0x10", "1_0", "+5", " 5", "\u0661\u0660", "five", "NaN", "null", "[]",
)  # fmt: skip
BAD_CURSORS = (
    "!!!",
    "abc",
    "=",
    "-1",
    "x" * 10_000,
    base64.urlsafe_b64encode(b"not json").decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    _cursor({}),
    _cursor([]),
    _cursor(["a", "b", "c", "d"]),
    _cursor([None, None]),
    _cursor([True]),
    _cursor(["\x00", "\x00"]),
    _cursor(["2020-13-45T99:00:00", "x"]),
    _cursor([[[[[]]]]]),
    _cursor([2**70]),
    _cursor([1.5]),
    _cursor(["1"]),
)


def test_every_list_has_paging_cases() -> None:
    assert set(LIST_OPERATIONS) == set(LIST_TARGETS)


@pytest.mark.parametrize("operation_id", sorted(LIST_TARGETS))
async def test_bad_paging_input(
    client: httpx.AsyncClient, app: Any, database: Database, tenant: Tenant, operation_id: str
) -> None:
    world = await make_world(client, tenant)
    (target,) = LIST_TARGETS[operation_id](world)
    if operation_id == "listDataLinks":
        r = await client.get(DLTI, params=world.links_selector(), headers=world.alice)
        target = replace(target, query={"dataLinkTableInstanceId": r.json()["id"]})
    headers = world.admin if target.as_admin else world.alice
    failures = []
    before = await snapshot(database)
    cases = [Case(f"limit={v!r}", frozenset({400}), query={"limit": v}) for v in BAD_LIMITS]
    cases += [
        Case(f"cursor={v[:40]!r}", frozenset({400}), query={"cursor": v}) for v in BAD_CURSORS
    ]
    for case in cases:
        response = await send(client, app, target, case, headers)
        problem = check(response, case)
        if problem:
            failures.append(f"{operation_id} [{case.label}]: {problem}")
    assert await snapshot(database) == before, "bad paging input wrote to the database"
    # The same list with good paging input answers (and may create an autoCreate instance).
    for query in ({"limit": "1"}, {"limit": "1000", "cursor": "0"}, {}):
        response = await send(client, app, target, Case("valid", frozenset(), query=query), headers)
        if response.status_code != 200:
            failures.append(f"{operation_id} [valid {query}]: {response.text[:300]}")
    record("bad inputs tried", len(cases))
    assert not failures, "\n".join(failures)


# --- keys that no URL could address ---------------------------------------------------------

KEYED_CREATES = (
    ("/integrations", {}, True),
    ("/data-link-tables", {}, True),
    ("/data-sources", {"collectionKey": "c"}, True),
    ("/connections", {"integrationKey": "crm"}, False),
)


@pytest.mark.parametrize("path,extra,as_admin", KEYED_CREATES)
async def test_keys_no_url_can_address_are_refused(
    client: httpx.AsyncClient,
    database: Database,
    tenant: Tenant,
    path: str,
    extra: dict[str, str],
    as_admin: bool,
) -> None:
    # A key stands in URL paths, where clients drop `.` and `..` segments and `/` splits it.
    world = await make_world(client, tenant)
    headers = world.admin if as_admin else world.alice
    before = await snapshot(database)
    for key in (".", "..", "a/b", "/", " ", ""):
        body = {**extra, "key": key, "name": "N"}
        body_of = assert_error(await client.post(path, json=body, headers=headers), 400)
        assert body_of["data"]["issues"][0]["path"] == "key", body_of
    assert await snapshot(database) == before
    record("bad inputs tried", 6)
    for key in ("...", ".a", "a.b"):
        r = await client.post(path, json={**extra, "key": key, "name": "N"}, headers=headers)
        assert r.status_code == 200, r.text
