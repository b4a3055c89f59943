"""TtlCache's promises, through its public methods only (what it is built on may change):
entries expire, the size is bounded, and a value read before a `forget` is never cached."""

from __future__ import annotations

import time

from datalinks.core.cache import TtlCache

# Long enough that a loaded machine reads an entry back well within it, short enough to wait
# out; the reads that must find the entry check the clock first.
TTL = 0.3


def test_an_entry_is_there_until_its_ttl_and_gone_after() -> None:
    cache: TtlCache[str, int] = TtlCache(TTL)
    put_at = time.monotonic()
    cache.put("k", 1)
    found = cache.get("k")
    if time.monotonic() - put_at < TTL:
        assert found == 1
    time.sleep(TTL * 1.5)
    assert cache.get("k") is None


def test_putting_again_starts_the_ttl_again() -> None:
    cache: TtlCache[str, int] = TtlCache(TTL)
    cache.put("k", 1)
    time.sleep(TTL * 0.6)
    put_at = time.monotonic()
    cache.put("k", 2)
    time.sleep(TTL * 0.6)
    # Past the first put's TTL, within the second's.
    found = cache.get("k")
    if time.monotonic() - put_at < TTL:
        assert found == 2


def test_a_missing_key_is_none_and_falsy_values_are_values() -> None:
    cache: TtlCache[str, int | str] = TtlCache(60)
    assert cache.get("missing") is None
    cache.put("zero", 0)
    cache.put("empty", "")
    assert cache.get("zero") == 0
    assert cache.get("empty") == ""


def test_the_size_is_bounded_and_the_oldest_entries_go_first() -> None:
    cache: TtlCache[int, str] = TtlCache(60, max_entries=3)
    for key in range(5):
        cache.put(key, f"v{key}")
    assert [cache.get(key) for key in range(5)] == [None, None, "v2", "v3", "v4"]


def test_forget_drops_one_key_and_moves_the_generation() -> None:
    cache: TtlCache[str, str] = TtlCache(60)
    cache.put("a", "1")
    cache.put("b", "2")
    before = cache.generation
    cache.forget("a")
    assert cache.get("a") is None and cache.get("b") == "2"
    assert cache.generation > before
    # Forgetting what is not there still moves it: a reader may hold a value from before.
    moved = cache.generation
    cache.forget("never-put")
    assert cache.generation > moved


def test_forget_where_drops_every_key_holding_the_value() -> None:
    cache: TtlCache[tuple[str, str], str] = TtlCache(60)
    cache.put(("ws", "alice"), "row-1")
    cache.put(("ws", "alice-renamed"), "row-1")
    cache.put(("ws", "bob"), "row-2")
    before = cache.generation
    cache.forget_where("row-1")
    assert cache.get(("ws", "alice")) is None
    assert cache.get(("ws", "alice-renamed")) is None
    assert cache.get(("ws", "bob")) == "row-2"
    assert cache.generation > before


def test_a_value_read_before_a_forget_is_not_cached() -> None:
    cache: TtlCache[str, str] = TtlCache(60)
    # A reader notes the generation, then reads the database ...
    generation = cache.generation
    # ... while a writer changes the row and forgets it ...
    cache.forget("k")
    # ... so what the reader read may be stale, and is refused.
    cache.put_unless_forgotten("k", "stale", generation)
    assert cache.get("k") is None
    # Read again after the forget: cached.
    cache.put_unless_forgotten("k", "fresh", cache.generation)
    assert cache.get("k") == "fresh"


def test_clear_empties_the_cache() -> None:
    cache: TtlCache[str, str] = TtlCache(60)
    cache.put("a", "1")
    cache.put("b", "2")
    cache.clear()
    assert cache.get("a") is None and cache.get("b") is None
    cache.put("a", "3")
    assert cache.get("a") == "3"
