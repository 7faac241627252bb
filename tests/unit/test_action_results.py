"""The Rasa launcher's action-answer check decides as Rasa's own does, with the schema checked
once instead of at every answer."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.rasa_server import validating_once

ANSWERS = [
    {"events": [{"event": "slot", "name": "points", "value": 3}],
     "responses": [{"text": "Vous avez 3 points"}]},
    {"events": [], "responses": []},
    {},
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": "nope"},
    {"events": [{"event": 42}]},
]  # fmt: skip


@pytest.mark.parametrize("answer", ANSWERS)
def test_an_answer_is_accepted_or_refused_as_rasa_decides(answer: dict) -> None:
    validate = validating_once(RemoteAction)
    try:
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError:
        with pytest.raises(jsonschema.ValidationError, match="Action server response"):
            validate(None, answer)
    else:
        assert validate(None, answer) is True
