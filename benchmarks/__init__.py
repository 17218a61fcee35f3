"""Performance benchmarks: each ``bench_*.py`` module has ``main() -> int`` (0: budget met)."""
