"""README's benchmarks, printed as ``BENCH <id> key=value …`` lines (never asserted)."""
