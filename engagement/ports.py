"""Small interfaces through which the core reaches the outside world (README: architecture)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ConversationsUnavailable(RuntimeError):
    """The conversation side did not take the request (down, or refused it)."""


@dataclass(frozen=True)
class ConversationState:
    busy: str | None = None  # why a nudge must wait: in a form, paused for a person, wrote…
    shown: frozenset[str] = frozenset()  # the keys of the nudges it already showed
    online: bool | None = None  # None when the channel cannot tell


@dataclass(frozen=True)
class Message:
    """One message of a conversation as the conversation side keeps it: the customer's
    words (``by`` "customer") or the assistant's (``by`` "assistant", with what it showed
    besides the text: ``buttons`` as [{title, payload}], ``extra`` an image, attachment,
    cards or a custom payload)."""

    by: str
    text: str
    at: datetime
    buttons: tuple[dict[str, str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


class Conversations(Protocol):
    """The conversation side (Rasa's server and tracker store), seen from the core."""

    async def resume(self, sender_id: str) -> None:
        """Hands a paused conversation back to the assistant."""

    async def erase(self, sender_ids: Sequence[str]) -> int:
        """Erases these conversations' history; how many stored events were erased."""

    async def history(self, sender_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Every stored event of these conversations, oldest first (a customer's export)."""

    async def messages(
        self, sender_id: str, *, since: datetime | None = None, last: int = 100
    ) -> list[Message]:
        """What the customer and the assistant said in this conversation, oldest first: the
        ``last`` messages, from ``since`` on when given. Nothing else (no slot, no action)."""

    async def states(
        self, conversations: Sequence[tuple[str, str]]
    ) -> dict[str, ConversationState]:
        """For each (conversation, channel): whether a nudge should wait, which nudges it
        already showed, and whether the customer is there (channels that can tell)."""

    async def close(self) -> None:
        """Releases its connections (the application is stopping)."""

    async def nudge(self, sender_id: str, channel: str, text: str, key: str) -> None:
        """Shows ``text`` in that conversation on that channel; ``key`` makes a retry of a
        nudge that did arrive harmless."""
