"""A small job queue kept in the application's own database (SQLite or PostgreSQL, no broker).

`models.py` holds the `jobs` table, `queue.py` the verbs (enqueue, claim, finish, retry,
recover), `worker.py` the loop a worker process runs and `cli.py` the `worker` command.
Domains add work by registering a handler for a job kind, and optionally a finder that
enqueues jobs for rows needing work (`queue.register_kind`, `queue.register_finder`).
"""
