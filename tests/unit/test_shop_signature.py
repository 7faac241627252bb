"""The shop's request signature (``engagement.shop_signature``) and the JSON loader of shop
bodies, without a server."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from engagement.commerce import MalformedBody, canonical_digest, json_depth, load_json_object
from engagement.shop_signature import (
    HEADER,
    InvalidSignature,
    ShopSignature,
    parse,
    shop_headers,
    sign,
    verify,
)

SECRET = "shop-secret-0123456789"
NOW = 1_790_000_000
PATH = "/api/v1/coupons/ABC123/redeem"
BODY = b'{"customer_id":"c-42","basket_total":80,"order_id":"o-9"}'


def test_v1_is_the_hmac_of_t_method_path_and_body() -> None:
    header = sign(SECRET, "post", PATH, BODY, now=NOW + 0.9)
    expected = hmac.new(
        SECRET.encode(), f"{NOW}.POST.{PATH}.".encode() + BODY, hashlib.sha256
    ).hexdigest()
    assert header == f"t={NOW},v1={expected}"
    assert verify(SECRET, header, "POST", PATH, BODY, now=NOW) == ShopSignature(NOW, expected)


def test_the_headers_a_shop_sends() -> None:
    headers = shop_headers(SECRET, "POST", PATH, BODY, now=NOW)
    assert headers == {HEADER: sign(SECRET, "POST", PATH, BODY, now=NOW),
                       "Content-Type": "application/json"}  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "secret"),
    [
        ("POST", "/api/v1/coupons/OTHER1/redeem", BODY, SECRET),  # another coupon code
        ("POST", "/api/v1/coupons/ABC123/validate", BODY, SECRET),  # another endpoint
        ("POST", PATH + "?x=1", BODY, SECRET),  # the query is part of the path
        ("PUT", PATH, BODY, SECRET),
        ("POST", PATH, BODY.replace(b"c-42", b"c-43"), SECRET),
        ("POST", PATH, BODY, "another-secret-0123456789"),
    ],
)
def test_a_signature_is_good_for_its_own_request_only(method, path, body, secret) -> None:  # type: ignore[no-untyped-def]
    header = sign(SECRET, "POST", PATH, BODY, now=NOW)
    with pytest.raises(InvalidSignature, match="does not match"):
        verify(secret, header, method, path, body, now=NOW)


@pytest.mark.parametrize(("age", "accepted"), [(-301, False), (-300, True), (0, True),
                                               (300, True), (301, False)])  # fmt: skip
def test_t_must_be_within_five_minutes_of_the_clock(age: int, accepted: bool) -> None:
    header = sign(SECRET, "POST", PATH, BODY, now=NOW)
    if accepted:
        verify(SECRET, header, "POST", PATH, BODY, now=NOW + age)
    else:
        with pytest.raises(InvalidSignature, match="300 s"):
            verify(SECRET, header, "POST", PATH, BODY, now=NOW + age)


@pytest.mark.parametrize(
    "header",
    [
        None, "", "   ", "é", "t=é,v1=" + "0" * 64, "\udce9", "0" * 64,  # the old header's value
        f"t={NOW}", f"v1={'0' * 64}", f"t={NOW},v1={'0' * 63}", f"t={NOW},v1={'g' * 64}",
        f"t=-1,v1={'0' * 64}", f"t=1e9,v1={'0' * 64}", f"t={NOW},t={NOW},v1={'0' * 64}",
        f"t={NOW},v1={'0' * 64},v1={'1' * 64}", f"t={NOW};v1={'0' * 64}", "t=,v1=",
        f"t={NOW},v1={'0' * 64}," + "x" * 600, f"t={'9' * 40},v1={'0' * 64}",
    ],
)
def test_a_malformed_header_is_refused_never_crashes(header: str | None) -> None:
    with pytest.raises(InvalidSignature):
        verify(SECRET, header, "POST", PATH, BODY, now=NOW)


def test_unknown_fields_are_ignored_and_hex_case_does_not_matter() -> None:
    _, v1 = sign(SECRET, "POST", PATH, BODY, now=NOW).split(",v1=")
    header = f" t={NOW} , v0=whatever, v1={v1.upper()} "
    assert parse(header) == ShopSignature(NOW, v1)
    verify(SECRET, header, "POST", PATH, BODY, now=NOW)


@pytest.mark.parametrize(
    ("body", "depth"),
    [(b"{}", 1), (b"5", 0), (b'{"a": [1, {"b": []}]}', 4), (b'{"a": "[[[[{{{"}', 1),
     (b'{"a": "\\"[[[", "b": [[]]}', 3), (b"[" * 100_000, 100_000)],
)  # fmt: skip
def test_json_depth_counts_brackets_outside_strings(body: bytes, depth: int) -> None:
    assert json_depth(body) == depth


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "deeper than 32"),
        (b'{"a":' * 33 + b"1" + b"}" * 33, "deeper than 32"),
        (b"{not json", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        ('{"a": "é"}'.encode("latin-1"), "not UTF-8"),
        (b'{"a": ' + b'"\\u' * 10 + b"}", "not valid JSON"),
    ],
)
def test_bodies_that_are_not_a_shallow_json_object_are_malformed(body: bytes, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MalformedBody, match=message):
        load_json_object(body)


def test_32_levels_are_fine() -> None:
    assert load_json_object(b'{"a":' * 31 + b"{}" + b"}" * 31)["a"]


def test_the_canonical_digest_ignores_layout_and_key_order() -> None:
    one = json.loads('{"b": 1, "a": {"y": "é", "x": [1, 2.5]}}')
    other = json.loads('{"a":{"x":[1,2.5],"y":"\\u00e9"},"b":1}')
    assert canonical_digest(one) == canonical_digest(other)
    assert canonical_digest(one) != canonical_digest({**one, "b": 2})
