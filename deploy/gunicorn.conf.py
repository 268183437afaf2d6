"""gunicorn settings for caseflow in production (docs/deploy.md): `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be changed without editing this file: the bind address and the worker count
come from the environment (CASEFLOW_BIND, WEB_CONCURRENCY), and any option given on the
command line or in GUNICORN_CMD_ARGS overrides this file. `make soak` serves with this file.
"""
import multiprocessing
import os

bind = os.environ.get("CASEFLOW_BIND", "127.0.0.1:8000")

# Sync workers: a request is CPU work (templates, the ORM) plus short database round trips, so
# one process per core keeps every core busy; the second per core covers the waits. Each worker
# holds its own connection pool, so workers × servers must fit PostgreSQL's max_connections.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2)
worker_class = "sync"

# The slowest page is a batch print joining stored PDFs (up to 1,000 letters): well under a
# minute. A worker silent for longer is stuck and is replaced.
timeout = 60
# On SIGTERM or a reload a worker finishes the request at hand within this time.
graceful_timeout = 30
keepalive = 5  # behind nginx, which reuses its upstream connections

# No max_requests: under `make soak` a worker's memory, once warm, grows by a few per cent at
# most (README "Soak"), and recycling workers would hide a leak rather than show it.

# The heartbeat file on tmpfs: a worker on a slow or full disk is not taken for a stuck one.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Access log: the path without its query string (%(U)s), never %(r)s, %(q)s or the referrer %(f)s:
# whole URLs can carry what a user typed (caseflow logs no personal data, caseflow/inputs.py).
# %(h)s is nginx's address behind a proxy; %(M)s is the request time in milliseconds.
accesslog = os.environ.get("CASEFLOW_ACCESS_LOG", "-")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)s'
errorlog = os.environ.get("CASEFLOW_ERROR_LOG", "-")
loglevel = "info"

# The client's address behind nginx is the app's business (CASEFLOW_TRUSTED_PROXIES, applied by
# werkzeug's ProxyFix), not gunicorn's: its forwarded_allow_ips stays at the default (localhost).
proc_name = "caseflow"
