"""`python -m bot shop-sign METHOD PATH < body` prints headers the engagement service accepts,
signed with FUSION_SHOP_SECRET or, when unset, the secret `make run` keeps."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.composition import PROJECT_DIR, with_kept_secrets
from engagement.settings import Settings
from engagement.shop_signature import HEADER
from engagement.storage.migrate import upgrade
from engagement.web.app import create_app
from engagement.web.keys import RULES_BOOK
from tests.conftest import TEST_TOKENS, run_blocking
from tests.integration.rewards_fixtures import RULES
from tests.integration.shop import event


def shop_sign(env: dict[str, str], method: str, path: str, body: bytes) -> dict[str, str]:
    run = subprocess.run(
        [sys.executable, "-m", "bot", "shop-sign", method, path], input=body, env=env,
        cwd=PROJECT_DIR, capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    lines = run.stdout.decode().splitlines()
    return dict(line.split(": ", 1) for line in lines)


@pytest.mark.parametrize("secret_from", ["environment", "kept secrets"])
async def test_the_headers_shop_sign_prints_are_accepted(
    tmp_path: Path, secret_from: str
) -> None:
    """With FUSION_SHOP_SECRET set, or unset: then the one kept in the data folder, which the
    service started the same way (as `make run` does) uses too."""
    env = {**TEST_TOKENS, "FUSION_DATA_DIR": str(tmp_path), "PYTHONPATH": str(PROJECT_DIR)}
    if secret_from == "kept secrets":
        del env["FUSION_SHOP_SECRET"]
    service_env = with_kept_secrets(env)
    settings = Settings.from_env(service_env, base_dir=tmp_path)
    await run_blocking(upgrade, settings.database_url)
    body = json.dumps(event("e-1")).encode()
    headers = await run_blocking(shop_sign, env, "POST", "/api/v1/events", body)
    assert set(headers) == {HEADER, "Content-Type"}
    assert headers["Content-Type"] == "application/json"
    app = create_app(settings)
    await app[RULES_BOOK].publish(RULES, "tests")
    async with TestClient(TestServer(app)) as shop:
        answer = await shop.post("/api/v1/events", data=body, headers=headers)
        assert answer.status == 201, await answer.text()


def test_shop_sign_wants_a_path_not_a_url(tmp_path: Path) -> None:
    env = {**TEST_TOKENS, "FUSION_DATA_DIR": str(tmp_path), "PYTHONPATH": str(PROJECT_DIR)}
    run = subprocess.run(
        [sys.executable, "-m", "bot", "shop-sign", "POST", "http://localhost:8000/api/v1/events"],
        input=b"{}", env=env, cwd=PROJECT_DIR, capture_output=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2 and b"without scheme or host" in run.stderr
    assert run.stdout == b""
