"""The assistant's data is valid, and the trained model follows the test stories."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.composition import PROJECT_DIR

pytestmark = pytest.mark.slow

NLU_THRESHOLD = 0.90
UTTERED = re.compile(r"\"(utter_[a-z0-9_]+)\"")  # any response an action names
# f-strings like response=f"utter_progress_{stage}": a family of responses
UTTERED_FAMILY = re.compile(r"response=f\"(utter_[a-z0-9_]+_)\{")
WARNING = re.compile(r"UserWarning: (.+)")
UNUSED = re.compile(r"The utterance '(utter_[a-z0-9_]+)' is not used in any story or rule\.")
# Intents the engagement service sends with trigger_intent (nudges): never typed, so never
# in the NLU data, by design.
EXTERNAL = re.compile(
    r"The intent 'EXTERNAL_[a-z_]+' is listed in the domain file, but is not found in the NLU"
)


def rasa(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(PROJECT_DIR)}
    return subprocess.run(
        [sys.executable, "-m", "rasa", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def responses_uttered_by_actions() -> set[str]:
    """Responses our custom actions utter by name (``response="utter_…"`` or a family
    ``response=f"utter_…_{…}"``), and the questions forms ask (``utter_ask_<slot>``)."""
    sources = [path.read_text() for path in (PROJECT_DIR / "actions").rglob("*.py")]
    names = {name for source in sources for name in UTTERED.findall(source)}
    families = {prefix for source in sources for prefix in UTTERED_FAMILY.findall(source)}
    families |= {name for name in names if name.endswith("_")}  # e.g. "utter_label_"
    names = {name for name in names if not name.endswith("_")}
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text())
    names |= {r for r in domain["responses"] if any(r.startswith(f) for f in families)}
    for form in domain.get("forms", {}).values():
        names |= {f"utter_ask_{slot}" for slot in form["required_slots"]}
    return names


def test_rasa_data_validate_finds_nothing_to_complain_about() -> None:
    result = rasa("data", "validate")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    warnings = WARNING.findall(output)
    # Rasa's validator cannot see responses uttered by custom actions; those, and only
    # those, are expected to be reported as "not used in any story or rule".
    # utter_default is uttered by Rasa's own action_default_fallback (the core fallback)
    by_actions = responses_uttered_by_actions() | {"utter_default"}
    unexpected = [
        w for w in warnings
        if not EXTERNAL.match(w) and (not (m := UNUSED.match(w)) or m.group(1) not in by_actions)
    ]  # fmt: skip
    assert not unexpected, unexpected


def test_every_response_an_action_utters_exists_in_both_languages() -> None:
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text())
    for name in responses_uttered_by_actions():
        languages = {
            condition["value"]
            for variation in domain["responses"].get(name, [])
            for condition in variation.get("condition", [])
            if condition.get("name") == "language"
        }
        assert languages == {"fr", "en"}, name


def test_the_model_follows_every_test_story(trained_model: Path, tmp_path: Path) -> None:
    result = rasa(
        "test", "core", "--model", str(trained_model), "--stories", "tests/stories",
        "--fail-on-prediction-errors", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_intents_are_recognised_on_held_out_messages(
    trained_model: Path, tmp_path: Path, language: str, report
) -> None:
    result = rasa(
        "test", "nlu", "--model", str(trained_model),
        "--nlu", f"tests/nlu/{language}", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    scores = json.loads((tmp_path / "intent_report.json").read_text())
    accuracy = scores["accuracy"]
    f1 = scores["weighted avg"]["f1-score"]
    report(f"NLU held-out {language}: intent accuracy={accuracy:.3f} weighted F1={f1:.3f}")
    assert accuracy >= NLU_THRESHOLD and f1 >= NLU_THRESHOLD, (accuracy, f1)
