"""Nudge campaigns (README: campaigns): who, what, when and under which guards — pure functions of
data and ``now``; the services load, plan, persist and dispatch."""
