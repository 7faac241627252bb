"""What the dispatcher learns of conversations from Rasa's SQL tracker store, written by
Rasa's own ``SQLTrackerStore``: a form running, a person holding the conversation, a
customer who just wrote, the nudges already shown; a new session clears form and pause."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.conversations import RasaConversations

HOUR_AGO = time.time() - 3600


async def test_the_tracker_store_says_who_is_busy_and_what_they_were_shown(
    tmp_path: Path,
) -> None:
    tracker_db = tmp_path / "tracker.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tracker_db))
    conversations = {
        "idle": [UserUttered("bonjour", timestamp=HOUR_AGO)],
        "form": [UserUttered("avis", timestamp=HOUR_AGO),
                 ActiveLoop("review_form", timestamp=HOUR_AGO)],
        "form-done": [ActiveLoop("review_form", timestamp=HOUR_AGO),
                      ActiveLoop(None, timestamp=HOUR_AGO)],
        "person": [ConversationPaused(timestamp=HOUR_AGO)],
        "person-back": [ConversationPaused(timestamp=HOUR_AGO),
                        ConversationResumed(timestamp=HOUR_AGO)],
        "new-session": [ActiveLoop("review_form", timestamp=HOUR_AGO - 9000),
                        ConversationPaused(timestamp=HOUR_AGO - 9000),
                        SessionStarted(timestamp=HOUR_AGO)],
        "chatting": [UserUttered("salut")],
        "shown": [SlotSet("nudges_shown", ["run-1:7"], timestamp=HOUR_AGO),
                  SlotSet("language", "fr", timestamp=HOUR_AGO)],
    }  # fmt: skip
    for sender, events in conversations.items():
        await store.save(DialogueStateTracker.from_events(sender, events))
    rasa = RasaConversations(["http://127.0.0.1:9"], None, f"sqlite+aiosqlite:///{tracker_db}")
    try:
        states = await rasa.states([(sender, "rest") for sender in [*conversations, "never"]])
    finally:
        await rasa.close()
    assert {sender: state.busy for sender, state in states.items()} == {
        "idle": None, "form": "in_form", "form-done": None, "person": "handoff",
        "person-back": None, "new-session": None, "chatting": "recent_message",
        "shown": None, "never": None,
    }  # fmt: skip
    assert states["shown"].shown == {"run-1:7"}
    assert states["idle"].shown == frozenset()


@pytest.fixture
def empty_tracker(tmp_path: Path, database_kind: str, request: pytest.FixtureRequest) -> str:
    if database_kind == "postgresql":
        return str(request.getfixturevalue("stores").empty_database())
    return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"


async def test_before_rasa_created_its_tables_everyone_is_idle_with_nothing_to_export(
    empty_tracker: str,
) -> None:
    """The engagement service may start before any Rasa server has created the tracker
    store's tables (on PostgreSQL migrate creates the database, Rasa its tables): states,
    a customer's export, their messages and an erasure then find no conversation, and
    nothing fails."""
    rasa = RasaConversations(["http://127.0.0.1:9"], None, empty_tracker)
    try:
        assert (await rasa.states([("a", "rest")]))["a"].busy is None
        assert await rasa.history(["a"]) == []
        assert await rasa.messages("a") == []
        assert await rasa.erase(["a"]) == 0
    finally:
        await rasa.close()
