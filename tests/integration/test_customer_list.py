"""The console's customer list through the real aiohttp app, on SQLite and PostgreSQL: found by
part of an id, a name or an e-mail in any case (accented capitals included), sorted by last
activity, stage or points, a page at a time."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from engagement.services.channels import ChannelRegistry
from engagement.services.customer_search import PAGE_SIZE
from engagement.settings import Settings
from engagement.storage import tables as t
from engagement.storage.database import Database
from tests.fakes import FixedClock
from tests.integration.served import admin, served
from tests.integration.shop import event, post_signed

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
async def client(settings: Settings, migrated_url: str, database: Database):  # type: ignore[no-untyped-def]
    async with served(settings, database=database, clock=FixedClock(NOW)) as client:
        yield client


async def bought(client, customer: dict, order: str, total: float, day: int) -> None:  # type: ignore[no-untyped-def]
    body = {**event(f"buy-{order}", total=total, order=order), "customer": customer,
            "occurred_at": f"2026-11-{day:02d}T10:00:00+00:00"}  # fmt: skip
    answer = await post_signed(client, body)
    assert answer.status == 201, await answer.text()


async def listed(client, **query: str) -> dict:  # type: ignore[no-untyped-def]
    answer = await client.get("/api/v1/customers", params=query, headers=admin(client))
    assert answer.status == 200, await answer.text()
    return dict(await answer.json())


def ids(page: dict) -> list[str]:
    return [customer["id"] for customer in page["customers"]]


@pytest.fixture
async def three(client, database: Database) -> None:  # type: ignore[no-untyped-def]
    """Léa bought on the 10th; Élodie twice, early in the month, for more; Tom bought little
    on the 5th but wrote to the assistant on the 20th."""
    lea = {"id": "c-lea", "name": "Léa Martin", "email": "lea.martin@example.com"}
    elodie = {"id": "c-elodie", "name": "Élodie Durand", "email": "E.Durand@Shop.test"}
    await bought(client, lea, "o-lea", 30.0, 10)
    await bought(client, elodie, "o-elo-1", 80.0, 1)
    await bought(client, elodie, "o-elo-2", 70.0, 3)
    await bought(client, {"id": "c-tom", "name": "Tom"}, "o-tom", 10.0, 5)
    messages = ChannelRegistry(database, FixedClock(datetime(2026, 11, 20, tzinfo=timezone.utc)))
    await messages.seen("c-tom", "c-tom", "socketio")


@pytest.mark.usefixtures("three")
async def test_staff_find_a_customer_by_any_part_of_their_id_name_or_email(client) -> None:
    assert ids(await listed(client, query="ÉLO")) == ["c-elodie"], "accents fold on SQLite too"
    assert ids(await listed(client, query="shop.TEST")) == ["c-elodie"]
    assert ids(await listed(client, query="martin@")) == ["c-lea"]
    assert ids(await listed(client, query="-to")) == ["c-tom"]
    assert ids(await listed(client, query="%")) == [], "a wildcard is a character like any other"
    everyone = await listed(client)
    assert everyone["total"] == 3 and everyone["pages"] == 1
    (lea,) = (c for c in everyone["customers"] if c["id"] == "c-lea")
    assert (lea["name"], lea["email"], lea["stage"]) == ("Léa Martin", "lea.martin@example.com",
                                                         "choice")  # fmt: skip
    assert lea["last_activity_at"] == "2026-11-10T10:00:00+00:00"


@pytest.mark.usefixtures("three")
async def test_the_list_sorts_by_last_activity_stage_or_points(client) -> None:
    assert ids(await listed(client)) == ["c-tom", "c-lea", "c-elodie"], "a message is activity"
    assert ids(await listed(client, sort="last_activity", order="asc")) == [
        "c-elodie", "c-lea", "c-tom"
    ]  # fmt: skip
    by_points = await listed(client, sort="points")
    assert ids(by_points) == ["c-elodie", "c-lea", "c-tom"]
    points = [c["points"] for c in by_points["customers"]]
    assert points == sorted(points, reverse=True) and points[-1] > 0


@pytest.mark.usefixtures("three")
async def test_stages_sort_in_the_ladder_s_order(client, database: Database) -> None:
    """Not alphabetically: "relation" comes after "choice" and before "adherence"."""
    stages = {"c-lea": "relation", "c-elodie": "adherence", "c-tom": "choice"}
    async with database.begin() as conn:
        for customer, stage in stages.items():  # as the ladder would have moved them
            await conn.execute(sa.update(t.customers).where(t.customers.c.id == customer)
                               .values(stage=stage))  # fmt: skip
    assert ids(await listed(client, sort="stage")) == ["c-elodie", "c-lea", "c-tom"]
    assert ids(await listed(client, sort="stage", order="asc")) == ["c-tom", "c-lea", "c-elodie"]


async def test_the_list_comes_a_page_at_a_time(client) -> None:
    for number in range(PAGE_SIZE + 3):
        customer = {"id": f"c-{number:03d}", "name": f"Client {number}"}
        await bought(client, customer, f"o-{number:03d}", 20.0, 1 + number % 20)
    first = await listed(client, sort="points")
    second = await listed(client, sort="points", page="2")
    assert (first["total"], first["pages"]) == (PAGE_SIZE + 3, 2)
    assert len(first["customers"]) == PAGE_SIZE
    assert len(second["customers"]) == 3
    assert not set(ids(first)) & set(ids(second))
    assert (await listed(client, page="3"))["customers"] == []


async def test_a_bad_sort_order_or_page_is_refused_naming_it(client) -> None:
    for query, field in (({"sort": "name"}, "sort"), ({"order": "up"}, "order"),
                         ({"page": "0"}, "page"), ({"query": "x" * 201}, "query"),
                         ({"query": "a\x00b"}, "query")):  # fmt: skip
        answer = await client.get("/api/v1/customers", params=query, headers=admin(client))
        assert answer.status == 422 and (await answer.json())["field"] == field
