import asyncio

import pytest

from engagement.customers import UnknownLanguage
from engagement.services.customers import CustomerService
from engagement.storage.database import Database
from tests.fakes import FixedClock


async def test_the_first_greeting_alone_carries_the_privacy_notice(database: Database) -> None:
    customers = CustomerService(database, FixedClock())
    first = await customers.greet("c-1", "fr")
    second = await customers.greet("c-1", "en")
    assert first.show_privacy_notice and not second.show_privacy_notice
    # the language detected at first contact becomes the preference; later ones don't override
    assert second.customer.language == "fr"


async def test_concurrent_first_greetings_show_the_notice_once(database: Database) -> None:
    customers = CustomerService(database, FixedClock())
    await customers.greet("c-2")
    greetings = await asyncio.gather(*(customers.greet("c-3") for _ in range(8)))
    assert sum(g.show_privacy_notice for g in greetings) == 1


async def test_a_chosen_language_is_kept(database: Database) -> None:
    customers = CustomerService(database, FixedClock())
    await customers.greet("c-4", "fr")
    await customers.choose_language("c-4", "en")
    profile = await customers.profile("c-4")
    assert profile is not None and profile.language == "en"


async def test_an_unknown_language_is_refused_and_writes_nothing(database: Database) -> None:
    customers = CustomerService(database, FixedClock())
    with pytest.raises(UnknownLanguage):
        await customers.choose_language("c-5", "de")
    assert await customers.profile("c-5") is None
