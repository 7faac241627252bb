"""Customer services used by the conversation: profile, greeting, language preference."""

from __future__ import annotations

from engagement.customers import Customer, Greeting, checked_language
from engagement.ports import Clock
from engagement.storage.customers import SqlCustomers
from engagement.storage.database import Database


class CustomerService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def profile(self, customer_id: str) -> Customer | None:
        async with self._db.connect() as conn:
            return await SqlCustomers(conn).get(customer_id)

    async def greet(self, customer_id: str, language: str | None = None) -> Greeting:
        """Records the contact; the privacy notice is shown on the customer's first greeting.

        ``language`` is the one the conversation detected; it becomes the customer's
        preference when they have none yet.
        """
        now = self._clock.now()
        async with self._db.begin() as conn:
            repo = SqlCustomers(conn)
            known = await repo.ensure(customer_id, now)
            if known.language is None and language is not None:
                await repo.adopt_language(customer_id, checked_language(language), now)
            first = await repo.claim_privacy_notice(customer_id, now)
            customer = await repo.get(customer_id)
        assert customer is not None
        return Greeting(customer=customer, show_privacy_notice=first)

    async def choose_language(self, customer_id: str, language: str) -> Customer:
        language = checked_language(language)
        now = self._clock.now()
        async with self._db.begin() as conn:
            repo = SqlCustomers(conn)
            await repo.ensure(customer_id, now)
            await repo.set_language(customer_id, language, now)
            customer = await repo.get(customer_id)
        assert customer is not None
        return customer
