"""Tests of litreview (run with `python -m pytest`)."""
