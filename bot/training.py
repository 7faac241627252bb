"""Trains the Rasa model only when its inputs changed (a hash of them names the model)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

MODEL_INPUTS = ("config.yml", "domain.yml", "data", "bot/nlu")


def inputs_hash(project: Path) -> str:
    """A digest of every file the model depends on, stable across machines and clones."""
    digest = hashlib.sha256()
    for name in MODEL_INPUTS:
        root = project / name
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if path.suffix == ".pyc" or "__pycache__" in path.parts:
                continue
            digest.update(path.relative_to(project).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(project: Path, models_dir: Path) -> Path:
    return models_dir / f"fusion-{inputs_hash(project)}.tar.gz"


def ensure_model(project: Path, models_dir: Path, env: Mapping[str, str]) -> Path:
    """The model for the current inputs, trained first if it does not exist yet."""
    target = model_path(project, models_dir)
    if target.exists():
        print(f"model up to date: {target}", flush=True)
        return target
    print(f"training the model (inputs changed): {target}", flush=True)
    models_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
        "--out", str(models_dir), "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    subprocess.run(command, cwd=project, env=dict(env), check=True)
    if not target.exists():
        raise RuntimeError(f"rasa train finished but {target} is missing")
    return target
