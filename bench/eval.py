"""``make eval``: how well the assistant serves customers it was not tuned for, per language.

- intent accuracy and weighted F1 on the held-out utterances of ``tests/nlu/<language>``
  (``rasa test nlu``, as tests/conversations/test_rasa.py does);
- dialogue task success on the held-out conversations (``tests/conversations/held_out``):
  the share of conversations whose every answer was as expected and whose goal, read back
  from the product, was reached.

It trains nothing new: the model is the one of the current data (``ensure_model`` trains only
when the inputs changed). It starts the product itself (``python -m bot run`` on free ports
and a temporary data dir), plays the conversations over REST and stops it. One line per
language at the end:

    EVAL language=fr intent_accuracy=0.951 intent_f1=0.948 dialogue_success=0.80 conversations=20

``--conversations FILE…`` plays other files instead (the known failures, say), and
``--transcripts`` prints the whole transcript of each conversation that failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.composition import MODELS_DIR, PROJECT_DIR
from bot.training import ensure_model
from tests.conversations.dialogue import HELD_OUT, Outcome, load_all, run
from tests.product import START_TIMEOUT, start, stop

LANGUAGES = ("fr", "en")


@dataclass(frozen=True)
class IntentScores:
    accuracy: float
    f1: float


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.eval", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--conversations", nargs="+", type=Path, metavar="FILE",
        help="conversation files to play (default: tests/conversations/held_out/{fr,en}.yml)",
    )  # fmt: skip
    parser.add_argument("--transcripts", action="store_true",
                        help="print the transcript of every conversation that failed")  # fmt: skip
    parser.add_argument("--no-nlu", action="store_true", help="skip the NLU scores")
    args = parser.parse_args(argv)
    files = args.conversations or [HELD_OUT / f"{language}.yml" for language in LANGUAGES]
    conversations = load_all(files)  # a malformed file stops here, before anything starts

    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(PROJECT_DIR)}
    model = ensure_model(PROJECT_DIR, MODELS_DIR, env)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fusion-eval-") as folder:
        # the product loads its model while rasa test nlu runs: both take a minute or two
        data = Path(folder) / "product"
        data.mkdir()
        # every conversation comes from this one address, faster than a person types
        fusion = start(data, FUSION_CHAT_MESSAGES_PER_MINUTE_PER_CLIENT="100000")
        try:
            scores = {} if args.no_nlu else {
                language: intent_scores(model, language, Path(folder) / f"nlu-{language}", env)
                for language in LANGUAGES
            }  # fmt: skip
            if not fusion.wait_for("Fusion is running", START_TIMEOUT):
                print("\n".join(fusion.output[-60:]), file=sys.stderr)
                print("eval: the product did not start", file=sys.stderr)
                return 1
            outcomes = [run(fusion, conversation) for conversation in conversations]
        finally:
            stop(fusion)
    for outcome in outcomes:
        verdict = "PASS" if outcome.success else "FAIL"
        print(f"DIALOGUE {verdict} {outcome.conversation.where} {outcome.conversation.name}"
              + ("" if outcome.success else f" -> {_first_problem(outcome)}"))  # fmt: skip
        if args.transcripts and not outcome.success:
            print(outcome.report(), end="\n\n")
    print(f"eval took {time.monotonic() - started:.0f} s", file=sys.stderr)
    for line in eval_lines(scores, outcomes):
        print(line)
    return 0


def intent_scores(model: Path, language: str, out: Path, env: Mapping[str, str]) -> IntentScores:
    """Intent accuracy and weighted F1 on ``tests/nlu/<language>``, never used for training."""
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "test", "nlu", "--model", str(model),
         "--nlu", f"tests/nlu/{language}", "--out", str(out)],
        cwd=PROJECT_DIR, env=dict(env), capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"rasa test nlu ({language}) failed:\n{result.stderr[-3000:]}")
    report = json.loads((out / "intent_report.json").read_text())
    return IntentScores(report["accuracy"], report["weighted avg"]["f1-score"])


def eval_lines(scores: Mapping[str, IntentScores], outcomes: Sequence[Outcome]) -> list[str]:
    lines = []
    for language in LANGUAGES:
        played = [o for o in outcomes if o.conversation.language == language]
        if not played and language not in scores:
            continue
        fields = [f"language={language}"]
        if language in scores:
            fields += [f"intent_accuracy={scores[language].accuracy:.3f}",
                       f"intent_f1={scores[language].f1:.3f}"]  # fmt: skip
        if played:
            success = sum(o.success for o in played) / len(played)
            fields.append(f"dialogue_success={success:.2f}")
        fields.append(f"conversations={len(played)}")
        lines.append("EVAL " + " ".join(fields))
    return lines


def _first_problem(outcome: Outcome) -> str:
    return outcome.failure or "; ".join(outcome.goal_failures)


if __name__ == "__main__":
    raise SystemExit(main())
