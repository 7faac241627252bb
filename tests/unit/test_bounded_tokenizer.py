"""The pipeline's tokenizer reads a message's first words only, and keeps its whole text."""

from __future__ import annotations

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.bounded_tokenizer import BoundedWhitespaceTokenizer

REVIEW = " ".join(f"mot{n}" for n in range(300))


def tokenizer(max_tokens: int) -> BoundedWhitespaceTokenizer:
    return BoundedWhitespaceTokenizer({**BoundedWhitespaceTokenizer.get_default_config(),
                                       "max_tokens": max_tokens})  # fmt: skip


def test_a_long_message_is_read_up_to_the_cap_and_kept_whole() -> None:
    message = Message({TEXT: REVIEW})
    tokenizer(64).process([message])
    tokens = message.get(TOKENS_NAMES[TEXT])
    assert [t.text for t in tokens] == [f"mot{n}" for n in range(64)]
    assert message.get(TEXT) == REVIEW


def test_a_short_message_and_the_intent_names_are_untouched() -> None:
    message = Message({TEXT: "combien de points", INTENT: "ask_points"})
    tokenizer(64).process([message])
    assert [t.text for t in message.get(TOKENS_NAMES[TEXT])] == ["combien", "de", "points"]


def test_the_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        tokenizer(0)
