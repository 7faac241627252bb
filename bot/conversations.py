"""The engagement core's ``Conversations`` port, on Rasa: its HTTP API to hand a paused
conversation back and to show nudges, its SQL tracker store to erase a conversation's
history (Rasa has no endpoint that deletes a tracker).

With several Rasa servers sharing one tracker store, a conversation always goes to the
same server (a stable hash of its id), so its turns never race across servers."""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import aiohttp
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from engagement.ports import ConversationState, ConversationsUnavailable
from engagement.settings import Settings

TIMEOUT = aiohttp.ClientTimeout(total=10)
NUDGE_INTENT = "EXTERNAL_nudge"
# a conversation that moved less than this ago is not interrupted by a nudge
QUIET_BEFORE_NUDGE_S = 180


class RasaConversations:
    def __init__(
        self, rasa_urls: Sequence[str], token: str | None, tracker_db_url: str,
        quiet_before_nudge_s: int = QUIET_BEFORE_NUDGE_S,
    ) -> None:  # fmt: skip
        if not rasa_urls:
            raise ValueError("at least one Rasa server is needed")
        self._quiet_before_nudge_s = quiet_before_nudge_s
        self._rasa_urls = tuple(url.rstrip("/") for url in rasa_urls)
        self._token = token
        self._tracker_db_url = tracker_db_url
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> RasaConversations:
        return cls(
            settings.rasa_urls,
            settings.rasa_token,
            f"sqlite+aiosqlite:///{settings.tracker_store_path}",
            settings.nudge_quiet_s,
        )

    @property
    def servers(self) -> int:
        return len(self._rasa_urls)

    def server_of(self, sender_id: str) -> str:
        return self._rasa_urls[zlib.crc32(sender_id.encode()) % len(self._rasa_urls)]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def resume(self, sender_id: str) -> None:
        # ``action_listen`` closes the turn that was paused (the customer may have written
        # meanwhile, unanswered), so the next message is predicted as a fresh turn.
        events = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        await self._call("POST", sender_id, "tracker/events", json=events)

    async def state(self, sender_id: str, channel: str) -> ConversationState:
        """In a form, paused for a person, or active in the last few minutes, and the nudges
        already shown (Rasa's tracker without its events: its slots say so); on socket.io,
        whether the customer is connected (our channel's presence route)."""
        tracker = await self._call("GET", sender_id, "tracker", params={"include_events": "NONE"})
        shown = frozenset((tracker.get("slots") or {}).get("nudges_shown") or ())
        online = await self._online(sender_id) if channel == "socketio" else None
        return ConversationState(busy=self._busy(tracker), shown=shown, online=online)

    async def _online(self, sender_id: str) -> bool | None:
        """None when the server cannot tell (an older channel, no token): the nudge goes."""
        url = f"{self.server_of(sender_id)}/webhooks/socketio/presence/{quote(sender_id, safe='')}"
        try:
            answer = await self._request("GET", url, {}, None)
        except ConversationsUnavailable:
            return None
        return bool(answer.get("online"))

    def _busy(self, tracker: dict[str, Any]) -> str | None:
        if (tracker.get("active_loop") or {}).get("name"):
            return "in_form"
        if tracker.get("paused"):
            return "handoff"
        latest = tracker.get("latest_event_time")
        if latest and time.time() - float(latest) < self._quiet_before_nudge_s:
            return "recent_message"
        return None

    async def nudge(self, sender_id: str, channel: str, text: str, key: str) -> None:
        """``trigger_intent`` with the channel named; the text and the key travel as
        entities, so the domain's nudge rule shows it and ignores a repeated key."""
        body = {"name": NUDGE_INTENT, "entities": {"nudge_text": text, "nudge_key": key}}
        await self._call(
            "POST", sender_id, "trigger_intent", params={"output_channel": channel}, json=body
        )

    async def _call(
        self, method: str, sender_id: str, path: str, *, params: dict[str, str] | None = None,
        json: dict[str, Any] | list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        url = f"{self.server_of(sender_id)}/conversations/{quote(sender_id, safe='')}/{path}"
        return await self._request(method, url, params or {}, json)

    async def _request(
        self, method: str, url: str, params: dict[str, str],
        json: dict[str, Any] | list[dict[str, Any]] | None,
    ) -> dict[str, Any]:  # fmt: skip
        query = {**params, **({"token": self._token} if self._token else {})}
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        try:
            async with self._session.request(method, url, params=query, json=json) as answer:
                if answer.status != 200:
                    detail = (await answer.text())[:200]
                    raise ConversationsUnavailable(f"Rasa answered {answer.status}: {detail}")
                return dict(await answer.json())
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ConversationsUnavailable(f"Rasa is unreachable: {exc!r}") from None

    async def erase(self, sender_ids: Sequence[str]) -> int:
        engine = create_async_engine(self._tracker_db_url, connect_args={"timeout": 30})
        try:
            async with engine.begin() as conn:
                result = await conn.execute(
                    sa.text("DELETE FROM events WHERE sender_id IN :ids").bindparams(
                        sa.bindparam("ids", expanding=True)
                    ),
                    {"ids": list(sender_ids)},
                )
        except OperationalError as exc:
            if "no such table" in str(exc):
                return 0  # no conversation was ever stored
            raise
        finally:
            await engine.dispose()
        return int(result.rowcount or 0)
