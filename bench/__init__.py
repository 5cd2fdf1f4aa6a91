"""Benchmarks: figures measured on the real servers, printed next to the limits they answer to."""
