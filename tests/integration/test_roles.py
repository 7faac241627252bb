"""Every route of the engagement service, called with no token, a wrong one, and each role's
token: 401 without credentials, 403 for a role the route does not admit, and never 401 or
403 (nor 500) for one it admits. The expected roles are written here, route by route, so a
route that changes who may call it fails this test until the table says so."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from engagement.settings import Settings
from engagement.web.app import create_app
from engagement.web.auth import SignInGuard
from engagement.web.keys import SIGN_IN
from tests.conftest import TEST_TOKENS

TOKENS = {
    "admin": TEST_TOKENS["FUSION_ADMIN_TOKEN"],
    "community_manager": "cm-token-for-tests-0123456789",
    "marketer": "mk-token-for-tests-0123456789",
    "assistant": TEST_TOKENS["FUSION_ACTION_TOKEN"],
}
A, CM, MK, AS = "admin", "community_manager", "marketer", "assistant"
READERS = {A, CM, MK}
# (method, route) → the roles it admits; None: no bearer token involved (public or signed)
EXPECTED: dict[tuple[str, str], set[str] | None] = {
    ("GET", "/health"): None, ("GET", "/api/openapi.json"): None, ("GET", "/metrics"): None,
    ("GET", "/chat"): None, ("GET", "/admin"): None, ("GET", "/r/{code}"): None,
    ("POST", "/api/v1/events"): None, ("POST", "/api/v1/coupons/{code}/validate"): None,
    ("POST", "/api/v1/coupons/{code}/redeem"): None,
    ("GET", "/api/v1/me"): {A, CM, MK, AS},
    ("GET", "/api/v1/dashboard"): READERS, ("GET", "/api/v1/brand"): READERS,
    ("GET", "/api/v1/audit"): {A},
    ("GET", "/api/v1/customers"): READERS,
    ("GET", "/api/v1/customers/{id}"): {A, CM, MK},
    ("GET", "/api/v1/customers/{id}/ledger"): READERS,
    ("GET", "/api/v1/customers/{id}/coupons"): READERS,
    ("GET", "/api/v1/customers/{id}/decisions"): {A, CM},
    ("GET", "/api/v1/customers/{id}/export"): {A},
    ("DELETE", "/api/v1/customers/{id}"): {A},  # the assistant erases through the core
    ("POST", "/api/v1/rules/validate"): {A, CM}, ("POST", "/api/v1/rules"): {A, CM},
    ("GET", "/api/v1/rules/versions"): READERS,  # the list; the texts are for the editors
    ("GET", "/api/v1/rules/badges"): READERS,  # badges by name, in the console's language
    ("GET", "/api/v1/rules/versions/{version}"): {A, CM},
    ("POST", "/api/v1/rules/rollback"): {A, CM}, ("POST", "/api/v1/rules/dry-run"): {A, CM},
    ("POST", "/api/v1/rules/backtest"): {A, CM},
    ("GET", "/api/v1/contributions"): {A, CM},
    ("POST", "/api/v1/contributions/{id}/moderation"): {A, CM},
    ("GET", "/api/v1/ideas"): READERS,
    ("GET", "/api/v1/handoffs"): {A, CM}, ("POST", "/api/v1/handoffs/{id}/resume"): {A, CM},
    ("GET", "/api/v1/handoffs/count"): {A, CM},
    ("POST", "/api/v1/campaigns"): {A, MK}, ("GET", "/api/v1/campaigns"): {A, MK},
    ("GET", "/api/v1/campaigns/{id}"): {A, MK}, ("PUT", "/api/v1/campaigns/{id}"): {A, MK},
    ("GET", "/api/v1/campaigns/{id}/audience"): {A, MK},
    ("GET", "/api/v1/campaigns/{id}/preview"): {A, MK},
    ("GET", "/api/v1/campaigns/{id}/results"): {A, MK},
    ("POST", "/api/v1/campaigns/{id}/test-send"): {A, MK},
    ("POST", "/api/v1/campaigns/{id}/{action}"): {A, MK},
    ("POST", "/api/v1/campaigns/audience"): {A, MK}, ("POST", "/api/v1/campaigns/preview"): {A, MK},
    ("POST", "/api/v1/conversations/{sender}/back"): {A, AS},
    ("GET", "/api/v1/chat/history"): None,  # customer tokens: test_chat_history.py
}  # fmt: skip


@pytest.fixture
async def client(settings: Settings, migrated_url: str):  # type: ignore[no-untyped-def]
    settings = settings.replace(
        community_manager_token=TOKENS[CM], marketer_token=TOKENS[MK]
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


def routes(client: TestClient) -> set[tuple[str, str]]:
    app = client.server.app  # type: ignore[attr-defined]
    return {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
        and not route.resource.canonical.startswith("/static")
    }  # fmt: skip


async def test_the_table_names_every_route(client: TestClient) -> None:
    assert routes(client) == set(EXPECTED)


async def test_each_route_admits_exactly_its_roles(client: TestClient) -> None:
    wrong: list[str] = []
    for (method, route), admitted in sorted(EXPECTED.items()):
        if admitted is None:
            continue
        # a value each parameter's route pattern admits (ids are digits for handoffs)
        path = re.sub(r"\{[^}]+\}", "1", route.replace("{action}", "pause"))

        async def call(token: str | None, method: str = method, path: str = path) -> int:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with client.request(method, path, headers=headers, json={}) as answer:
                return answer.status

        client.server.app[SIGN_IN] = SignInGuard()  # type: ignore[attr-defined]  # fresh count
        if (status := await call(None)) != 401:
            wrong.append(f"{method} {route} without a token: {status}")
        for role, token in TOKENS.items():
            status = await call(token)
            if role in admitted and status in (401, 403, 500):
                wrong.append(f"{method} {route} as {role}: {status}, expected admitted")
            if role not in admitted and status != 403:
                wrong.append(f"{method} {route} as {role}: {status}, expected 403")
    assert wrong == [], "\n".join(wrong)
