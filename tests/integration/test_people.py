"""Personal links, referrals, handoffs and erasure through the real aiohttp app; erasure of
a conversation's history in a tracker store written by Rasa's own SQLTrackerStore."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.composition import DEFAULT_RULES
from bot.conversations import RasaConversations
from engagement.ports import Message, SystemClock
from engagement.referrals import REFERRAL, SHARE
from engagement.services.privacy import PrivacyService, Pseudonyms
from engagement.settings import Settings
from engagement.storage.database import Database
from engagement.web.app import create_app
from engagement.web.keys import CLOCK, HANDOFFS, REFERRALS, RULES_BOOK
from tests.fakes import FixedClock, RecordingConversations
from tests.integration.shop import event, post_signed


@pytest.fixture
def conversations() -> RecordingConversations:
    return RecordingConversations()


@pytest.fixture
async def client(settings: Settings, migrated_url: str, conversations):  # type: ignore[no-untyped-def]
    settings = settings.replace(shop_url="https://shop.test/welcome?lang=fr")
    app = create_app(settings, conversations=conversations)
    await app[RULES_BOOK].publish(DEFAULT_RULES.read_text(), "tests")
    async with TestClient(TestServer(app)) as client:
        client.settings = settings
        yield client


def admin(client) -> dict:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {client.settings.admin_token}"}


async def points_of(client, customer_id: str) -> int:  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/v1/customers/{customer_id}", headers=admin(client))
    return (await response.json())["points"]


def purchase(event_id: str, customer_id: str, referral_code: str | None = None) -> dict:
    body = event(event_id, total=30.0, order=f"o-{event_id}")
    body["customer"] = {"id": customer_id}
    return {**body, **({"referral_code": referral_code} if referral_code else {})}


async def test_a_friend_first_purchase_by_referral_rewards_the_referrer_once(client) -> None:
    code = await client.app[REFERRALS].code_for("sponsor", REFERRAL)
    visit = await client.get(f"/r/{code.code}", allow_redirects=False)
    assert visit.status == 302
    assert visit.headers["Location"] == f"https://shop.test/welcome?lang=fr&fusion_ref={code.code}"
    before = await points_of(client, "sponsor")
    assert (await post_signed(client, purchase("f-1", "friend", code.code))).status == 201
    assert await points_of(client, "sponsor") == before + 100
    # Not twice: a second purchase of the same friend, or the same code used by the sponsor.
    assert (await post_signed(client, purchase("f-2", "friend", code.code))).status == 201
    assert (await post_signed(client, purchase("s-1", "sponsor", code.code))).status == 201
    assert await points_of(client, "sponsor") == before + 100 + 30 + 20  # own purchase only
    # A customer who already bought is not a new friend.
    assert (await post_signed(client, purchase("o-1", "old", None))).status == 201
    assert (await post_signed(client, purchase("o-2", "old", code.code))).status == 201
    assert await points_of(client, "sponsor") == before + 150
    assert (await client.app[REFERRALS].referrals_of("sponsor")).converted == 1


async def test_an_unknown_referral_code_is_refused_field_by_field(client) -> None:
    bad = await post_signed(client, purchase("x-1", "friend", "not a code!"))
    assert bad.status == 422 and (await bad.json())["field"] == "referral_code"
    assert (await client.get("/r/NOPE", allow_redirects=False)).status == 404


async def test_a_share_link_rewards_its_owner_once_a_day_however_often_it_is_opened(
    client,
) -> None:
    code = await client.app[REFERRALS].code_for("sharer", SHARE)
    for _ in range(3):
        visit = await client.get(f"/r/{code.code}", allow_redirects=False)
        assert visit.headers["Location"] == "https://shop.test/welcome?lang=fr"
    assert await points_of(client, "sharer") == 5
    assert (await client.app[REFERRALS].code_for("sharer", SHARE)).visits == 3


async def test_staff_see_open_handoffs_and_hand_them_back(client, conversations) -> None:
    opened = await client.app[HANDOFFS].request(
        sender_id="tg-1", customer_id="c-1", channel="telegram", language="fr",
        recent_messages=["bonjour", "je veux parler à quelqu'un"],
    )  # fmt: skip
    conversations.said["tg-1"] = [
        Message("customer", "je veux parler à quelqu'un", opened.requested_at),
        Message("customer", "c'est pour ma commande", opened.requested_at + timedelta(seconds=9)),
    ]
    listing = await client.get("/api/v1/handoffs", headers=admin(client))
    (shown,) = (await listing.json())["handoffs"]
    assert shown["recent_messages"] == ["je veux parler à quelqu'un", "c'est pour ma commande"]
    count = await client.get("/api/v1/handoffs/count", headers=admin(client))
    assert (await count.json()) == {"open": 1}
    assert (await client.get("/api/v1/handoffs")).status == 401
    resumed = await client.post(f"/api/v1/handoffs/{opened.id}/resume", headers=admin(client))
    assert resumed.status == 200 and (await resumed.json())["status"] == "closed"
    assert conversations.resumed == ["tg-1"]
    again = await client.post(f"/api/v1/handoffs/{opened.id}/resume", headers=admin(client))
    assert again.status == 409
    listing = await client.get("/api/v1/handoffs", headers=admin(client))
    assert (await listing.json())["handoffs"] == []


@pytest.mark.parametrize("conversations", [RecordingConversations(down=True)])
async def test_a_handoff_stays_open_when_rasa_cannot_be_reached(client) -> None:
    opened = await client.app[HANDOFFS].request(
        sender_id="tg-2", customer_id="c-2", channel=None, language=None, recent_messages=[]
    )
    answer = await client.post(f"/api/v1/handoffs/{opened.id}/resume", headers=admin(client))
    assert answer.status == 502
    assert [h.id for h in await client.app[HANDOFFS].listing("open")] == [opened.id]
    listing = await client.get("/api/v1/handoffs", headers=admin(client))
    (shown,) = (await listing.json())["handoffs"]
    assert shown["conversation"] is None, "the conversation cannot be read: said so"


async def test_staff_read_what_the_customer_wrote_after_asking_for_a_person(
    tmp_path: Path, settings: Settings, migrated_url: str
) -> None:
    """The conversation comes from Rasa's tracker store (written here by Rasa's own
    SQLTrackerStore) when staff look, not from what the action saw when the customer
    asked: what they wrote while they waited is there, a nudge's trigger is not."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, ConversationPaused, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    asked = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)
    t0 = asked.timestamp()
    menu = {"buttons": [{"title": "Parler à quelqu'un", "payload": "/human_handoff"}]}
    events = [
        UserUttered("bonjour", timestamp=t0 - 600),
        BotUttered("Que puis-je faire ?", data=menu, timestamp=t0 - 599),
        UserUttered("/human_handoff", timestamp=t0 - 1),
        BotUttered("Je préviens l'équipe.", timestamp=t0 + 0.5),
        ConversationPaused(timestamp=t0 + 0.6),
        UserUttered("vous êtes là ?", timestamp=t0 + 30),
        UserUttered.create_external("EXTERNAL_nudge"),
        UserUttered("c'est pour ma commande CMD-1", timestamp=t0 + 60),
    ]
    events[6].timestamp = t0 + 40
    tracker_db = tmp_path / "tracker.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tracker_db))
    await store.save(DialogueStateTracker.from_events("tg-9", events))
    rasa = RasaConversations(["http://127.0.0.1:9"], None, f"sqlite+aiosqlite:///{tracker_db}")
    app = create_app(settings, conversations=rasa, clock=FixedClock(asked))
    await app[HANDOFFS].request(
        sender_id="tg-9", customer_id="c-9", channel="telegram", language="fr",
        recent_messages=["bonjour", "/human_handoff"],
    )  # fmt: skip
    app[CLOCK].advance(seconds=90)  # type: ignore[attr-defined]
    async with TestClient(TestServer(app)) as client:
        client.settings = settings
        listing = await client.get("/api/v1/handoffs", headers=admin(client))
        (shown,) = (await listing.json())["handoffs"]
    assert [(m["by"], m["text"]) for m in shown["conversation"]] == [
        ("customer", "Parler à quelqu'un"), ("assistant", "Je préviens l'équipe."),
        ("customer", "vous êtes là ?"), ("customer", "c'est pour ma commande CMD-1"),
    ]  # fmt: skip
    assert shown["recent_messages"][-2:] == ["vous êtes là ?", "c'est pour ma commande CMD-1"]
    assert shown["waiting_s"] == 90


async def test_the_admin_erases_a_customer_through_the_api(client) -> None:
    assert (await post_signed(client, purchase("e-1", "leaving"))).status == 201
    erased = await client.delete("/api/v1/customers/leaving", headers=admin(client))
    assert erased.status == 200
    assert (await erased.json())["conversations_queued"] == ["leaving"]
    gone = await client.get("/api/v1/customers/leaving/export", headers=admin(client))
    assert gone.status == 404
    again = await client.delete("/api/v1/customers/leaving", headers=admin(client))
    assert again.status == 404


async def test_erasure_deletes_the_conversation_history_from_rasas_tracker_store(
    tmp_path: Path, database: Database
) -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker_db = tmp_path / "tracker.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tracker_db))
    for sender in ("leaving", "staying"):
        tracker = DialogueStateTracker.from_events(sender, [UserUttered(f"hello from {sender}")])
        await store.save(tracker)
    clock = SystemClock()
    pseudonyms = Pseudonyms.keyed(None)
    privacy = PrivacyService(database, clock, pseudonyms)
    await privacy.erase_customer("leaving")
    rasa = RasaConversations(["http://127.0.0.1:9"], None, f"sqlite+aiosqlite:///{tracker_db}")
    early = await privacy.erase_conversations(rasa)
    assert (early.conversations, early.pending) == (0, 1), "the asking turn is saved first"
    later = PrivacyService(database, _Later(clock), pseudonyms)
    done = await later.erase_conversations(rasa)
    assert done.pending == 0 and done.conversations >= 1
    assert await store.retrieve("leaving") is None
    staying = await store.retrieve("staying")
    assert staying is not None and len(staying.events) == 1


class _Later:
    """A minute ahead: past the delay that lets Rasa save the turn that asked."""

    def __init__(self, clock: SystemClock) -> None:
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now() + timedelta(minutes=1)
