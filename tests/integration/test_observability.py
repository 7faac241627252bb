"""What operators see: /metrics in the Prometheus format on the engagement service and the
action server, read from the real database; JSON log lines with the request id, secrets
masked."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.composition import action_server_app
from engagement.referrals import REFERRAL
from engagement.settings import Settings
from engagement.web.app import create_app
from engagement.web.keys import LINK_VISITS, REFERRALS, RULES_BOOK
from engagement.web.limits import SlidingWindow
from engagement.web.observability import REQUEST_ID, JsonLines, MaskSecrets, RouteAccessLog
from tests.builders import action_call
from tests.integration.rewards_fixtures import RULES
from tests.integration.shop import event, post_signed


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page, by name and labels (parsed by Prometheus' parser)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_the_engagement_service_counts_awards_and_times_each_route(
    settings: Settings, migrated_url: str
) -> None:
    app = create_app(settings)
    await app[RULES_BOOK].publish(RULES, "tests")
    async with TestClient(TestServer(app)) as client:
        client.settings = settings
        before = samples(await (await client.get("/metrics")).text())
        assert before[("fusion_database_up", ())] == 1
        assert ("fusion_ledger_entries_total", (("kind", "award"),)) not in before
        answer = await post_signed(client, event("e-1"))
        assert answer.status == 201
        assert len(answer.headers["X-Request-Id"]) == 32, "a request id is made up and returned"
        traced = await client.get("/health", headers={"X-Request-Id": "lb-0123456789"})
        assert traced.headers["X-Request-Id"] == "lb-0123456789", "a proxy's id is kept"

        after = samples(await (await client.get("/metrics")).text())
    awards = after[("fusion_ledger_entries_total", (("kind", "award"),))]
    assert awards >= 1
    assert after[("fusion_ledger_points_total", (("kind", "award"),))] == 50
    timed = (("method", "POST"), ("route", "/api/v1/events"), ("service", "engagement"),
             ("status", "201"))  # fmt: skip
    assert after[("fusion_http_request_duration_seconds_count", timed)] == 1
    assert after[("fusion_nudge_queue_depth", ())] == 0


async def test_metrics_ask_for_their_token_when_one_is_set(tmp_path, migrated_url) -> None:  # type: ignore[no-untyped-def]
    token = "metrics-token-0123456789"
    settings = Settings.from_env(
        {"FUSION_DATABASE_URL": migrated_url, "FUSION_METRICS_TOKEN": token}, base_dir=tmp_path
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        assert (await client.get("/metrics")).status == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope-nope-nope"})
        assert wrong.status == 401
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert right.status == 200
        assert "fusion_database_up 1.0" in await right.text()


async def test_the_action_server_counts_action_calls(settings: Settings, migrated_url: str) -> None:
    auth = {"Authorization": f"Bearer {settings.action_token}"}
    async with TestClient(TestServer(action_server_app(settings))) as client:
        assert (await client.post("/webhook", json=action_call("action_greet"), headers=auth)).ok
        unknown = await client.post("/webhook", json=action_call("action_nope"), headers=auth)
        assert unknown.status == 404
        page = await client.get("/metrics")  # outside the action token, like /health
        found = samples(await page.text())
    calls = "fusion_action_calls_total"
    assert found[(calls, (("action", "action_greet"), ("outcome", "ok")))] == 1
    assert found[(calls, (("action", "action_nope"), ("outcome", "unknown")))] == 1
    assert found[("fusion_database_up", ())] == 1


def test_log_lines_are_json_with_the_request_id_and_no_secret(settings: Settings) -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLines())
    handler.addFilter(MaskSecrets(settings.secrets))
    logger = logging.getLogger("tests.observability")
    logger.addHandler(handler)
    try:
        reset = REQUEST_ID.set("req-42-abcdef")
        logger.warning("calling Rasa with token %s", settings.rasa_token)
        try:
            raise RuntimeError(f"refused: {settings.admin_token}")
        except RuntimeError:
            logger.exception("the admin call failed")
        REQUEST_ID.reset(reset)
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["request_id"] for line in lines] == ["req-42-abcdef"] * 2
    assert lines[0]["message"] == "calling Rasa with token ***"
    assert lines[1]["level"] == "ERROR" and "refused: ***" in lines[1]["exception"]
    for secret in settings.secrets:
        assert secret not in out.getvalue()


async def test_sign_in_is_refused_for_a_while_after_ten_wrong_tokens(
    settings: Settings, migrated_url: str
) -> None:
    async with TestClient(TestServer(create_app(settings))) as client:
        wrong = {"Authorization": "Bearer guess-guess-guess-0000"}
        right = {"Authorization": f"Bearer {settings.admin_token}"}
        assert (await client.get("/api/v1/me", headers=right)).status == 200
        anonymous = [(await client.get("/api/v1/me")).status for _ in range(20)]
        assert anonymous == [401] * 20
        assert (await client.get("/api/v1/me", headers=right)).status == 200, "no token, no guess"
        statuses = [(await client.get("/api/v1/me", headers=wrong)).status for _ in range(10)]
        assert statuses == [401] * 10
        locked = await client.get("/api/v1/me", headers=right)
        assert locked.status == 429, "even the right token waits"
        assert 0 < int(locked.headers["Retry-After"]) <= 300
        assert (await client.get("/health")).status == 200, "what needs no token still answers"


async def test_behind_a_trusted_proxy_the_limit_counts_per_client_not_per_proxy(
    settings: Settings, migrated_url: str
) -> None:
    """nginx forwards everyone from 127.0.0.1: one guesser must not lock out the others, and
    a client that is not the proxy cannot pick its address with the header."""
    trusting = settings.replace(trusted_proxies=("127.0.0.1", "::1"))
    async with TestClient(TestServer(create_app(trusting))) as client:
        right = f"Bearer {settings.admin_token}"
        guesser = {"Authorization": "Bearer guess-guess-guess-0000",
                   "X-Forwarded-For": "203.0.113.7"}  # fmt: skip
        for _ in range(10):
            assert (await client.get("/api/v1/me", headers=guesser)).status == 401
        assert (await client.get("/api/v1/me", headers=guesser)).status == 429
        colleague = {"Authorization": right, "X-Forwarded-For": "198.51.100.4"}
        assert (await client.get("/api/v1/me", headers=colleague)).status == 200
        spoofed = {"Authorization": right, "X-Forwarded-For": "203.0.113.7, 198.51.100.9"}
        assert (await client.get("/api/v1/me", headers=spoofed)).status == 200, (
            "the proxy appended the real client; what the client wrote before it is not believed"
        )
    async with TestClient(TestServer(create_app(settings))) as client:
        for n in range(10):
            spoof = {"Authorization": "Bearer guess-guess-guess-0000",
                     "X-Forwarded-For": f"192.0.2.{n}"}  # fmt: skip
            assert (await client.get("/api/v1/me", headers=spoof)).status == 401
        locked = {"Authorization": right, "X-Forwarded-For": "192.0.2.200"}
        assert (await client.get("/api/v1/me", headers=locked)).status == 429, (
            "without a trusted proxy the header changes nothing: the peer is locked out"
        )


async def raw(
    client: TestClient, method: str, path: str, *headers: bytes, body: bytes = b""
) -> tuple[int, str]:
    """One request written byte for byte (HTTP clients refuse to send undecodable headers)."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: tests", b"Connection: close",
             f"Content-Length: {len(body)}".encode(), *headers]  # fmt: skip
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    head, _, content = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), content.decode(errors="replace")


async def test_a_bearer_token_that_is_not_ascii_gets_401_not_a_server_error(
    settings: Settings, migrated_url: str
) -> None:
    async with TestClient(TestServer(create_app(settings))) as client:
        for header in (b"Authorization: Bearer \xff\xfe", "Authorization: Bearer é".encode()):
            status, body = await raw(client, "GET", "/api/v1/me", header)
            assert status == 401 and "printable ASCII" in body, (header, status, body)
        right = f"Authorization: Bearer {settings.admin_token}".encode()
        assert (await raw(client, "GET", "/api/v1/me", right))[0] == 200
    metered = settings.replace(metrics_token="metrics-token-0123456789")
    async with TestClient(TestServer(create_app(metered))) as client:
        assert (await raw(client, "GET", "/metrics", b"Authorization: Bearer \xff\xfe"))[0] == 401
    async with TestClient(TestServer(action_server_app(settings))) as client:
        status, _ = await raw(client, "POST", "/webhook", b"Authorization: Bearer \xff\xfe",
                              b"Content-Type: application/json", body=b"{}")  # fmt: skip
        assert status == 403, "a wrong action token, not a crash"


async def test_metrics_need_a_token_unless_the_service_listens_on_loopback_only(
    settings: Settings, migrated_url: str
) -> None:
    """The figures are the business's (customers, points, coupons): without
    FUSION_METRICS_TOKEN they are served only where nothing but this machine can ask."""
    exposed = settings.replace(host="0.0.0.0")
    for app in (create_app(exposed), action_server_app(exposed)):
        async with TestClient(TestServer(app)) as client:
            refused = await client.get("/metrics")
            assert refused.status == 403
            assert "FUSION_METRICS_TOKEN" in (await refused.json())["error"]
            assert (await client.get("/health")).status == 200
    token = "metrics-token-0123456789"
    guarded = exposed.replace(metrics_token=token)
    for app in (create_app(guarded), action_server_app(guarded)):
        async with TestClient(TestServer(app)) as client:
            assert (await client.get("/metrics")).status == 401
            right = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
            assert right.status == 200
    for host in ("127.0.0.1", "::1", "localhost"):
        for app in (create_app(settings.replace(host=host)),
                    action_server_app(settings.replace(host=host))):  # fmt: skip
            async with TestClient(TestServer(app)) as client:
                assert (await client.get("/metrics")).status == 200, host


async def test_personal_links_are_limited_per_client_address(
    settings: Settings, migrated_url: str
) -> None:
    """/r/<code> counts a visit (and pays a share link's owner): one client may open a few
    a minute, each client counted apart behind the trusted proxy, known codes or not."""
    now = [0.0]
    app = create_app(settings.replace(trusted_proxies=("127.0.0.1", "::1")))
    app[LINK_VISITS] = SlidingWindow(requests=3, window_s=60, clock=lambda: now[0])
    code = await app[REFERRALS].code_for("sharer", REFERRAL)
    async with TestClient(TestServer(app)) as client:
        guesser = {"X-Forwarded-For": "203.0.113.7"}
        for path in (f"/r/{code.code}", "/r/NOPE1", "/r/NOPE2"):
            answer = await client.get(path, headers=guesser, allow_redirects=False)
            assert answer.status in (302, 404)
        refused = await client.get(f"/r/{code.code}", headers=guesser, allow_redirects=False)
        assert refused.status == 429 and refused.headers["Retry-After"] == "61"
        other = await client.get(f"/r/{code.code}", headers={"X-Forwarded-For": "198.51.100.4"},
                                 allow_redirects=False)  # fmt: skip
        assert other.status == 302, "another client is not held back"
        now[0] = 30.0
        later = await client.get(f"/r/{code.code}", headers=guesser, allow_redirects=False)
        assert (later.status, later.headers["Retry-After"]) == (429, "31")
        now[0] = 61.0
        assert (await client.get(f"/r/{code.code}", headers=guesser,
                                 allow_redirects=False)).status == 302  # fmt: skip
    assert (await app[REFERRALS].code_for("sharer", REFERRAL)).visits == 3


def test_ipv6_clients_count_per_64_block() -> None:
    window = SlidingWindow(requests=2, window_s=60, clock=lambda: 0.0)
    window.take("2001:db8:1:2::1")
    window.take("2001:db8:1:2:ffff::9")
    with pytest.raises(web.HTTPTooManyRequests):
        window.take("2001:db8:1:2::abcd")
    window.take("2001:db8:1:3::1")  # another subscriber


async def test_the_access_log_names_the_route_never_a_customer_id_of_the_path(
    settings: Settings, migrated_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings)
    await app[RULES_BOOK].publish(RULES, "tests")
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    written = io.StringIO()
    as_json = logging.StreamHandler(written)
    as_json.setFormatter(JsonLines())
    logging.getLogger("aiohttp.access").addHandler(as_json)
    server = TestServer(app)
    await server.start_server(access_log_class=RouteAccessLog)  # as bot/cli.py serves it
    try:
        async with TestClient(server) as client:
            client.settings = settings
            assert (await post_signed(client, event("e-1"))).status == 201  # customer c-42
            admin = {"Authorization": f"Bearer {settings.admin_token}"}
            answer = await client.get("/api/v1/customers/c-42", headers=admin)
            assert answer.status == 200
            assert (await client.get("/api/v1/customers/c-42/export?again=c-42")).status == 401
            assert (await client.get("/nothing/here/c-42")).status == 404
    finally:
        logging.getLogger("aiohttp.access").removeHandler(as_json)
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(lines) == 4
    assert '"GET /api/v1/customers/{id}" 200' in lines[1]
    assert '"GET /api/v1/customers/{id}/export" 401' in lines[2]
    assert '"GET unmatched" 404' in lines[3]
    assert not any("c-42" in line for line in lines)
    # each line carries its request's id, as the handler's own lines do
    ids = [json.loads(line)["request_id"] for line in written.getvalue().splitlines()]
    assert ids[1] == answer.headers["X-Request-Id"]


def test_the_served_applications_log_their_routes_not_their_paths(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import bot.cli

    served: list[dict[str, Any]] = []
    monkeypatch.setattr(bot.cli.web, "run_app", lambda app, **options: served.append(options))
    monkeypatch.setattr(bot.cli, "configure_logging", lambda *args: None)
    env = {"FUSION_DATA_DIR": str(tmp_path), "FUSION_ACTION_TOKEN": "action-token-0123456789"}
    assert bot.cli.main(["serve"], env) == 0 and bot.cli.main(["actions"], env) == 0
    assert [options["access_log_class"] for options in served] == [RouteAccessLog] * 2
