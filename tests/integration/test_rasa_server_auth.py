"""Rasa's own HTTP app (``rasa.server.create_app``, as ``python -m bot.rasa_server`` starts
it, without a model) answers 401 to every token ``bot.rasa_api`` refuses: sanic-jwt alone
took a token without ``exp`` or valid until 2100, and answered 500 to ``alg: none``.
The e2e test ``test_the_apis_need_their_tokens`` checks the same on a real server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import jwt
import pytest

from bot.rasa_api import bearer
from bot.rasa_server import hardened, strict_jwt
from tests.stores import free_port

SECRET = "rasa-secret-for-tests-0123456789"
ADMIN = {"user": {"username": "fusion", "role": "admin"}}


@pytest.fixture
async def rasa_url(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    policy = asyncio.get_event_loop_policy()
    import rasa.server  # whose import makes uvloop the policy, without pytest's loop
    from sanic import Sanic

    asyncio.set_event_loop_policy(policy)
    monkeypatch.setattr(Sanic, "test_mode", True)  # Rasa names every app "rasa_server"
    monkeypatch.setattr(rasa.server, "Initialize", strict_jwt(rasa.server.Initialize))
    app = hardened(rasa.server.create_app)(jwt_secret=SECRET, jwt_method="HS256")
    app.config.USE_UVLOOP = False  # the test's event loop stays pytest's
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def status_of(url: str, authorization: bytes | None) -> int:
    """GET /status written byte for byte (HTTP clients refuse undecodable header values)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    header = b"" if authorization is None else b"Authorization: " + authorization + b"\r\n"
    writer.write(b"GET /status HTTP/1.1\r\nHost: rasa\r\nConnection: close\r\n" + header + b"\r\n")
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return int(answer.split()[1])


def signed(claims: dict, key: str = SECRET, algorithm: str = "HS256") -> bytes:
    return f"Bearer {jwt.encode({**ADMIN, **claims}, key, algorithm=algorithm)}".encode()


def refused() -> dict[str, bytes | None]:
    now = int(time.time())
    return {
        "no header": None,
        "no exp": signed({"iat": now}),
        "valid until 2100": signed({"iat": now, "exp": 4102444800}),
        "valid for an hour": signed({"iat": now, "exp": now + 3600}),
        "expired": signed({"iat": now - 600, "exp": now - 300}),
        "alg none": signed({"exp": now + 60}, "", "none"),
        "HS512": signed({"exp": now + 60}, algorithm="HS512"),
        "another secret": signed({"exp": now + 60}, "another-secret-0123456789"),
        "malformed": b"Bearer not.a.jwt",
        "two parts": b"Bearer a b",
        "undecodable bytes": b"Bearer \xff\xfe",
        "not bearer": b"Basic " + SECRET.encode(),
    }


async def test_rasa_answers_401_to_any_token_it_cannot_verify(rasa_url: str) -> None:
    statuses = {name: await status_of(rasa_url, header) for name, header in refused().items()}
    assert statuses == dict.fromkeys(statuses, 401)
    ours = bearer(SECRET)["Authorization"].encode()
    # authenticated: Rasa then says it has no model loaded (409), which is past the check
    assert await status_of(rasa_url, ours) == 409
