"""Cases per status, read from the trigger-kept case_count_deltas instead of counted per request.

Triggers on `cases` (migration c0c0a7e50009) add a +1/-1 row for every case that enters or
leaves a (district, scheme, status), whoever writes: the web, the sweep's set-based updates,
imports. A reader sums the rows of its districts; `compact` folds them back to one row per key
when they pile up. Sums are the same before and after folding, so a reader never needs a lock.
"""
import time

import sqlalchemy as sa

from caseflow.cases.models import CaseCountDelta, CaseStatus
from caseflow.extensions import db

# Fold when one read sums more rows than this. Folded, the table holds one row per
# (district, scheme, status) in use: 2,400 for 50 districts and 6 schemes.
COMPACT_AT = 5_000
# ...but at most this often per worker, so a table that cannot shrink below it costs one
# fold a minute, not one a page.
COMPACT_EVERY_S = 60.0
_last_compacted = 0.0


def status_counts(district_ids: list[int] | None, scheme_id: int | None = None) -> tuple[dict[str, int], int]:
    """Cases per status value in `district_ids` (None: every district), and the rows summed."""
    query = sa.select(CaseCountDelta.status, sa.func.sum(CaseCountDelta.n), sa.func.count()).group_by(
        CaseCountDelta.status)
    if district_ids is not None:
        query = query.where(CaseCountDelta.district_id.in_(district_ids))
    if scheme_id:
        query = query.where(CaseCountDelta.scheme_id == scheme_id)
    counts = {status.value: 0 for status in CaseStatus}
    summed = 0
    for status, total, rows in db.session.execute(query):
        counts[status] = int(total or 0)
        summed += rows
    return counts, summed


def due_for_compaction(rows_summed: int) -> bool:
    return rows_summed > COMPACT_AT and time.monotonic() - _last_compacted >= COMPACT_EVERY_S


def compact() -> int:
    """Replace the rows with one per (district, scheme, status), in the caller's transaction.

    Only rows this transaction sees are deleted (and re-added as their sums); a row another
    transaction adds meanwhile stays as it is, so no change is lost or counted twice.
    Returns the rows left.
    """
    global _last_compacted
    _last_compacted = time.monotonic()
    deleted = db.session.execute(sa.delete(CaseCountDelta).returning(
        CaseCountDelta.district_id, CaseCountDelta.scheme_id, CaseCountDelta.status, CaseCountDelta.n)
        .execution_options(synchronize_session=False)).all()
    sums: dict[tuple[int, int, str], int] = {}
    for district_id, scheme_id, status, n in deleted:
        key = (district_id, scheme_id, status)
        sums[key] = sums.get(key, 0) + n
    rows = [{"district_id": d, "scheme_id": s, "status": st, "n": n} for (d, s, st), n in sums.items() if n]
    if rows:
        db.session.execute(sa.insert(CaseCountDelta), rows)
    return len(rows)


# For a bulk load that bypasses the triggers (bench/generate.py): the rows from the cases themselves.
REBUILD_SQL = (
    "DELETE FROM case_count_deltas",
    "INSERT INTO case_count_deltas (district_id, scheme_id, status, n) "
    "SELECT district_id, scheme_id, status, COUNT(*) FROM cases GROUP BY district_id, scheme_id, status",
)
