"""``python -m bot rules validate|dry-run|publish``: what community managers run."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from engagement.dry_run import dry_run, read_events
from engagement.ports import SystemClock
from engagement.rules import RulesFileInvalid, parse_rules
from engagement.services.rules_book import RulesBook
from engagement.settings import Settings
from engagement.storage.database import Database


def rules_command(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.file
    try:
        text = path.read_text()
        rules = parse_rules(text)
    except OSError as exc:
        print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
        return 2
    except RulesFileInvalid as exc:
        for problem in exc.problems:
            print(f"{path}:{problem.line}: {problem.message}", file=sys.stderr)
        print(f"{path}: {len(exc.problems)} problem(s); nothing was changed", file=sys.stderr)
        return 1
    match args.rules_command:
        case "validate":
            print(f"{path}: valid ({len(rules.rules)} rules, {len(rules.badges)} badges, "
                  f"{len(rules.coupons)} coupon templates)")  # fmt: skip
        case "dry-run":
            print(dry_run(rules, read_events(args.events)).render())
        case "publish":
            version = asyncio.run(_publish(settings, text))
            print(f"{path}: published as version {version}; in force from the next event")
    return 0


async def _publish(settings: Settings, text: str) -> int:
    database = Database.from_url(settings.database_url)
    try:
        return await RulesBook(database, SystemClock()).publish(text, "command line")
    finally:
        await database.dispose()
