"""``python -m bot <command>``: train, migrate, run (everything), serve, actions."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from aiohttp import web

from bot.composition import (
    MODELS_DIR,
    PROJECT_DIR,
    action_server_app,
    expire_points,
    load_settings,
    publish_default_rules_if_none,
    render_rasa_config,
    with_generated_secrets,
    with_kept_secrets,
)
from bot.conversations import RasaConversations, ensure_tracker_database
from bot.demo import DemoSummary, seed
from bot.rules_cli import duration, rules_command
from bot.supervisor import Service, supervise
from bot.training import ensure_model, model_path
from engagement.customer_tokens import mint_customer_token
from engagement.settings import Settings, SettingsError
from engagement.shop_signature import shop_headers
from engagement.storage.database import Database
from engagement.storage.migrate import owner_only, upgrade
from engagement.web.app import create_app
from engagement.web.observability import RouteAccessLog, configure_logging

OWNER_ONLY_UMASK = 0o077


def main(argv: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    # Every file this process and the ones it starts (the supervisor's three services, Rasa
    # through execve) create is its owner's only: databases, Rasa's tracker, rendered
    # configs, secrets. Set once here; child processes inherit it.
    os.umask(OWNER_ONLY_UMASK)
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="migrate, train if needed, start the three services")
    commands.add_parser("train", help="train the Rasa model if its inputs changed")
    commands.add_parser("migrate", help="apply the database migrations")
    commands.add_parser("serve", help="start the engagement service only")
    commands.add_parser("actions", help="start the action server only")
    rasa = commands.add_parser(
        "rasa", help="start a Rasa server only (the model must exist: `train` makes it)"
    )
    rasa.add_argument("--model", type=Path, help="default: the model of the current data")
    rules = commands.add_parser("rules", help="reward rules: validate, dry-run, publish")
    rules_commands = rules.add_subparsers(dest="rules_command", required=True)
    rules_commands.add_parser("validate", help="report every problem of a rules file").add_argument(
        "file", type=Path
    )
    dry_run = rules_commands.add_parser("dry-run", help="what a rules file would award")
    dry_run.add_argument("file", type=Path)
    dry_run.add_argument("events", type=Path, help="JSON lines, one commerce event per line")
    backtest = rules_commands.add_parser(
        "backtest", help="a rules file against the rules in force, over stored events"
    )
    backtest.add_argument("file", type=Path)
    backtest.add_argument(
        "--since", type=duration, default="30d", help="how far back: 30d (default), 12h, 2w"
    )
    rules_commands.add_parser("publish", help="make a rules file the rules in force").add_argument(
        "file", type=Path
    )
    demo = commands.add_parser(
        "demo", help="write a small brand's last weeks into the database (ids demo-…)"
    )
    demo.add_argument("--customers", type=int, default=240)
    demo.add_argument("--weeks", type=int, default=12)
    token = commands.add_parser(
        "customer-token", help="print a customer token, as the shop mints them, to try an account"
    )
    token.add_argument("customer_id")
    token.add_argument("--minutes", type=int, default=60, help="its lifetime (1-1440, default 60)")
    shop_sign = commands.add_parser(
        "shop-sign", help="print the headers a shop sends with the body read from stdin"
    )
    shop_sign.add_argument("method", help="POST")
    shop_sign.add_argument("path", help="the path as sent, with its ?query: /api/v1/events")
    rewards = commands.add_parser("rewards", help="rewards housekeeping")
    rewards_commands = rewards.add_subparsers(dest="rewards_command", required=True)
    rewards_commands.add_parser(
        "expire", help="expire points past the policy's date and warn those close to it"
    )
    args = parser.parse_args(argv)
    environment = dict(os.environ if env is None else env)
    if args.command not in ("train", "migrate", "rules"):
        environment = with_kept_secrets(environment)
    try:
        settings = load_settings(environment)
    except SettingsError as exc:
        print(f"fusion: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format, settings.secrets)
    match args.command:
        case "train":
            ensure_model(PROJECT_DIR, MODELS_DIR, environment)
        case "migrate":
            migrate(settings)
        case "rules":
            return rules_command(args, settings)
        case "rewards":
            print(asyncio.run(expire_points(settings)))
        case "demo":
            migrate(settings)
            print(asyncio.run(demo_data(settings, args.customers, args.weeks)))
        case "serve":
            web.run_app(
                create_app(settings, conversations=RasaConversations.from_settings(settings)),
                host=settings.host, port=settings.engagement_port,
                print=None, access_log_class=RouteAccessLog,
            )  # fmt: skip
        case "actions":
            web.run_app(
                action_server_app(settings), host=settings.host, port=settings.action_port,
                print=None, access_log_class=RouteAccessLog,
            )  # fmt: skip
        case "rasa":
            model = args.model or model_path(PROJECT_DIR, MODELS_DIR)
            if not model.exists():
                print(f"fusion: no model at {model}: run `python -m bot train`", file=sys.stderr)
                return 2
            argv = rasa_command(settings, model)
            os.chdir(PROJECT_DIR)  # where `run` starts it too
            os.execve(argv[0], argv, {**environment, "RASA_TELEMETRY_ENABLED": "false"})
        case "run":
            return run_everything(environment)
        case "customer-token":
            return print_customer_token(settings, args.customer_id, args.minutes)
        case "shop-sign":
            return print_shop_headers(environment, args.method, args.path)
    return 0


async def demo_data(settings: Settings, customers: int, weeks: int) -> DemoSummary:
    if not 1 <= customers <= 100_000 or not 1 <= weeks <= 52:
        raise SystemExit("fusion demo: --customers 1–100000, --weeks 1–52")
    db = Database.from_url(settings.database_url)
    try:
        return await seed(db, customers=customers, weeks=weeks)
    finally:
        await db.dispose()


def print_customer_token(settings: Settings, customer_id: str, minutes: int) -> int:
    if not settings.customer_token_secret:
        print("fusion: FUSION_CUSTOMER_TOKEN_SECRET is not set", file=sys.stderr)
        return 2
    try:
        token = mint_customer_token(
            settings.customer_token_secret, customer_id, datetime.now(timezone.utc),
            timedelta(minutes=minutes),
        )  # fmt: skip
    except ValueError as exc:
        print(f"fusion: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def print_shop_headers(environment: Mapping[str, str], method: str, path: str) -> int:
    """``Fusion-Signature`` and ``Content-Type`` for the body on stdin, signed now with
    FUSION_SHOP_SECRET, or when unset the kept one ``make run`` uses (var/secrets.env)."""
    secret = load_settings(with_kept_secrets(environment)).shop_secret
    if not secret:
        print("fusion: FUSION_SHOP_SECRET is not set", file=sys.stderr)
        return 2
    if not re.fullmatch(r"[A-Za-z]+", method) or not path.startswith("/"):
        print("fusion: shop-sign METHOD PATH, e.g. POST /api/v1/events (the path without "
              "scheme or host, with its ?query if any)", file=sys.stderr)  # fmt: skip
        return 2
    for name, value in shop_headers(secret, method, path, sys.stdin.buffer.read()).items():
        print(f"{name}: {value}")
    return 0


def migrate(settings: Settings) -> None:
    upgrade(settings.database_url)
    print(f"database up to date: {redacted(settings.database_url)}")
    if ensure_tracker_database(settings.tracker_db_url):
        print(f"created Rasa's tracker database: {redacted(settings.tracker_db_url)}")
    owner_only(settings.tracker_db_url)  # a SQLite file Rasa made before files were 0600
    version = asyncio.run(publish_default_rules_if_none(settings))
    if version is not None:
        print(f"published the default reward rules as version {version}")


def run_everything(env: Mapping[str, str]) -> int:
    env, generated = with_generated_secrets(env)
    settings = load_settings(env)
    migrate(settings)
    model = ensure_model(PROJECT_DIR, MODELS_DIR, env)
    python = sys.executable
    services = [
        Service(
            "engagement service",
            [python, "-m", "bot", "serve"],
            env,
            f"{settings.engagement_url}/health",
        ),
        Service("action server", [python, "-m", "bot", "actions"], env, _action_health(settings)),
        Service(
            "rasa server",
            rasa_command(settings, model),
            {**env, "RASA_TELEMETRY_ENABLED": "false"},
            f"{settings.rasa_url}/",
            cwd=str(PROJECT_DIR),
        ),
    ]
    return asyncio.run(supervise(services, lambda: print(banner(settings, generated), flush=True)))


def rasa_command(settings: Settings, model: Path) -> list[str]:
    options = {
        "--model": str(model),
        "--interface": settings.rasa_interface,
        "--port": str(settings.rasa_port),
        "--credentials": str(render_rasa_config(settings, "credentials.yml")),
        "--endpoints": str(render_rasa_config(settings, "endpoints.yml")),
    }
    flat = [part for option in options.items() for part in option]
    # bot.rasa_server: Rasa's CLI with JWT auth (secret from FUSION_RASA_TOKEN, never in
    # argv) and the model-changing endpoints refused
    return [sys.executable, "-m", "bot.rasa_server", "run", "--enable-api", *flat]


def redacted(url: str) -> str:
    """A URL fit for a terminal or a log: its password masked."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _action_health(settings: Settings) -> str:
    """This host's action server (FUSION_ACTION_URL may name a load balancer instead)."""
    return settings.replace(actions_url=None).action_url.removesuffix("/webhook") + "/health"


def banner(settings: Settings, generated: Sequence[str]) -> str:
    lines = [
        "",
        "Fusion is running (Ctrl-C stops everything):",
        f"  chat over REST     POST {settings.rasa_url}/webhooks/rest/webhook",
        f"  chat over socket.io     {settings.rasa_url}/socket.io",
        f"  Rasa HTTP API           {settings.rasa_url}  (JWT signed with FUSION_RASA_TOKEN)",
        f"  action server           {_action_health(settings).removesuffix('/health')}",
        f"  engagement service      {settings.engagement_url}  (GET /health)",
        f"  customer chat page      {settings.engagement_url}/chat",
        f"  staff console           {settings.engagement_url}/admin  (sign in with a token)",
        f"  database                {redacted(settings.database_url)}",
        f"  Rasa's tracker store    {redacted(settings.tracker_db_url)}",
        f"  Rasa's lock store       {redacted(settings.redis_url or 'in memory')}",
        f"  admin token             {settings.admin_token}",
    ]
    if generated:
        lines.append(f"  generated for this run: {', '.join(generated)} (set them to keep them)")
    lines.append(
        "  try: curl -s -XPOST "
        f'{settings.rasa_url}/webhooks/rest/webhook -d \'{{"sender":"a","message":"Bonjour"}}\''
    )
    return "\n".join(lines)
