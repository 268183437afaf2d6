"""The quarterly review of each in-charge (issue 11)."""
