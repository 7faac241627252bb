"""P5's bench-only action server: ``action_schedule_reminders`` answers with Rasa's own
``ReminderScheduled`` events, the only way Rasa schedules a reminder (during a turn, from
an action's events).

``python -m rasa_sdk --actions bench.reminder_actions --port PORT``

The turn that asks is ``/schedule_reminders`` over REST with metadata ``{"count": N,
"fire_at": ISO-8601, "tag": str}``: N reminders of ``EXTERNAL_nudge`` for this
conversation, all due at ``fire_at``, each carrying ``nudge_text`` and ``nudge_key`` as
entities like our nudges do. Rasa keys its scheduler's jobs by the reminder's name alone
(not by conversation), so every name carries the tag, the conversation and a number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, ReminderScheduled
from rasa_sdk.executor import CollectingDispatcher

NUDGE_INTENT = "EXTERNAL_nudge"


def reminder_text(tag: str, sender_id: str, number: int) -> str:
    return f"{tag} reminder {sender_id} #{number}"


class ActionScheduleReminders(Action):
    def name(self) -> str:
        return "action_schedule_reminders"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        count = int(metadata.get("count", 0))
        tag = str(metadata.get("tag", "p5"))
        fire_at = datetime.fromisoformat(str(metadata["fire_at"])) if count else None
        return [
            ReminderScheduled(
                NUDGE_INTENT,
                trigger_date_time=fire_at,  # type: ignore[arg-type]
                entities=[
                    {"entity": "nudge_text", "value": reminder_text(tag, tracker.sender_id, n)},
                    {"entity": "nudge_key", "value": f"{tag}:{tracker.sender_id}:{n}"},
                ],
                name=f"{tag}:{tracker.sender_id}:{n}",
                kill_on_user_message=False,
            )
            for n in range(count)
        ]
