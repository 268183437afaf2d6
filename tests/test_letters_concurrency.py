"""Letters under real concurrency, on whichever database runs the suite (committed_db).

- Drafting letters in one district from many threads at once never gives two letters the
  same register number, and the register has no gaps from the race.
- Two first prints of one letter at the same moment store one PDF: both get the same bytes,
  one render is audited, one file is written.
- Two dispatches of one letter from pages showing the same version: exactly one is recorded.

Each worker has its own app context, hence its own session and connection; SQLite must
queue its writers (BEGIN IMMEDIATE, busy timeout), so "database is locked" fails the test.
"""
import threading

import pytest
import sqlalchemy as sa

from caseflow.areas.models import Office
from caseflow.audit.models import AuditEntry
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.db import today
from caseflow.exceptions import Stale
from caseflow.extensions import db
from caseflow.letters import services, storage
from caseflow.letters.models import DispatchMode, Letter, LetterStatus
from tests.letters_support import committed_letters

JOIN_TIMEOUT = 120


@pytest.fixture(autouse=True)
def letters_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LETTERS_DIR", str(tmp_path / "letters"))
    return tmp_path / "letters"




def _race(app, workers):
    barrier = threading.Barrier(len(workers))
    outcomes: list = [None] * len(workers)

    def run(index, worker):
        try:
            with app.app_context():
                try:
                    outcomes[index] = ("ok", worker(barrier))
                except Stale:
                    db.session.rollback()
                    outcomes[index] = ("stale", None)
                except BaseException:
                    db.session.rollback()
                    raise
        except BaseException as exc:
            outcomes[index] = ("error", exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, w), daemon=True) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    errors = [o[1] for o in outcomes if o[0] == "error"]
    assert not errors, f"unexpected errors in workers: {errors!r}"
    return outcomes


def test_drafting_at_once_never_reuses_a_register_number(app, committed_db):
    ids = committed_letters(app)
    per_worker, workers = 3, 8

    def drafter(barrier):
        barrier.wait(timeout=JOIN_TIMEOUT)
        refs = []
        for _ in range(per_worker):
            case = db.session.get(Case, ids["case"])
            letter = services.draft_letter(case, db.session.get(Office, ids["office"]),
                                           actor=db.session.get(User, ids["incharge"]), level=2)
            refs.append(letter.reference)
            db.session.commit()
        return refs

    outcomes = _race(app, [drafter] * workers)
    refs = [ref for _kind, value in outcomes for ref in value]
    assert len(refs) == len(set(refs)) == per_worker * workers
    year = today().year
    assert sorted(refs) == [f"SHR/LTR/{year}/{n:05d}" for n in range(1, per_worker * workers + 1)]
    with app.app_context():
        stored = db.session.scalars(sa.select(Letter.reference)).all()
    assert sorted(stored) == sorted(refs)


def test_two_first_prints_at_once_store_one_pdf(app, committed_db, letters_dir):
    ids = committed_letters(app, letters=1)
    letter_id = ids["letters"][0]

    def printer(barrier):
        barrier.wait(timeout=JOIN_TIMEOUT)
        _letter, pdf = services.print_letter(letter_id, db.session.get(User, ids["incharge"]))
        db.session.commit()
        return pdf

    outcomes = _race(app, [printer, printer])
    first, second = (value for _kind, value in outcomes)
    assert first == second
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter.pdf_sha256 == storage.sha256(first)
        actions = db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.object_type == "letters", AuditEntry.object_id == str(letter_id))).all()
    assert sorted(actions) == ["letter.drafted", "letter.printed", "letter.printed", "letter.rendered"]
    files = [p for p in letters_dir.rglob("*") if p.is_file()]
    assert [p.name for p in files] == [letter.pdf_path.rsplit("/", 1)[1]]


def test_two_dispatches_of_one_letter_record_one(app, committed_db):
    ids = committed_letters(app, letters=1)
    letter_id = ids["letters"][0]
    with app.app_context():
        seen = db.session.get(Letter, letter_id).version

    def dispatcher(mode):
        def work(barrier):
            barrier.wait(timeout=JOIN_TIMEOUT)
            letter = db.session.get(Letter, letter_id)
            services.record_dispatch(letter, db.session.get(User, ids["incharge"]), expected_version=seen,
                                     mode=mode, on=today())
            db.session.commit()
            return mode

        return work

    outcomes = _race(app, [dispatcher(DispatchMode.HAND), dispatcher(DispatchMode.EMAIL)])
    assert sorted(kind for kind, _ in outcomes) == ["ok", "stale"], outcomes
    winner = next(value for kind, value in outcomes if kind == "ok")
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter.status is LetterStatus.DISPATCHED and letter.dispatch_mode is winner
        dispatched = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "letter.dispatched"))
    assert dispatched == 1
