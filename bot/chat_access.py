"""Who a REST or socket.io message speaks for, and how often a client may write.

A message reaches a customer's conversation (its id is the shop's customer id) only with a
customer token for that customer (``engagement.customer_tokens``); anything else talks in
an anonymous conversation whose id starts with "~". Limits count messages per conversation
and per client address in a sliding minute, in this Rasa server's memory (each server of a
deployment counts its own: nginx spreads one client over few of them).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from engagement.clients import client_address
from engagement.customer_tokens import (
    InvalidCustomerToken,
    new_web_anonymous_id,
    rest_anonymous_id,
    verify_customer_token,
)

MAX_SENDER_LENGTH = 128
WINDOW_S = 60.0
MAX_TRACKED = 50_000


class AccessRefused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class SlidingLimit:
    """At most ``limit`` hits per key within ``WINDOW_S`` seconds; the oldest keys are
    forgotten past ``MAX_TRACKED`` so that a flood of new keys cannot grow memory."""

    limit: int
    clock: Callable[[], float] = time.monotonic
    _hits: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def allow(self, key: str) -> bool:
        now = self.clock()
        hits = self._hits.pop(key, None) or deque()
        while hits and now - hits[0] >= WINDOW_S:
            hits.popleft()
        self._hits[key] = hits
        if len(self._hits) > MAX_TRACKED:
            self._hits.popitem(last=False)
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True


@dataclass
class ChatAccess:
    customer_token_secret: str | None
    server_secret: str
    per_conversation: SlidingLimit
    per_client: SlidingLimit
    trusted_proxies: tuple[str, ...] = ()

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> ChatAccess:
        options = credentials or {}
        server_secret = str(options.get("server_secret") or "")
        if len(server_secret) < 16:
            raise ValueError("the chat channels need server_secret (FUSION_SERVER_SECRET)")
        return cls(
            customer_token_secret=str(options.get("customer_token_secret") or "") or None,
            server_secret=server_secret,
            per_conversation=SlidingLimit(_positive(options, "messages_per_minute", 30)),
            per_client=SlidingLimit(_positive(options, "messages_per_minute_per_client", 600)),
            trusted_proxies=tuple(
                part.strip() for part in str(options.get("trusted_proxies") or "").split(",")
                if part.strip()
            ),
        )

    def customer_of_token(self, token: object) -> str:
        """The customer a token proves; ``AccessRefused`` (401) when it proves nothing."""
        if not self.customer_token_secret:
            raise AccessRefused("this server takes no customer tokens", 401)
        try:
            return verify_customer_token(
                self.customer_token_secret, token, datetime.now(timezone.utc)
            )
        except InvalidCustomerToken as exc:
            raise AccessRefused(str(exc), 401) from None

    def rest_conversation(self, authorization: str | None, sender: object) -> str:
        """REST: the token's customer, else the anonymous conversation of ``sender``."""
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AccessRefused("Authorization must be 'Bearer <customer token>'", 401)
            return self.customer_of_token(token.strip())
        if not isinstance(sender, str) or not sender.strip():
            raise AccessRefused("a message needs a 'sender' or a customer token", 400)
        if len(sender) > MAX_SENDER_LENGTH:
            raise AccessRefused(f"'sender' is longer than {MAX_SENDER_LENGTH}", 400)
        if not is_unicode(sender):
            raise AccessRefused("'sender' is not valid Unicode text", 400)
        return rest_anonymous_id(self.server_secret, sender)

    def new_anonymous(self) -> str:
        return new_web_anonymous_id(self.server_secret)

    def client(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address, behind our own load balancers (FUSION_TRUSTED_PROXIES)."""
        return client_address(peer, forwarded_for, self.trusted_proxies)

    def client_tag(self, address: str | None) -> str:
        digest = hmac.new(self.server_secret.encode(), b"client:" + (address or "").encode(),
                          hashlib.sha256)  # fmt: skip
        return digest.hexdigest()[:24]

    def admit(self, conversation: str, address: str | None) -> bool:
        """Whether one more message from this client to this conversation is within limits."""
        return self.per_client.allow(self.client_tag(address)) and self.per_conversation.allow(
            conversation
        )


def is_unicode(text: str) -> bool:
    """False for text with lone surrogates (JSON's "\\ud800"), which no database stores."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _positive(options: Mapping[str, Any], name: str, default: int) -> int:
    value = int(options.get(name) or default)
    if value < 1:
        raise ValueError(f"{name} must be positive")
    return value
