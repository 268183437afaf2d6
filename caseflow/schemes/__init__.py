"""Welfare schemes and their escalation ladders."""
