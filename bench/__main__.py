"""``make bench``: every benchmark, one ``BENCH`` line each (``python -m bench P3 P5`` runs
only those named)."""

from __future__ import annotations

import asyncio
import sys

from bench import (
    p1_actions,
    p2_conversations,
    p3_dispatch,
    p3_plan,
    p3c_rasa,
    p4_rules,
    p5_reminders,
    p6_tracker,
    p8_isolation,
    t1_training,
)

ALL = ("P1", "P2", "P3", "P3c", "P4", "P5", "P6", "P8", "T1")


def p3() -> str:
    """Planning 20,000 and 100,000 customers (each in a fresh process, for its memory) and
    dispatching to a local sink, on one line."""
    plan = p3_plan.run().removeprefix("BENCH P3 ")
    dispatch = asyncio.run(p3_dispatch.run_dispatch())
    return f"BENCH P3 {plan} " + " ".join(f"{key}={value}" for key, value in dispatch.items())


def main(argv: list[str]) -> int:
    selected = set(argv) or set(ALL)
    unknown = selected - set(ALL)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(ALL)}")
        return 2
    runs = {
        "P1": lambda: asyncio.run(p1_actions.run()),
        "P2": lambda: asyncio.run(p2_conversations.run()),
        "P3": p3,
        "P3c": lambda: asyncio.run(p3c_rasa.run_p3c()),
        "P4": lambda: asyncio.run(p4_rules.run()),
        "P5": lambda: asyncio.run(p5_reminders.run()),
        "P6": lambda: asyncio.run(p6_tracker.run()),
        "P8": lambda: asyncio.run(p8_isolation.run()),
        "T1": t1_training.run,
    }
    for name in ALL:
        if name in selected:
            print(runs[name](), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
