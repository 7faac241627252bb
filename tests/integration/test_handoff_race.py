"""Two staff members hand the same conversation back at the same moment, each through their
own engagement service (an application and a database engine each, one database): exactly
one closes the request, the other is told it was handed back meanwhile (409), and the audit
log says it once. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from engagement.settings import Settings
from engagement.storage.database import Database
from engagement.web.app import create_app
from engagement.web.keys import AUDIT, HANDOFFS
from tests.fakes import RecordingConversations


class RasaHoldingResumes(RecordingConversations):
    """Answers a resume only once ``callers`` resumes have arrived: both requests have then
    read the request as open, and their updates race."""

    def __init__(self, callers: int) -> None:
        super().__init__()
        self._callers = callers
        self._all_in = asyncio.Event()

    async def resume(self, sender_id: str) -> None:
        await super().resume(sender_id)
        if len(self.resumed) >= self._callers:
            self._all_in.set()
        await asyncio.wait_for(self._all_in.wait(), timeout=10)


async def test_of_two_concurrent_resumes_exactly_one_wins(
    settings: Settings, migrated_url: str
) -> None:
    rasa = RasaHoldingResumes(callers=2)
    databases = [Database.from_url(migrated_url) for _ in range(2)]
    apps = [create_app(settings, database=db, conversations=rasa) for db in databases]
    opened = await apps[0][HANDOFFS].request(
        sender_id="web-1", customer_id="c-1", channel="socketio", language="fr",
        recent_messages=["je veux parler à quelqu'un"],
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {settings.admin_token}"}
    try:
        async with TestClient(TestServer(apps[0])) as one, TestClient(TestServer(apps[1])) as two:
            answers = await asyncio.gather(*(
                client.post(f"/api/v1/handoffs/{opened.id}/resume", headers=headers)
                for client in (one, two)
            ))  # fmt: skip
            assert sorted(answer.status for answer in answers) == [200, 409]
            assert rasa.resumed == ["web-1", "web-1"], "both reached Rasa: resuming is harmless"
            entries = await apps[0][AUDIT].entries(10, "handoff.resume")
            assert len(entries) == 1
            assert (await apps[1][HANDOFFS].open_count()) == 0
    finally:
        for db in databases:
            await db.dispose()
