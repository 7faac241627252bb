"""Small interfaces through which the core reaches the outside world (DESIGN §8)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ConversationsUnavailable(RuntimeError):
    """The conversation side did not take the request (down, or refused it)."""


class Conversations(Protocol):
    """The conversation side (Rasa's server and tracker store), seen from the core."""

    async def resume(self, sender_id: str) -> None:
        """Hands a paused conversation back to the assistant."""

    async def erase(self, sender_ids: Sequence[str]) -> int:
        """Erases these conversations' history; how many stored events were erased."""

    async def busy(self, sender_id: str) -> str | None:
        """Why a nudge should wait (in a form, paused for a person, wrote a moment ago)."""

    async def nudge(self, sender_id: str, channel: str, text: str, key: str) -> None:
        """Shows ``text`` in that conversation on that channel; ``key`` makes a retry of a
        nudge that did arrive harmless."""
