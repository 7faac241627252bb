"""Settings, built once from the ``FUSION_*`` variables by the composition root.

Nothing else in the code base reads the environment: ``Settings.from_env`` takes any
mapping, so tests pass a dict. A bad value stops start-up with the variable's name.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LANGUAGES = ("fr", "en")
# Messaging channels: FUSION_<CHANNEL>_<NAME> for each name; a channel is on when its
# required variables are set (all of them: one missing is an error naming it).
MESSAGING = {
    "telegram": {"required": ("TOKEN", "BOT_NAME", "WEBHOOK_URL", "SECRET"), "optional": ()},
    "slack": {"required": ("TOKEN", "SIGNING_SECRET"), "optional": ("CHANNEL",)},
    "facebook": {"required": ("VERIFY", "SECRET", "PAGE_TOKEN"), "optional": ()},
    "twilio": {"required": ("ACCOUNT_SID", "AUTH_TOKEN", "NUMBER"), "optional": ("WEBHOOK_URL",)},
}
MESSAGING_SECRETS = ("TOKEN", "SECRET", "SIGNING_SECRET", "PAGE_TOKEN", "AUTH_TOKEN")


STAFF_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
STAFF_ROLES = ("admin", "community_manager", "marketer")

class SettingsError(ValueError):
    """A ``FUSION_*`` variable has a value we cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    tracker_store_path: Path
    host: str
    rasa_interface: str
    rasa_port: int
    action_port: int
    engagement_port: int
    rasa_token: str | None
    admin_token: str | None
    action_token: str | None
    shop_secret: str | None
    community_manager_token: str | None
    marketer_token: str | None
    max_message_length: int
    default_language: str
    log_level: str
    expiry_interval_s: int = 3600
    erasure_interval_s: int = 15
    nudge_interval_s: int = 10
    brand_timezone: str = "Europe/Paris"
    quiet_hours: tuple[str, str] = ("21:00", "09:00")
    nudge_quiet_s: int = 180
    public_url: str | None = None
    shop_url: str = "https://shop.example.com/"
    extra_rasa_urls: tuple[str, ...] = ()  # more Rasa servers sharing the tracker store
    nudge_concurrency: int = 8  # trigger_intent calls in flight per Rasa server
    rasa_rate_per_s: int = 60  # one Rasa server's trigger_intent rate (measured: 55–80/s)
    nudge_lease_s: int = 60  # a crashed dispatcher's claims are taken over after this
    sign_in_attempts: int = 10  # wrong staff tokens per address within 5 minutes, then 429
    # the load balancers in front (FUSION_TRUSTED_PROXIES): their X-Forwarded-For is believed
    trusted_proxies: tuple[str, ...] = ()
    # personal staff tokens (FUSION_STAFF_TOKENS="lea:marketer:<token>,…"): token → (name, role)
    staff_tokens: Mapping[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    nudge_retry_s: int = 30  # first back-off when Rasa is down (doubles, 6 attempts)
    public_rasa_url: str | None = None  # the Rasa server as customers' browsers reach it
    # Rasa's lock store (one conversation's turns in order across Rasa servers); None: in memory
    redis_url: str | None = None
    # Rasa's tracker store: the SQLite file above, or a PostgreSQL database (see tracker_db_url)
    tracker_database_url: str | None = None
    log_format: str = "auto"  # "text" at a terminal, else "json"; or either, forced
    metrics_token: str | None = None  # when set, GET /metrics asks for it
    actions_url: str | None = None  # FUSION_ACTION_URL
    # the messaging channels that are on: {"telegram": {"TOKEN": …, "SECRET": …}, …}
    messaging: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    # signs the customer tokens the shop mints (FUSION_CUSTOMER_TOKEN_SECRET, shared with it)
    customer_token_secret: str | None = None
    # never leaves the servers: keyed pseudonyms of erased customers, anonymous session ids
    server_secret: str | None = None
    # the shops' sites allowed to open the chat's socket.io connection (FUSION_CHAT_ORIGINS)
    chat_origins: tuple[str, ...] = ()
    # what one Rasa server takes from a conversation, and from one client address, a minute
    chat_messages_per_minute: int = 30
    chat_messages_per_minute_per_client: int = 600

    @property
    def action_url(self) -> str:
        """Where Rasa calls the actions: FUSION_ACTION_URL (a load balancer in front of
        several action servers), else this host's action server."""
        if self.actions_url:
            return self.actions_url
        return f"http://{_loopback_if_any(self.host)}:{self.action_port}/webhook"

    @property
    def tracker_db_url(self) -> str:
        """Rasa's tracker store as an async SQLAlchemy URL: FUSION_TRACKER_DATABASE_URL, or
        with PostgreSQL engagement data the same server's ``<database>_tracker`` database
        (Rasa's ``events`` table would collide with ours), else the SQLite file."""
        if self.tracker_database_url:
            return self.tracker_database_url
        if self.database_url.startswith("postgresql"):
            base, _, name = self.database_url.rpartition("/")
            name, query = name.partition("?")[::2]
            return f"{base}/{name}_tracker" + (f"?{query}" if query else "")
        return f"sqlite+aiosqlite:///{self.tracker_store_path}"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every configured secret, for the logs to mask: tokens and the stores' passwords."""
        tokens = (
            self.rasa_token, self.admin_token, self.action_token, self.shop_secret,
            self.community_manager_token, self.marketer_token, self.metrics_token,
            self.customer_token_secret, self.server_secret,
        )  # fmt: skip
        passwords = (_password_of(url) for url in (self.database_url, self.tracker_db_url,
                                                   self.redis_url or ""))  # fmt: skip
        channels = (values.get(name) for values in self.messaging.values()
                    for name in MESSAGING_SECRETS)  # fmt: skip
        return tuple(s for s in (*tokens, *passwords, *channels, *self.staff_tokens) if s)

    @property
    def rasa_url(self) -> str:
        return f"http://{_loopback_if_any(self.rasa_interface)}:{self.rasa_port}"

    @property
    def rasa_urls(self) -> tuple[str, ...]:
        """Every Rasa server nudges may go through: ours first, then FUSION_RASA_EXTRA_URLS."""
        return (self.rasa_url, *self.extra_rasa_urls)

    @property
    def engagement_url(self) -> str:
        return f"http://{_loopback_if_any(self.host)}:{self.engagement_port}"

    @property
    def links_url(self) -> str:
        """Where customers' personal links point (the engagement service, seen from outside)."""
        return (self.public_url or self.engagement_url).rstrip("/")

    @property
    def chat_rasa_url(self) -> str:
        """Where the chat page's socket.io client connects."""
        return (self.public_rasa_url or self.rasa_url).rstrip("/")

    @property
    def socket_origins(self) -> tuple[str, ...]:
        """The web origins that may open the chat's socket.io connection: the chat page's own
        (this service, as seen from outside) and the shops' sites of FUSION_CHAT_ORIGINS."""
        parts = urlsplit(self.links_url)
        own = [f"{parts.scheme}://{parts.netloc}".lower()]
        if parts.hostname in ("127.0.0.1", "localhost"):
            port = f":{parts.port}" if parts.port else ""
            own = [f"{parts.scheme}://{host}{port}" for host in ("127.0.0.1", "localhost")]
        return tuple(dict.fromkeys((*own, *self.chat_origins)))

    @property
    def role_tokens(self) -> dict[str, str]:
        """Bearer tokens of the non-admin roles that are configured."""
        tokens = {
            "community_manager": self.community_manager_token,
            "marketer": self.marketer_token,
            "assistant": self.action_token,
        }
        return {role: token for role, token in tokens.items() if token}

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, base_dir: Path | None = None) -> Settings:
        reader = _Reader(env)
        base = base_dir or Path.cwd()
        data_dir = reader.path("FUSION_DATA_DIR", base / "var")
        return cls(
            data_dir=data_dir,
            database_url=reader.database_url(
                "FUSION_DATABASE_URL", f"sqlite+aiosqlite:///{data_dir / 'fusion.db'}"
            ),
            tracker_store_path=reader.path("FUSION_TRACKER_DB", data_dir / "tracker.db"),
            host=reader.text("FUSION_HOST", "127.0.0.1"),
            rasa_interface=reader.text("FUSION_RASA_INTERFACE", "127.0.0.1"),
            rasa_port=reader.port("FUSION_RASA_PORT", 5005),
            action_port=reader.port("FUSION_ACTION_PORT", 5055),
            engagement_port=reader.port("FUSION_ENGAGEMENT_PORT", 8000),
            rasa_token=reader.secret("FUSION_RASA_TOKEN"),
            admin_token=reader.secret("FUSION_ADMIN_TOKEN"),
            action_token=reader.secret("FUSION_ACTION_TOKEN"),
            shop_secret=reader.secret("FUSION_SHOP_SECRET"),
            community_manager_token=reader.secret("FUSION_COMMUNITY_MANAGER_TOKEN"),
            marketer_token=reader.secret("FUSION_MARKETER_TOKEN"),
            max_message_length=reader.integer("FUSION_MAX_MESSAGE_LENGTH", 1000, low=1),
            default_language=reader.choice("FUSION_DEFAULT_LANGUAGE", "fr", LANGUAGES),
            log_level=reader.choice(
                "FUSION_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
            ),
            expiry_interval_s=reader.integer("FUSION_EXPIRY_INTERVAL_S", 3600, low=10),
            erasure_interval_s=reader.integer("FUSION_ERASURE_INTERVAL_S", 15, low=1),
            nudge_interval_s=reader.integer("FUSION_NUDGE_INTERVAL_S", 10, low=1),
            brand_timezone=reader.timezone("FUSION_BRAND_TIMEZONE", "Europe/Paris"),
            quiet_hours=reader.hours("FUSION_QUIET_HOURS", "21:00-09:00"),
            nudge_quiet_s=reader.integer("FUSION_NUDGE_QUIET_S", 180, low=0),
            public_url=reader.url("FUSION_PUBLIC_URL", None),
            shop_url=reader.url("FUSION_SHOP_URL", "https://shop.example.com/") or "",
            extra_rasa_urls=reader.urls("FUSION_RASA_EXTRA_URLS"),
            nudge_concurrency=reader.integer("FUSION_NUDGE_CONCURRENCY", 8, low=1, high=256),
            rasa_rate_per_s=reader.integer("FUSION_RASA_RATE_PER_S", 60, low=1),
            nudge_lease_s=reader.integer("FUSION_NUDGE_LEASE_S", 60, low=1),
            sign_in_attempts=reader.integer("FUSION_SIGN_IN_ATTEMPTS", 10, low=1),
            trusted_proxies=reader.addresses("FUSION_TRUSTED_PROXIES"),
            staff_tokens=reader.staff("FUSION_STAFF_TOKENS"),
            nudge_retry_s=reader.integer("FUSION_NUDGE_RETRY_S", 30, low=1),
            public_rasa_url=reader.url("FUSION_PUBLIC_RASA_URL", None),
            redis_url=reader.redis_url("FUSION_REDIS_URL"),
            tracker_database_url=reader.optional_database_url("FUSION_TRACKER_DATABASE_URL"),
            log_format=reader.choice("FUSION_LOG_FORMAT", "auto", ("auto", "json", "text")),
            metrics_token=reader.secret("FUSION_METRICS_TOKEN"),
            messaging=reader.messaging(),
            actions_url=reader.url("FUSION_ACTION_URL", None),
            customer_token_secret=reader.secret("FUSION_CUSTOMER_TOKEN_SECRET"),
            server_secret=reader.secret("FUSION_SERVER_SECRET"),
            chat_origins=reader.origins("FUSION_CHAT_ORIGINS"),
            chat_messages_per_minute=reader.integer(
                "FUSION_CHAT_MESSAGES_PER_MINUTE", 30, low=1
            ),
            chat_messages_per_minute_per_client=reader.integer(
                "FUSION_CHAT_MESSAGES_PER_MINUTE_PER_CLIENT", 600, low=1
            ),
        )


def _password_of(url: str) -> str | None:
    match = re.match(r"[a-z0-9+]+://[^:/@]*:([^@]*)@", url)
    return unquote(match.group(1)) if match else None


def _loopback_if_any(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


@dataclass(frozen=True)
class _Reader:
    env: Mapping[str, str]

    def _raw(self, name: str) -> str | None:
        value = self.env.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def _items(self, name: str) -> tuple[str, ...]:
        """The non-empty entries of a comma-separated variable."""
        return tuple(part.strip() for part in (self._raw(name) or "").split(",") if part.strip())

    def text(self, name: str, default: str) -> str:
        return self._raw(name) or default

    def path(self, name: str, default: Path) -> Path:
        raw = self._raw(name)
        return Path(raw) if raw else default

    def integer(self, name: str, default: int, *, low: int, high: int | None = None) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise SettingsError(f"{name} must be {bounds}, got {value}")
        return value

    def port(self, name: str, default: int) -> int:
        return self.integer(name, default, low=1, high=65535)

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        raw = self._raw(name)
        if raw is None:
            return default
        if raw not in allowed:
            raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
        return raw

    def hours(self, name: str, default: str) -> tuple[str, str]:
        raw = self._raw(name) or default
        match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)", raw)
        if not match:
            raise SettingsError(f"{name} must look like 21:00-09:00 (HH:MM-HH:MM)")
        start, end = raw.split("-")
        return start, end

    def timezone(self, name: str, default: str) -> str:
        raw = self._raw(name) or default
        try:
            ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"{name} must be an IANA time zone such as Europe/Paris") from None
        return raw

    def url(self, name: str, default: str | None) -> str | None:
        raw = self._raw(name) or default
        if raw is not None and not raw.startswith(("http://", "https://")):
            raise SettingsError(f"{name} must be an http:// or https:// URL, got {raw!r}")
        return raw

    def urls(self, name: str) -> tuple[str, ...]:
        """A comma-separated list of http(s) URLs, possibly empty."""
        parts = self._items(name)
        for part in parts:
            if not part.startswith(("http://", "https://")):
                raise SettingsError(f"{name} must list http:// or https:// URLs, got {part!r}")
        return parts

    def staff(self, name: str) -> dict[str, tuple[str, str]]:
        """``person:role:token`` entries, comma-separated: token → (person, role)."""
        staff: dict[str, tuple[str, str]] = {}
        for entry in self._items(name):
            person, role, token = (entry.split(":", 2) + ["", ""])[:3]
            if not STAFF_NAME.fullmatch(person):
                raise SettingsError(f"{name}: a name is 1-64 letters, digits or . _ @ -")
            if role not in STAFF_ROLES:
                roles = ", ".join(STAFF_ROLES)
                raise SettingsError(f"{name}: {person}'s role must be one of {roles}")
            if len(token) < 16:
                raise SettingsError(f"{name}: {person}'s token must be at least 16 characters")
            if token in staff or person in {who for who, _ in staff.values()}:
                raise SettingsError(f"{name}: {person} or their token appears twice")
            staff[token] = (person, role)
        return staff

    def origins(self, name: str) -> tuple[str, ...]:
        """Comma-separated web origins (``https://shop.example.com``: scheme, host, port)."""
        parts = self._items(name)
        for part in parts:
            if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", part):
                raise SettingsError(
                    f"{name} must list origins such as https://shop.example.com, got {part!r}"
                )
        return tuple(part.lower() for part in parts)

    def addresses(self, name: str) -> tuple[str, ...]:
        """A comma-separated list of IP addresses, possibly empty."""
        parts = self._items(name)
        for part in parts:
            try:
                ipaddress.ip_address(part)
            except ValueError:
                raise SettingsError(f"{name} must list IP addresses, got {part!r}") from None
        return parts

    def secret(self, name: str) -> str | None:
        raw = self._raw(name)
        if raw is not None and len(raw) < 16:
            raise SettingsError(f"{name} is too short to be a secret (16 characters at least)")
        return raw

    def messaging(self) -> dict[str, dict[str, str]]:
        channels = {}
        for channel, names in MESSAGING.items():
            prefix = f"FUSION_{channel.upper()}_"
            names_all = (*names["required"], *names["optional"])
            values = {name: self._raw(prefix + name) for name in names_all}
            given = {name: value for name, value in values.items() if value is not None}
            if not given:
                continue
            missing = [prefix + name for name in names["required"] if name not in given]
            if missing:
                raise SettingsError(f"the {channel} channel also needs {', '.join(missing)}")
            channels[channel] = given
        return channels

    def redis_url(self, name: str) -> str | None:
        raw = self._raw(name)
        if raw is not None and not re.fullmatch(r"rediss?://[^/\s]*(/\d+)?", raw):
            raise SettingsError(f"{name} must look like redis://[:password@]host[:port][/db]")
        return raw

    def optional_database_url(self, name: str) -> str | None:
        return self.database_url(name, "") if self._raw(name) else None

    def database_url(self, name: str, default: str) -> str:
        raw = self._raw(name) or default
        if raw.startswith("sqlite:"):
            raw = "sqlite+aiosqlite:" + raw[len("sqlite:") :]
        elif raw.startswith(("postgresql:", "postgres:")):
            raw = "postgresql+asyncpg:" + raw.split(":", 1)[1]
        if not raw.startswith(("sqlite+aiosqlite:", "postgresql+asyncpg:")):
            raise SettingsError(
                f"{name} must be a sqlite:/// or postgresql:// URL, got {raw.split(':', 1)[0]!r}"
            )
        return raw
