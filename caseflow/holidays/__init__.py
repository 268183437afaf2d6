"""The holiday calendar and working-day arithmetic for time limits."""
