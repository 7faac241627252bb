"""The engagement core's ``Conversations`` port, on Rasa: its HTTP API to hand a paused
conversation back and to show nudges, its SQL tracker store to read what was said and to
erase a conversation's history (Rasa has no endpoint that deletes a tracker).

With several Rasa servers sharing one tracker store, a conversation always goes to the
same server (a stable hash of its id), so its turns never race across servers."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import zlib
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import aiohttp
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.rasa_api import bearer
from engagement.ports import ConversationState, ConversationsUnavailable, Message
from engagement.settings import Settings
from engagement.storage.database import is_missing_table

TIMEOUT = aiohttp.ClientTimeout(total=10)
# Rasa's SQL tracker store table (rasa/core/tracker_store.py, SQLEvent), read as it is
_EVENTS = sa.table(
    "events", sa.column("id"), sa.column("sender_id"), sa.column("type_name"),
    sa.column("timestamp"), sa.column("data"),
)  # fmt: skip
NUDGE_INTENT = "EXTERNAL_nudge"
# the metadata Rasa gives the user event of a trigger_intent call (UserUttered.create_external)
IS_EXTERNAL = "is_external"
# what a bot event shows besides its text and buttons (its "data", as the channels send it)
SHOWN = ("image", "attachment", "elements", "custom", "quick_replies")
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
        self._engine: AsyncEngine | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> RasaConversations:
        return cls(
            settings.rasa_urls,
            settings.rasa_token,
            settings.tracker_db_url,
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
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def resume(self, sender_id: str) -> None:
        # ``action_listen`` closes the turn that was paused (the customer may have written
        # meanwhile, unanswered), so the next message is predicted as a fresh turn.
        events = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        await self._call("POST", sender_id, "tracker/events", json=events)

    async def states(
        self, conversations: Sequence[tuple[str, str]]
    ) -> dict[str, ConversationState]:
        """Read from the SQL tracker store in two queries for the whole batch (asking Rasa's
        API for each tracker would cost Rasa nearly a turn per nudge), or over the API when
        there is no SQL store; socket.io presence is asked of our channel."""
        senders = list(dict.fromkeys(sender for sender, _ in conversations))
        if not senders:
            return {}
        if self._tracker_db_url:
            found = await self._states_from_store(senders)
        else:
            found = {sender: await self._state_over_api(sender) for sender in senders}
        web = [sender for sender, channel in conversations if channel == "socketio"]
        for sender, online in zip(web, await asyncio.gather(*map(self._online, web)), strict=False):
            found[sender] = dataclasses.replace(found[sender], online=online)
        return found

    async def _state_over_api(self, sender_id: str) -> ConversationState:
        tracker = await self._call("GET", sender_id, "tracker", params={"include_events": "NONE"})
        shown = frozenset((tracker.get("slots") or {}).get("nudges_shown") or ())
        return ConversationState(busy=self._busy(tracker), shown=shown)

    async def _states_from_store(self, senders: list[str]) -> dict[str, ConversationState]:
        e = _EVENTS
        latest_of_each_type = (
            sa.select(sa.func.max(e.c.id)).where(e.c.sender_id.in_(senders))
            .group_by(e.c.sender_id, e.c.type_name)
        )  # fmt: skip
        latest_shown = (
            sa.select(sa.func.max(e.c.id))
            .where(e.c.sender_id.in_(senders), e.c.type_name == "slot",
                   e.c.data.like('%"nudges_shown"%'))
            .group_by(e.c.sender_id)
        )  # fmt: skip
        try:
            async with self._tracker_store().connect() as conn:
                rows = list(await conn.execute(sa.select(e).where(
                    e.c.id.in_(latest_of_each_type) | e.c.id.in_(latest_shown)
                )))  # fmt: skip
        except DBAPIError as exc:
            if is_missing_table(exc):
                return {sender: ConversationState() for sender in senders}
            raise ConversationsUnavailable(f"the tracker store is unreachable: {exc}") from None
        except (OSError, SQLAlchemyError) as exc:
            raise ConversationsUnavailable(f"the tracker store is unreachable: {exc}") from None
        latest: dict[str, dict[str, Any]] = {sender: {} for sender in senders}
        for row in rows:
            kinds = latest[row.sender_id]
            shown = row.type_name == "slot" and '"nudges_shown"' in (row.data or "")
            if shown and row.id >= kinds.get("shown", (0, None))[0]:
                kinds["shown"] = (row.id, row)
            if row.id >= kinds.get(row.type_name, (0, None))[0]:
                kinds[row.type_name] = (row.id, row)
        return {sender: self._state_from_events(kinds) for sender, kinds in latest.items()}

    def _state_from_events(self, kinds: dict[str, tuple[int, Any]]) -> ConversationState:
        """A session start resets the tracker (no form, no pause); after it, the latest
        ``active_loop`` event says whether a form runs and ``pause``/``resume`` whether a
        person has the conversation."""

        def after_start(kind: str) -> Any:
            found = kinds.get(kind)
            start = kinds.get("session_started", (0, None))[0]
            return found[1] if found and found[0] > start else None

        busy = None
        loop = after_start("active_loop")
        if loop is not None and (_json(loop.data).get("name")):
            busy = "in_form"
        pause, resume = after_start("pause"), after_start("resume")
        if busy is None and pause is not None and (resume is None or resume.id < pause.id):
            busy = "handoff"
        moments = [row.timestamp for _, row in kinds.values() if row.timestamp]
        if busy is None and moments and time.time() - max(moments) < self._quiet_before_nudge_s:
            busy = "recent_message"
        shown_row = kinds.get("shown", (0, None))[1]
        shown = frozenset(_json(shown_row.data).get("value") or ()) if shown_row else frozenset()
        return ConversationState(busy=busy, shown=shown)

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
        headers = bearer(self._token) if self._token else {}
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        try:
            async with self._session.request(
                method, url, params=params, json=json, headers=headers
            ) as answer:
                if answer.status != 200:
                    detail = (await answer.text())[:200]
                    raise ConversationsUnavailable(f"Rasa answered {answer.status}: {detail}")
                return dict(await answer.json())
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ConversationsUnavailable(f"Rasa is unreachable: {exc!r}") from None

    def _tracker_store(self) -> AsyncEngine:
        if self._engine is None:
            options = {"timeout": 30} if self._tracker_db_url.startswith("sqlite") else {}
            self._engine = create_async_engine(self._tracker_db_url, connect_args=options)
        return self._engine

    async def history(self, sender_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Read from the SQL tracker store, as Rasa stored them (its API would need one call
        per conversation and skips nothing we keep)."""
        e = _EVENTS
        try:
            async with self._tracker_store().connect() as conn:
                rows = await conn.execute(
                    sa.select(e.c.sender_id, e.c.type_name, e.c.timestamp, e.c.data)
                    .where(e.c.sender_id.in_(list(sender_ids))).order_by(e.c.id)
                )  # fmt: skip
                return [
                    {"conversation": row.sender_id, "type": row.type_name,
                     "timestamp": row.timestamp, "event": _json(row.data)}
                    for row in rows
                ]  # fmt: skip
        except DBAPIError as exc:
            if is_missing_table(exc):
                return []  # no conversation was ever stored
            raise ConversationsUnavailable(f"the tracker store did not answer: {exc}") from None

    async def messages(
        self, sender_id: str, *, since: datetime | None = None, last: int = 100
    ) -> list[Message]:
        """The user and bot events of the SQL tracker store, every session (Rasa's API
        gives the current one only); a nudge's trigger is not the customer's words."""
        e = _EVENTS
        query = (
            sa.select(e.c.type_name, e.c.timestamp, e.c.data)
            .where(e.c.sender_id == sender_id, e.c.type_name.in_(("user", "bot")))
            .order_by(e.c.id.desc()).limit(last)
        )  # fmt: skip
        if since is not None:
            query = query.where(e.c.timestamp >= since.timestamp())
        try:
            async with self._tracker_store().connect() as conn:
                rows = list(await conn.execute(query))
        except DBAPIError as exc:
            if is_missing_table(exc):
                return []  # no conversation was ever stored
            raise ConversationsUnavailable(f"the tracker store did not answer: {exc}") from None
        except (OSError, SQLAlchemyError) as exc:
            raise ConversationsUnavailable(f"the tracker store is unreachable: {exc}") from None
        found = (_message(row.type_name, row.timestamp, _json(row.data)) for row in reversed(rows))
        return [message for message in found if message is not None]

    async def erase(self, sender_ids: Sequence[str]) -> int:
        try:
            async with self._tracker_store().begin() as conn:
                result = await conn.execute(
                    sa.text("DELETE FROM events WHERE sender_id IN :ids").bindparams(
                        sa.bindparam("ids", expanding=True)
                    ),
                    {"ids": list(sender_ids)},
                )
        except DBAPIError as exc:
            if is_missing_table(exc):
                return 0  # no conversation was ever stored
            raise
        return int(result.rowcount or 0)


def _json(data: str | None) -> dict[str, Any]:
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return {}
    return _object(value)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _message(kind: str, timestamp: float | None, event: dict[str, Any]) -> Message | None:
    at = datetime.fromtimestamp(timestamp or event.get("timestamp") or 0, timezone.utc)
    text = event["text"] if isinstance(event.get("text"), str) else ""
    if kind == "user":
        external = _object(event.get("metadata")).get(IS_EXTERNAL)
        return None if external else Message("customer", text, at)
    shown = _object(event.get("data"))
    buttons = tuple(
        {"title": str(b.get("title") or ""), "payload": str(b.get("payload") or "")}
        for b in shown.get("buttons") or () if isinstance(b, dict)
    )  # fmt: skip
    extra = {key: shown[key] for key in SHOWN if shown.get(key)}
    if not (text or buttons or extra):
        return None
    return Message("assistant", text, at, buttons, extra)


def ensure_tracker_database(url: str) -> bool:
    """Creates Rasa's PostgreSQL tracker database when it is missing (Rasa creates its tables,
    not the database); True when it was created. Nothing to do for a SQLite file."""
    target = make_url(url)
    if target.get_backend_name() != "postgresql":
        return False
    server = sa.create_engine(
        target.set(drivername="postgresql+psycopg2", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with server.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            ).first()
            if exists:
                return False
            quoted = server.dialect.identifier_preparer.quote(target.database or "")
            conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        server.dispose()
