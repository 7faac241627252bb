"""``python -m bot demo``: a history the console can show, written through the services."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.composition import DEFAULT_RULES
from bot.demo import seed
from engagement.nudges.planning import Guards
from engagement.services.brand import BrandView
from engagement.services.campaign_results import CampaignResults
from engagement.services.campaigns import CampaignService
from engagement.services.contributions import ContributionService
from engagement.services.dashboard import Dashboard
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.storage.database import Database
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)


async def test_the_demo_spreads_a_brand_over_the_weeks_and_adds_nothing_the_second_time(
    database: Database,
) -> None:
    clock = FixedClock(NOW)
    rules = RulesBook(database, clock)
    await rules.publish(DEFAULT_RULES.read_text(), "tests")
    first = await seed(database, customers=80, weeks=8, now=NOW)
    assert first.customers == 80 and first.deliveries > 0
    campaigns = CampaignService(database, clock, rules, Guards())
    board = await Dashboard(
        database, clock, BrandView(database, clock), CampaignResults(database, clock, campaigns)
    ).overview(8)
    climbed = [row["stage"] for row in board["funnel"] if row["customers"]]
    assert {"choice", "relation", "attention"} <= set(climbed)
    joined = [sum(week["stages"].values()) for week in board["funnel_weeks"]]
    assert joined == sorted(joined) and joined[0] < joined[-1] == 80  # the brand grew
    assert sum(1 for week in board["rewards_weeks"] if week["points"]) >= 6
    assert [c["sent"] > 0 for c in board["campaigns"]] == [True] * 3
    queue = ContributionService(database, clock, RewardsService(database, clock, rules))
    assert await queue.queue("pending")  # something left to moderate
    again = await seed(database, customers=80, weeks=8, now=NOW)
    assert again.deliveries == 0
    assert (await BrandView(database, clock).overview())["funnel"] == board["funnel"]
