"""The engagement service's HTTP interface (aiohttp)."""
