"""Beneficiaries: the people a case is opened for, with consent and minimal identity data."""
