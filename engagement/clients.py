"""Who sent a request: the peer, or behind our own load balancers the client they saw (pure).

A trusted load balancer appends the address it saw to X-Forwarded-For; the client is then
the last hop that is not one of ours. From anyone else the header is ignored, whatever it
claims. Without this every client behind nginx would share nginx's address, and one of them
over a limit would stop all the others.
"""

from __future__ import annotations

from collections.abc import Collection


def client_address(remote: str | None, forwarded_for: str | None, trusted: Collection[str]) -> str:
    peer = remote or "unknown"
    if peer not in trusted:
        return peer
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    return next((hop for hop in reversed(hops) if hop not in trusted), peer)
