"""The caches behind a request's principal (core/auth.py), called directly: what a verified
token, a customer's row id and its stored `fields` let a request skip, and what stops them.

The caches are the process's own, shared with every other test in it: each test here uses a
workspace id no other test has, and forgets what it put.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from datalinks.core.auth import (
    Caller,
    Principal,
    cached_caller,
    cached_principal,
    canonical_json,
    customer_ids,
    forget_customer,
    stored_fields,
    verified_tokens,
)


@dataclass
class Caches:
    """Puts into the shared caches, remembered so that the test's end removes them."""

    workspace_id: str = field(default_factory=lambda: f"unit-ws-{uuid.uuid4().hex}")
    tokens: list[str] = field(default_factory=list)
    customers: list[tuple[str, str]] = field(default_factory=list)

    def caller(
        self,
        internal_id: str = "",
        *,
        admin: bool = False,
        expires_in: float = 600.0,
        fields_json: str | None = None,
    ) -> Caller:
        return Caller(
            self.workspace_id,
            time.time() + expires_in,
            is_admin=admin,
            internal_id=internal_id,
            fields_json=fields_json,
        )

    def verified(self, caller: Caller) -> str:
        token = f"unit-token-{uuid.uuid4().hex}"
        verified_tokens.put(token, caller)
        self.tokens.append(token)
        return token

    def customer_row(self, caller: Caller, row_id: str) -> None:
        customer_ids.put(caller.customer_key, row_id)
        self.customers.append(caller.customer_key)

    def fields(self, caller: Caller, fields_json: str) -> None:
        stored_fields.put(caller.customer_key, fields_json)
        self.customers.append(caller.customer_key)

    def forget_all(self) -> None:
        for token in self.tokens:
            verified_tokens.forget(token)
        for key in self.customers:
            customer_ids.forget(key)
            stored_fields.forget(key)


@pytest.fixture
def caches() -> Iterator[Caches]:
    made = Caches()
    yield made
    made.forget_all()


def test_nothing_is_cached_for_an_unknown_or_empty_token(caches: Caches) -> None:
    token = caches.verified(caches.caller(admin=True))
    assert cached_caller("") is None and cached_principal("") is None
    # Keyed by the exact text: a token one byte off is verified afresh.
    assert cached_caller(token + "x") is None and cached_principal(token[:-1]) is None
    assert cached_caller(token) is not None


def test_a_verified_admin_token_is_a_principal_from_the_cache_alone(caches: Caches) -> None:
    admin = caches.caller(admin=True)
    token = caches.verified(admin)
    assert cached_caller(token) == admin
    assert cached_principal(token) == Principal(caches.workspace_id, None, is_admin=True)


def test_an_expired_token_is_not_honoured_though_still_cached(caches: Caches) -> None:
    expired = caches.caller(admin=True, expires_in=-1)
    token = caches.verified(expired)
    assert verified_tokens.get(token) == expired
    assert cached_caller(token) is None and cached_principal(token) is None


def test_a_customer_token_also_needs_its_customers_row_id(caches: Caches) -> None:
    alice = caches.caller("alice")
    token = caches.verified(alice)
    assert cached_caller(token) == alice
    # Verified, but whose row it is the regular path must look up (and may create).
    assert cached_principal(token) is None
    caches.customer_row(alice, "row-alice")
    assert cached_principal(token) == Principal(caches.workspace_id, "row-alice", is_admin=False)


def test_the_row_id_is_per_workspace_and_internal_id(caches: Caches) -> None:
    alice, bob = caches.caller("alice"), caches.caller("bob")
    alice_token, bob_token = caches.verified(alice), caches.verified(bob)
    caches.customer_row(alice, "row-alice")
    elsewhere = Caches()
    try:
        other_alice = elsewhere.caller("alice")
        other_token = elsewhere.verified(other_alice)
        principal = cached_principal(alice_token)
        assert principal is not None and principal.customer_id == "row-alice"
        assert cached_principal(bob_token) is None
        assert cached_principal(other_token) is None
    finally:
        elsewhere.forget_all()


def test_a_token_with_fields_other_than_the_stored_ones_goes_the_regular_way(
    caches: Caches,
) -> None:
    pro = canonical_json({"plan": "pro", "seats": 3})
    alice = caches.caller("alice", fields_json=pro)
    token = caches.verified(alice)
    caches.customer_row(alice, "row-alice")
    # Nothing stored by this process yet: the regular path must compare with the row.
    assert not alice.fields_stored() and cached_principal(token) is None
    caches.fields(alice, canonical_json({"plan": "free"}))
    assert not alice.fields_stored() and cached_principal(token) is None
    caches.fields(alice, canonical_json({"seats": 3, "plan": "pro"}))
    assert alice.fields_stored()
    assert cached_principal(token) == Principal(caches.workspace_id, "row-alice", is_admin=False)


def test_a_token_without_fields_never_waits_for_stored_ones(caches: Caches) -> None:
    alice = caches.caller("alice")
    token = caches.verified(alice)
    caches.customer_row(alice, "row-alice")
    caches.fields(alice, canonical_json({"plan": "pro"}))
    assert alice.fields_stored()
    assert cached_principal(token) is not None


def test_forgetting_a_customer_stops_every_cached_token_of_it_at_once(caches: Caches) -> None:
    alice, renamed, bob = caches.caller("alice"), caches.caller("alice-2"), caches.caller("bob")
    tokens = [caches.verified(alice), caches.verified(renamed)]
    bob_token = caches.verified(bob)
    # Two internal ids once named the same row (a re-keyed customer), so both are cached.
    caches.customer_row(alice, "row-alice")
    caches.customer_row(renamed, "row-alice")
    caches.customer_row(bob, "row-bob")
    forget_customer("row-alice")
    assert [cached_principal(token) for token in tokens] == [None, None]
    principal = cached_principal(bob_token)
    assert principal is not None and principal.customer_id == "row-bob"


def test_a_row_id_read_before_the_customer_was_forgotten_is_not_cached(caches: Caches) -> None:
    alice = caches.caller("alice")
    token = caches.verified(alice)
    caches.customers.append(alice.customer_key)
    # A request notes the generation and reads the row; meanwhile the customer is archived.
    generation = customer_ids.generation
    forget_customer("row-alice")
    customer_ids.put_unless_forgotten(alice.customer_key, "row-alice", generation)
    assert cached_principal(token) is None
    # A read that starts after the archive is cached.
    customer_ids.put_unless_forgotten(alice.customer_key, "row-new", customer_ids.generation)
    principal = cached_principal(token)
    assert principal is not None and principal.customer_id == "row-new"


def test_canonical_json_ignores_key_order_and_spacing_only() -> None:
    # Stored and sent `fields` are compared as this text.
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": "ü"}]}) == (
        '{"a":[1,{"c":"ü","d":2}],"b":1}'
    )
    assert canonical_json({"a": [1, 2]}) != canonical_json({"a": [2, 1]})
    assert canonical_json({"a": 1}) != canonical_json({"a": "1"})
