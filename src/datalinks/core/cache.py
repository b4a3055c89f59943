"""A small in-process cache with expiry, for lookups that change rarely and are checked again
by the database where it matters (each replica keeps its own; entries age out in seconds).

Expiry and the size bound are cachetools' TTLCache; what this adds is the `generation`
guard: a value read from the database before a `forget` may be stale, and
`put_unless_forgotten` refuses it."""

from __future__ import annotations

import time
from typing import Generic, TypeVar

from cachetools import TTLCache

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, ttl_seconds: float, max_entries: int = 100_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: TTLCache[K, V] = TTLCache(
            maxsize=max_entries, ttl=ttl_seconds, timer=time.monotonic
        )
        # Bumped by every forget.
        self.generation = 0

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value

    def put_unless_forgotten(self, key: K, value: V, generation: int) -> None:
        if generation == self.generation:
            self.put(key, value)

    def forget(self, key: K) -> None:
        self.generation += 1
        self._entries.pop(key, None)

    def forget_where(self, value: V) -> None:
        self.generation += 1
        for key in [k for k, v in self._entries.items() if v == value]:
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
