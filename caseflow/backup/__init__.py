"""Backups and restores of a whole caseflow instance: the database and every stored file.

- snapshot.py: `write_snapshot` writes one consistent snapshot (database, the files its rows
  reference, a manifest of SHA-256s, the schema revision and the audit chain's head) while the
  server keeps serving; `check_snapshot` verifies one against its manifest.
- restore.py: `restore_snapshot` into an empty instance, migrating forward, then verifying the
  audit chain against the manifest's head.
- retention.py: which dated snapshots under a backup folder to keep (N daily, M monthly).
- cli.py: `flask --app wsgi caseflow backup` and `… restore`.

The stores of files to include come from caseflow.filestores, not from this package.
"""
