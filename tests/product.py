"""The real product for end-to-end tests and ``make eval``: ``python -m bot run`` on free
ports and a temporary data dir, a customer talking to it over REST, the shop's events, the
admin API. Shared by tests/e2e/test_run.py, tests/conversations and bench/eval.py (a test
module is never imported by another)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

from bot.composition import PROJECT_DIR
from bot.rasa_api import bearer
from engagement.shop_signature import shop_headers
from tests.conftest import TEST_TOKENS, as_customer
from tests.stores import free_port

START_TIMEOUT = 300


def rasa_auth() -> dict[str, str]:
    """A fresh JWT for Rasa's HTTP API (they expire after 5 minutes)."""
    return bearer(TEST_TOKENS["FUSION_RASA_TOKEN"])


@dataclass
class Fusion:
    process: subprocess.Popen[str]
    rasa: str
    actions: str
    engagement: str
    output: list[str] = field(default_factory=list)

    def say(self, customer: str, message: str) -> list[str]:
        """``message`` from ``customer``, signed in on the shop (a customer token)."""
        return self.post(message, headers=as_customer(customer))

    def say_anonymously(self, sender: str, message: str) -> list[str]:
        """``message`` with no customer token: whatever ``sender`` claims to be."""
        return self.post(message, sender=sender)

    def post(self, message: str, sender: str | None = None, headers: dict | None = None
             ) -> list[str]:  # fmt: skip
        return [m.get("text", "") for m in self.messages(message, sender, headers)]

    def messages(self, message: str, sender: str | None = None, headers: dict | None = None
                 ) -> list[dict[str, Any]]:  # fmt: skip
        """The bot's whole answer to ``message``: each message's text, buttons, image…"""
        body = {"message": message} | ({"sender": sender} if sender else {})
        response = requests.post(f"{self.rasa}/webhooks/rest/webhook", json=body,
                                 headers=headers or {}, timeout=60)  # fmt: skip
        assert response.status_code == 200, response.text
        return list(response.json())

    def wait_for(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.output):
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.5)
        return False


def start(tmp_path: Path, **overrides: str) -> Fusion:
    ports = {"rasa": free_port(), "actions": free_port(), "engagement": free_port()}
    env = {
        **os.environ,
        **TEST_TOKENS,
        "FUSION_DATA_DIR": str(tmp_path),
        "FUSION_RASA_PORT": str(ports["rasa"]),
        "FUSION_ACTION_PORT": str(ports["actions"]),
        "FUSION_ENGAGEMENT_PORT": str(ports["engagement"]),
        "RASA_TELEMETRY_ENABLED": "false",
        "FUSION_ERASURE_INTERVAL_S": "1",
        "FUSION_NUDGE_INTERVAL_S": "1",
        "FUSION_NUDGE_QUIET_S": "1",
        "FUSION_QUIET_HOURS": "00:00-00:00",  # the suite runs at any hour
        **overrides,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    fusion = Fusion(
        process,
        rasa=f"http://127.0.0.1:{env['FUSION_RASA_PORT']}",
        actions=f"http://127.0.0.1:{env['FUSION_ACTION_PORT']}",
        engagement=f"http://127.0.0.1:{env['FUSION_ENGAGEMENT_PORT']}",
    )
    threading.Thread(target=_collect, args=(process, fusion.output), daemon=True).start()
    return fusion


def _collect(process: subprocess.Popen[str], lines: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip())


def stop(fusion: Fusion) -> int:
    if fusion.process.poll() is None:
        fusion.process.send_signal(signal.SIGTERM)
    try:
        return fusion.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(fusion.process.pid, signal.SIGKILL)
        raise


def new_customer() -> str:
    return f"customer-{uuid.uuid4().hex[:8]}"


def shop_event(fusion: Fusion, body: dict) -> None:
    raw = json.dumps(body).encode()
    headers = shop_headers(TEST_TOKENS["FUSION_SHOP_SECRET"], "POST", "/api/v1/events", raw)
    response = requests.post(
        f"{fusion.engagement}/api/v1/events", data=raw, headers=headers, timeout=10,
    )  # fmt: skip
    assert response.status_code == 201, response.text


def admin(fusion: Fusion, method: str, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {TEST_TOKENS['FUSION_ADMIN_TOKEN']}"}
    return requests.request(method, f"{fusion.engagement}{path}", headers=headers, timeout=10,
                            **kwargs)  # fmt: skip


def purchase(fusion: Fusion, customer: str, order_id: str, price: float) -> None:
    item = {"sku": f"SKU-{order_id}", "name": "Pull", "quantity": 1, "price": price}
    order = {"id": order_id, "total": price, "currency": "EUR", "items": [item]}
    shop_event(fusion, {"id": f"buy-{order_id}", "type": "purchase",
                        "occurred_at": datetime.now(timezone.utc).isoformat(),
                        "customer": {"id": customer, "name": "Léa Martin", "language": "fr"},
                        "order": order})  # fmt: skip


def approve(fusion: Fusion, kind: str, customer: str) -> None:
    queue = admin(fusion, "GET", f"/api/v1/contributions?kind={kind}").json()["contributions"]
    (mine,) = (c for c in queue if c["customer_id"] == customer)
    approved = admin(fusion, "POST", f"/api/v1/contributions/{mine['id']}/moderation",
                     json={"decision": "approve"})  # fmt: skip
    assert approved.status_code == 200, approved.text


def user_messages(fusion: Fusion, sender: str) -> list[str]:
    tracker = requests.get(
        f"{fusion.rasa}/conversations/{sender}/tracker",
        headers=rasa_auth(), timeout=10,
    ).json()  # fmt: skip
    return [e.get("text") for e in tracker.get("events", []) if e["event"] == "user"]


def web_campaign(name: str) -> dict:
    """A marketing nudge, now, to every web customer who agreed to receive offers."""
    return {
        "name": name, "class": "marketing", "holdout_percent": 0,
        "messages": {"fr": "{{ first_name }}, une surprise vous attend : {{ points }} points !",
                     "en": "{{ first_name }}, a surprise awaits: {{ points }} points!"},
        "schedule": {"once": datetime.now(timezone.utc).isoformat()},
        "audience": {"all": [{"field": "channel", "op": "eq", "value": "socketio"},
                             {"field": "consent", "op": "eq", "value": True}]},
    }  # fmt: skip
