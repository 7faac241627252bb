"""Slot, entity and response names shared by the actions (the domain declares the same)."""

LANGUAGE = "language"
CUSTOMER_NAME = "customer_name"
CUSTOMER_ID = "customer_id"
LEADERBOARD_OFFER = "leaderboard_offer"
NUDGES_SHOWN = "nudges_shown"

TARGET_LANGUAGE_ENTITY = "target_language"
