"""The engagement core's ``Conversations`` port, on Rasa: its HTTP API to hand a paused
conversation back, its SQL tracker store to erase a conversation's history (Rasa has no
endpoint that deletes a tracker)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

import aiohttp
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from engagement.ports import ConversationsUnavailable
from engagement.settings import Settings

TIMEOUT = aiohttp.ClientTimeout(total=10)


class RasaConversations:
    def __init__(self, rasa_url: str, token: str | None, tracker_db_url: str) -> None:
        self._rasa_url = rasa_url.rstrip("/")
        self._token = token
        self._tracker_db_url = tracker_db_url

    @classmethod
    def from_settings(cls, settings: Settings) -> RasaConversations:
        return cls(
            settings.rasa_url,
            settings.rasa_token,
            f"sqlite+aiosqlite:///{settings.tracker_store_path}",
        )

    async def resume(self, sender_id: str) -> None:
        url = f"{self._rasa_url}/conversations/{quote(sender_id, safe='')}/tracker/events"
        params = {"token": self._token} if self._token else {}
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            try:
                async with session.post(url, params=params, json={"event": "resume"}) as answer:
                    if answer.status != 200:
                        raise ConversationsUnavailable(f"Rasa answered {answer.status}")
            except aiohttp.ClientError as exc:
                raise ConversationsUnavailable(f"Rasa is unreachable: {exc}") from None

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
