"""Connector-backed routes the SDK can reach answer 501, never 404 (contract §11)."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import Tenant, assert_error

ROUTES = [
    ("POST", "/connections/c1/api/contacts"),
    ("GET", "/connections/c1/proxy/v1/users"),
    ("GET", "/connections/c1/operations/list-users"),
    ("POST", "/connections/c1/operations/list-users/run"),
    ("GET", "/connections/c1/data/contacts"),
    ("POST", "/connections/c1/data/contacts/list"),
    ("POST", "/connections/c1/execute-request"),
    ("POST", "/connections/c1/refresh-credentials"),
    ("GET", "/integrations/hubspot/connector-spec"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_connector_routes_are_501(
    client: httpx.AsyncClient, tenant: Tenant, method: str, path: str
) -> None:
    r = await client.request(method, path, headers=tenant.customer("alice"))
    assert_error(r, 501, "not_implemented")
    assert_error(await client.request(method, path), 401, "not_authenticated")


async def test_data_sources_under_a_connection_are_still_served(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    r = await client.get("/connections/c1/data-sources", headers=tenant.customer("alice"))
    assert_error(r, 404, "not_found")
