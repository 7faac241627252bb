"""Nudge campaigns (DESIGN §5): who, what, when and under which guards — pure functions of
data and ``now``; the services load, plan, persist and dispatch."""
