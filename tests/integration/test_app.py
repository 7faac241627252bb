from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

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
