"""T1: the first training on a newcomer's machine, the lighter pipeline of ``config.yml``
against the baseline pipeline (``bench/t1_baseline_config.yml``, what Fusion trained with
before), on the same data in the same run: seconds of ``rasa train`` and the held-out intent
accuracy of each (``tests/nlu/<language>``, never trained on).

``BENCH T1 train_s=… baseline_train_s=… ratio=… accuracy_fr=… accuracy_en=…
baseline_accuracy_fr=… baseline_accuracy_en=…``; ``ratio`` is ours over the baseline's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.composition import PROJECT_DIR

BASELINE = Path(__file__).resolve().parent / "t1_baseline_config.yml"
LANGUAGES = ("fr", "en")


def _rasa(*args: str) -> None:
    # RASA_MAX_CACHE_SIZE=0: no component from Rasa's training cache (~/.rasa/cache), as on
    # a newcomer's machine; otherwise the second training reuses what the first computed
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": str(PROJECT_DIR), "RASA_MAX_CACHE_SIZE": "0"}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "rasa", *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=3600)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"rasa {args[0]} failed: {done.stderr[-2000:]}")


def train_and_score(config: Path, folder: Path) -> tuple[float, dict[str, float]]:
    """Seconds of a full ``rasa train`` with ``config``, and held-out accuracy by language."""
    started = time.perf_counter()
    _rasa("train", "--config", str(config), "--data", "data", "--domain", "domain.yml",
          "--out", str(folder), "--fixed-model-name", "model")  # fmt: skip
    seconds = time.perf_counter() - started
    accuracy = {}
    for language in LANGUAGES:
        report = folder / f"report-{language}"
        _rasa("test", "nlu", "--model", str(folder / "model.tar.gz"),
              "--nlu", f"tests/nlu/{language}", "--out", str(report))  # fmt: skip
        accuracy[language] = json.loads((report / "intent_report.json").read_text())["accuracy"]
    return seconds, accuracy


def run() -> str:
    with tempfile.TemporaryDirectory(prefix="fusion-t1-") as tmp:
        ours_s, ours = train_and_score(PROJECT_DIR / "config.yml", Path(tmp) / "ours")
        base_s, base = train_and_score(BASELINE, Path(tmp) / "baseline")
    figures = {
        "train_s": f"{ours_s:.0f}", "baseline_train_s": f"{base_s:.0f}",
        "ratio": f"{ours_s / base_s:.2f}",
        **{f"accuracy_{lang}": f"{ours[lang]:.3f}" for lang in LANGUAGES},
        **{f"baseline_accuracy_{lang}": f"{base[lang]:.3f}" for lang in LANGUAGES},
    }  # fmt: skip
    return "BENCH T1 " + " ".join(f"{key}={value}" for key, value in figures.items())


if __name__ == "__main__":
    print(run())
