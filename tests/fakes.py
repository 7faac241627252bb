"""In-memory stand-ins for the core's ports."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


class FixedClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class RecordingConversations:
    """Stands for Rasa where a test only needs what was asked of it: the nudges shown,
    conversations resumed; ``busy`` and ``down`` script its answers."""

    def __init__(self, *, down: bool = False) -> None:
        self.nudges: list[tuple[str, str, str, str]] = []
        self.resumed: list[str] = []
        self.busy_senders: dict[str, str] = {}
        self.down = down

    def _check(self) -> None:
        from engagement.ports import ConversationsUnavailable

        if self.down:
            raise ConversationsUnavailable("Rasa is unreachable")

    async def resume(self, sender_id: str) -> None:
        self._check()
        self.resumed.append(sender_id)

    async def erase(self, sender_ids) -> int:  # type: ignore[no-untyped-def]
        return 0

    async def busy(self, sender_id: str) -> str | None:
        self._check()
        return self.busy_senders.get(sender_id)

    async def nudge(self, sender_id: str, channel: str, text: str, key: str) -> None:
        self._check()
        self.nudges.append((sender_id, channel, text, key))
