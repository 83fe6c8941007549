"""Benchmarks: run one with `python -m bench.<name>`; bench/README.md says what each measures."""
