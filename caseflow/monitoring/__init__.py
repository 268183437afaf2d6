"""Monitoring: the Prometheus metrics endpoint (metrics.py), JSON logs (logs.py), and the
database reads both they and /healthz use (status.py). README "Monitoring"."""
