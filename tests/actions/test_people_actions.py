"""Linking channels, referrals and shares, the leaderboard, recommendations, handoff and
erasure, over the real action server and the engagement store."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import sqlalchemy as sa

from engagement.commerce import parse_commerce_event
from engagement.rewards import IncomingEvent
from engagement.storage import tables as t
from tests.actions.conftest import buy, said


def slots_set(answer: dict) -> dict:
    return {e["name"]: e["value"] for e in answer["events"] if e["event"] == "slot"}


def link_code_entity(code: str) -> list[dict]:
    return [{"entity": "link_code", "value": code}]


async def test_a_code_from_the_web_links_another_channel_to_the_same_balance(
    call, services
) -> None:
    await buy(services, 1)
    (shown,) = (await call("action_link_account", intent="link_account"))["responses"]
    assert shown["response"] == "utter_link_code" and len(shown["code"]) == 6
    assert shown["minutes"] == 10
    linked = await call(
        "action_link_account", sender="telegram-77", intent="link_account",
        entities=link_code_entity(shown["code"]),
    )  # fmt: skip
    assert said(linked) == ["utter_link_linked"]
    assert slots_set(linked)["customer_id"] == "customer-1" and slots_set(linked)["points"] == 60
    points = await call(
        "action_check_points", sender="telegram-77", slots={"customer_id": "customer-1"}
    )
    assert points["responses"][0]["points"] == 60
    # The session of that channel starts as the linked customer from now on.
    session = await call("action_session_start", sender="telegram-77")
    assert slots_set(session)["customer_id"] == "customer-1"
    again = await call(
        "action_link_account", sender="whatsapp-5", entities=link_code_entity(shown["code"])
    )
    assert said(again) == ["utter_link_unknown"], "a code works once"


async def test_a_guesser_opening_new_conversations_is_still_one_client(call, services) -> None:
    (shown,) = (await call("action_link_account"))["responses"]
    wrong = f"{(int(shown['code']) + 1) % 10**6:06d}"
    for n in range(5):
        answer = await call("action_link_account", sender=f"~r-guess{n}", client="guesser",
                            entities=link_code_entity(wrong))  # fmt: skip
        assert said(answer) == ["utter_link_unknown"]
    locked = await call("action_link_account", sender="~r-guess-new", client="guesser",
                        entities=link_code_entity(shown["code"]))  # fmt: skip
    assert said(locked) == ["utter_link_locked"] and "customer_id" not in slots_set(locked)
    other = await call("action_link_account", sender="~r-someone", client="someone-else",
                       entities=link_code_entity(shown["code"]))  # fmt: skip
    assert said(other) == ["utter_link_linked"], "another client is not locked out"


async def test_wrong_link_codes_lock_the_conversation_out(call, services) -> None:
    (shown,) = (await call("action_link_account"))["responses"]
    wrong = f"{(int(shown['code']) + 1) % 10**6:06d}"
    for _ in range(5):
        answer = await call("action_link_account", sender="tg-1", entities=link_code_entity(wrong))
        assert said(answer) == ["utter_link_unknown"]
    locked = await call(
        "action_link_account", sender="tg-1", entities=link_code_entity(shown["code"])
    )
    assert said(locked) == ["utter_link_locked"] and "customer_id" not in slots_set(locked)


async def test_referral_code_and_share_link_are_personal_and_stable(call, settings) -> None:
    first = (await call("action_refer_friend", intent="refer_friend"))["responses"][0]
    again = (await call("action_refer_friend", intent="refer_friend"))["responses"][0]
    assert first["response"] == "utter_referral_code" and first["code"] == again["code"]
    assert first["link"] == f"{settings.links_url}/r/{first['code']}"
    other = (await call("action_refer_friend", sender="customer-2"))["responses"][0]
    assert other["code"] != first["code"]
    share = (await call("action_share_brand", intent="share_brand"))["responses"][0]
    assert share["response"] == "utter_share_link" and share["link"] != first["link"]


async def test_the_leaderboard_shows_only_those_who_agreed(call, services) -> None:
    await buy(services, 1, total=40)
    await services.rewards.record_event(
        _purchase("customer-2", "B-1", [("S", 200)], "Marie Dupont")
    )
    board = await call("action_leaderboard", intent="leaderboard")
    assert said(board) == ["utter_leaderboard_empty", "utter_leaderboard_offer_join"]
    assert slots_set(board)["leaderboard_offer"] == "join"
    joined = await call(
        "action_leaderboard_answer", sender="customer-2", intent="affirm",
        slots={"leaderboard_offer": "join"},
    )  # fmt: skip
    assert said(joined) == ["utter_leaderboard_joined"]
    assert joined["responses"][0]["name"] == "Marie D."
    board = await call("action_leaderboard", intent="leaderboard")
    (line,) = (r for r in board["responses"] if r["response"] == "utter_leaderboard_line")
    assert (line["rank"], line["name"]) == (1, "Marie D.")
    declined = await call(
        "action_leaderboard_answer", intent="deny", slots={"leaderboard_offer": "join"}
    )
    assert said(declined) == ["utter_leaderboard_unchanged"]
    mine = await call("action_leaderboard", sender="customer-2")
    assert (
        "utter_leaderboard_mine" in said(mine) and slots_set(mine)["leaderboard_offer"] == "leave"
    )
    await call(
        "action_leaderboard_answer", sender="customer-2", intent="affirm",
        slots={"leaderboard_offer": "leave"},
    )  # fmt: skip
    assert said(await call("action_leaderboard"))[0] == "utter_leaderboard_empty"


async def test_recommendations_come_from_what_buyers_of_the_same_items_bought(
    call, services
) -> None:
    assert said(await call("action_recommend")) == ["utter_recommend_none"]
    baskets = {
        "a": [("PULL", 50), ("SCARF", 20)], "b": [("PULL", 50), ("HAT", 15)],
        "c": [("PULL", 50), ("SCARF", 20)], "d": [("SOCKS", 5), ("BELT", 30)],
    }  # fmt: skip
    for customer, items in baskets.items():
        await services.rewards.record_event(_purchase(customer, f"O-{customer}", items))
    await services.rewards.record_event(_purchase("customer-1", "O-1", [("PULL", 50)]))
    answer = await call("action_recommend", intent="ask_recommendation")
    assert said(answer) == ["utter_recommendations"]
    assert answer["responses"][0]["items"] == "Item SCARF, Item HAT"


async def test_a_handoff_is_recorded_for_staff_and_pauses_the_assistant(call, services) -> None:
    answer = await call("action_handoff", intent="human_handoff", text="je veux un humain")
    assert said(answer) == ["utter_handoff_requested"]
    assert {"event": "pause"} in [{"event": e["event"]} for e in answer["events"]]
    (handoff,) = await services.handoffs.listing("open")
    assert (handoff.sender_id, handoff.channel) == ("customer-1", "rest")
    assert handoff.recent_messages == ["je veux un humain"]
    await call("action_handoff", intent="human_handoff")
    assert len(await services.handoffs.listing("open")) == 1, "one open request per conversation"


async def test_erasure_removes_the_customer_and_queues_their_conversations(
    call, services, database
) -> None:
    await buy(services, 1)
    await buy(services, 2)
    (code,) = (await call("action_link_account"))["responses"]
    await call("action_link_account", sender="tg-9", entities=link_code_entity(code["code"]))
    await call("action_refer_friend")
    answer = await call(
        "action_delete_my_data", sender="tg-9", intent="affirm",
        slots={"customer_id": "customer-1", "points": 60, "language": "en"},
    )  # fmt: skip
    assert said(answer) == ["utter_data_deleted"]
    assert [e["event"] for e in answer["events"]] == ["reset_slots", "slot"]
    assert slots_set(answer) == {"language": "en"}
    async with database.connect() as conn:
        for table in (t.customers, t.events, t.orders, t.ledger_entries, t.coupons,
                      t.customer_aliases, t.personal_codes, t.decisions):  # fmt: skip
            assert await conn.scalar(sa.select(sa.func.count()).select_from(table)) == 0, table
        queued = set(await conn.scalars(sa.select(t.erasures.c.sender_id)))
    assert queued == {"customer-1", "tg-9"}


def _purchase(
    customer: str, order: str, items: list[tuple[str, int]], name: str | None = None
) -> IncomingEvent:
    body = {
        "id": f"buy-{order}", "type": "purchase",
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "customer": {"id": customer, **({"name": name} if name else {})},
        "order": {"id": order, "total": sum(p for _, p in items), "currency": "EUR",
                  "items": [{"sku": s, "name": f"Item {s}", "quantity": 1, "price": p}
                            for s, p in items]},
    }  # fmt: skip
    return IncomingEvent.from_commerce(parse_commerce_event(json.dumps(body).encode()), body)


async def test_a_nudge_is_shown_once_even_when_its_send_is_retried(call) -> None:
    entities = [{"entity": "nudge_text", "value": "Bonjour Léa !"},
                {"entity": "nudge_key", "value": "run-1:42"}]  # fmt: skip
    first = await call("action_show_nudge", intent="EXTERNAL_nudge", entities=entities)
    assert said(first) == ["utter_nudge"] and first["responses"][0]["nudge"] == "Bonjour Léa !"
    shown = slots_set(first)["nudges_shown"]
    again = await call(
        "action_show_nudge", intent="EXTERNAL_nudge", entities=entities,
        slots={"nudges_shown": shown},
    )  # fmt: skip
    assert said(again) == [] and again["events"] == []
