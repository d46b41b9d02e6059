"""Benchmarks and the load generator: measured numbers, never pass/fail checks."""
