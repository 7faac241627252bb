"""A Hypothesis state machine over the real rewards engine on SQLite: purchases, replays,
cancellations, refunds, reviews, coupon redemptions and rule changes in any order.

After every step: each balance is its ledger's sum, no (event, rule) pays twice, no budget
is overspent and no limit exceeded, no coupon is used twice, a refunded purchase earns
nothing any more.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from engagement.coupons import CouponError
from engagement.services.coupons import CouponService
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.migrate import upgrade
from engagement.storage.rewards import SqlRewards
from tests.fakes import FixedClock
from tests.integration.rewards_fixtures import RULES, incoming

CUSTOMERS = ("ana", "ben", "chloe")
# the second version pays more per purchase and lets big baskets pay twice a month
RULES_V2 = RULES.replace("then: {points: 50}", "then: {points: 70}").replace(
    "limit: {count: 1, per: month}", "limit: {count: 2, per: month}"
)
# Each run gets its own copy of one migrated database: budgets are shared by every
# customer, so runs sharing a file would see each other's spending (and Hypothesis would
# rightly call the machine flaky).
FOLDER = Path(tempfile.mkdtemp(prefix="fusion-machine-"))
TEMPLATE = FOLDER / "template.db"
upgrade(f"sqlite+aiosqlite:///{TEMPLATE}")
RUNS = itertools.count()


class RewardsMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.run_id = next(RUNS)
        self.numbers = itertools.count()
        self.clock = FixedClock()
        copy = FOLDER / f"run-{self.run_id}.db"
        shutil.copy(TEMPLATE, copy)
        self.db = Database.from_url(f"sqlite+aiosqlite:///{copy}")
        self.book = RulesBook(self.db, self.clock)
        self.rules_text = RULES
        self.do(self.book.publish(RULES, "machine"))
        self.rewards = RewardsService(self.db, self.clock, self.book)
        self.coupons = CouponService(self.db, self.clock)
        self.recorded: list[dict] = []
        self.purchases: dict[str, dict] = {}  # order id → its purchase event
        self.refunded: set[str] = set()
        self.codes: list[tuple[str, str]] = []  # (code, its customer)
        self.redeemed: set[str] = set()

    def do(self, coroutine):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.do(self.db.dispose())
        self.loop.close()

    def customer(self, index: int) -> str:
        return f"r{self.run_id}-{CUSTOMERS[index]}"

    def record(self, data: dict) -> None:
        recorded = self.do(self.rewards.record_event(incoming(data)))
        self.codes += [(a.coupon_code, data["customer_id"]) for a in recorded.awards
                       if a.coupon_code]  # fmt: skip
        self.recorded.append(data)

    def new_event(self, kind: str, customer: str, order: str, total: float) -> dict:
        number = next(self.numbers)
        return {
            "id": f"r{self.run_id}-e{number}", "type": kind, "customer_id": customer,
            "order_id": order, "occurred_at": self.clock.now().isoformat(), "total": total,
        }  # fmt: skip

    @rule(who=st.integers(0, 2), total=st.floats(5, 300).map(lambda x: round(x, 2)))
    def purchase(self, who: int, total: float) -> None:
        order = f"r{self.run_id}-o{next(self.numbers)}"
        event = self.new_event("purchase", self.customer(who), order, total)
        self.record(event)
        self.purchases[order] = event

    @rule(who=st.integers(0, 2))
    def review(self, who: int) -> None:
        self.record(self.new_event("review", self.customer(who), "-", 1))

    @precondition(lambda self: self.purchases)
    @rule(data=st.data(), kind=st.sampled_from(["cancellation", "refund"]))
    def undo_an_order(self, data: st.DataObject, kind: str) -> None:
        order = data.draw(st.sampled_from(sorted(self.purchases)))
        bought = self.purchases[order]
        self.record(self.new_event(kind, bought["customer_id"], order, bought["total"]))
        if kind == "refund":
            self.refunded.add(order)

    @precondition(lambda self: self.recorded)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        event = data.draw(st.sampled_from(self.recorded))
        before = self.balances()
        outcome = self.do(self.rewards.record_event(incoming(event)))
        assert outcome.replay and self.balances() == before

    @precondition(lambda self: self.codes)
    @rule(data=st.data(), basket=st.sampled_from([10, 80, 200]))
    def redeem(self, data: st.DataObject, basket: int) -> None:
        code, customer = data.draw(st.sampled_from(self.codes))
        try:
            self.do(self.coupons.redeem(code, customer, Decimal(basket), "checkout"))
        except CouponError:
            return
        assert code not in self.redeemed, "a coupon was redeemed twice"
        self.redeemed.add(code)

    @rule()
    def change_the_rules(self) -> None:
        self.rules_text = RULES_V2 if self.rules_text == RULES else RULES
        self.do(self.book.publish(self.rules_text, "machine"))

    @rule(days=st.integers(1, 40))
    def time_passes(self, days: int) -> None:
        self.clock.advance(days=days)

    def balances(self) -> dict[str, int]:
        return {c: self.do(self.balance(c)) for c in map(self.customer, range(3))}

    async def balance(self, customer: str) -> int:
        async with self.db.connect() as conn:
            return await SqlRewards(conn).balance(customer)

    def rows(self, query):  # type: ignore[no-untyped-def]
        async def fetch():  # type: ignore[no-untyped-def]
            async with self.db.connect() as conn:
                return (await conn.execute(query)).all()

        return self.do(fetch())

    def mine(self, column):  # type: ignore[no-untyped-def]
        return column.like(f"r{self.run_id}-%")

    @invariant()
    def balance_is_the_ledger_sum(self) -> None:
        le = t.ledger_entries.c
        sums = dict(
            self.rows(
                sa.select(le.customer_id, sa.func.sum(le.points))
                .where(self.mine(le.customer_id))
                .group_by(le.customer_id)
            )
        )
        for customer, balance in self.balances().items():
            assert balance == (sums.get(customer) or 0)

    @invariant()
    def nothing_pays_twice(self) -> None:
        le = t.ledger_entries.c
        keys = self.rows(sa.select(le.event_id, le.rule_id, le.kind).where(self.mine(le.event_id)))
        assert len(keys) == len(set(keys))
        awards = Counter((e, r) for e, r, kind in keys if kind == "award")
        assert not [key for key, count in awards.items() if count > 1]

    @invariant()
    def no_budget_or_limit_is_overspent(self) -> None:
        d, e = t.decisions.c, t.events.c
        paid = self.rows(
            sa.select(d.rule_id, d.customer_id, e.occurred_at)
            .select_from(t.decisions.join(t.events, t.events.c.id == d.event_id))
            .where(self.mine(d.event_id), d.outcome == "awarded")
        )
        per_month = Counter((rule, at.strftime("%Y-%m")) for rule, _, at in paid)
        per_customer_month = Counter((rule, who, at.strftime("%Y-%m")) for rule, who, at in paid)
        per_customer_week = Counter((rule, who, at.isocalendar()[:2]) for rule, who, at in paid)
        assert all(n <= 10 for (rule, _), n in per_month.items() if rule == "cancellation_apology")
        assert all(10 * n <= 500 for (rule, _), n in per_month.items() if rule == "review_points")
        assert all(n <= 3 for (rule, *_), n in per_customer_week.items() if rule == "review_points")
        assert all(
            n <= 2 for (rule, *_), n in per_customer_month.items() if rule == "big_basket_bonus"
        )
        shards = self.rows(sa.select(t.budget_shards.c.points_left, t.budget_shards.c.coupons_left))
        assert all((p is None or p >= 0) and (c is None or c >= 0) for p, c in shards)

    @invariant()
    def a_refunded_purchase_earns_nothing(self) -> None:
        le, e = t.ledger_entries.c, t.events.c
        for order in self.refunded:
            reversal = self.rows(
                sa.select(sa.func.coalesce(sa.func.sum(le.points), 0)).where(
                    le.kind == "reversal",
                    le.reverses_entry_id.in_(
                        sa.select(le.id)
                        .select_from(t.ledger_entries.join(t.events, t.events.c.id == le.event_id))
                        .where(e.order_id == order, e.type == "purchase")
                    ),
                )
            )[0][0]
            purchase_awards = self.rows(
                sa.select(sa.func.coalesce(sa.func.sum(le.points), 0))
                .select_from(t.ledger_entries.join(t.events, t.events.c.id == le.event_id))
                .where(e.order_id == order, e.type == "purchase", le.kind == "award")
            )[0][0]
            assert purchase_awards + reversal == 0, order


RewardsMachine.TestCase.settings = settings(
    max_examples=20, stateful_step_count=25, deadline=None,
    suppress_health_check=list(HealthCheck),
)  # fmt: skip
TestRewardsMachine = RewardsMachine.TestCase
