"""Where the schema keeps a customer: found from the tables' columns, not from a list.

A column names a customer when it is called ``customer_id``, a conversation (Rasa's sender
id, which a channel may give: a Telegram chat, a phone number) when it is called
``sender_id``. A column that names one under another name says so in its ``info``:
``info={"personal": "customer"}`` (``customers.id``, ``referrals.friend_id`` and
``referrals.referrer_id`` today). A table added later with such a column is erased and
exported without anyone touching this module; tests/integration/test_erasure.py fills every
table it finds and checks both.

A customer's conversations are their own id (the web channel's sender) and every sender id
a row of theirs names (``customer_aliases``, ``conversation_channels``, ``handoffs``,
``deliveries``): rows naming one of those conversations are theirs too (``link_attempts``).
Rows whose foreign key points at one of their rows go with it, whoever they belong to
(``order_items`` of their orders; votes for their ideas, cast by anyone).

Left out, on purpose:

- ``erasures``: the queue of conversation histories still to erase from Rasa's tracker
  store. The erasure writes there; each row goes once that history is erased.
- ``audit_log`` names people in free text (target, detail): an erasure rewrites an erased
  id there to its keyed pseudonym instead (engagement.services.audit.pseudonymise).
- Totals that name nobody stay: a campaign's points and coupons issued, a run's customer
  count, the rules' budgets. They are the brand's accounting, not the customer's data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.storage import tables as t

CUSTOMER, CONVERSATION = "customer", "conversation"
# the naming convention; any other column says what it holds in its info
BY_NAME = {"customer_id": CUSTOMER, "sender_id": CONVERSATION}
# tables with such columns that an erasure must not empty, and why (see the docstring)
NOT_ERASED = {"erasures": "the queue of conversation histories still to erase"}


def holds(column: sa.Column[Any]) -> str | None:
    """CUSTOMER, CONVERSATION or None: what kind of id the column keeps."""
    if "personal" in column.info:
        return str(column.info["personal"]) if column.info["personal"] else None
    return BY_NAME.get(column.name)


@dataclass(frozen=True)
class Holder:
    """A table with columns that name a customer or one of their conversations."""

    table: sa.Table
    customers: tuple[sa.Column[Any], ...]
    conversations: tuple[sa.Column[Any], ...]

    def owned(self, customer_id: str, conversations: Iterable[str]) -> sa.sql.ColumnElement[bool]:
        senders = sorted(conversations)
        return sa.or_(
            *(column == customer_id for column in self.customers),
            *(column.in_(senders) for column in self.conversations),
        )


def holders(metadata: sa.MetaData = t.metadata) -> tuple[Holder, ...]:
    """Every table that keeps a customer's or a conversation's id, parents first."""
    found = []
    for table in metadata.sorted_tables:
        if table.name in NOT_ERASED:
            continue
        kinds = [(holds(column), column) for column in table.columns]
        customers = tuple(column for kind, column in kinds if kind == CUSTOMER)
        conversations = tuple(column for kind, column in kinds if kind == CONVERSATION)
        if customers or conversations:
            found.append(Holder(table, customers, conversations))
    return tuple(found)


async def conversations_of(conn: AsyncConnection, customer_id: str) -> set[str]:
    """Their own id and every conversation a row of theirs names."""
    found = {customer_id}
    for holder in holders():
        if not (holder.customers and holder.conversations):
            continue
        mine = sa.or_(*(column == customer_id for column in holder.customers))
        for column in holder.conversations:
            query = sa.select(column).where(mine, column.is_not(None)).distinct()
            found |= {str(value) for value in await conn.scalars(query)}
    return found


def _scopes(
    customer_id: str, conversations: Iterable[str], *, others: bool
) -> dict[sa.Table, sa.sql.ColumnElement[bool]]:
    """Each table's rows that go with the customer, parents first. ``others``: also the rows
    of tables that keep people (another customer's vote for their idea), as an erasure must;
    an export leaves those out, they are someone else's."""
    senders = sorted(conversations)
    owners = {holder.table: holder for holder in holders()}
    scopes: dict[sa.Table, sa.sql.ColumnElement[bool]] = {}
    for table in t.metadata.sorted_tables:
        if table.name in NOT_ERASED:
            continue
        holder = owners.get(table)
        clauses = [holder.owned(customer_id, senders)] if holder else []
        if holder is None or others:
            for key in table.foreign_keys:
                parent = key.column.table
                if parent is not table and parent in scopes:
                    rows = sa.select(key.column).where(scopes[parent])
                    clauses.append(key.parent.in_(rows))
        if clauses:
            scopes[table] = sa.or_(*clauses)
    return scopes


async def rows_of(
    conn: AsyncConnection, customer_id: str, conversations: Iterable[str]
) -> dict[str, list[dict[str, Any]]]:
    """Every row kept about them, by table name, oldest first where a table has a time."""
    found = {}
    for table, scope in _scopes(customer_id, conversations, others=False).items():
        rows = await conn.execute(sa.select(table).where(scope).order_by(*_chronology(table)))
        found[table.name] = [dict(row._mapping) for row in rows]
    return found


async def delete_rows(
    conn: AsyncConnection, customer_id: str, conversations: Iterable[str]
) -> dict[str, int]:
    """Deletes every row of theirs, children first; how many per table."""
    deleted = {}
    for table, scope in reversed(list(_scopes(customer_id, conversations, others=True).items())):
        count = 0
        # rows pointing at another row of the same table (a reversal at the entry it
        # reverses) go before the rows they point at
        for key in table.foreign_keys:
            if key.column.table is table:
                result = await conn.execute(sa.delete(table).where(scope, key.parent.is_not(None)))
                count += int(result.rowcount or 0)
        result = await conn.execute(sa.delete(table).where(scope))
        deleted[table.name] = count + int(result.rowcount or 0)
    return deleted


def _chronology(table: sa.Table) -> list[sa.Column[Any]]:
    moments = [c for c in table.columns if isinstance(c.type, t.UtcDateTime)]
    return [*moments[:1], *table.primary_key.columns]
