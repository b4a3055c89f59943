"""Per-caller rate limiting: off by default; when on, a caller past its burst gets 429
`rate_limit_exceeded` with `Retry-After`, and other callers are not affected."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from datalinks.app import create_app
from datalinks.core.errors import RateLimited
from datalinks.core.rate_limit import RateLimiter
from datalinks.db.engine import Database
from datalinks.models import Customer
from datalinks.settings import Settings
from tests.support.helpers import Tenant, assert_error

BURST = 3
# So slow that no request of this test is ever refilled: counts are exact on a busy machine.
CRAWL = 0.001


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_the_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=2.0, burst=3, clock=clock)
    assert [limiter.wait_seconds("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait_seconds("a") == pytest.approx(0.5)
    # A refused request takes nothing: waiting the advertised time is enough.
    assert limiter.wait_seconds("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.wait_seconds("a") == 0.0
    assert limiter.wait_seconds("a") == pytest.approx(0.5)
    # Idle time fills the bucket up to the burst, never beyond.
    clock.now += 3600
    assert [limiter.wait_seconds("a") for _ in range(4)][-1] == pytest.approx(0.5)


def test_callers_have_buckets_of_their_own() -> None:
    limiter = RateLimiter(per_second=1.0, burst=1, clock=Clock())
    assert limiter.wait_seconds("a") == 0.0
    assert limiter.wait_seconds("a") > 0
    assert limiter.wait_seconds("b") == 0.0


def test_check_raises_with_whole_seconds_to_wait() -> None:
    limiter = RateLimiter(per_second=0.4, burst=1, clock=Clock())
    limiter.check("a")
    with pytest.raises(RateLimited) as refused:
        limiter.check("a")
    assert refused.value.retry_after == 3  # 2.5 s, rounded up
    assert refused.value.status_code == 429 and refused.value.key == "rate_limit_exceeded"


def test_memory_is_bounded_by_forgetting_the_longest_idle() -> None:
    limiter = RateLimiter(per_second=1.0, burst=1, clock=Clock(), max_callers=2)
    limiter.wait_seconds("a")
    limiter.wait_seconds("b")
    limiter.wait_seconds("a")
    limiter.wait_seconds("c")  # forgets b, the longest idle
    assert limiter.wait_seconds("a") > 0
    assert limiter.wait_seconds("b") == 0.0


def test_settings() -> None:
    assert RateLimiter.from_settings(Settings()) is None
    limiter = RateLimiter.from_settings(Settings(rate_limit_per_second=2.5))
    assert limiter is not None and (limiter.per_second, limiter.burst) == (2.5, 3)
    limiter = RateLimiter.from_settings(Settings(rate_limit_per_second=0.1, rate_limit_burst=20))
    assert limiter is not None and limiter.burst == 20
    with pytest.raises(ValueError):
        Settings(rate_limit_per_second=-1)


@pytest.fixture
async def limited(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings.model_copy(update={"rate_limit_per_second": CRAWL, "rate_limit_burst": BURST}),
        database=database,
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://datalinks.test") as c:
        yield c


async def _spend(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for _ in range(BURST):
        response = await client.get("/integrations", headers=headers)
        assert response.status_code == 200, response.text


async def test_past_the_burst_is_429_with_retry_after(
    limited: httpx.AsyncClient, tenant: Tenant
) -> None:
    await _spend(limited, tenant.admin)
    for method, path, body in (
        ("GET", "/integrations", None),
        ("POST", "/integrations", {"name": "Refused"}),
    ):
        response = await limited.request(method, path, json=body, headers=tenant.admin)
        body_seen = assert_error(response, 429, "rate_limit_exceeded")
        assert "retry" in body_seen["message"].lower()
        assert int(response.headers["Retry-After"]) == 1000
    # Refused requests changed nothing.
    listed = await limited.get("/integrations", headers=tenant.admin)
    assert listed.status_code == 429


async def test_a_fresh_token_of_the_same_caller_shares_its_bucket(
    limited: httpx.AsyncClient, tenant: Tenant
) -> None:
    await _spend(limited, tenant.customer("alice"))
    again = {"Authorization": f"Bearer {tenant.token(customer_id='alice', ttl_seconds=99)}"}
    assert_error(await limited.get("/self", headers=again), 429, "rate_limit_exceeded")


async def test_other_callers_are_not_affected(
    limited: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    await _spend(limited, tenant.customer("alice"))
    assert_error(await limited.get("/self", headers=tenant.customer("alice")), 429)
    for path, headers in (
        ("/self", tenant.customer("bob")),
        ("/customers", tenant.admin),
        ("/self", other_tenant.customer("alice")),
    ):
        response = await limited.get(path, headers=headers)
        assert response.status_code == 200, response.text
    # The refused request did not create or touch alice (she was created by her first one).
    assert await tenant.count(Customer) == 2


async def test_a_limited_new_customer_is_not_created(
    settings: Settings, database: Database, tenant: Tenant
) -> None:
    app = create_app(
        settings.model_copy(update={"rate_limit_per_second": CRAWL, "rate_limit_burst": 1}),
        database=database,
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://datalinks.test") as client:
        limiter: Any = app.state.rate_limiter
        limiter.check((tenant.workspace_id, "newcomer"))  # its one request, spent elsewhere
        response = await client.get("/self", headers=tenant.customer("newcomer"))
        assert_error(response, 429, "rate_limit_exceeded")
    assert await tenant.count(Customer) == 0


async def test_bad_tokens_and_probes_do_not_spend_a_bucket(
    limited: httpx.AsyncClient, tenant: Tenant
) -> None:
    forged = {"Authorization": f"Bearer {tenant.token(admin=True)}x"}
    for _ in range(BURST * 3):
        assert_error(await limited.get("/integrations", headers=forged), 401)
        assert (await limited.get("/health")).status_code == 200
    await _spend(limited, tenant.admin)


async def test_off_by_default(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for _ in range(50):
        response = await client.get("/integrations", headers=tenant.admin)
        assert response.status_code == 200, response.text
