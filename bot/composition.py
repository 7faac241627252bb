"""The composition root: settings once, then every process's objects built from them."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from aiohttp import web
from rasa_sdk import Action
from sqlalchemy.engine import make_url

from actions.account import (
    ActionCheckBadges,
    ActionCheckPoints,
    ActionCheckProgress,
    ActionListCoupons,
    ActionOrderStatus,
    ActionWhyNoPoints,
)
from actions.community import ActionLeaderboard, ActionLeaderboardAnswer, ActionRecommend
from actions.consent import ActionJoinClub, ActionOptIn, ActionOptOut
from actions.contributions import (
    ActionBrowseIdeas,
    ActionSubmitIdea,
    ActionSubmitReview,
    ActionVoteIdea,
    ValidateIdeaForm,
    ValidateReviewForm,
)
from actions.fallback import ActionSuggestIntents
from actions.greeting import ActionGreet
from actions.handoff import ActionHandoff
from actions.identity import ActionLinkAccount
from actions.language import ActionChangeLanguage
from actions.nudges import ActionShowNudge
from actions.orders import ActionAskProblemOrder
from actions.privacy import ActionDeleteMyData, ActionExportMyData
from actions.problems import ActionReportProblem, ValidateProblemForm
from actions.referrals import ActionReferFriend, ActionShareBrand
from actions.session import ActionSessionStart
from bot.action_server import create_action_app
from engagement.customer_tokens import customer_of_conversation, is_anonymous
from engagement.ports import Clock, SystemClock
from engagement.services.account import AccountService
from engagement.services.attention import AttentionService
from engagement.services.channels import ChannelRegistry
from engagement.services.community import CommunityService
from engagement.services.contributions import ContributionService
from engagement.services.customers import CustomerService
from engagement.services.expiry import ExpiryService
from engagement.services.handoffs import HandoffService
from engagement.services.identity import IdentityService
from engagement.services.operations import Operations
from engagement.services.orders import OrderBook
from engagement.services.privacy import PrivacyService, Pseudonyms
from engagement.services.referrals import ReferralService
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.settings import Settings
from engagement.storage.database import Database
from engagement.web.observability import Telemetry

PROJECT_DIR = Path(__file__).resolve().parents[1]
MODELS_DIR = PROJECT_DIR / "models"
DEFAULT_RULES = PROJECT_DIR / "rewards" / "rules.yml"
PLACEHOLDER = re.compile(r"\$\{(FUSION_[A-Z_]+)\}")
GENERATED_SECRETS = ("FUSION_RASA_TOKEN", "FUSION_ADMIN_TOKEN", "FUSION_ACTION_TOKEN")
# Secrets that must outlive one run (the shop signs with them, pseudonyms stay stable): when
# unset, generated once and kept in <data dir>/secrets.env, readable by its owner only.
KEPT_SECRETS = ("FUSION_SHOP_SECRET", "FUSION_CUSTOMER_TOKEN_SECRET", "FUSION_SERVER_SECRET")
KEPT_SECRETS_FILE = "secrets.env"


def load_settings(env: Mapping[str, str]) -> Settings:
    return Settings.from_env(env, base_dir=PROJECT_DIR)


def with_generated_secrets(env: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The environment with a fresh random value for each unset secret, and their names."""
    completed = dict(env)
    generated = []
    for name in GENERATED_SECRETS:
        if not completed.get(name, "").strip():
            completed[name] = secrets.token_urlsafe(32)
            generated.append(name)
    return completed, generated


def with_kept_secrets(env: Mapping[str, str]) -> dict[str, str]:
    """The environment with each unset kept secret read from, or first written to, the data
    folder's ``secrets.env``: ``make run`` and ``python -m bot customer-token`` then agree."""
    completed = dict(env)
    missing = [name for name in KEPT_SECRETS if not completed.get(name, "").strip()]
    if not missing:
        return completed
    data_dir = Path(completed.get("FUSION_DATA_DIR", "").strip() or PROJECT_DIR / "var")
    path = data_dir / KEPT_SECRETS_FILE
    kept: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and name.strip() in KEPT_SECRETS and value.strip():
                kept[name.strip()] = value.strip()
    if any(name not in kept for name in missing):
        for name in KEPT_SECRETS:
            kept.setdefault(name, secrets.token_urlsafe(32))
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write("".join(f"{name}={value}\n" for name, value in kept.items()))
    for name in missing:
        completed[name] = kept[name]
    return completed


@dataclass(frozen=True)
class AssistantServices:
    """What the actions are built with: the engagement core's services, on one database."""

    customers: CustomerService
    account: AccountService
    rewards: RewardsService
    contributions: ContributionService
    identity: IdentityService
    referrals: ReferralService
    community: CommunityService
    handoffs: HandoffService
    privacy: PrivacyService
    orders: OrderBook
    clock: Clock

    @classmethod
    def on(
        cls, database: Database, clock: Clock, links_url: str, server_secret: str | None = None
    ) -> AssistantServices:
        """``links_url``: the public address of the engagement service, for personal links;
        ``server_secret`` keys the audit log's names of erased customers (random if None)."""
        rules = RulesBook(database, clock)
        rewards = RewardsService(database, clock, rules)
        return cls(
            customers=CustomerService(database, clock),
            account=AccountService(database, clock, rules),
            rewards=rewards,
            contributions=ContributionService(database, clock, rewards),
            identity=IdentityService(database, clock),
            referrals=ReferralService(database, clock, rewards, links_url),
            community=CommunityService(database, clock),
            handoffs=HandoffService(database, clock),
            privacy=PrivacyService(database, clock, Pseudonyms.keyed(server_secret)),
            orders=OrderBook(database),
            clock=clock,
        )


def build_actions(services: AssistantServices) -> list[Action]:
    s = services
    account_actions = (
        ActionCheckPoints, ActionCheckBadges, ActionListCoupons, ActionCheckProgress,
        ActionWhyNoPoints,
    )  # fmt: skip
    contribution_actions = (
        ActionSubmitReview, ActionSubmitIdea, ActionBrowseIdeas, ActionVoteIdea,
    )  # fmt: skip
    return [
        ActionSessionStart(s.customers, s.account, s.identity),
        ActionLinkAccount(s.identity, s.customers, s.account),
        ActionReferFriend(s.referrals),
        ActionShareBrand(s.referrals),
        ActionLeaderboard(s.community),
        ActionLeaderboardAnswer(s.community),
        ActionRecommend(s.community),
        ActionHandoff(s.handoffs),
        ActionDeleteMyData(s.privacy),
        ActionGreet(s.customers),
        ActionChangeLanguage(s.customers),
        ActionSuggestIntents(),
        ActionShowNudge(),
        ActionExportMyData(s.account),
        *(action(s.account) for action in account_actions),
        *(
            action(s.rewards, s.account, s.clock)
            for action in (ActionOptIn, ActionOptOut, ActionJoinClub)
        ),
        ActionOrderStatus(s.account, s.orders),
        ActionAskProblemOrder(s.orders),
        ValidateReviewForm(s.orders),
        ValidateIdeaForm(),
        ValidateProblemForm(s.orders),
        ActionReportProblem(s.rewards, s.account, s.clock),
        *(action(s.contributions, s.account, s.clock) for action in contribution_actions),
    ]


def action_server_app(settings: Settings) -> web.Application:
    if not settings.action_token:
        raise SystemExit("FUSION_ACTION_TOKEN must be set for the action server")
    database = Database.from_url(settings.database_url)
    services = AssistantServices.on(
        database, SystemClock(), settings.links_url, settings.server_secret
    )
    registry = ChannelRegistry(database, services.clock)
    attention = AttentionService(database, services.clock, services.rewards)
    figures = Operations(database, services.clock).figures
    app = create_action_app(
        build_actions(services), settings.action_token, note_conversation(registry, attention),
        Telemetry("actions", figures, settings.metrics_token, host=settings.host),
    )  # fmt: skip

    async def close_database(_: web.Application) -> AsyncIterator[None]:
        yield
        await database.dispose()

    app.cleanup_ctx.append(close_database)
    return app


def note_conversation(
    registry: ChannelRegistry, attention: AttentionService
) -> Callable[[dict], Awaitable[None]]:
    """From each of Rasa's action calls: which channel the conversation writes from, and
    when the customer last wrote (their active hours, the nudges they answered)."""

    async def note(action_call: dict) -> None:
        tracker = action_call["tracker"]
        sender, channel = tracker.get("sender_id"), tracker.get("latest_input_channel")
        if not sender:
            return
        linked = (tracker.get("slots") or {}).get("customer_id")
        customer = customer_of_conversation(
            str(sender), str(linked) if linked else None, str(channel) if channel else None
        )
        if customer is None:  # nobody's: noted under a "~" id that no shop customer can have,
            # so that staff see the channel and no customer's nudge or hours are taken there
            customer = str(sender) if is_anonymous(str(sender)) else f"~{sender}"
        if channel:
            await registry.seen(str(sender), customer, str(channel))
        wrote_at = customer_message_time(tracker.get("events") or [])
        if wrote_at is not None:
            await attention.wrote(str(sender), customer, wrote_at)

    return note


def customer_message_time(events: list[dict]) -> datetime | None:
    """When the latest user event was written, unless it was not the customer's (a nudge or
    another ``EXTERNAL_`` intent triggered through the API)."""
    for event in reversed(events):
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
            if intent.startswith("EXTERNAL_") or not event.get("timestamp"):
                return None
            return datetime.fromtimestamp(float(event["timestamp"]), tz=timezone.utc)
    return None


async def publish_default_rules_if_none(settings: Settings) -> int | None:
    """A fresh database starts with the shipped catalogue; the version, or None if kept."""
    database = Database.from_url(settings.database_url)
    try:
        book = RulesBook(database, SystemClock())
        if await book.has_rules():
            return None
        return await book.publish(DEFAULT_RULES.read_text(), "default catalogue")
    finally:
        await database.dispose()


async def expire_points(settings: Settings) -> str:
    """One run of the points-expiry policy (the engagement service also runs it hourly)."""
    database = Database.from_url(settings.database_url)
    try:
        clock = SystemClock()
        run = await ExpiryService(database, clock, RulesBook(database, clock)).run()
    finally:
        await database.dispose()
    return (
        f"points expiry: {run.customers} customers checked, {run.points_expired} points "
        f"expired, {run.warnings} warnings"
    )


def rasa_stores(settings: Settings) -> dict[str, Any]:
    """Rasa's tracker store (SQLite file or PostgreSQL database) and lock store (Redis when
    FUSION_REDIS_URL is set, so that several Rasa servers take a conversation's turns one
    at a time; in memory otherwise), as ``endpoints.yml`` spells them."""
    tracker = make_url(settings.tracker_db_url)
    stores: dict[str, Any]
    if tracker.get_backend_name() == "sqlite":
        stores = {"tracker_store": {"type": "SQL", "dialect": "sqlite", "db": tracker.database}}
    else:
        stores = {"tracker_store": {
            "type": "SQL", "dialect": "postgresql", "url": tracker.host,
            "port": tracker.port or 5432, "db": tracker.database,
            "username": tracker.username, "password": tracker.password,
        }}  # fmt: skip
    if settings.redis_url:
        redis = urlsplit(settings.redis_url)
        stores["lock_store"] = {
            "type": "redis", "url": redis.hostname or "localhost", "port": redis.port or 6379,
            "db": int(redis.path.strip("/") or 1), "key_prefix": "fusion",
            "password": unquote(redis.password) if redis.password else None,
            "use_ssl": redis.scheme == "rediss",
        }  # fmt: skip
    return stores


def rasa_channels(settings: Settings) -> dict[str, dict[str, str]]:
    """The messaging channels that are on (their FUSION_* variables set), as Rasa's
    ``credentials.yml`` names our verified subclasses of its connectors (bot/messaging.py)."""
    on = settings.messaging
    keys = {
        "telegram": ("VerifiedTelegramInput", {"TOKEN": "access_token", "BOT_NAME": "verify",
                     "WEBHOOK_URL": "webhook_url", "SECRET": "secret_token"}),
        "slack": ("VerifiedSlackInput", {"TOKEN": "slack_token", "CHANNEL": "slack_channel",
                  "SIGNING_SECRET": "slack_signing_secret"}),
        "facebook": ("VerifiedFacebookInput", {"VERIFY": "verify", "SECRET": "secret",
                     "PAGE_TOKEN": "page-access-token"}),
        "twilio": ("VerifiedTwilioInput", {"ACCOUNT_SID": "account_sid", "NUMBER": "twilio_number",
                   "AUTH_TOKEN": "auth_token", "WEBHOOK_URL": "webhook_url"}),
    }  # fmt: skip
    return {
        f"bot.messaging.{cls}": {key: on[channel][name] for name, key in names.items()
                                 if name in on[channel]}
        for channel, (cls, names) in keys.items() if channel in on
    }  # fmt: skip


def rasa_config_values(settings: Settings) -> dict[str, str]:
    """What ``endpoints.yml`` and ``credentials.yml`` refer to as ``${FUSION_…}``."""
    return {
        "FUSION_ACTION_URL": settings.action_url,
        "FUSION_ACTION_TOKEN": settings.action_token or "",
        "FUSION_MAX_MESSAGE_LENGTH": str(settings.max_message_length),
        "FUSION_RASA_TOKEN": settings.rasa_token or "",
        "FUSION_ENGAGEMENT_URL": settings.engagement_url,
        "FUSION_CUSTOMER_TOKEN_SECRET": settings.customer_token_secret or "",
        "FUSION_SERVER_SECRET": settings.server_secret or "",
        "FUSION_CHAT_ORIGINS": ",".join(settings.socket_origins),
        "FUSION_CHAT_MESSAGES_PER_MINUTE": str(settings.chat_messages_per_minute),
        "FUSION_CHAT_MESSAGES_PER_MINUTE_PER_CLIENT": str(
            settings.chat_messages_per_minute_per_client
        ),
        "FUSION_TRUSTED_PROXIES": ",".join(settings.trusted_proxies),
    }


def render_rasa_config(settings: Settings, name: str) -> Path:
    """``<name>`` with its ``${FUSION_…}`` placeholders filled, written under the data folder.

    Rasa substitutes environment variables in ``endpoints.yml`` but not in
    ``credentials.yml``; rendering both here keeps one mechanism and one source of values.
    """
    template = (PROJECT_DIR / name).read_text()
    values = rasa_config_values(settings)
    missing = set(PLACEHOLDER.findall(template)) - values.keys()
    if missing:
        raise ValueError(f"{name} refers to unknown settings: {', '.join(sorted(missing))}")
    rendered = PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
    if name == "endpoints.yml":
        rendered += "\n" + yaml.safe_dump(rasa_stores(settings), sort_keys=False)
    if name == "credentials.yml" and settings.messaging:
        rendered += "\n" + yaml.safe_dump(rasa_channels(settings), sort_keys=False)
    target = settings.data_dir / "rasa" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(rendered)
    target.chmod(0o600)  # it holds the action token
    return target
