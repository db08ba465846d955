"""Grading many submissions: the per-submission unit (unit.py), the batch over a warm pool (batch.py), and the
files a course platform imports (export.py)."""
