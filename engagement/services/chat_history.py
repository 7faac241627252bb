"""A signed-in customer's web conversation as the conversation side keeps it, so that the
chat page shows it on any device (the browser keeps only its own copy)."""

from __future__ import annotations

from typing import Any

from engagement.ports import Conversations
from engagement.transcripts import message_json, readable

LAST_MESSAGES = 100  # what the chat page keeps


class ChatHistory:
    def __init__(self, conversations: Conversations) -> None:
        self._conversations = conversations

    async def of(self, customer_id: str) -> list[dict[str, Any]]:
        """Their last messages and the assistant's, oldest first. A customer's web and REST
        conversation is named by their id (their token opened it): only that one is read."""
        said = await self._conversations.messages(customer_id, last=LAST_MESSAGES)
        return [message_json(message) for message in readable(said)]
