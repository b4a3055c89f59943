"""Per-caller rate limiting: one token bucket per authenticated caller, in this process.

Off unless `rate_limit_per_second` is set (the embedded single-user setup has nobody to limit).
A caller is a workspace's admin tokens together, or one customer of a workspace, whichever
token it presents: minting a fresh token does not buy a fresh bucket. Buckets are keyed only
after the token's signature checked out, so nobody can drain another caller's bucket with
forged tokens. Each worker process counts on its own; a client on one keep-alive connection
talks to one process.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from datalinks.core.errors import RateLimited
from datalinks.settings import Settings

# Callers idle long enough are full again and forgotten; this bounds the memory when very many
# distinct callers pass by (a forgotten caller only gets its burst back).
MAX_CALLERS = 100_000


class RateLimiter:
    def __init__(
        self,
        per_second: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = MAX_CALLERS,
    ) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self.per_second = per_second
        self.burst = burst
        self.clock = clock
        self.max_callers = max_callers
        # caller -> (tokens left, when counted); least recently seen first.
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter | None:
        if not settings.rate_limit_per_second:
            return None
        burst = settings.rate_limit_burst or max(1, math.ceil(settings.rate_limit_per_second))
        return cls(settings.rate_limit_per_second, burst)

    def wait_seconds(self, caller: Hashable) -> float:
        """Take one request from the caller's bucket: 0.0 when it may go ahead, else how long
        until it may (nothing is taken then, so a client that keeps hammering does not push its
        own retry time further out)."""
        now = self.clock()
        tokens, counted = self._buckets.pop(caller, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - counted) * self.per_second)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.per_second
        self._buckets[caller] = (tokens, now)
        while len(self._buckets) > self.max_callers:
            self._buckets.popitem(last=False)
        return wait

    def check(self, caller: Hashable) -> None:
        wait = self.wait_seconds(caller)
        if wait > 0:
            raise RateLimited(retry_after=max(1, math.ceil(wait)))
