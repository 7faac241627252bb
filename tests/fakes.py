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
    conversations resumed; ``busy_senders``, ``offline``, ``down``, ``lose_answers`` and
    ``said`` (each conversation's messages) script its answers. Like the tracker's
    ``nudges_shown`` slot, it knows the keys it showed."""

    def __init__(self, *, down: bool = False) -> None:
        self.said: dict[str, list] = {}  # sender id → engagement.ports.Message, oldest first
        self.nudges: list[tuple[str, str, str, str]] = []
        self.resumed: list[str] = []
        self.busy_senders: dict[str, str] = {}
        self.offline: set[str] = set()
        self.down = down
        self.lose_answers = False
        self.closed = False

    def _check(self) -> None:
        from engagement.ports import ConversationsUnavailable

        if self.down:
            raise ConversationsUnavailable("Rasa is unreachable")

    async def resume(self, sender_id: str) -> None:
        self._check()
        self.resumed.append(sender_id)

    async def erase(self, sender_ids) -> int:  # type: ignore[no-untyped-def]
        return 0

    async def history(self, sender_ids):  # type: ignore[no-untyped-def]
        self._check()
        return [{"conversation": s, "type": "bot", "event": {"text": text}}
                for s, _, text, _ in self.nudges if s in sender_ids]  # fmt: skip

    async def messages(self, sender_id: str, *, since=None, last: int = 100):  # type: ignore[no-untyped-def]
        self._check()
        said = [m for m in self.said.get(sender_id, []) if since is None or m.at >= since]
        return said[-last:]

    async def states(self, conversations):  # type: ignore[no-untyped-def]
        from engagement.ports import ConversationState

        self._check()
        return {
            sender_id: ConversationState(
                busy=self.busy_senders.get(sender_id),
                shown=frozenset(key for s, _, _, key in self.nudges if s == sender_id),
                online=None if sender_id not in self.offline else False,
            )
            for sender_id, _ in conversations
        }

    async def close(self) -> None:
        self.closed = True

    async def nudge(self, sender_id: str, channel: str, text: str, key: str) -> None:
        """Records it; with ``lose_answers`` the nudge arrives but the caller hears an error
        (a time-out after Rasa took it)."""
        self._check()
        self.nudges.append((sender_id, channel, text, key))
        if self.lose_answers:
            from engagement.ports import ConversationsUnavailable

            raise ConversationsUnavailable("timed out")
