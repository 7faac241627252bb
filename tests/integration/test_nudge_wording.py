"""A nudge's numbers as its reader's language writes them: ``coupon_value`` and the new
``points_text`` in the message's language, ``points`` still a number to compare; in the
preview and in what is sent."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.composition import DEFAULT_RULES
from engagement.nudges.messages import template_values
from engagement.nudges.planning import Guards
from engagement.nudges.templates import new_environment, render
from engagement.rewards import IncomingEvent
from engagement.rules.model import CouponTemplate
from engagement.services.channels import ChannelRegistry
from engagement.services.nudging import NudgeService
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.settings import Settings
from engagement.storage.database import Database
from engagement.web.app import create_app
from engagement.web.keys import RULES_BOOK
from tests.fakes import FixedClock, RecordingConversations
from tests.integration.rewards_fixtures import incoming

NBSP, NNBSP = "\u00a0", "\u202f"
START = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)
MESSAGES = {
    "fr": "{% if points > 1 %}Déjà {{ points_text }}{% else %}{{ points_text }}{% endif %} "
          "et {{ coupon_value }} offerts !",
    "en": "{{ points_text }} and {{ coupon_value }} off!",
}  # fmt: skip


@pytest.mark.parametrize(
    ("points", "coupon", "fr", "en"),
    [(1250, CouponTemplate("c", "amount", 5, 60),
      f"Déjà 1{NNBSP}250 points et 5{NBSP}€ offerts !", "1,250 points and €5 off!"),
     (1, CouponTemplate("c", "percent", 10, 60),
      f"1 point et 10{NBSP}% offerts !", "1 point and 10% off!"),
     (0, CouponTemplate("c", "amount", 7.5, 60),
      f"0 point et 7,50{NBSP}€ offerts !", "0 points and €7.50 off!")],
)  # fmt: skip
def test_template_values_are_written_in_the_message_language(
    points: int, coupon: CouponTemplate, fr: str, en: str
) -> None:
    customer = SimpleNamespace(first_name="Léa", points=points, stage="need", next_badge=None)
    environment = new_environment()
    for language, expected in (("fr", fr), ("en", en)):
        values = template_values(customer, "CODE", language=language, coupon=coupon)
        assert values["points"] == points
        assert render(environment, MESSAGES[language], values) == expected


@pytest.fixture
async def client(settings: Settings, migrated_url: str, database: Database):  # type: ignore[no-untyped-def]
    clock, rasa = FixedClock(START), RecordingConversations()
    app = create_app(settings, database=database, clock=clock, conversations=rasa)
    await app[RULES_BOOK].publish(DEFAULT_RULES.read_text(), "tests")
    async with TestClient(TestServer(app)) as client:
        client.clock, client.rasa = clock, rasa
        client.headers = {"Authorization": f"Bearer {settings.admin_token}"}
        yield client


async def test_preview_and_sends_write_the_coupon_and_points_per_language(
    client, database
) -> None:
    rewards = RewardsService(database, client.clock, RulesBook(database, client.clock))
    registry = ChannelRegistry(database, client.clock)
    for number, (customer, language) in enumerate([("lea", "fr"), ("tom", "en")]):
        await rewards.record_event(incoming({
            "id": f"buy-{customer}", "type": "purchase", "customer_id": customer,
            "order_id": f"CMD-{number}", "total": 40,
            "occurred_at": (START - timedelta(days=40)).isoformat(),
        }))  # fmt: skip
        await rewards.record_event(IncomingEvent(
            id=f"opt-in-{customer}", type="opt_in", customer_id=customer,
            occurred_at=START - timedelta(days=1), source="conversation",
            customer_name=customer.capitalize(), customer_language=language,
            customer_timezone="Europe/Paris",
        ))  # fmt: skip
        await registry.seen(customer, customer, "socketio")
    spec = {
        "name": "Points and a coupon", "class": "marketing", "messages": MESSAGES,
        "schedule": {"once": START.isoformat()}, "holdout_percent": 0,
        "audience": {"all": [{"field": "days_since_purchase", "op": "gte", "value": 30}]},
        "coupon": "welcome_back_5", "coupon_budget": 10,
    }  # fmt: skip
    created = await client.post("/api/v1/campaigns", json=spec, headers=client.headers)
    assert created.status == 201, await created.text()
    campaign = (await created.json())["id"]
    preview = await client.get(f"/api/v1/campaigns/{campaign}/preview?customer_id=lea",
                               headers=client.headers)  # fmt: skip
    assert preview.status == 200, await preview.text()
    # 40 for the purchase, 20 for the first one, 10 for opting in
    assert await preview.json() == {
        "customer_id": "lea", "sample": False, "fr": f"Déjà 70 points et 5{NBSP}€ offerts !",
        "en": "70 points and €5 off!",
    }  # fmt: skip
    await client.post(f"/api/v1/campaigns/{campaign}/schedule", headers=client.headers)
    service = NudgeService(
        database, client.clock, RulesBook(database, client.clock), Guards(), client.rasa
    )
    await service.plan_due()
    assert (await service.dispatch()).sent == 2
    sent = {sender: text for sender, _, text, _ in client.rasa.nudges}
    assert sent == {"lea": f"Déjà 70 points et 5{NBSP}€ offerts !", "tom": "70 points and €5 off!"}
