"""Letters rendered by background workers (caseflow.letters.background on caseflow.jobs), on
whichever database runs the suite, with real commits (committed_db):

- two workers racing over the same drafted letters render each exactly once;
- a job claimed by a worker that died is taken back and done once its lock is old enough,
  never while it is fresh;
- a batch printed after the workers ran joins the stored PDFs and renders nothing;
- a letter printed before its job ran is rendered once, on demand, and the job then skips it;
- the PDFs say what the letters say (pdftotext).
"""
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEntry
from caseflow.auth.models import User
from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.jobs import queue, worker
from caseflow.jobs.models import Job, JobState
from caseflow.letters import background, render, services, storage
from caseflow.letters.models import Letter, LetterStatus
from tests.conftest import PASSWORD
from tests.letters_support import committed_letters, pdf_pages, pdftotext

JOIN_TIMEOUT = 180


@pytest.fixture(autouse=True)
def letters_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LETTERS_DIR", str(tmp_path / "letters"))
    return tmp_path / "letters"




def _rendered_entries(app) -> dict[int, int]:
    """letter id -> how many `letter.rendered` audit entries it has."""
    with app.app_context():
        rows = db.session.execute(sa.select(AuditEntry.object_id, sa.func.count())
                                  .where(AuditEntry.action == "letter.rendered").group_by(AuditEntry.object_id)).all()
    return {int(object_id): n for object_id, n in rows}


def _files(letters_dir) -> list:
    return sorted(p for p in letters_dir.rglob("*.pdf") if p.is_file())


def _work(app, **options) -> worker.Stats:
    with app.app_context():
        return worker.run(once=True, **options)


def test_two_workers_racing_render_each_drafted_letter_once(app, committed_db, letters_dir):
    ids = committed_letters(app, letters=6)
    barrier = threading.Barrier(2)
    stats: list = [None, None]
    errors: list = []

    def run(index):
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            stats[index] = _work(app)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert not errors, errors
    assert sum(s.done for s in stats) == 6 and not any(s.failed or s.retried or s.lost for s in stats)
    assert _rendered_entries(app) == {letter_id: 1 for letter_id in ids["letters"]}
    with app.app_context():
        letters = db.session.scalars(sa.select(Letter).where(Letter.id.in_(ids["letters"]))).all()
        jobs = db.session.scalars(sa.select(Job).where(Job.kind == background.KIND)).all()
        assert all(x.pdf_path and x.version == 1 for x in letters)  # rendering is not an edit
        assert sorted(int(j.key) for j in jobs) == sorted(ids["letters"])
        assert {(j.state, j.attempts, j.locked_by) for j in jobs} == {(JobState.DONE, 1, None)}
        stored = {x.pdf_path.rsplit("/", 1)[1] for x in letters}
        text = pdftotext(storage.load(letters[0].pdf_path, letters[0].pdf_sha256))
        assert letters[0].reference in text
    assert {p.name for p in _files(letters_dir)} == stored and len(stored) == 6
    # Nothing left: another pass finds and renders nothing.
    assert _work(app).done == 0


def test_a_job_whose_worker_died_is_taken_back_after_the_lock_timeout(app, committed_db, monkeypatch):
    ids = committed_letters(app, letters=1)
    [letter_id] = ids["letters"]
    with app.app_context():
        assert background.find_unrendered() == 1
        db.session.commit()
        assert queue.claim("dead-host:4242:1") is not None  # the worker dies right after its claim
        db.session.commit()
    # A fresh claim is left alone: its worker may well be rendering.
    assert _work(app).done == 0
    with app.app_context():
        job = db.session.scalars(sa.select(Job)).one()
        assert (job.state, job.locked_by) == (JobState.RUNNING, "dead-host:4242:1")
        db.session.execute(sa.update(Job).values(locked_at=utcnow() - timedelta(seconds=301)))
        db.session.commit()
    monkeypatch.setitem(app.config, "JOBS_LOCK_TIMEOUT", 300)
    assert _work(app).done == 1
    with app.app_context():
        job = db.session.scalars(sa.select(Job)).one()
        assert (job.state, job.attempts, job.error, job.locked_by) == (JobState.DONE, 2, None, None)
        assert db.session.get(Letter, letter_id).pdf_path
    assert _rendered_entries(app) == {letter_id: 1}


def test_the_dead_workers_late_finish_is_refused(app, committed_db, monkeypatch):
    """A worker presumed dead that wakes up cannot finish (and commit) a job taken from it."""
    committed_letters(app, letters=1)
    with app.app_context():
        background.find_unrendered()
        db.session.commit()
        job_id = queue.claim("slow:1:1").id
        db.session.execute(sa.update(Job).values(locked_at=utcnow() - timedelta(seconds=301)))
        db.session.commit()
        monkeypatch.setitem(app.config, "JOBS_LOCK_TIMEOUT", 300)
        assert queue.recover() == 1
        assert queue.claim("other:2:1").id == job_id
        db.session.commit()
        with pytest.raises(queue.LostClaim):
            queue.finish(job_id, "slow:1:1")
        db.session.rollback()
        queue.finish(job_id, "other:2:1")
        db.session.commit()
        assert db.session.get(Job, job_id).state is JobState.DONE


def test_a_batch_printed_after_the_workers_ran_only_joins_stored_pdfs(app, committed_db, letters_dir):
    ids = committed_letters(app, letters=3)
    assert _work(app).done == 3
    before = _rendered_entries(app)
    files = _files(letters_dir)
    client = app.test_client()
    assert client.post("/login", data={"username": "incharge", "password": PASSWORD}).status_code == 302
    page = client.get("/letters/batch?status=drafted")
    assert page.status_code == 200 and "Refresh" not in page.headers  # nothing left to render
    batch = client.get(f"/letters/batch.pdf?status=drafted&upto={max(ids['letters'])}")
    assert batch.status_code == 200 and batch.mimetype == "application/pdf"
    assert _rendered_entries(app) == before  # no letter rendered by the batch
    assert _files(letters_dir) == files
    with app.app_context():
        letters = db.session.scalars(sa.select(Letter).where(Letter.id.in_(ids["letters"]))).all()
        pages = sum(pdf_pages(storage.load(x.pdf_path, x.pdf_sha256)) for x in letters)
        printed = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                    .where(AuditEntry.action == "letter.printed"))
    assert pdf_pages(batch.data) == pages and printed == 3
    text = pdftotext(batch.data)
    assert all(x.reference in text for x in letters)


@pytest.mark.parametrize("job_first", [True, False], ids=["job-queued", "no-job-yet"])
def test_a_letter_printed_before_its_job_ran_is_rendered_once(app, committed_db, letters_dir, job_first):
    ids = committed_letters(app, letters=1)
    [letter_id] = ids["letters"]
    with app.app_context():
        if job_first:
            assert background.find_unrendered() == 1
            db.session.commit()
        _letter, printed = services.print_letter(letter_id, db.session.get(User, ids["incharge"]))
        db.session.commit()
    stats = _work(app)
    assert stats.done == (1 if job_first else 0)  # the job finds the PDF stored and skips
    assert _rendered_entries(app) == {letter_id: 1}
    assert len(_files(letters_dir)) == 1
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter.pdf_sha256 == storage.sha256(printed)
        assert letter.reference in pdftotext(printed)


def test_superseded_and_dispatched_letters_are_not_rendered(app, committed_db):
    ids = committed_letters(app, letters=2)
    superseded, drafted = ids["letters"]
    with app.app_context():
        db.session.execute(sa.update(Letter).where(Letter.id == superseded).values(
            status=LetterStatus.SUPERSEDED, superseded_at=utcnow(), superseded_because="moved_up"))
        db.session.commit()
    assert _work(app).done == 1
    assert _rendered_entries(app) == {drafted: 1}
    with app.app_context():
        assert db.session.get(Letter, superseded).pdf_path is None


def test_worker_processes_share_the_queue(app, committed_db):
    """The command's --concurrency: spawned processes, each building the same app."""
    ids = committed_letters(app, letters=4)
    assert worker.run_processes(worker.portable_config(app), 2, once=True, poll=0.1) == 0
    assert _rendered_entries(app) == {letter_id: 1 for letter_id in ids["letters"]}


def test_a_print_while_the_worker_renders_keeps_the_printed_pdf(app, committed_db, letters_dir, monkeypatch):
    """The two meet mid-render: the print stores its PDF first; the worker's conditional UPDATE
    then stores nothing, its file is dropped, and the letter has one PDF and one render entry."""
    ids = committed_letters(app, letters=1)
    [letter_id] = ids["letters"]
    original = render.html_to_pdf
    printed = []

    def print_meanwhile(html, **options):
        if not printed:  # the worker's render: someone prints the letter first
            printed.append(None)
            with app.app_context():  # another session, as another request would have
                printed[0] = services.print_letter(letter_id, None)[1]
                db.session.commit()
        return original(html, **options)

    monkeypatch.setattr(render, "html_to_pdf", print_meanwhile)
    assert _work(app).done == 1
    assert _rendered_entries(app) == {letter_id: 1}
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter.pdf_sha256 == storage.sha256(printed[0])
        assert [p.name for p in _files(letters_dir)] == [letter.pdf_path.rsplit("/", 1)[1]]
