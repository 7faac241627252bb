"""Benchmarks of DESIGN §9, printed as ``BENCH <id> key=value …`` lines (never asserted)."""
