"""Letters rendered by background workers as soon as they are drafted.

Drafting (caseflow.letters.services) only enters a letter in the register. An idle worker's
finder (`find_unrendered`) looks for drafted letters without a stored PDF — one index-backed
query on `ix_letters_unrendered` — and enqueues one `letter.render` job per letter, keyed by
the letter's id, so two finders cannot enqueue a letter twice and two workers cannot claim
one job twice. A job renders outside any write transaction (on SQLite other writers carry
on meanwhile), then stores the PDF with a conditional UPDATE (`pdf_path IS NULL`): if
someone printed the letter in between (the on-demand path, services.ensure_rendered), their
PDF stands, ours is discarded, and the letter keeps exactly one stored PDF and one
`letter.rendered` entry. A letter printed before its job ran is skipped without rendering.
"""
import sqlalchemy as sa

from caseflow.audit.services import record
from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.jobs import queue
from caseflow.jobs.models import Job
from caseflow.letters import render, storage
from caseflow.letters.models import Letter, LetterStatus

KIND = "letter.render"
FIND_BATCH = 1000

# Drafted and never rendered: the rows a worker has to render (matches ix_letters_unrendered).
UNRENDERED = sa.and_(Letter.status == LetterStatus.DRAFTED, Letter.pdf_path.is_(None))


def find_unrendered(limit: int = FIND_BATCH) -> int:
    """Enqueue a render job for each drafted letter without a PDF or a job; returns how many."""
    has_job = sa.exists().where(Job.kind == KIND, Job.key == sa.cast(Letter.id, sa.String))
    with queue.read_only():
        ids = db.session.scalars(sa.select(Letter.id).where(UNRENDERED, ~has_job).order_by(Letter.id)
                                 .limit(limit)).all()
    return queue.enqueue_many(KIND, [(str(i), {"letter_id": i}) for i in ids])


def render_job(payload: dict) -> None:
    """Render and store one letter's PDF, unless it is stored already or no longer to be sent."""
    letter_id = int(payload["letter_id"])
    with queue.read_only():
        letter = db.session.get(Letter, letter_id)
        if letter is None or letter.pdf_path or letter.status is not LetterStatus.DRAFTED:
            return
        reference, area_path = letter.reference, letter.area_path
        html = render.letter_html(letter)
    pdf = render.html_to_pdf(html)
    path, digest = storage.store(reference, pdf)
    stored = db.session.execute(
        # Not an edit (the version stays, as in services.ensure_rendered): the content is fixed.
        sa.update(Letter).where(Letter.id == letter_id, UNRENDERED)
        .values(pdf_path=path, pdf_sha256=digest, rendered_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if stored:
        record("letter.rendered", actor=None, object_type=Letter.__tablename__, object_id=letter_id,
               area_path=area_path, data={"sha256": digest})
        return
    # Printed (or superseded) while we rendered: keep theirs, drop our file unless it is theirs.
    kept = db.session.scalar(sa.select(Letter.pdf_path).where(Letter.id == letter_id))
    if kept != path:
        storage.path_of(path).unlink(missing_ok=True)


def register() -> None:
    queue.register_kind(KIND, render_job)
    queue.register_finder(find_unrendered)
