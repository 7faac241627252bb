"""The language detector, measured on the single-language held-out NLU examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from engagement.language import detect_language

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = {language: ROOT / "tests" / "nlu" / language for language in ("fr", "en")}
TRAINING = sorted((ROOT / "data" / "nlu").glob("*.yml"))
ENTITY_MARKUP = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")


def examples(path: Path) -> list[tuple[str, str]]:
    """(intent, plain text) for every example of a Rasa NLU file, entity markup removed."""
    found = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        for line in block.get("examples", "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                found.append((block["intent"], ENTITY_MARKUP.sub(r"\1", line[2:]).strip()))
    return found


def heldout() -> list[tuple[str, str]]:
    """(expected language, text) for every held-out example."""
    return [
        (language, text)
        for language, folder in HELDOUT.items()
        for path in sorted(folder.glob("*.yml"))
        for _, text in examples(path)
    ]


def simplified(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())


def test_the_files_hold_examples() -> None:
    assert len(TRAINING) >= 3
    assert all(examples(path) for path in TRAINING)
    for language in HELDOUT:
        assert sum(1 for lang, _ in heldout() if lang == language) >= 100


def test_every_training_example_gets_a_valid_answer() -> None:
    # training intents mix both languages, so only the held-out files measure accuracy
    for path in TRAINING:
        for _, text in examples(path):
            assert detect_language(text) in ("fr", "en", None), text


def test_heldout_examples_are_not_training_examples() -> None:
    trained = {simplified(text) for path in TRAINING for _, text in examples(path)}
    assert not [text for _, text in heldout() if simplified(text) in trained]


def test_the_detector_is_rarely_wrong_and_usually_answers() -> None:
    results = [(expected, detect_language(text), text) for expected, text in heldout()]
    wrong = [text for expected, got, text in results if got is not None and got != expected]
    silent = [text for _, got, text in results if got is None]
    assert len(wrong) <= 0.02 * len(results), wrong
    assert len(results) - len(silent) >= 0.85 * len(results), silent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bonjour", "fr"),
        ("Hello", "en"),
        ("Salut !", "fr"),
        ("hi there", "en"),
        ("merci beaucoup", "fr"),
        ("thanks a lot", "en"),
        ("ok", None),
        ("👍", None),
        ("12345", None),
        ("", None),
        ("merci thanks", None),
        ("j'ai reçu", "fr"),
        ("parle anglais stp", "fr"),
        ("can you speak French?", "en"),
        ("Bonjour, can you talk to me in English please?", "en"),
    ],
)
def test_explicit_cases(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected
