"""Every application key, typed, in one place."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from engagement.ports import Clock, Conversations
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
from engagement.services.handoffs import HandoffService
from engagement.services.nudging import NudgeService
from engagement.services.privacy import PrivacyService
from engagement.services.referrals import ReferralService
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.services.shop_signatures import SeenSignatures
from engagement.settings import Settings
from engagement.storage.database import Database
from engagement.web.limits import SlidingWindow
from engagement.web.observability import Telemetry

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
RULES_BOOK = web.AppKey("rules_book", RulesBook)
REWARDS = web.AppKey("rewards", RewardsService)
COUPONS = web.AppKey("coupons", CouponService)
SHOP_SIGNATURES = web.AppKey("shop_signatures", SeenSignatures)
CUSTOMER_VIEW = web.AppKey("customer_view", CustomerView)
CUSTOMER_SEARCH = web.AppKey("customer_search", CustomerSearch)
CONTRIBUTIONS = web.AppKey("contributions", ContributionService)
SCHEDULER: web.AppKey[AsyncIOScheduler] = web.AppKey("scheduler", AsyncIOScheduler)
BRAND = web.AppKey("brand", BrandView)
REFERRALS = web.AppKey("referrals", ReferralService)
HANDOFFS = web.AppKey("handoffs", HandoffService)
PRIVACY = web.AppKey("privacy", PrivacyService)
CHAT_HISTORY = web.AppKey("chat_history", ChatHistory)
CONVERSATIONS: web.AppKey[Conversations] = web.AppKey("conversations", Conversations)  # type: ignore[type-abstract]
CAMPAIGNS = web.AppKey("campaigns", CampaignService)
CAMPAIGN_RESULTS = web.AppKey("campaign_results", CampaignResults)
CAMPAIGN_PREVIEWS = web.AppKey("campaign_previews", CampaignPreviews)
NUDGES = web.AppKey("nudges", NudgeService)
CLOCK: web.AppKey[Clock] = web.AppKey("clock", Clock)  # type: ignore[type-abstract]
AUDIT = web.AppKey("audit", AuditLog)
DASHBOARD = web.AppKey("dashboard", Dashboard)
TELEMETRY = web.AppKey("telemetry", Telemetry)
SIGN_IN: web.AppKey[Any] = web.AppKey("sign_in")  # engagement.web.auth.SignInGuard
LINK_VISITS = web.AppKey("link_visits", SlidingWindow)  # /r/<code> per client address
