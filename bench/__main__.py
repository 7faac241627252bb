"""``make bench``: every benchmark, one ``BENCH`` line each."""

from __future__ import annotations

import asyncio
import sys

from bench import p1_actions, p2_conversations, p4_rules


def main(argv: list[str]) -> int:
    selected = set(argv) or {"P1", "P2", "P4"}
    if "P1" in selected:
        print(asyncio.run(p1_actions.run()), flush=True)
    if "P2" in selected:
        print(asyncio.run(p2_conversations.run()), flush=True)
    if "P4" in selected:
        print(asyncio.run(p4_rules.run()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
