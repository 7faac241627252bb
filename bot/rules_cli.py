"""``python -m bot rules validate|dry-run|backtest|publish``: what community managers run."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tqdm import tqdm

from engagement.dry_run import dry_run, read_events
from engagement.ports import SystemClock
from engagement.rules import RuleSet, RulesFileInvalid, parse_rules
from engagement.services.backtest import backtest, render_comparison
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
        case "backtest":
            since = datetime.now(timezone.utc) - args.since
            print(asyncio.run(_backtest(settings, rules, since, str(path))))
    return 0


def duration(text: str) -> timedelta:
    """``30d``, ``12h`` or ``2w``: how far back a back-test goes."""
    units = {"h": "hours", "d": "days", "w": "weeks"}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit() or int(number) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30d, 12h or 2w")
    return timedelta(**{units[unit]: int(number)})


async def _backtest(settings: Settings, rules: RuleSet, since: datetime, name: str) -> str:
    database = Database.from_url(settings.database_url)
    bar = tqdm(total=0, unit=" events", file=sys.stderr, desc="back-test", leave=False)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        book = RulesBook(database, SystemClock())
        result = await backtest(database, book, rules, since, progress)
    finally:
        bar.close()
        await database.dispose()
    return render_comparison(result, name)


async def _publish(settings: Settings, text: str) -> int:
    database = Database.from_url(settings.database_url)
    try:
        return await RulesBook(database, SystemClock()).publish(text, "command line")
    finally:
        await database.dispose()
