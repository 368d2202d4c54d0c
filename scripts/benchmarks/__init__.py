"""The benchmarks behind ``scripts/bench``: store operations, HTTP load, queries
per request and prune at scale. Numbers only, never assertions: see BENCHMARKS.md."""
