"""Benchmark harness: latency percentiles, memory and energy per inference next to peer runtimes."""
