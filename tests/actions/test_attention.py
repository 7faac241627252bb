"""The action server notices when a customer writes: the hour (their usual active hour, for
nudges) and the nudges that message answers (attention on the ladder)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from engagement.storage import tables as t
from engagement.storage.database import Database
from tests.actions.conftest import buy


async def sent_nudge(database: Database, at: datetime) -> None:
    async with database.begin() as conn:
        await conn.execute(sa.insert(t.campaigns).values(
            id="camp-1", name="Welcome back", spec={}, status="done", created_by="admin",
            created_at=at, updated_at=at,
        ))  # fmt: skip
        await conn.execute(sa.insert(t.campaign_runs).values(
            id="camp-1:run", campaign_id="camp-1", planned_for=at, created_at=at,
        ))  # fmt: skip
        await conn.execute(sa.insert(t.deliveries).values(
            run_id="camp-1:run", campaign_id="camp-1", customer_id="customer-1",
            sender_id="customer-1", channel="socketio", language="fr", marketing=True,
            status="sent", reason="now", send_at=at, sent_at=at, created_at=at,
        ))  # fmt: skip


async def test_a_message_after_a_nudge_answers_it_once_and_counts_the_hour(
    call, services, database: Database
) -> None:
    now = datetime.now(timezone.utc)
    await buy(services, 1, days_ago=3)
    await sent_nudge(database, now - timedelta(hours=2))
    nudge = await call("action_show_nudge", intent="EXTERNAL_nudge",
                       timestamp=(now - timedelta(hours=2)).timestamp())  # fmt: skip
    assert nudge["responses"] == [], "a nudge without text shows nothing"
    async with database.connect() as conn:
        assert await conn.scalar(sa.select(t.deliveries.c.answered_at)) is None
    for _ in range(2):  # Rasa calls the action server several times per turn
        await call("action_check_points", intent="check_points", timestamp=now.timestamp())
    async with database.connect() as conn:
        answered = await conn.scalar(sa.select(t.deliveries.c.answered_at))
        answers = await conn.scalar(sa.select(sa.func.count()).where(
            t.events.c.type == "nudge_answer", t.events.c.customer_id == "customer-1"
        ))  # fmt: skip
        hours = (await conn.execute(sa.select(t.customer_activity))).all()
    assert answered is not None and abs((answered - now).total_seconds()) < 1
    assert answers == 1
    assert [(h.customer_id, h.hour, h.messages) for h in hours] == [("customer-1", now.hour, 1)]


async def test_a_conversation_that_proves_no_customer_is_not_noted_as_theirs(
    call, database: Database
) -> None:
    """A messaging app's chat whose platform id equals a customer id, or an anonymous web
    conversation, is nobody's: noted under an id no customer can have ("~…"), so that no
    customer's nudge goes there and no customer's hours are counted from it."""
    now = datetime.now(timezone.utc)
    await call("action_check_points", sender="customer-1", channel="telegram",
               timestamp=now.timestamp())  # fmt: skip
    await call("action_check_points", sender="~w-0123", channel="socketio",
               timestamp=now.timestamp())  # fmt: skip
    async with database.connect() as conn:
        noted = (await conn.execute(sa.select(t.conversation_channels))).all()
        hours = (await conn.execute(sa.select(t.customer_activity))).all()
    assert sorted((n.sender_id, n.customer_id, n.channel) for n in noted) == [
        ("customer-1", "~customer-1", "telegram"), ("~w-0123", "~w-0123", "socketio"),
    ]
    assert {h.customer_id for h in hours} == {"~customer-1", "~w-0123"}
    await call("action_check_points", sender="customer-1", channel="socketio",
               timestamp=now.timestamp())  # fmt: skip
    async with database.connect() as conn:
        noted = (await conn.execute(sa.select(t.conversation_channels))).all()
    assert ("customer-1", "customer-1", "socketio") in [
        (n.sender_id, n.customer_id, n.channel) for n in noted
    ]
