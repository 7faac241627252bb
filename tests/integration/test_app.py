from pathlib import Path
from urllib.parse import quote

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

from engagement.settings import Settings
from engagement.web.app import create_app


async def test_health_is_200_when_the_database_answers(
    settings: Settings, migrated_url: str
) -> None:
    async with TestClient(TestServer(create_app(settings))) as client:
        response = await client.get("/health")
        assert response.status == 200
        assert (await response.json())["database"] is True


async def test_health_is_503_when_the_database_does_not_answer(
    settings: Settings, tmp_path: Path
) -> None:
    unreachable = settings.replace(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'fusion.db'}"
    )
    async with TestClient(TestServer(create_app(unreachable))) as client:
        response = await client.get("/health")
        assert response.status == 503
        assert (await response.json())["status"] == "unavailable"


async def test_unknown_routes_answer_json_404(settings: Settings, migrated_url: str) -> None:
    async with TestClient(TestServer(create_app(settings))) as client:
        response = await client.get("/nope")
        assert response.status == 404
        assert "error" in await response.json()


def _documented_path(resource: web.AbstractResource) -> str:
    """A route's path as the document writes it (static files: one path with a parameter)."""
    if isinstance(resource, web.StaticResource):
        return resource.canonical + "/{file}"
    return resource.canonical


async def test_every_route_is_described_in_the_openapi_document(
    settings: Settings, migrated_url: str
) -> None:
    app = create_app(settings)
    async with TestClient(TestServer(app)) as client:
        document = await (await client.get("/api/openapi.json")).json()
    routes = {
        (_documented_path(route.resource), route.method.lower())
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    described = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert routes <= described, routes - described


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
_PATHS = st.one_of(
    st.builds(lambda code: f"/r/{code}", _TEXT),
    st.builds(lambda name: f"/static/{name}", _TEXT),
    st.builds(lambda page, query: f"/{page}?{query}", st.sampled_from(["chat", "admin", "health"]),
              _TEXT),
)  # fmt: skip
_HEADERS = st.dictionaries(
    st.sampled_from(["Authorization", "Cookie", "Origin", "X-Forwarded-For", "Accept-Language",
                     "X-Request-Id", "Range", "If-None-Match"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=200), max_size=4,
)  # fmt: skip


async def test_the_public_pages_answer_malformed_requests_without_a_server_error(
    settings: Settings, migrated_url: str
) -> None:
    """The chat, console, link and static routes anyone can reach, with made-up paths, query
    strings and headers (the shop routes have their own: test_shop_requests)."""
    seen: list[tuple[str, int]] = []
    async with TestClient(TestServer(create_app(settings))) as client:

        @settings_hypothesis(max_examples=150, deadline=None, derandomize=True,
                             suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(path=_PATHS, headers=_HEADERS)
        def probe(path: str, headers: dict[str, str]) -> None:
            seen.append((path, headers))  # type: ignore[arg-type]

        probe()
        for path, headers in seen:
            encoded = {k: v.encode("latin-1").decode("latin-1") for k, v in headers.items()}
            response = await client.get(quote(path, safe="/?=&"), headers=encoded,
                                        allow_redirects=False)  # fmt: skip
            assert response.status < 500, (path, headers, await response.text())
