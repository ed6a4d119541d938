"""Benchmarks: Baton beside a baseline measured in the same run. Run `python -m bench all`."""
