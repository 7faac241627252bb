"""Customers as the engagement core sees them, and what a greeting decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engagement.settings import LANGUAGES


class UnknownLanguage(ValueError):
    """A language outside the ones the assistant speaks."""


def checked_language(language: str) -> str:
    if language not in LANGUAGES:
        raise UnknownLanguage(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    return language


@dataclass(frozen=True)
class Customer:
    id: str
    name: str | None
    language: str | None
    timezone: str | None
    created_at: datetime
    privacy_notice_at: datetime | None
    stage: str = "need"

    @property
    def first_name(self) -> str | None:
        return self.name.split()[0] if self.name and self.name.strip() else None


@dataclass(frozen=True)
class Greeting:
    """What the assistant should say when a customer greets it."""

    customer: Customer
    show_privacy_notice: bool

    @property
    def returning(self) -> bool:
        """Whether the customer greeted us before this greeting (the privacy notice was
        shown then): only a returning customer is told "nice to see you again"; the first
        greeting ever is a plain one."""
        return not self.show_privacy_notice
