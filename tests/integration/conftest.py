"""The engagement core's integration tests run on SQLite and on a real PostgreSQL."""

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)
