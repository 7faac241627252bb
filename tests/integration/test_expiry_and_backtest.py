"""Points expire by the policy in the rules file; a back-test prices a rule change."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import sqlalchemy as sa

from bot.cli import main
from bot.composition import DEFAULT_RULES
from engagement.services.expiry import ExpiryService
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.settings import Settings
from engagement.storage import tables as t
from engagement.storage.database import Database
from tests.conftest import TEST_TOKENS
from tests.fakes import FixedClock
from tests.integration.rewards_fixtures import RULES, incoming

SHORT_EXPIRY = RULES.replace(
    "version: 1\n", "version: 1\npoints_expiry: {after_days: 30, warn_days: 5}\n"
)


async def test_points_are_announced_then_expire_once_and_a_refund_takes_nothing_more(
    database: Database,
) -> None:
    clock = FixedClock()
    book = RulesBook(database, clock)
    await book.publish(SHORT_EXPIRY, "tests")
    rewards = RewardsService(database, clock, book)
    expiry = ExpiryService(database, clock, book)
    buy = {"id": "e-1", "type": "purchase", "customer_id": "c-1", "order_id": "o-1",
           "occurred_at": clock.now().isoformat(), "total": 30}  # fmt: skip
    assert (await rewards.record_event(incoming(buy))).balance == 50
    clock.advance(days=26)
    assert (await expiry.run()).warnings == 1
    assert (await expiry.run()).warnings == 0  # warned once
    async with database.connect() as conn:
        warning = (await conn.execute(
            sa.select(t.events.c.payload).where(t.events.c.type == "points_expiring")
        )).scalar_one()  # fmt: skip
    assert warning["points"] == 50
    clock.advance(days=4)
    assert (await expiry.run()).points_expired == 50
    assert (await expiry.run()).points_expired == 0
    refund = {**buy, "id": "e-2", "type": "refund", "occurred_at": clock.now().isoformat()}
    assert (await rewards.record_event(incoming(refund))).balance == 0


def test_a_backtest_prints_what_a_modified_default_rule_would_cost(
    settings: Settings, migrated_url: str, tmp_path, capsys
) -> None:
    env = {**TEST_TOKENS, "FUSION_DATA_DIR": str(settings.data_dir),
           "FUSION_DATABASE_URL": migrated_url}  # fmt: skip

    async def history() -> None:
        database = Database.from_url(migrated_url)
        book = RulesBook(database, FixedClock())
        await book.publish(DEFAULT_RULES.read_text(), "tests")
        rewards = RewardsService(database, FixedClock(), book)
        now = datetime.now(timezone.utc)
        for number in range(40):
            await rewards.record_event(incoming({
                "id": f"e-{number}", "type": "purchase", "customer_id": f"c-{number % 7}",
                "order_id": f"o-{number}", "occurred_at": now.isoformat(), "total": 50,
            }))  # fmt: skip
        await database.dispose()

    asyncio.run(history())
    doubled = tmp_path / "rules.yml"
    doubled.write_text(
        DEFAULT_RULES.read_text().replace("points_per_euro: 1,", "points_per_euro: 2,")
    )
    assert main(["rules", "backtest", str(doubled), "--since", "30d"], env) == 0
    out = capsys.readouterr().out
    assert "over 40 events" in out
    lines = {line.split("  ")[0]: line.split() for line in out.splitlines()}
    assert lines["points"][-1] == "+2,000"  # 40 purchases of 50 € at one more point per euro
    assert lines["points liability (€)"][-1] == "+20.00"
    assert "purchase_points: points 2000 → 4000" in out


def test_a_backtest_of_a_broken_file_says_where_and_changes_nothing(
    settings: Settings, migrated_url: str, tmp_path, capsys
) -> None:
    broken = tmp_path / "rules.yml"
    broken.write_text(DEFAULT_RULES.read_text().replace("on: purchase", "on: purchace", 1))
    env = {**TEST_TOKENS, "FUSION_DATA_DIR": str(settings.data_dir)}
    assert main(["rules", "backtest", str(broken)], env) == 1
    assert "purchace" in capsys.readouterr().err
