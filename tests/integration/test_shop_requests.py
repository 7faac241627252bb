"""Shop requests are signed for what they do (``Fusion-Signature``), through the real aiohttp
app on SQLite and PostgreSQL: each finding of the review reproduced, and now refused.

1. A captured checkout request could be sent again, or with another coupon code in the URL,
   at any later time; any customer's coupon could be redeemed.
2. A known event id with another body answered ``200 replay`` but rewrote the profile.
3. A non-ASCII signature or a deeply nested body answered 500."""

from __future__ import annotations

import asyncio
import json
import string
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engagement.settings import Settings
from engagement.shop_signature import HEADER, shop_headers
from engagement.storage import tables as t
from engagement.web.app import create_app
from engagement.web.keys import CLOCK, DATABASE, RULES_BOOK
from tests.integration.rewards_fixtures import RULES
from tests.integration.shop import (
    apology_coupon,
    checkout,
    customer,
    event,
    post_signed,
)


@pytest.fixture
async def client(settings: Settings, migrated_url: str):  # type: ignore[no-untyped-def]
    app = create_app(settings)
    await app[RULES_BOOK].publish(RULES, "tests")
    async with TestClient(TestServer(app)) as client:
        client.settings = settings
        yield client


def now(client) -> float:  # type: ignore[no-untyped-def]
    return float(client.server.app[CLOCK].now().timestamp())


def signed(  # type: ignore[no-untyped-def]
    client, path: str, body: dict | bytes, at: float | None = None
) -> tuple[bytes, dict]:
    """A request as the shop sends it (and as someone on the way could capture it)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    secret = client.settings.shop_secret
    return raw, shop_headers(secret, "POST", path, raw, now=now(client) if at is None else at)


async def coupon_state(client, code: str) -> Any:  # type: ignore[no-untyped-def]
    async with client.server.app[DATABASE].connect() as conn:
        query = sa.select(t.coupons.c.redeemed_at, t.coupons.c.redeemed_order_id)
        return (await conn.execute(query.where(t.coupons.c.code == code))).one()


async def everything(client) -> dict[str, list]:  # type: ignore[no-untyped-def]
    """Every row of every table (but the signatures seen), to show nothing was written."""
    async with client.server.app[DATABASE].connect() as conn:
        return {
            table.name: sorted(map(repr, (await conn.execute(sa.select(table))).all()))
            for table in t.metadata.sorted_tables
            if table is not t.shop_signatures
        }


# 1. Checkout requests


async def test_a_captured_checkout_request_cannot_be_sent_again(client) -> None:
    code = await apology_coupon(client)
    path = f"/api/v1/coupons/{code}/validate"
    body, headers = signed(client, path, checkout(80))
    assert (await client.post(path, data=body, headers=headers)).status == 200
    replayed = await client.post(path, data=body, headers=headers)
    assert replayed.status == 401
    assert "already used" in (await replayed.json())["error"]


async def test_a_captured_request_is_refused_for_another_coupon_code(client) -> None:
    mine, other = await apology_coupon(client, "o-1"), await apology_coupon(client, "o-2")
    path = f"/api/v1/coupons/{mine}/redeem"
    body, headers = signed(client, path, checkout(80, "o-9"))
    for target in (f"/api/v1/coupons/{other}/redeem", f"/api/v1/coupons/{other}/validate",
                   f"/api/v1/coupons/{mine}/redeem?again=1"):  # fmt: skip
        reused = await client.post(target, data=body, headers=headers)
        assert reused.status == 401, target
        assert "does not match" in (await reused.json())["error"]
    assert (await coupon_state(client, other)).redeemed_at is None
    assert (await client.post(path, data=body, headers=headers)).status == 200


@pytest.mark.parametrize("seconds", [-301, 301, -3600 * 24])
async def test_a_request_signed_more_than_five_minutes_away_is_refused(client, seconds) -> None:
    code = await apology_coupon(client)
    path = f"/api/v1/coupons/{code}/redeem"
    body, headers = signed(client, path, checkout(80, "o-9"), at=now(client) + seconds)
    late = await client.post(path, data=body, headers=headers)
    assert late.status == 401
    assert "300 s" in (await late.json())["error"]
    assert (await coupon_state(client, code)).redeemed_at is None
    body, headers = signed(client, path, checkout(80, "o-9"), at=now(client) - 299)
    assert (await client.post(path, data=body, headers=headers)).status == 200


async def test_another_customers_coupon_is_unknown_and_stays_unused(client) -> None:
    code = await apology_coupon(client)  # c-42's
    answers = []
    for path, body in (
        (f"/api/v1/coupons/{code}/validate", checkout(80, customer="c-7")),
        (f"/api/v1/coupons/{code}/redeem", checkout(80, "o-9", "c-7")),
        ("/api/v1/coupons/NOSUCHCODE0000/redeem", checkout(80, "o-9", "c-7")),
    ):
        answer = await post_signed(client, body, path)
        answers.append((answer.status, (await answer.json())["error"].replace(code, "X")))
    assert answers[0] == answers[1] == (404, "no coupon X")
    assert answers[2] == (404, "no coupon NOSUCHCODE0000"), "the same answer as an unknown code"
    assert (await coupon_state(client, code)).redeemed_at is None
    mine = await post_signed(client, checkout(80, "o-9"), f"/api/v1/coupons/{code}/redeem")
    assert mine.status == 200 and (await mine.json())["customer_id"] == "c-42"


async def test_a_checkout_names_its_customer(client) -> None:
    code = await apology_coupon(client)
    answer = await post_signed(client, {"basket_total": 80}, f"/api/v1/coupons/{code}/validate")
    assert answer.status == 422 and (await answer.json())["field"] == "customer_id"


# 2. Replayed events


async def test_a_known_event_id_with_another_body_is_a_conflict_and_changes_nothing(
    client,
) -> None:
    assert (await post_signed(client, event("e-1"))).status == 201
    before = await everything(client)
    renamed = event("e-1")
    renamed["customer"] = {**renamed["customer"], "name": "Mallory"}
    elsewhere = {**event("e-1"), "customer": {"id": "mallory-1", "name": "Mallory"}}
    for body in (renamed, elsewhere, event("e-1", total=999.0)):
        conflict = await post_signed(client, body)
        assert conflict.status == 409
        assert "already received with another body" in (await conflict.json())["error"]
    assert await everything(client) == before
    assert (await customer(client))[1]["name"] == "Léa Martin"


async def test_the_same_event_again_is_a_replay_that_writes_nothing(client) -> None:
    assert (await post_signed(client, event("e-1"))).status == 201
    before = await everything(client)
    same = await post_signed(client, event("e-1"))
    reordered = json.dumps(dict(reversed(list(event("e-1").items()))), indent=2).encode()
    also_same = await post_signed(client, reordered)  # layout and key order do not matter
    for answer in (same, also_same):
        assert answer.status == 200, await answer.text()
        assert (await answer.json())["replay"] is True and (await answer.json())["balance"] == 50
    assert await everything(client) == before


# 3. Malformed headers and bodies


@pytest.mark.parametrize(
    "header",
    ["é", "t=é,v1=é", "t=1,v1=" + "é" * 64, "t=99999999999999999999,v1=00", "v1=" * 200],
)
async def test_a_malformed_signature_is_401_with_a_message(client, header) -> None:
    body = json.dumps(event("e-1")).encode()
    answer = await client.post("/api/v1/events", data=body, headers={HEADER: header})
    assert answer.status == 401
    assert HEADER in (await answer.json())["error"]
    assert (await customer(client))[0] == 404


async def test_a_latin_1_signature_byte_is_401_too(client) -> None:
    """The header's raw byte 0xE9 (é in Latin-1, not UTF-8), as a raw HTTP request."""
    body = json.dumps(event("e-1")).encode()
    reader, writer = await asyncio.open_connection(client.host, client.port)
    head = b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    writer.write(head + b"Fusion-Signature: \xe9\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]


async def test_the_old_body_only_signature_is_refused_with_a_hint(client) -> None:
    answer = await client.post("/api/v1/events", json=event("e-1"),
                               headers={"X-Fusion-Signature": "0" * 64})  # fmt: skip
    assert answer.status == 401
    assert "no longer accepted" in (await answer.json())["error"]


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/coupons/ABC123/redeem"])
async def test_a_signed_body_nested_100000_deep_is_400(client, path) -> None:
    deep = await post_signed(client, b"[" * 100_000 + b"]" * 100_000, path)
    assert deep.status == 400
    assert "deeper than 32" in (await deep.json())["error"]
    nested = await post_signed(client, b'{"id": ' + b"{" * 100_000, path)
    assert nested.status == 400


async def test_an_oversized_body_is_413(client) -> None:
    big = {**event("e-1"), "customer": {"id": "c-42", "name": "x" * (1024 * 1024)}}
    answer = await post_signed(client, big)
    assert answer.status == 413
    assert "error" in await answer.json()


# A small fuzz: whatever the header and the body, never a server error.

_CODES = st.text(string.ascii_letters + string.digits + "-._~%", min_size=1, max_size=40)
_PATHS = st.one_of(
    st.just("/api/v1/events"),
    _CODES.map(lambda code: f"/api/v1/coupons/{code}/validate"),
    _CODES.map(lambda code: f"/api/v1/coupons/{code}/redeem"),
)
_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=80)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                  max_size=4),
    max_leaves=20,
)  # fmt: skip
_BODIES = st.one_of(
    st.binary(max_size=300),
    _JSON.map(lambda value: json.dumps(value).encode()),
    st.builds(lambda d, o: o * d, st.integers(1, 5000), st.sampled_from([b"[", b"{", b'{"a":'])),
    st.builds(lambda mutation: json.dumps({**event("fuzz-1"), **mutation}).encode(),
              st.dictionaries(st.sampled_from(["id", "type", "customer", "order", "x"]), _JSON,
                              max_size=2)),
    st.builds(lambda v, c: json.dumps({"customer_id": c, "basket_total": v,
                                       "order_id": c}).encode(), _JSON, _TEXT),
)  # fmt: skip
# (kind, free text, a number): none, free text, t=<number>,v1=<free text>, the same with a
# v1 of 64 free characters, a real signature, a real one for another path
_KINDS = st.sampled_from(["none", "text", "fields", "fields64", "signed", "other_path"])
_HEADERS = st.tuples(_KINDS, _TEXT | _TEXT.filter(bool).map(lambda t: (t * 64)[:64]),
                     st.integers(-(10**15), 10**15) | st.integers(-400, 400))  # fmt: skip


async def test_malformed_shop_requests_never_get_a_server_error(client) -> None:
    loop = asyncio.get_running_loop()

    async def send(path: str, header: tuple[str, str, int], body: bytes) -> tuple[int, str]:
        kind, text, number = header
        headers: dict[str, str] = {}
        if kind == "text":
            headers[HEADER] = text
        elif kind == "fields":
            headers[HEADER] = f"t={number},v1={text}"
        elif kind == "fields64":
            headers[HEADER] = f"t={int(now(client)) + number},v1={(text * 64)[:64]}"
        elif kind in ("signed", "other_path"):
            where = path if kind == "signed" else "/api/v1/events" + text
            headers = signed(client, where, body)[1]
        async with client.post(path, data=body, headers=headers) as answer:
            return answer.status, answer.content_type

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(path=_PATHS, header=_HEADERS, body=_BODIES)
    def check(path: str, header: tuple[str, str, int], body: bytes) -> None:
        status, content_type = asyncio.run_coroutine_threadsafe(
            send(path, header, body), loop
        ).result(60)
        assert status in (200, 201, 400, 401, 404, 409, 410, 413, 422), (status, path, header)
        assert content_type == "application/json", (status, path, header)

    await loop.run_in_executor(None, check)

