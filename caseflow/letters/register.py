"""The letter register and batch printing: which letters a user (or the operator at the command
line) sees under the register's filters, and the batches that render and join them.

A batch is fixed to the letters that existed when it started (`upto`), never holds a
superseded letter, and is made of exactly the stored, checked PDFs: each keeps its own
"page x of y". Like every service these flush and never commit.
"""
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from io import BytesIO

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader, PdfWriter

from caseflow.audit.services import record
from caseflow.auth.models import User
from caseflow.db import local_midnight
from caseflow.extensions import db
from caseflow.letters import storage
from caseflow.letters.models import Letter, LetterStatus
from caseflow.letters.services import LetterError, ensure_rendered
from caseflow.scope import Operator, visible


@dataclass(frozen=True)
class RegisterFilters:
    district_id: int | None = None
    status: str | None = None  # a LetterStatus value, or None for all
    date_from: date | None = None
    date_to: date | None = None
    upto: int | None = None  # a batch is fixed to the letters that existed when it started

    def as_args(self) -> dict:
        """The filters as URL arguments (ids, a status and dates: nothing personal)."""
        args = {"district": self.district_id, "status": self.status or "all",
                "from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None, "upto": self.upto}
        return {k: v for k, v in args.items() if v is not None}


def register_query(who: User | Operator, filters: RegisterFilters) -> sa.Select:
    """Letters `who` may see, filtered: a user's areas, or every letter for `scope.OPERATOR`."""
    query = sa.select(Letter).where(visible(who, Letter))
    return _filtered(query, filters)


def _filtered(query: sa.Select, filters: RegisterFilters) -> sa.Select:
    if filters.district_id:
        query = query.where(Letter.district_id == filters.district_id)
    if filters.status:
        query = query.where(Letter.status == LetterStatus(filters.status))
    if filters.date_from:
        query = query.where(Letter.created_at >= _utc_start(filters.date_from))
    if filters.date_to:
        query = query.where(Letter.created_at < _utc_start(filters.date_to, next_day=True))
    if filters.upto is not None:
        query = query.where(Letter.id <= filters.upto)
    return query


def _utc_start(day: date, *, next_day: bool = False):
    """Local midnight at the start of `day` (or of the day after), as the naive UTC we store."""


    return local_midnight(day + timedelta(days=1) if next_day else day)


def _batch_query(who: User | Operator, filters: RegisterFilters) -> sa.Select:
    """The register's letters a batch may print: never a superseded one."""
    return register_query(who, filters).where(Letter.status != LetterStatus.SUPERSEDED)


BATCH_DEFAULT_STATUS = LetterStatus.DRAFTED
_BATCH_READ = 500  # letter rows read per query while joining a batch


@dataclass(frozen=True)
class BatchPreview:
    """What the register's batch box offers: which letters a batch would print, and why none."""

    status: LetterStatus  # the filter's status, or drafted (still to be sent) when it has none
    count: int  # letters the batch prints
    upto: int  # the newest of them: the batch is fixed to those
    matching: int  # letters the register's filters match, whatever their status

    @property
    def drafted_only(self) -> bool:
        return self.status is BATCH_DEFAULT_STATUS


def batch_filters(filters: RegisterFilters) -> RegisterFilters:
    """The register's filters as a batch: a status is always set (drafted unless one is chosen)."""
    return replace(filters, status=filters.status or BATCH_DEFAULT_STATUS.value, upto=None)


def batch_preview(who: User | Operator, filters: RegisterFilters) -> BatchPreview:
    """One grouped query: letters per status under the register's filters."""
    batch = batch_filters(filters)
    status = LetterStatus(batch.status)
    query = register_query(who, replace(filters, status=None, upto=None))
    rows = db.session.execute(
        query.with_only_columns(Letter.status, sa.func.count(), sa.func.max(Letter.id))
        .group_by(Letter.status).order_by(None)
    ).all()
    by_status = {row[0]: (row[1], row[2]) for row in rows}
    # A superseded letter is never printed in a batch, whatever the filter says.
    count, upto = (0, 0) if status is LetterStatus.SUPERSEDED else by_status.get(status, (0, 0))
    matching = sum(n for s, (n, _max) in by_status.items() if filters.status is None or s is status)
    return BatchPreview(status=status, count=count, upto=upto or 0, matching=matching)


@dataclass(frozen=True)
class BatchProgress:
    total: int
    rendered: int

    @property
    def done(self) -> bool:
        return self.rendered >= self.total


def batch_progress(who: User | Operator, filters: RegisterFilters) -> BatchProgress:
    ids = _batch_query(who, filters).with_only_columns(Letter.id).order_by(None).subquery()
    counts = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(Letter.pdf_path)).select_from(Letter).join(ids, Letter.id == ids.c.id)
    ).one()
    return BatchProgress(total=counts[0], rendered=counts[1])


def render_batch_chunk(who: User | Operator, filters: RegisterFilters, actor, size: int) -> int:
    """Render up to `size` letters of the batch that have no PDF yet; returns how many."""
    pending = db.session.scalars(
        _batch_query(who, filters).with_only_columns(Letter.id)
        .where(Letter.pdf_path.is_(None)).order_by(Letter.district_id, Letter.id).limit(size)
    ).all()
    for letter_id in pending:
        ensure_rendered(letter_id, actor)
    db.session.flush()
    return len(pending)


def batch_letter_ids(who: User | Operator, filters: RegisterFilters) -> list[int]:
    """The batch in printing order: district by district, in register order."""
    return list(db.session.scalars(
        _batch_query(who, filters).with_only_columns(Letter.id).order_by(Letter.district_id, Letter.id)
    ))


def write_batch(letter_ids: Iterable[int], actor, out) -> tuple[int, int]:
    """Concatenate the stored PDFs (each keeps its own "page x of y") into `out`; audit each print.

    Every letter must already be rendered (by the workers, or on demand): the batch is made of
    exactly the stored, checked bytes, and joining them is all it does. The letters' rows are
    read a chunk at a time as plain columns (no letter objects), so the batch costs little
    beyond joining the files. Returns (letters, pages).
    """
    writer = PdfWriter()
    letters = pages = 0
    ids = list(letter_ids)
    for offset in range(0, len(ids), _BATCH_READ):
        chunk = ids[offset:offset + _BATCH_READ]
        rows = {row.id: row for row in db.session.execute(
            sa.select(Letter.id, Letter.reference, Letter.pdf_path, Letter.pdf_sha256, Letter.area_path)
            .where(Letter.id.in_(chunk)))}
        for letter_id in chunk:
            row = rows.get(letter_id)
            if row is None or not row.pdf_path:
                raise LetterError(_l("A letter of the batch has not been rendered yet."))
            reader = PdfReader(BytesIO(storage.load(row.pdf_path, row.pdf_sha256, row.reference)))
            writer.append(reader, import_outline=False)
            record("letter.printed", actor=actor, object_type=Letter.__tablename__, object_id=row.id,
                   area_path=row.area_path, data={"sha256": row.pdf_sha256, "batch": True})
            letters += 1
            pages += len(reader.pages)
    writer.add_metadata({"/Title": "Letters", "/Producer": "caseflow"})
    writer.write(out)
    db.session.flush()
    return letters, pages
