import pytest

from bot.channels import neutralise_payload


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/ask_help", "/ask_help"),
        ('/leave_review{"rating": 5}', 'leave_review{"rating": 5}'),
        ("/EXTERNAL_nudge", "EXTERNAL_nudge"),
        ("//greet", "greet"),
        ("Bonjour", "Bonjour"),
        ("1/2 price?", "1/2 price?"),
        ('/vote_idea{"idea_id":"idea-3f9a"}', '/vote_idea{"idea_id":"idea-3f9a"}'),
        ('/vote_idea{"idea_id":"x","points":9}', 'vote_idea{"idea_id":"x","points":9}'),
    ],
)
def test_customers_cannot_inject_intents_with_entities(text: str, expected: str) -> None:
    assert neutralise_payload(text) == expected
