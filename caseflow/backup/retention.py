"""Which snapshots under a backup folder to keep: the newest of each of the last N days and of
each of the last M months (days and months of the organisation's calendar), and always the
snapshot just written.

Only folders that are caseflow snapshots — named `caseflow-<UTC time>` and holding a caseflow
manifest — are ever considered; anything else in the folder (the operator's own files, a
snapshot being written by another run, which is still hidden as `.partial-…`) is left alone.
A pruned snapshot is first renamed to a hidden `.pruning-…` name, then deleted, so one
interrupted half-way never looks like a complete snapshot.
"""
import os
import shutil
from datetime import datetime
from pathlib import Path

from caseflow.backup.snapshot import BackupError, read_manifest, snapshot_time
from caseflow.db import local_date


def snapshots(root: Path) -> list[tuple[datetime, Path]]:
    """The caseflow snapshots directly under `root`, newest first."""
    found = []
    for child in root.iterdir():
        moment = snapshot_time(child.name)
        if moment is None or not child.is_dir() or child.is_symlink():
            continue
        try:
            read_manifest(child)
        except BackupError:
            continue
        found.append((moment, child))
    return sorted(found, reverse=True)


def to_prune(found: list[tuple[datetime, Path]], *, keep_daily: int, keep_monthly: int,
             keep: Path | None = None) -> list[Path]:
    """The snapshots of `found` (newest first) that the policy does not keep."""
    kept = {keep} if keep is not None else set()
    days, months = set(), set()
    for moment, path in found:
        day = local_date(moment)
        if day not in days and len(days) < keep_daily:
            days.add(day)
            kept.add(path)
        month = (day.year, day.month)
        if month not in months and len(months) < keep_monthly:
            months.add(month)
            kept.add(path)
    return [path for _moment, path in found if path not in kept]


def prune(root: Path, *, keep_daily: int, keep_monthly: int, keep: Path) -> list[Path]:
    """Delete the snapshots under `root` the policy does not keep; the paths deleted."""
    pruned = []
    for path in to_prune(snapshots(root), keep_daily=keep_daily, keep_monthly=keep_monthly, keep=keep):
        doomed = path.with_name(f".pruning-{path.name}")
        os.rename(path, doomed)
        shutil.rmtree(doomed)
        pruned.append(path)
    return pruned
