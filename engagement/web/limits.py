"""How often one client may call a public route that needs no token: personal links
(``/r/<code>``), whose visits are counted and whose codes could otherwise be guessed or a
share link's counter inflated as fast as the service answers.

Counted like the sign-in guard (``engagement.web.auth.SignInGuard``): in memory, a sliding
window per client address (``client_address``: behind FUSION_TRUSTED_PROXIES, the client
nginx saw). It is per process: with N engagement services behind a load balancer a client
may make up to N times the limit, which is fine for a limit meant to stop a script, not to
count precisely."""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from collections.abc import Callable

from aiohttp import web

VISITS_PER_WINDOW = 60
WINDOW_S = 60.0
_TRACKED = 50_000  # addresses above which those that stopped calling are forgotten


class SlidingWindow:
    """At most ``requests`` per client within ``window_s``; the next one is refused (429,
    with Retry-After) until the oldest of them leaves the window. IPv6 clients count per
    /64, the block one subscriber holds, so rotating addresses inside it changes nothing."""

    def __init__(
        self, requests: int = VISITS_PER_WINDOW, window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self._requests = requests
        self._window_s = window_s
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}

    def take(self, address: str) -> None:
        """Counts one request from ``address``, or raises ``HTTPTooManyRequests``."""
        now = self._clock()
        seen = self._recent(_key(address), now)
        if len(seen) >= self._requests:
            wait = int(seen[0] + self._window_s - now) + 1
            raise web.HTTPTooManyRequests(
                reason=f"too many requests from this address: try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        seen.append(now)
        if len(self._seen) > _TRACKED:
            for stale in [key for key, times in self._seen.items() if not times]:
                del self._seen[stale]

    def _recent(self, key: str, now: float) -> deque[float]:
        seen = self._seen.setdefault(key, deque())
        while seen and seen[0] <= now - self._window_s:
            seen.popleft()
        return seen


def _key(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)
