"""Bias complaints against local elected heads and officials, and their supervisor review."""
