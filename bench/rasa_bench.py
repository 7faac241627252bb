"""What P5 and P6 share: the bench-only Rasa model (bench/reminder_project, trained once into
var/bench/models under a hash of its files), and starting and stopping real processes
(Rasa's server as ``python -m bot run`` starts it, an action server) on free ports.

The model is as small as Rasa allows (whitespace tokens, keyword intents, RulePolicy) so
that the benchmarks time Rasa's turn machinery rather than a classifier.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import aiohttp
import yaml

from bot.cli import rasa_command
from bot.composition import PROJECT_DIR
from bot.rasa_api import bearer
from engagement.customer_tokens import mint_customer_token
from engagement.settings import Settings

BENCH_PROJECT = Path(__file__).resolve().parent / "reminder_project"
CACHE_DIR = PROJECT_DIR / "var" / "bench"
TOKENS = {
    "FUSION_RASA_TOKEN": "bench-rasa-token-0123456789",
    "FUSION_ADMIN_TOKEN": "bench-admin-token-0123456789",
    "FUSION_ACTION_TOKEN": "bench-action-token-0123456789",
    "FUSION_SHOP_SECRET": "bench-shop-secret-0123456789",
    "FUSION_CUSTOMER_TOKEN_SECRET": "bench-customer-token-secret-0123456789",
    "FUSION_SERVER_SECRET": "bench-server-secret-0123456789",
    # one client (this machine) plays every customer: no per-client or per-conversation limit
    "FUSION_CHAT_MESSAGES_PER_MINUTE": "1000000",
    "FUSION_CHAT_MESSAGES_PER_MINUTE_PER_CLIENT": "1000000",
}


def as_customer(customer_id: str) -> dict[str, str]:
    """REST headers that prove ``customer_id``, as the shop's customer token does."""
    token = mint_customer_token(
        TOKENS["FUSION_CUSTOMER_TOKEN_SECRET"], customer_id, datetime.now(timezone.utc)
    )
    return {"Authorization": f"Bearer {token}"}


def model_hash() -> str:
    """A digest of every file of the bench project (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in BENCH_PROJECT.rglob("*") if p.is_file()):
        digest.update(path.relative_to(BENCH_PROJECT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def ensure_bench_model() -> Path:
    """The bench model for the current project files, trained first if missing."""
    models = CACHE_DIR / "models"
    name = f"bench-{model_hash()}"
    target = models / f"{name}.tar.gz"
    if target.exists():
        return target
    models.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(PROJECT_DIR),
        "RASA_CACHE_DIRECTORY": str(CACHE_DIR / "rasa-cache"),
    }  # fmt: skip
    command = [
        sys.executable, "-m", "rasa", "train", "--config", "config.yml",
        "--domain", "domain.yml", "--data", "data", "--out", str(models),
        "--fixed-model-name", name,
    ]  # fmt: skip
    subprocess.run(
        command, cwd=BENCH_PROJECT, env=env, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    if not target.exists():
        raise RuntimeError(f"rasa train finished but {target} is missing")
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ, **TOKENS, "FUSION_DATA_DIR": str(data_dir),
        "FUSION_RASA_PORT": str(free_port()), "FUSION_ACTION_PORT": str(free_port()),
        "FUSION_ENGAGEMENT_PORT": str(free_port()), "FUSION_LOG_LEVEL": "WARNING",
        "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(PROJECT_DIR), **extra,
    }  # fmt: skip


def start(argv: list[str], env: Mapping[str, str], log: Path | None = None) -> subprocess.Popen:
    """A process in its own group (stopped with everything it started)."""
    out: IO[Any] | int = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(
            argv, cwd=PROJECT_DIR, env=dict(env), start_new_session=True,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    finally:
        if not isinstance(out, int):
            out.close()


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def crash(*processes: subprocess.Popen) -> None:
    """``kill -9`` of each process group: nothing gets a chance to save anything."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def rasa_server(
    settings: Settings, model: Path, env: Mapping[str, str], *, sql_tracker_store: bool = True,
    log: Path | None = None,
) -> subprocess.Popen:  # fmt: skip
    """``rasa run --enable-api`` exactly as ``python -m bot run`` starts it (our rendered
    credentials.yml and endpoints.yml: the SQL tracker store on SQLite); without
    ``sql_tracker_store``, the same endpoints minus ``tracker_store``: Rasa's in-memory
    store."""
    argv = rasa_command(settings, model)
    if not sql_tracker_store:
        at = argv.index("--endpoints") + 1
        endpoints = yaml.safe_load(Path(argv[at]).read_text())
        endpoints.pop("tracker_store", None)
        in_memory = Path(argv[at]).with_name("endpoints-in-memory.yml")
        in_memory.write_text(yaml.safe_dump(endpoints))
        in_memory.chmod(0o600)
        argv[at] = str(in_memory)
    return start(argv, env, log)


async def wait_ready(
    urls: list[str], timeout: float = 300, process: subprocess.Popen | None = None
) -> None:
    """Every URL answers 200; fails at once if ``process`` exits meanwhile."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for url in urls:
            while True:
                try:
                    async with session.get(url) as answer:
                        if answer.status == 200:
                            break
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                _check_alive(process, url)
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} not ready after {timeout:.0f} s")
                await asyncio.sleep(0.5)


async def rasa_ready(
    settings: Settings, process: subprocess.Popen | None = None, timeout: float = 300
) -> None:
    """Rasa answers ``/`` before its model is loaded: wait for ``/status`` to name it."""
    await wait_ready([f"{settings.rasa_url}/"], timeout, process)
    deadline = time.monotonic() + timeout
    url = f"{settings.rasa_url}/status"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        while True:
            async with session.get(url, headers=bearer(settings.rasa_token or "")) as answer:
                if answer.status == 200 and (await answer.json()).get("model_id"):
                    return
            _check_alive(process, url)
            if time.monotonic() > deadline:
                raise RuntimeError(f"Rasa loaded no model after {timeout:.0f} s")
            await asyncio.sleep(0.5)


def _check_alive(process: subprocess.Popen | None, url: str) -> None:
    if process is not None and process.poll() is not None:
        command = " ".join(str(part) for part in process.args[:4])  # type: ignore[index]
        raise RuntimeError(f"{command} exited ({process.returncode}) before {url} answered")
