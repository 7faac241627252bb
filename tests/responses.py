"""What a customer reads: a response of domain.yml in the conversation's language, filled
with the values an action returned, the way Rasa's templated NLG fills it (each ``{name}``
from the values, ``{{`` and ``}}`` for braces), but strictly: a placeholder without a value,
or with None, fails instead of reaching the customer as "{days}" or "None"."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DOMAIN = Path(__file__).resolve().parents[1] / "domain.yml"
PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")  # rasa.core.nlg.interpolator's


@cache
def domain_responses() -> dict[str, list[dict[str, Any]]]:
    return dict(yaml.safe_load(DOMAIN.read_text())["responses"])


def variation(response: str, language: str) -> str:
    """The text of ``response`` for ``language`` (its variation conditioned on the slot)."""
    wanted = {"type": "slot", "name": "language", "value": language}
    texts = [
        v["text"] for v in domain_responses()[response] if wanted in v.get("condition", [])
    ]
    assert len(texts) == 1, f"{response} has {len(texts)} variations in {language!r}"
    return str(texts[0])


def render_response(response: str, language: str, values: Mapping[str, Any]) -> str:
    """``response`` in ``language`` filled with ``values`` (an action's returned message)."""
    text = variation(response, language)
    for name in PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")):
        assert values.get(name) is not None, f"{response} needs {{{name}}}, got {dict(values)}"
    return PLACEHOLDER.sub(r"{0[\1]}", text).format(values)


def read(answer: Mapping[str, Any], language: str) -> list[str]:
    """Every message of an action server's answer as the customer reads it."""
    return [render_response(m["response"], language, m) for m in answer["responses"]]
