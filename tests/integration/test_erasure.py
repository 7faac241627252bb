"""Erasure and export cover the whole schema: every table is filled for two customers from
the tables' own definitions, so a table added later is checked without touching this file;
the audit log keeps no erased id in clear."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from engagement.services.customer_view import EXPORT_NAMES, CustomerView
from engagement.services.privacy import PrivacyService, Pseudonyms
from engagement.settings import Settings
from engagement.storage import personal
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.web.app import create_app
from engagement.web.keys import AUDIT, DATABASE
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
SECRET = "server-secret-for-tests-0123456789"
# each owner: (tag, customer id, the id of a conversation linked to them)
OWNERS = {"x": ("x", "cust-x", "conv-x"), "y": ("y", "cust-y", "conv-y")}


Rows = dict[str, dict[str, dict[str, Any]]]  # table → owner → the row's values


def _value(table: sa.Table, column: sa.Column[Any], owner: str, rows: Rows) -> Any:
    """What a column holds in the owner's row: their ids where the schema keeps ids of
    people, the parent row's key for a foreign key, anything of the column's type else."""
    tag, customer, conversation = OWNERS[owner]
    kind = personal.holds(column)
    if kind == personal.CUSTOMER:
        return customer
    if kind == personal.CONVERSATION:
        return conversation
    for key in column.foreign_keys:
        if key.column.table is table:
            return None  # a row pointing at another of its table: left out
        return rows[key.column.table.name][owner][key.column.name]
    if isinstance(column.type, t.Money):
        return Decimal("1.50")
    stored = column.type.impl if isinstance(column.type, sa.types.TypeDecorator) else column.type
    python = stored.python_type
    if python is datetime:
        return NOW
    if python is bool:
        return True
    if python is int:
        return 1
    if python in (dict, list):
        return {"filled_for": tag}
    length = getattr(column.type, "length", None) or 64
    return f"{tag}-{column.name}-{table.name}"[:length]


async def fill_every_table(database: Database) -> Rows:
    """One row per owner in every table but the erasure queue, parents first."""
    rows: Rows = {}
    async with database.begin() as conn:
        for table in t.metadata.sorted_tables:
            if table.name in personal.NOT_ERASED:
                continue
            rows[table.name] = {}
            generated = [c for c in table.primary_key.columns if _numbered(table, c)]
            for owner in OWNERS:
                values = {
                    c.name: _value(table, c, owner, rows)
                    for c in table.columns if c not in generated
                }  # fmt: skip
                result = await conn.execute(sa.insert(table).values(**values))
                numbers = zip(table.primary_key.columns, result.inserted_primary_key, strict=True)
                values.update((column.name, value) for column, value in numbers)
                rows[table.name][owner] = values
    return rows


def _numbered(table: sa.Table, column: sa.Column[Any]) -> bool:
    """An id the database numbers itself (its sequence on PostgreSQL must stay in step)."""
    return (
        len(table.primary_key.columns) == 1 and column.autoincrement in (True, "auto")
        and isinstance(column.type, sa.Integer)
    )  # fmt: skip


def related(table: sa.Table) -> bool:
    """Keeps people's ids, or hangs from a table that does (order lines), at any depth."""
    names = {holder.table.name for holder in personal.holders()}
    for each in t.metadata.sorted_tables:  # parents first
        if any(key.column.table.name in names for key in each.foreign_keys):
            names.add(each.name)
    return table.name in names


async def present(database: Database, table: sa.Table, values: dict[str, Any]) -> bool:
    key = sa.and_(*(column == values[column.name] for column in table.primary_key.columns))
    async with database.connect() as conn:
        return bool(await conn.scalar(sa.select(sa.func.count()).select_from(table).where(key)))


async def test_every_table_that_names_a_customer_is_exported_then_erased_for_them_alone(
    database: Database,
) -> None:
    rows = await fill_every_table(database)
    found = {holder.table.name for holder in personal.holders()}
    # what the schema says today, so that a broken rule shows here rather than passing empty
    assert {"customer_activity", "link_attempts", "referrals", "customers", "handoffs",
            "deliveries", "conversation_channels", "customer_aliases"} <= found  # fmt: skip
    assert "erasures" not in found and "audit_log" not in found
    clock = FixedClock(NOW)

    export = await CustomerView(database, clock).export("cust-x")
    assert export["conversations"] == ["conv-x", "cust-x"]
    assert export["profile"]["id"] == "cust-x"
    for table in t.metadata.sorted_tables:
        if related(table) and table.name != "customers":
            name = EXPORT_NAMES.get(table.name, table.name)
            assert export.get(name), f"the export misses {table.name}"
    assert "cust-y" not in json.dumps(export) and "conv-y" not in json.dumps(export)

    privacy = PrivacyService(database, clock, Pseudonyms.keyed(SECRET))
    erased = await privacy.erase_customer("cust-x")
    assert erased.conversations == ("conv-x", "cust-x")
    for table in t.metadata.sorted_tables:
        if table.name in personal.NOT_ERASED:
            continue
        mine, theirs = rows[table.name]["x"], rows[table.name]["y"]
        assert await present(database, table, theirs), f"{table.name}: the other customer's row"
        assert await present(database, table, mine) is not related(table), table.name
        async with database.connect() as conn:
            for row in await conn.execute(sa.select(table)):
                assert not {"cust-x", "conv-x"} & set(map(str, row)), f"{table.name}: {row}"
    async with database.connect() as conn:
        queued = set(await conn.scalars(sa.select(t.erasures.c.sender_id)))
    assert queued == {"cust-x", "conv-x"}, "their conversations' histories are queued"


# Words in a column's name that mean it keeps someone's id, whatever the rest of the name.
PERSON = re.compile(r"customer|sender|conversation|friend|referr|buyer|member|user|person")


def test_a_string_column_named_after_a_person_says_what_id_it_keeps() -> None:
    """The naming rule (customer_id, sender_id) or an info marker: a new column such as
    ``referee_id`` that follows neither fails here instead of escaping the erasure."""
    unmarked = [
        f"{table.name}.{column.name}"
        for table in t.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.String) and PERSON.search(column.name)
        and personal.holds(column) is None
    ]  # fmt: skip
    assert unmarked == []


@pytest.fixture
async def client(settings: Settings, migrated_url: str):  # type: ignore[no-untyped-def]
    settings = settings.replace(server_secret=SECRET)
    async with TestClient(TestServer(create_app(settings))) as client:
        client.settings = settings
        yield client


def admin(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {client.settings.admin_token}"}


async def test_the_audit_log_names_an_erased_customer_by_a_keyed_pseudonym_only(client) -> None:
    audit = client.app[AUDIT]
    await fill_every_table(client.app[DATABASE])
    await audit.record("marketer", "campaign.test_send", "camp-1", customer_id="cust-x")
    await audit.record("marketer", "campaign.test_send", "camp-1", customer_id="cust-y")
    await audit.record("admin", "handoff.note", "about cust-x and conv-x",
                       seen={"conversations": ["conv-x"], "cust-x": 2})  # fmt: skip
    await audit.record("admin", "rules.publish", "version 3", customer="cust-xavier")
    erased = await client.delete("/api/v1/customers/cust-x", headers=admin(client))
    assert erased.status == 200
    entries = await audit.entries()
    text = json.dumps(entries)
    assert not re.search(r"(?<![^\W_])(cust-x|conv-x)(?![^\W_])", text)
    assert "cust-y" in text and "cust-xavier" in text, "other names stay as they were"
    mac = hmac.new(SECRET.encode(), b"erased-id:cust-x", hashlib.sha256)
    expected = f"hmac:{mac.hexdigest()[:32]}"
    (erase,) = (e for e in entries if e["action"] == "customer.erase")
    assert erase["target"] == expected
    assert hashlib.sha256(b"cust-x").hexdigest()[:16] not in text, "no unsalted hash either"
    sent = [e["detail"] for e in entries if e["action"] == "campaign.test_send"]
    assert {"customer_id": expected} in sent and {"customer_id": "cust-y"} in sent
    (note,) = (e for e in entries if e["action"] == "handoff.note")
    conversation = Pseudonyms.keyed(SECRET).of("conv-x")
    assert note["target"] == f"about {expected} and {conversation}"
    assert note["detail"] == {"seen": {"conversations": [conversation], expected: 2}}
