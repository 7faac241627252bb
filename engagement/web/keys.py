"""Every application key, typed, in one place."""

from __future__ import annotations

from aiohttp import web

from engagement.settings import Settings
from engagement.storage.database import Database

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
