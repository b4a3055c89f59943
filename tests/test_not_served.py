"""SDK calls datalinks does not serve answer 501 not_implemented, never 404 (contract §11)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.helpers import Tenant, assert_error

# Every request @membranehq/sdk 0.28.3 and @integration-app/sdk 1.14.1 can send that datalinks
# does not serve: each accessor method of both packages' dist/ was called against a capture
# server, and what it sent is listed here (methods, then the path and the selector query the
# SDK builds). Browser-only navigations (`/connection-popup`, `/sse/…`, the embed and screens
# pages) carry the token in a form or query, not a bearer header, and are not listed.
WALKED = """
POST                      /connections/c1/api/contacts
GET                       /connections/c1/proxy/v1/users
GET                       /connections/c1/operations/list-users
POST                      /connections/c1/operations/list-users/run
GET                       /connections/c1/data/contacts
POST                      /connections/c1/data/contacts/list
POST                      /connections/c1/execute-request
POST                      /connections/c1/refresh-credentials
GET                       /integrations/hubspot/connector-spec
GET PUT PATCH DELETE      /action?key=k1
GET POST PUT PATCH DELETE /action-instance?id=k1
POST                      /action-instance/reset?id=k1
POST                      /action-instance/restore?id=k1
POST                      /action-instance/run?id=k1
POST                      /action-instance/setup?id=k1
GET                       /action-instances
POST                      /action/apply?key=k1  # 1.14.1 only
POST                      /action/reset?key=k1
POST                      /action/restore?key=k1
POST                      /action/run?key=k1  # 0.28.3 only
GET POST                  /actions
GET PUT PATCH DELETE      /actions/k1
POST                      /actions/k1/apply  # 1.14.1 only
POST                      /actions/k1/reset
POST                      /actions/k1/restore
POST                      /actions/k1/run  # 0.28.3 only
GET PUT PATCH DELETE      /app-data-schema?key=k1
GET POST PUT PATCH DELETE /app-data-schema-instance?id=k1
POST                      /app-data-schema-instance/restore?id=k1
POST                      /app-data-schema-instance/setup?id=k1
GET                       /app-data-schema-instances
POST                      /app-data-schema/restore?key=k1
GET POST                  /app-data-schemas
GET PUT PATCH DELETE      /app-data-schemas/k1
POST                      /app-data-schemas/k1/restore
GET POST PUT PATCH DELETE /app-event-subscription?id=k1
POST                      /app-event-subscription/restore?id=k1
POST                      /app-event-subscription/subscribe?id=k1
GET                       /app-event-subscriptions
GET PUT PATCH DELETE      /app-event-type?key=k1
POST                      /app-event-type/restore?key=k1
GET POST                  /app-event-types
GET PUT PATCH DELETE      /app-event-types/k1
POST                      /app-event-types/k1/restore
GET                       /app-events  # 1.14.1 only
POST                      /connection-options  # 0.28.3 only
GET                       /connections/c1/actions
GET PUT PATCH DELETE      /connections/c1/actions/k1
POST                      /connections/c1/actions/k1/reset
POST                      /connections/c1/actions/k1/run
POST                      /connections/c1/actions/k1/setup
GET                       /connections/c1/field-mappings
GET PUT PATCH DELETE      /connections/c1/field-mappings/k1
POST                      /connections/c1/field-mappings/k1/reset
POST                      /connections/c1/field-mappings/k1/setup
GET                       /connections/c1/flows
GET PUT PATCH DELETE      /connections/c1/flows/k1
POST                      /connections/c1/flows/k1/reset
POST                      /connections/c1/flows/k1/run
POST                      /connections/c1/flows/k1/setup
PUT PATCH DELETE          /customer?key=k1
POST                      /customer/restore?key=k1
PUT PATCH DELETE          /data-link-table?key=k1
POST                      /data-link-table/restore?key=k1
PUT PATCH DELETE          /data-source?key=k1
POST                      /data-source/apply?key=k1  # 1.14.1 only
POST                      /data-source/reset?key=k1
POST                      /data-source/restore?key=k1
POST                      /data-source/setup?key=k1
POST                      /data-sources/k1/apply  # 1.14.1 only
GET                       /external-event-subscriptions
GET                       /external-event-subscriptions/k1
POST                      /external-event-subscriptions/k1/pull-events
POST                      /external-event-subscriptions/k1/refresh-webhook  # 0.28.3 only
POST                      /external-event-subscriptions/k1/resubscribe
POST                      /external-event-subscriptions/k1/setup
POST                      /external-event-subscriptions/k1/subscribe
POST                      /external-event-subscriptions/k1/unsubscribe
GET PUT PATCH DELETE      /field-mapping?key=k1
GET POST PUT PATCH DELETE /field-mapping-instance?id=k1
POST                      /field-mapping-instance/restore?id=k1
GET                       /field-mapping-instances
POST                      /field-mapping-instances/k1/reset
POST                      /field-mapping-instances/k1/setup
GET                       /field-mapping/app-schema?key=k1
POST                      /field-mapping/apply?key=k1  # 1.14.1 only
POST                      /field-mapping/reset?key=k1
POST                      /field-mapping/restore?key=k1
POST                      /field-mapping/setup?key=k1
GET POST                  /field-mappings
GET PUT PATCH DELETE      /field-mappings/k1
GET                       /field-mappings/k1/app-schema
POST                      /field-mappings/k1/apply  # 1.14.1 only
POST                      /field-mappings/k1/reset
POST                      /field-mappings/k1/restore
POST                      /field-mappings/k1/setup
GET PUT PATCH DELETE      /flow?key=k1
GET POST PUT PATCH DELETE /flow-instance?id=k1
POST                      /flow-instance/restore?id=k1
GET POST                  /flow-instances
POST                      /flow-instances/k1/reset
POST                      /flow-instances/k1/setup
POST                      /flow-instances/k1/update-to-latest-flow
GET POST                  /flow-runs
GET                       /flow-runs/k1
GET                       /flow-runs/k1/nodes/k1/output/k1
GET                       /flow-runs/k1/nodes/k1/outputs
GET                       /flow-runs/k1/nodes/k1/runs/
GET                       /flow-runs/k1/nodes/k1/runs/k1
GET                       /flow-runs/k1/output
POST                      /flow-runs/k1/stop
POST                      /flow/apply?key=k1  # 1.14.1 only
POST                      /flow/reset?key=k1
POST                      /flow/restore?key=k1
GET POST                  /flows
GET PUT PATCH DELETE      /flows/k1
POST                      /flows/k1/apply  # 1.14.1 only
POST                      /flows/k1/reset
POST                      /flows/k1/restore
PUT PATCH DELETE          /integration?key=k1
GET                       /integration/data?key=k1
GET                       /integration/data/k1?key=k1
GET                       /integration/operations?key=k1
GET                       /integration/operations/k1?key=k1
POST                      /integration/restore?key=k1
GET POST                  /integrations/hubspot/actions
GET PUT PATCH DELETE      /integrations/hubspot/actions/k1
POST                      /integrations/hubspot/actions/k1/reset
POST                      /integrations/hubspot/disconnect  # 1.14.1 only
GET POST                  /integrations/hubspot/field-mappings
GET PUT PATCH DELETE      /integrations/hubspot/field-mappings/k1
POST                      /integrations/hubspot/field-mappings/k1/reset
GET POST                  /integrations/hubspot/flows
GET PUT PATCH DELETE      /integrations/hubspot/flows/k1
POST                      /integrations/hubspot/flows/k1/reset
GET                       /integrations/hubspot/operations
GET                       /integrations/hubspot/operations/k1
GET PUT PATCH DELETE      /package?key=k1  # 0.28.3 only
POST                      /package/restore?key=k1  # 0.28.3 only
GET POST                  /packages  # 0.28.3 only
GET PUT PATCH DELETE      /packages/k1  # 0.28.3 only
POST                      /packages/k1/restore  # 0.28.3 only
GET PUT PATCH DELETE      /scenario?key=k1  # 1.14.1 only
POST                      /scenario/restore?key=k1  # 1.14.1 only
GET POST                  /scenarios  # 1.14.1 only
GET PUT PATCH DELETE      /scenarios/k1  # 1.14.1 only
POST                      /scenarios/k1/restore  # 1.14.1 only
GET PUT PATCH DELETE      /screen?key=k1
POST                      /screen/restore?key=k1
GET POST                  /screens
GET PUT PATCH DELETE      /screens/k1
POST                      /screens/k1/restore
"""


def _requests(table: str) -> list[tuple[str, str]]:
    requests = []
    for line in table.strip().splitlines():
        *methods, path = line.split("#")[0].split()
        requests += [(method, path) for method in methods]
    return requests


ROUTES = _requests(WALKED)


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_sdk_calls_not_served_are_501(
    client: httpx.AsyncClient, tenant: Tenant, method: str, path: str
) -> None:
    for token in (tenant.customer("alice"), tenant.admin):
        assert_error(await client.request(method, path, headers=token), 501, "not_implemented")
    assert_error(await client.request(method, path), 401, "not_authenticated")


# Served routes next to the ones above: an unknown element is a 404 there, not a 501.
SERVED = [
    ("GET", "/connections/c1/data-sources"),
    ("GET", "/customer?id=nobody"),
    ("GET", "/integration?key=nothing"),
    ("GET", "/data-link-table?key=nothing"),
    ("GET", "/data-source?key=nothing"),
    ("GET", "/integrations/nothing/data"),
    ("GET", "/integrations/nothing/data/contacts"),
    ("POST", "/data-sources/nothing/setup"),
]


@pytest.mark.parametrize(("method", "path"), SERVED)
async def test_served_neighbours_are_not_shadowed(
    client: httpx.AsyncClient, tenant: Tenant, method: str, path: str
) -> None:
    assert_error(await client.request(method, path, headers=tenant.admin), 404, "not_found")
