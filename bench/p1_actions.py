"""P1: a rewarding action on the action server against a no-op action on the same server.

The rewarding action is ``action_vote_idea``: each call is a different customer voting for a
published idea, so the vote is stored, the ``vote`` rule decides and points are paid, all
in one transaction on SQLite. The baseline is an action that does nothing, served by the
same aiohttp app. 32 concurrent callers; ``ratio`` is rewarding req/s over no-op req/s
(target ≥ 0.5), ``p99_ms`` the rewarding action's 99th percentile (target < 50 ms).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from rasa_sdk import Action

from bot.action_server import create_action_app
from bot.composition import DEFAULT_RULES, AssistantServices, build_actions
from engagement.contributions import Submission
from engagement.ports import SystemClock
from engagement.storage.database import Database
from engagement.storage.migrate import upgrade

CALLERS = 32
CALLS = 1_500
TOKEN = "bench-action-token-0123456789"


class NoOp(Action):
    def name(self) -> str:
        return "action_noop"

    async def run(self, dispatcher: Any, tracker: Any, domain: Any) -> list:
        return []


def call(action: str, sender: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    message = {"text": "vote", "intent": {"name": "vote_idea", "confidence": 1.0},
               "entities": entities, "message_id": uuid.uuid4().hex}  # fmt: skip
    return {
        "next_action": action, "sender_id": sender, "version": "3.6.21", "domain": {},
        "tracker": {"sender_id": sender, "slots": {"language": "fr"}, "latest_message": message,
                    "events": [{"event": "user", "text": "vote", "parse_data": message}],
                    "paused": False, "followup_action": None, "active_loop": {},
                    "latest_action_name": "action_listen"},
    }  # fmt: skip


async def load(url: str, action: str, entities: list[dict[str, Any]]) -> tuple[float, list[float]]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {TOKEN}"}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(CALLS):
        queue.put_nowait(number)

    async def caller(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            number = queue.get_nowait()
            body = call(action, f"bench-{action}-{number}", entities)
            started = time.perf_counter()
            async with session.post(url, json=body, headers=headers) as response:
                await response.read()
                assert response.status == 200, response.status
            latencies.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        await asyncio.gather(*(caller(session) for _ in range(CALLERS)))
        elapsed = time.perf_counter() - started
    return CALLS / elapsed, latencies


async def run() -> str:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'p1.db'}"
        await asyncio.get_running_loop().run_in_executor(None, upgrade, url)
        database = Database.from_url(url)
        services = AssistantServices.on(database, SystemClock(), "http://links.test")
        await services.account._rules.publish(DEFAULT_RULES.read_text(), "bench")
        await services.contributions.submit(
            Submission("idea-bench", "author", "idea", SystemClock().now(), title="Bench idea")
        )
        await services.contributions.moderate("idea-bench", "approve", "bench")
        app = create_action_app([*build_actions(services), NoOp()], TOKEN)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        webhook = f"http://127.0.0.1:{port}/webhook"
        try:
            noop_rps, noop_ms = await load(webhook, "action_noop", [])
            vote = [{"entity": "idea_id", "value": "idea-bench"}]
            reward_rps, reward_ms = await load(webhook, "action_vote_idea", vote)
            votes = (await services.contributions.best_ideas())[0]["votes"]
        finally:
            await runner.cleanup()
            await database.dispose()
    p99 = statistics.quantiles(reward_ms, n=100)[98]
    noop_p99 = statistics.quantiles(noop_ms, n=100)[98]
    print(
        f"P1: {CALLS} calls per action, {CALLERS} callers; votes recorded {votes}; "
        f"no-op p99 {noop_p99:.1f} ms"
    )
    return (
        f"BENCH P1 ratio={reward_rps / noop_rps:.2f} target_ratio=0.5 p99_ms={p99:.1f} "
        f"target_p99_ms=50 rps={reward_rps:.0f} noop_rps={noop_rps:.0f}"
    )
