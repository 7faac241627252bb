"""``GET /api/openapi.json``: the OpenAPI 3 document of the engagement HTTP API.

Kept by hand next to the routes; a test fails when a route is missing from it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

_ERROR = {
    "description": "error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}  # noqa: E501
_SIGNED: list[dict[str, list[str]]] = [{"shopSignature": []}]
_ADMIN: list[dict[str, list[str]]] = [{"adminToken": []}]
_CUSTOMER: list[dict[str, list[str]]] = [{"customerToken": []}]
_CUSTOMER_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_INT = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}  # PostgreSQL's integer
_VERSION = {"name": "version", "in": "path", "required": True, "schema": _INT}
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}


def _op(
    summary: str,
    *,
    security: list | None = None,
    params: list | None = None,
    body: str | None = None,
    ok: str = "200",
    errors: tuple[str, ...] = (),
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": {ok: {"description": "ok"}}}
    for status in errors:
        operation["responses"][status] = _ERROR
    if security is not None:
        operation["security"] = security
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/yaml" if body == "RulesFile" else "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{body}"}
                }
            },
        }
    return operation


DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Fusion engagement service", "version": "1"},
    "paths": {
        "/health": {"get": _op("200 once the database answers, 503 otherwise", errors=("503",))},
        "/api/openapi.json": {"get": _op("this document")},
        "/metrics": {
            "get": _op(
                "figures in the Prometheus text format (with FUSION_METRICS_TOKEN: as bearer; "
                "without it, 403 unless the service listens on loopback only)",
                errors=("401", "403"),
            )
        },
        "/api/v1/events": {
            "post": _op(
                "record a commerce event (idempotent by id: the same body again answers 200 "
                "and changes nothing; another body under a known id answers 409)",
                security=_SIGNED,
                body="CommerceEvent",
                ok="201",
                errors=("400", "401", "409", "422", "503"),
            )  # fmt: skip
        },
        "/api/v1/coupons/{code}/validate": {
            "post": _op(
                "check a coupon of the customer at checkout against a basket (another "
                "customer's coupon answers 404, as an unknown code)",
                security=_SIGNED,
                params=[_CODE],
                body="Checkout",
                errors=("401", "404", "409", "410", "422"),
            )  # fmt: skip
        },
        "/api/v1/coupons/{code}/redeem": {
            "post": _op(
                "use a coupon of the customer at checkout (exactly one of concurrent "
                "redemptions wins, the others 409; another customer's coupon answers 404)",
                security=_SIGNED,
                params=[_CODE],
                body="Checkout",
                errors=("401", "404", "409", "410", "422"),
            )  # fmt: skip
        },
        "/api/v1/customers": {
            "get": _op(
                "the shop's customers, a page of 25 at a time (id, name, email, stage, points, "
                "last_activity_at), found by part of their id, name or e-mail in any case",
                security=_ADMIN,
                params=[
                    {"name": "query", "in": "query",
                     "schema": {"type": "string", "maxLength": 200}},
                    {"name": "sort", "in": "query",
                     "schema": {"enum": ["last_activity", "stage", "points"]}},
                    {"name": "order", "in": "query", "schema": {"enum": ["desc", "asc"]}},
                    {"name": "page", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000}},
                ],
                errors=("401", "403", "422"),
            )  # fmt: skip
        },
        "/api/v1/customers/{id}/ledger": {
            "get": _op(
                "the customer's ledger entries, newest first",
                security=_ADMIN,
                params=[_CUSTOMER_ID],
                errors=("401", "403", "404"),
            )  # fmt: skip
        },
        "/api/v1/customers/{id}/coupons": {
            "get": _op(
                "the customer's coupons (used or not), newest first",
                security=_ADMIN,
                params=[_CUSTOMER_ID],
                errors=("401", "403", "404"),
            )
        },
        "/api/v1/customers/{id}": {
            "get": _op(
                "points, badges, coupons, stage, fusion score and consent of a customer",
                security=_ADMIN,
                params=[_CUSTOMER_ID],
                errors=("401", "403", "404"),
            ),
            "delete": _op(
                "erase the customer's engagement data now and their conversations' history "
                "within seconds (right to erasure); admin role only",
                security=_ADMIN,
                params=[_CUSTOMER_ID],
                errors=("401", "403", "404"),
            ),
        },
        "/api/v1/handoffs": {
            "get": _op(
                "conversations handed to a person (?status=open|closed|all), oldest first, "
                "with how long each waited (waiting_s) and what was said from the message "
                "that asked, read from the tracker store (conversation: null when it cannot "
                "be read), and the customer's last messages",
                security=_ADMIN,
                errors=("400", "401", "403"),
            )
        },
        "/api/v1/handoffs/count": {
            "get": _op("how many conversations wait for a person ({open})",
                       security=_ADMIN, errors=("401", "403"))
        },
        "/api/v1/handoffs/{id}/resume": {
            "post": _op(
                "hand the conversation back to the assistant and close the request",
                security=_ADMIN,
                params=[
                    {"name": "id", "in": "path", "required": True, "schema": _INT}
                ],
                errors=("401", "403", "404", "409", "502", "503"),
            )  # fmt: skip
        },
        "/r/{code}": {
            "get": _op(
                "a customer's personal link: counts the visit (a share link's first visit "
                "of the day rewards its owner) and redirects to the shop, with "
                "?fusion_ref=<code> for a referral link",
                params=[_CODE],
                ok="302",
                errors=("404",),
            )
        },
        "/api/v1/campaigns": {
            "post": _op(
                "create a campaign (draft): name, class, messages {fr, en} (Jinja2), schedule "
                "{once|cron|after_event}, audience {all|any: [{field, op, value}]}, "
                "holdout_percent, coupon, coupon_budget, window_days",
                security=_ADMIN,
                body="Campaign",
                ok="201",
                errors=("401", "403", "422"),
            ),
            "get": _op("every campaign", security=_ADMIN, errors=("401", "403")),
        },
        "/api/v1/campaigns/{id}": {
            "get": _op(
                "one campaign", security=_ADMIN, params=[_CUSTOMER_ID], errors=("401", "403", "404")
            ),
            "put": _op(
                "replace a draft or paused campaign's spec",
                security=_ADMIN,
                params=[_CUSTOMER_ID],
                body="Campaign",
                errors=("401", "403", "404", "409", "422"),
            ),
        },
        "/api/v1/campaigns/{id}/audience": {
            "get": _op(
                "customers matching now, and what would happen to them (send, "
                "hold_out, or the reason they would be skipped)",
                security=_ADMIN,
                params=[_CUSTOMER_ID],
                errors=("401", "403", "404"),
            ),
        },
        "/api/v1/campaigns/{id}/preview": {
            "get": _op(
                "the message in both languages as the dispatcher renders it, for "
                "?customer_id=… or, without one, with sample values (sample: true)",
                security=_ADMIN,
                params=[_CUSTOMER_ID],
                errors=("401", "403", "404", "422"),
            ),
        },
        "/api/v1/campaigns/{id}/results": {
            "get": _op(
                "deliveries by status, skipped ones by reason",
                security=_ADMIN,
                params=[_CUSTOMER_ID],
                errors=("401", "403", "404"),
            ),
        },
        "/api/v1/campaigns/{id}/test-send": {
            "post": _op(
                "send the message now to one customer ({customer_id}), guards aside, on the "
                "conversation they last wrote from or the web chat they have open; not "
                "counted in the results; a coupon shows as the sample code TEST-NOT-VALID, "
                "never minted",
                security=_ADMIN,
                params=[_CUSTOMER_ID],
                body="TestSend",
                errors=("401", "403", "404", "422", "502", "503"),
            ),
        },
        "/api/v1/campaigns/{id}/{action}": {
            "post": _op(
                "schedule, pause, resume or archive",
                security=_ADMIN,
                params=[
                    _CUSTOMER_ID,
                    {
                        "name": "action",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": ["schedule", "pause", "resume", "archive"]},
                    },
                ],
                errors=("401", "403", "404", "409"),
            ),
        },  # fmt: skip
        "/api/v1/conversations/{sender}/back": {
            "post": _op(
                "the assistant's channel: this customer reconnected; nudges that waited "
                "for them are due now ({due})",
                security=_ADMIN,
                params=[{"name": "sender", "in": "path", "required": True,
                         "schema": {"type": "string"}}],
                errors=("401", "403", "503"),
            ),
        },  # fmt: skip
        "/api/v1/customers/{id}/export": {
            "get": _op(
                "everything kept about the customer (GDPR access); admin role only",
                security=_ADMIN,
                params=[_CUSTOMER_ID],
                errors=("401", "403", "404"),
            )
        },
        "/api/v1/customers/{id}/decisions": {
            "get": _op(
                "every rule decision for the customer's events: awarded or why not",
                security=_ADMIN,
                params=[_CUSTOMER_ID],
                errors=("401", "403", "404"),
            )  # fmt: skip
        },
        "/api/v1/rules/validate": {
            "post": _op(
                "check a rules file (YAML body): every problem with its line",
                security=_ADMIN,
                body="RulesFile",
                errors=("400", "401", "403", "422"),
            )
        },
        "/api/v1/rules": {
            "post": _op(
                "publish a rules file as the new version in force, kept as written with "
                "its version: line set to the version's number (an invalid file changes "
                "nothing; a file that differs from the rules in force only by that line is "
                "no new version)",
                security=_ADMIN,
                body="RulesFile",
                ok="201",
                errors=("400", "401", "403", "422"),
            )
        },
        "/api/v1/rules/versions": {
            "get": _op("published versions, newest first; restored: the version a rollback "
                       "published again (null for a publish)", security=_ADMIN,
                       errors=("401", "403"))
        },
        "/api/v1/rules/badges": {
            "get": _op("each badge of the rules in force by its name in French and in English "
                       "({badges: {id: {fr, en}}}, empty before a first publish)",
                       security=_ADMIN, errors=("401", "403"))
        },
        "/api/v1/rules/versions/{version}": {
            "get": _op("one published version with its content", security=_ADMIN,
                       params=[_VERSION], errors=("401", "403", "404", "422"))
        },
        "/api/v1/rules/rollback": {
            "post": _op("publish an earlier version's content again, as a new version "
                        'naming it as restored ({"version": n})', security=_ADMIN,
                        body="Rollback", ok="201", errors=("401", "403", "404", "422"))
        },
        "/api/v1/rules/dry-run": {
            "post": _op('what a rules file would award over sample events ({"rules": text, '
                        '"events": [...]}); nothing is written', security=_ADMIN,
                        body="DryRun", errors=("400", "401", "403", "422"))
        },
        "/api/v1/rules/backtest": {
            "post": _op('a candidate rules file against the rules in force over the events '
                        'of the last days ({"rules": text, "days": 30}), with the cost',
                        security=_ADMIN, body="Backtest", errors=("400", "401", "403", "422"))
        },
        "/api/v1/me": {
            "get": _op("the role of the bearer token, the console pages it may open, the "
                       "parts of a page it may read (sections) and the brand's default "
                       "language (language: fr or en, FUSION_DEFAULT_LANGUAGE)", security=_ADMIN,
                       errors=("401",))
        },
        "/api/v1/chat/history": {
            "get": _op("the signed-in customer's own web conversation, their last 100 messages "
                       "and the assistant's, oldest first, as Rasa's tracker store keeps it "
                       "(the chat page shows it on any device)", security=_CUSTOMER,
                       errors=("401", "502", "503"))
        },
        "/api/v1/dashboard": {
            "get": _op("the ladder now and week by week, the brand fusion score over time, "
                       "rewards and their cost per week, campaign performance (?weeks=12)",
                       security=_ADMIN, errors=("401", "403", "422"))
        },
        "/api/v1/audit": {
            "get": _op("admin actions, newest first (?limit=200, ?action=rules.)",
                       security=_ADMIN, errors=("401", "403", "422"))
        },
        "/api/v1/campaigns/audience": {
            "post": _op("size a campaign being written (the spec as body), nothing saved",
                        security=_ADMIN, body="Campaign", errors=("401", "403", "422"))
        },
        "/api/v1/campaigns/preview": {
            "post": _op('the messages of a campaign being written as a customer reads them '
                        '({"campaign": spec, "customer_id": optional})', security=_ADMIN,
                        body="DraftPreview", errors=("401", "403", "422"))
        },
        "/chat": {"get": _op("the customer's chat page (socket.io to the Rasa server)")},
        "/admin": {"get": _op("the console for community managers, marketers and admins")},
        "/static/{file}": {"get": _op(
            "the pages' scripts, styles and vendored libraries", errors=("403", "404"),
            params=[{"name": "file", "in": "path", "required": True, "schema": {"type": "string"}}],
        )},  # fmt: skip
        "/api/v1/contributions": {
            "get": _op(
                "the moderation queue (?status=pending|approved|rejected|shipped, "
                "?kind=review|idea|share|survey_answer)",
                security=_ADMIN,
                errors=("401", "403"),
            )
        },
        "/api/v1/contributions/{id}/moderation": {
            "post": _op(
                "approve, reject or ship a contribution; rewards follow, a rejection "
                "reverses them",
                security=_ADMIN,
                params=[_CUSTOMER_ID],
                body="Moderation",
                errors=("400", "401", "403", "404", "409", "422"),
            )
        },
        "/api/v1/brand": {
            "get": _op(
                "the ladder as a funnel, zapped customers and the brand-level fusion score",
                security=_ADMIN,
                errors=("401", "403"),
            )
        },
        "/api/v1/ideas": {
            "get": _op(
                "the community's published ideas, most voted first",
                security=_ADMIN,
                errors=("401", "403"),
            )
        },
    },
    "components": {
        "securitySchemes": {
            "adminToken": {"type": "http", "scheme": "bearer"},
            "customerToken": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "the customer token the shop mints (README: security model)",
            },  # fmt: skip
            "shopSignature": {
                "type": "apiKey",
                "in": "header",
                "name": "Fusion-Signature",
                "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 with FUSION_SHOP_SECRET "
                "of the bytes <t>.<METHOD>.<path>.<raw body>>, the path as sent with its "
                "?query if any. 401 when missing, malformed, wrong, more than 300 s from the "
                "service's clock, or already used (sign every request anew)",
            },  # fmt: skip
        },
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {
                    "error": {"type": "string"},
                    "field": {"type": "string"},
                    "reason": {"type": "string"},
                },
            },  # fmt: skip
            "RulesFile": {"type": "string", "description": "the YAML rules file, as text"},
            "Campaign": {
                "type": "object",
                "description": "a campaign's spec; what JSON Schema cannot say (templates, "
                "cron expressions, audience fields) is checked and answered with 422 and the field",
                "required": ["name", "messages", "schedule"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 120},
                    "class": {"enum": ["marketing", "service"]},
                    "messages": {
                        "type": "object",
                        "required": ["fr", "en"],
                        "additionalProperties": False,
                        "properties": {"fr": {"type": "string"}, "en": {"type": "string"}},
                    },
                    "schedule": {
                        "type": "object",
                        "minProperties": 1,
                        "maxProperties": 1,
                        "properties": {
                            "once": {"type": "string", "format": "date-time"},
                            "cron": {"type": "string"},
                            "after_event": {"type": "object"},
                        },
                    },
                    "audience": {"type": "object"},
                    "holdout_percent": {"type": "number", "minimum": 0, "maximum": 50},
                    "coupon": {"type": "string"},
                    "coupon_budget": {"type": "integer", "minimum": 0},
                    "points": {"type": "integer", "minimum": 0},
                    "points_budget": {"type": "integer", "minimum": 0},
                    "window_days": {"type": "number", "minimum": 1, "maximum": 90},
                    "holdout_seed": {"type": "string", "nullable": True, "minLength": 1,
                                     "maxLength": 64},
                },
            },
            "DraftPreview": {
                "type": "object",
                "required": ["campaign"],
                "properties": {
                    "campaign": {"$ref": "#/components/schemas/Campaign"},
                    "customer_id": {"type": "string"},
                },
            },
            "TestSend": {
                "type": "object",
                "required": ["customer_id"],
                "properties": {"customer_id": {"type": "string", "minLength": 1}},
            },
            "Rollback": {
                "type": "object",
                "required": ["version"],
                "properties": {"version": _INT},
            },
            "DryRun": {
                "type": "object",
                "required": ["rules", "events"],
                "properties": {
                    "rules": {"type": "string", "description": "a rules file, as text"},
                    "events": {
                        "type": "array", "minItems": 1, "maxItems": 1000,
                        "items": {"type": "object"},
                    },
                },
            },  # fmt: skip
            "Backtest": {
                "type": "object",
                "required": ["rules"],
                "properties": {
                    "rules": {"type": "string", "description": "a rules file, as text"},
                    "days": {"type": "integer", "minimum": 1, "maximum": 365},
                },
            },
            "Moderation": {
                "type": "object",
                "required": ["decision"],
                "properties": {
                    "decision": {"enum": ["approve", "reject", "ship"]},
                    "note": {"type": "string", "maxLength": 500},
                },
            },
            "Checkout": {
                "type": "object",
                "required": ["customer_id", "basket_total"],
                "properties": {
                    "customer_id": {"type": "string"},
                    "basket_total": {"type": "number"},
                    "order_id": {"type": "string", "description": "required to redeem"},
                },
            },  # fmt: skip
            "CommerceEvent": {
                "type": "object",
                "required": ["id", "type", "occurred_at", "customer", "order"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string"},
                    "type": {
                        "enum": ["purchase", "shipment", "delivery", "cancellation", "refund"]
                    },  # noqa: E501
                    "occurred_at": {"type": "string", "format": "date-time"},
                    "customer": {
                        "type": "object",
                        "required": ["id"],
                        "properties": {
                            "id": {"type": "string"},
                            "name": {"type": "string"},
                            "email": {"type": "string", "maxLength": 254,
                                      "description": "kept so that staff find the customer"},
                            "language": {"enum": ["fr", "en"]},
                            "timezone": {"type": "string"},
                        },
                    },  # fmt: skip
                    "order": {
                        "type": "object",
                        "required": ["id", "total", "currency", "items"],
                        "properties": {
                            "id": {"type": "string"},
                            "total": {"type": "number"},
                            "currency": {"type": "string"},
                            "items": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "sku": {"type": "string"},
                                        "name": {"type": "string"},
                                        "quantity": {"type": "integer"},
                                        "price": {"type": "number"},
                                    },
                                },
                            },
                        },
                    },  # fmt: skip
                },
            },
        },
    },
}


def _retry_later(description: str) -> dict[str, Any]:
    return {
        **_ERROR,
        "description": description,
        "headers": {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
    }


def _with_common_answers(document: dict[str, Any]) -> dict[str, Any]:
    """Adds the answers any operation of a kind can give, wherever it is declared: every
    token-protected one can refuse a token (401, 403) or a guessing address (429); every
    one with a body, a body that is not JSON or too large (400, 413); every API one, a
    database that cannot be reached (503). Schemathesis holds the service to this."""
    for path, operations in document["paths"].items():
        for operation in operations.values():
            answers = operation["responses"]
            if operation.get("security") == _ADMIN:
                answers.setdefault("401", _ERROR)
                answers.setdefault("403", _ERROR)
                answers["429"] = _retry_later("too many wrong tokens from this address")
            if "requestBody" in operation:
                answers.setdefault("400", _ERROR)
                answers.setdefault("413", _ERROR)
            if path.startswith("/api/v1/") or path == "/health":
                answers["503"] = _retry_later("the database cannot be reached")
            if path == "/r/{code}":
                answers["429"] = _retry_later("too many links opened from this address")
    return document


_with_common_answers(DOCUMENT)


async def openapi(_: web.Request) -> web.Response:
    return web.json_response(DOCUMENT)
