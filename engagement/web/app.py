"""The engagement service's aiohttp application, built by ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import time, timedelta

from aiohttp import web

from engagement.nudges.planning import Guards, QuietHours
from engagement.ports import Clock, Conversations, SystemClock
from engagement.scheduling import Job, build_scheduler, scheduler_context
from engagement.services.audit import AuditLog
from engagement.services.brand import BrandView
from engagement.services.campaign_previews import CampaignPreviews
from engagement.services.campaign_results import CampaignResults
from engagement.services.campaigns import CampaignService
from engagement.services.chat_history import ChatHistory
from engagement.services.contributions import ContributionService
from engagement.services.coupons import CouponService
from engagement.services.customer_search import CustomerSearch
from engagement.services.customer_view import CustomerView
from engagement.services.dashboard import Dashboard
from engagement.services.expiry import ExpiryService
from engagement.services.handoffs import HandoffService
from engagement.services.nudging import Dispatching, NudgeService
from engagement.services.operations import Operations
from engagement.services.privacy import PrivacyService, Pseudonyms
from engagement.services.referrals import ReferralService
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.services.shop_signatures import SeenSignatures
from engagement.settings import Settings
from engagement.storage.database import Database
from engagement.web import admin, campaigns, chat, commerce, community, people
from engagement.web.auth import SignInGuard, auth_middleware
from engagement.web.errors import error_middleware
from engagement.web.health import health
from engagement.web.keys import (
    AUDIT,
    BRAND,
    CAMPAIGN_PREVIEWS,
    CAMPAIGN_RESULTS,
    CAMPAIGNS,
    CHAT_HISTORY,
    CLOCK,
    CONTRIBUTIONS,
    CONVERSATIONS,
    COUPONS,
    CUSTOMER_SEARCH,
    CUSTOMER_VIEW,
    DASHBOARD,
    DATABASE,
    HANDOFFS,
    LINK_VISITS,
    NUDGES,
    PRIVACY,
    REFERRALS,
    REWARDS,
    RULES_BOOK,
    SCHEDULER,
    SETTINGS,
    SHOP_SIGNATURES,
    SIGN_IN,
    TELEMETRY,
)
from engagement.web.limits import SlidingWindow
from engagement.web.observability import Telemetry
from engagement.web.openapi import openapi
from engagement.web.pages import add_page_routes, static_headers

MAX_BODY_BYTES = 1024 * 1024


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
    conversations: Conversations | None = None,
) -> web.Application:
    """A fresh application; ``database`` lets a caller share an engine it owns;
    ``conversations`` reaches Rasa (handing conversations back, erasing their history):
    without it those two answer 503 and erasures wait in their queue."""
    db = database or Database.from_url(settings.database_url)
    clock = clock or SystemClock()
    telemetry = Telemetry(
        "engagement", Operations(db, clock).figures, settings.metrics_token, host=settings.host
    )
    app = web.Application(
        middlewares=[telemetry.middleware, static_headers, error_middleware, auth_middleware],
        client_max_size=MAX_BODY_BYTES,
    )
    app[TELEMETRY] = telemetry
    app[SIGN_IN] = SignInGuard(attempts=settings.sign_in_attempts)
    app[LINK_VISITS] = SlidingWindow()
    rules = RulesBook(db, clock)
    app[SETTINGS] = settings
    app[DATABASE] = db
    app[RULES_BOOK] = rules
    rewards = RewardsService(db, clock, rules)
    app[REWARDS] = rewards
    app[CONTRIBUTIONS] = ContributionService(db, clock, rewards)
    app[COUPONS] = CouponService(db, clock)
    app[SHOP_SIGNATURES] = SeenSignatures(db, clock)
    app[CUSTOMER_VIEW] = CustomerView(db, clock)
    app[CUSTOMER_SEARCH] = CustomerSearch(db)
    app[BRAND] = BrandView(db, clock)
    app[REFERRALS] = ReferralService(db, clock, rewards, settings.links_url)
    app[HANDOFFS] = HandoffService(db, clock)
    privacy = PrivacyService(db, clock, Pseudonyms.keyed(settings.server_secret))
    app[PRIVACY] = privacy
    expiry = ExpiryService(db, clock, rules)
    jobs: dict[str, tuple[Job, int]] = {"expire_points": (expiry.run, settings.expiry_interval_s)}
    guards = guards_of(settings)
    app[CAMPAIGNS] = CampaignService(db, clock, rules, guards)
    app[CAMPAIGN_RESULTS] = CampaignResults(
        db, clock, app[CAMPAIGNS], settings.rasa_rate_per_s * len(settings.rasa_urls)
    )
    app[CAMPAIGN_PREVIEWS] = CampaignPreviews(
        db, clock, rules, app[CAMPAIGNS], settings.brand_timezone, conversations
    )
    app[DASHBOARD] = Dashboard(db, clock, app[BRAND], app[CAMPAIGN_RESULTS])
    app[AUDIT] = AuditLog(db, clock)
    app[CLOCK] = clock
    jobs["review_campaigns"] = (app[CAMPAIGN_RESULTS].review, max(60, settings.nudge_interval_s))
    if conversations is not None:
        app[CONVERSATIONS] = conversations
        app[CHAT_HISTORY] = ChatHistory(conversations)
        app.cleanup_ctx.append(_closing(conversations))
        jobs["erase_conversations"] = (
            lambda: privacy.erase_conversations(conversations),
            settings.erasure_interval_s,
        )
        nudges = NudgeService(db, clock, rules, guards, conversations, pacing_of(settings))
        app[NUDGES] = nudges
        jobs["plan_campaigns"] = (nudges.plan_due, settings.nudge_interval_s)
        jobs["dispatch_nudges"] = (nudges.drain, settings.nudge_interval_s)
    app[SCHEDULER] = build_scheduler(jobs)
    if database is None:
        app.cleanup_ctx.append(_dispose(db))
    app.cleanup_ctx.append(scheduler_context(app[SCHEDULER]))
    add_routes(app.router)
    app.router.add_get("/metrics", telemetry.metrics)
    return app


def pacing_of(settings: Settings) -> Dispatching:
    return Dispatching(
        busy_retry=timedelta(seconds=max(1, settings.nudge_quiet_s)),
        concurrency=settings.nudge_concurrency * len(settings.rasa_urls),
        lease=timedelta(seconds=settings.nudge_lease_s),
        retry=timedelta(seconds=settings.nudge_retry_s),
    )


def guards_of(settings: Settings) -> Guards:
    start, end = (time.fromisoformat(moment) for moment in settings.quiet_hours)
    return Guards(quiet_hours=QuietHours(start, end), brand_timezone=settings.brand_timezone)


# A campaign id is never one of the fixed words beside it, and only these actions exist:
# then a wrong method gets 405 with an Allow header that lists what the path really takes.
_CAMPAIGN_ID = r"(?!audience$|preview$)[^/]+"
_CAMPAIGN_ACTION = "|".join(campaigns.ACTIONS)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/health", health)
    add_page_routes(router)
    router.add_get("/api/v1/me", admin.me)
    router.add_get("/api/v1/dashboard", admin.get_dashboard)
    router.add_get("/api/v1/audit", admin.get_audit)
    router.add_get("/api/v1/rules/versions/{version}", community.rules_version)
    router.add_post("/api/v1/rules/rollback", community.roll_back_rules)
    router.add_post("/api/v1/rules/dry-run", community.dry_run_rules)
    router.add_post("/api/v1/rules/backtest", community.backtest_rules)
    router.add_post("/api/v1/campaigns/audience", campaigns.draft_audience)
    router.add_post("/api/v1/campaigns/preview", campaigns.draft_preview)
    router.add_get("/api/openapi.json", openapi)
    router.add_post("/api/v1/events", commerce.post_event)
    router.add_post("/api/v1/coupons/{code}/validate", commerce.validate_coupon)
    router.add_post("/api/v1/coupons/{code}/redeem", commerce.redeem_coupon)
    router.add_get("/api/v1/customers", admin.list_customers)
    router.add_get("/api/v1/customers/{id}", admin.get_customer)
    router.add_get("/api/v1/customers/{id}/ledger", admin.get_ledger)
    router.add_get("/api/v1/customers/{id}/coupons", admin.get_coupons)
    router.add_get("/api/v1/customers/{id}/decisions", admin.get_decisions)
    router.add_get("/api/v1/customers/{id}/export", admin.get_export)
    router.add_post("/api/v1/rules/validate", community.validate_rules)
    router.add_post("/api/v1/rules", community.publish_rules)
    router.add_get("/api/v1/rules/versions", community.rules_versions)
    router.add_get("/api/v1/rules/badges", community.badge_names)
    router.add_get("/api/v1/contributions", community.moderation_queue)
    router.add_post("/api/v1/contributions/{id}/moderation", community.moderate)
    router.add_get("/api/v1/ideas", community.best_ideas)
    router.add_get("/api/v1/brand", admin.get_brand)
    router.add_delete("/api/v1/customers/{id}", people.erase_customer)
    router.add_get("/api/v1/handoffs", people.list_handoffs)
    router.add_get("/api/v1/handoffs/count", people.count_handoffs)
    router.add_post("/api/v1/handoffs/{id:\\d+}/resume", people.resume_handoff)
    router.add_get("/r/{code}", people.follow_link)
    router.add_post("/api/v1/campaigns", campaigns.create)
    router.add_get("/api/v1/campaigns", campaigns.listing)
    router.add_get("/api/v1/campaigns/{id:" + _CAMPAIGN_ID + "}", campaigns.get)
    router.add_put("/api/v1/campaigns/{id:" + _CAMPAIGN_ID + "}", campaigns.update)
    router.add_get("/api/v1/campaigns/{id}/audience", campaigns.audience)
    router.add_get("/api/v1/campaigns/{id}/preview", campaigns.preview)
    router.add_get("/api/v1/campaigns/{id}/results", campaigns.results)
    router.add_post("/api/v1/campaigns/{id}/test-send", campaigns.test_send)
    router.add_post("/api/v1/campaigns/{id}/{action:" + _CAMPAIGN_ACTION + "}", campaigns.change)
    router.add_post("/api/v1/conversations/{sender}/back", campaigns.came_back)
    router.add_get("/api/v1/chat/history", chat.chat_history)


def _closing(conversations: Conversations) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(_: web.Application) -> AsyncIterator[None]:
        yield
        await conversations.close()

    return ctx


def _dispose(db: Database) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(_: web.Application) -> AsyncIterator[None]:
        yield
        await db.dispose()

    return ctx
