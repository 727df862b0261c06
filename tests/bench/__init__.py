"""Benchmarks (issue 5): run with `make bench` or `python -m tests.bench.run`."""
