"""Whole conversations in customers' own words (dialogues/fr.yml, dialogues/en.yml), played
over REST against the real product: ``python -m bot run`` (Rasa server, action server,
engagement service) on free ports and a temporary database, once for this module.

Each conversation is a test; a failing one prints its whole transcript. The files of
conversations the product fails today (dialogues/known_failures_*.yml) and the held-out set
(held_out/) are only checked for their format here: ``make eval`` plays them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.composition import PROJECT_DIR
from tests.conversations.dialogue import (
    DIALOGUES,
    FLOWS,
    HELD_OUT,
    Conversation,
    load,
    load_all,
    run,
)
from tests.product import START_TIMEOUT, Fusion, start, stop

LANGUAGES = ("fr", "en")
PLAYED = [DIALOGUES / f"{language}.yml" for language in LANGUAGES]
KNOWN_FAILURES = [DIALOGUES / f"known_failures_{language}.yml" for language in LANGUAGES]
HELD_OUT_FILES = [HELD_OUT / f"{language}.yml" for language in LANGUAGES]
# the set make test plays: at least this many conversations per language
MINIMUM_PLAYED, MINIMUM_HELD_OUT = 30, 20
# tags the played set must show in each language: the ways customers really talk
REQUIRED_TAGS = ("interruption", "correction", "language_switch", "typos")

CONVERSATIONS = load_all(PLAYED)
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")  # [48213](order_id)


@pytest.fixture(scope="module")
def fusion(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fusion]:
    running = start(
        tmp_path_factory.mktemp("dialogues"),
        # every conversation comes from this one address, faster than a person types
        FUSION_CHAT_MESSAGES_PER_MINUTE_PER_CLIENT="100000",
    )
    if not running.wait_for("Fusion is running", START_TIMEOUT):
        stop(running)
        pytest.fail("fusion did not start:\n" + "\n".join(running.output[-60:]))
    yield running
    stop(running)


@pytest.mark.slow
@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=lambda c: c.id)
def test_a_customer_gets_what_they_came_for(fusion: Fusion, conversation: Conversation) -> None:
    outcome = run(fusion, conversation)
    if not outcome.success:
        pytest.fail("\n" + outcome.report(), pytrace=False)


# --- the files themselves: no product needed -------------------------------------------


@pytest.mark.parametrize("path", PLAYED + KNOWN_FAILURES + HELD_OUT_FILES, ids=lambda p: p.name)
def test_every_conversation_file_is_well_formed(path: Path) -> None:
    conversations = load(path)
    assert conversations or path in KNOWN_FAILURES, f"{path} has no conversation"


def test_sets_played_on_one_product_never_share_an_order() -> None:
    load_all(PLAYED + KNOWN_FAILURES)
    load_all(HELD_OUT_FILES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_played_set_covers_every_flow_in_each_language(language: str) -> None:
    mine = [c for c in CONVERSATIONS if c.language == language]
    assert len(mine) >= MINIMUM_PLAYED, len(mine)
    covered = {c.flow for c in mine} | {"language_switch" for c in mine
                                        if "language_switch" in c.tags}  # fmt: skip
    assert set(FLOWS) <= covered, sorted(set(FLOWS) - covered)
    tags = {tag for c in mine for tag in c.tags}
    assert set(REQUIRED_TAGS) <= tags, sorted(set(REQUIRED_TAGS) - tags)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_held_out_set_is_large_enough(language: str) -> None:
    assert len(load(HELD_OUT / f"{language}.yml")) >= MINIMUM_HELD_OUT


def test_held_out_texts_are_not_in_the_training_data() -> None:
    """The held-out set is never used to tune the model: none of its sentences (four words or
    more: "bonjour" or "5" are everyone's) is a training example (data/nlu), whatever the
    case and the entity marks."""
    training = "\n".join(p.read_text(encoding="utf-8").casefold()
                         for p in (PROJECT_DIR / "data" / "nlu").rglob("*.yml"))  # fmt: skip
    examples = {ANNOTATION.sub(r"\1", line.strip()[2:].strip())
                for line in training.splitlines() if line.strip().startswith("- ")}  # fmt: skip
    copied = [turn.user for c in load_all(HELD_OUT_FILES) for turn in c.turns
              if turn.user and len(turn.user.split()) >= 4
              and turn.user.casefold() in examples]  # fmt: skip
    assert not copied, copied
