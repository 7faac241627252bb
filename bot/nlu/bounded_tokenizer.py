"""A whitespace tokenizer that gives the rest of the pipeline the first ``max_tokens`` words of a
customer's message, and no more.

Rasa runs its NLU pipeline on the server's event loop: while a long message is tokenised,
featurised and classified, every other conversation on that server waits (P8). The first
words of a message say what it is about; what comes after (the body of a long review, say)
is kept whole in the message's text, which is what the actions record. Capping the tokens
bounds the cost of every component after this one whatever the length, which the channel's
character limit alone does only loosely.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class BoundedWhitespaceTokenizer(WhitespaceTokenizer):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**WhitespaceTokenizer.get_default_config(), "max_tokens": 64}

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.max_tokens = int(self._config["max_tokens"])
        if self.max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        return tokens[: self.max_tokens] if attribute == TEXT else tokens
