"""A small in-process cache with expiry, for lookups that change rarely and are checked again
by the database where it matters (each replica keeps its own; entries age out in seconds)."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, ttl_seconds: float, max_entries: int = 100_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        # Bumped by every forget: a value read from the database before a forget may be stale,
        # and put_unless_forgotten refuses it.
        self.generation = 0

    def get(self, key: K) -> V | None:
        hit = self._entries.get(key)
        if hit is None:
            return None
        if hit[0] <= time.monotonic():
            self._entries.pop(key, None)
            return None
        return hit[1]

    def put(self, key: K, value: V) -> None:
        self._entries[key] = (time.monotonic() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def put_unless_forgotten(self, key: K, value: V, generation: int) -> None:
        if generation == self.generation:
            self.put(key, value)

    def forget(self, key: K) -> None:
        self.generation += 1
        self._entries.pop(key, None)

    def forget_where(self, value: V) -> None:
        self.generation += 1
        for key in [k for k, (_, v) in self._entries.items() if v == value]:
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
