"""Escalation and referral letters: the dispatch register, rendering to PDF, storage, dispatch."""
