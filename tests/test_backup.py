"""`caseflow backup` and `caseflow restore` on real databases, real files and real concurrency.

Every test builds its own instances (an app on a scratch database with its own letters
folder): SQLite always, PostgreSQL too when CASEFLOW_TEST_DATABASE_URL points at a server, in
scratch databases named after the test database (as tests/test_migrations.py does), created
and dropped here.

- The demo, backed up while other threads log follow-ups, take steps and draft and render
  letters, restores into a new empty instance as one moment of the source: its audit chain is
  a prefix of the source's, its rows are the source's rows, and its files are exactly the PDFs
  its letter rows point at. Letters stored after the snapshot's view of the database are not
  in it. Backed up again once the writers stop, the restored instance equals the source table
  by table and file by file.
- A snapshot with an altered, missing or extra file is refused and nothing is written; so is
  a target that is not empty, and a snapshot of a revision this code does not know.
- A snapshot of an older schema migrates forward on restore.
- Retention keeps exactly the newest snapshot of each of the last N days and M months, never
  the one just written, never anything that is not a caseflow snapshot.
- A stored letter whose file changed on disk makes the backup fail, leaving nothing behind.
"""
import hashlib
import json
import shutil
import threading
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from caseflow import create_app, demo, filestores
from caseflow.audit.services import verify
from caseflow.auth.models import User
from caseflow.backup import restore as restore_module
from caseflow.backup import snapshot as snapshot_module
from caseflow.backup.restore import database_tables, restore_snapshot, script_directory
from caseflow.backup.retention import snapshots, to_prune
from caseflow.backup.snapshot import MANIFEST, BackupError, snapshot_name
from caseflow.cases.models import Case, CaseStatus, Channel
from caseflow.cases.services import log_follow_up, transition
from caseflow.db import local_midnight, today
from caseflow.exceptions import Refused, Stale
from caseflow.extensions import db
from caseflow.letters import services as letter_services
from caseflow.letters.models import Letter, LetterStatus
from tests import scratch
from tests.conftest import test_config
from tests.scratch import BACKENDS

MIGRATIONS = restore_module.MIGRATIONS
DEMO_CASES = 16
WAIT = 120  # seconds a thread may take before the test calls it hung


class Instances:
    """Apps on scratch databases of one kind, each with its own letters folder; dropped at the end."""

    def __init__(self, kind: str, folder: Path):
        self.kind, self.folder, self.apps, self.databases = kind, folder, [], []

    def new(self, name: str, *, migrated: bool = False):
        url = scratch.create(self.kind, self.folder, f"bk_{name}")
        self.databases.append(f"bk_{name}")
        application = create_app(test_config(url, LETTERS_DIR=str(self.folder / f"{name}-letters"),
                                             EVIDENCE_DIR=str(self.folder / f"{name}-evidence")))
        self.apps.append(application)
        if migrated:
            with application.app_context():
                upgrade(directory=str(MIGRATIONS))
        return application

    def close(self):
        for application in self.apps:
            with application.app_context():
                db.session.remove()
                db.engine.dispose()
        for database in self.databases:
            scratch.drop(self.kind, database)


@pytest.fixture(scope="module", params=BACKENDS)
def kind(request):
    return request.param


@pytest.fixture(scope="module")
def module_instances(kind, tmp_path_factory):
    made = Instances(kind, tmp_path_factory.mktemp(f"backup-{kind}"))
    yield made
    made.close()


@pytest.fixture
def instances(kind, tmp_path):
    made = Instances(kind, tmp_path)
    yield made
    made.close()


@pytest.fixture(scope="module")
def source(module_instances):
    """The demo district (a few cases, two rendered letters) in an instance of its own."""
    application = module_instances.new("src", migrated=True)
    with application.app_context():
        demo.seed(n_cases=DEMO_CASES)
        db.session.commit()
        with db.session.begin():  # the demo has no rendered letter yet: render two
            for letter_id in db.session.scalars(sa.select(Letter.id).where(Letter.status == LetterStatus.DRAFTED)
                                                    .order_by(Letter.id).limit(2)).all():
                letter_services.ensure_rendered(letter_id)
        db.session.remove()
    return application


@pytest.fixture(scope="module")
def demo_snapshot(source, tmp_path_factory):
    """One snapshot of the demo, written before any test changes the source."""
    with source.app_context():
        written = snapshot_module.write_snapshot(tmp_path_factory.mktemp("demo-snapshot"))
    return written.path


def backup(application, out: Path, *args: str):
    return application.test_cli_runner().invoke(args=["caseflow", "backup", "--out", str(out), *args])


def restore(application, snapshot: Path, *args: str):
    return application.test_cli_runner().invoke(args=["caseflow", "restore", str(snapshot), *args])


def ok(result) -> str:
    if result.exit_code and result.exc_info:  # the traceback, in the failed test's output
        traceback.print_exception(*result.exc_info)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def written_path(output: str) -> Path:
    return Path(output.split("Wrote ", 1)[1].split(":", 1)[0])


def letters_root(application) -> Path:
    return Path(application.config["LETTERS_DIR"])


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.exists() else {}


def rows(application, table: str, where: str = "", columns: list[str] | None = None) -> list[tuple]:
    with application.app_context(), db.engine.connect() as conn:
        meta = db.metadata.tables[table]
        order = ", ".join(c.name for c in meta.primary_key.columns)
        selected = ", ".join(columns) if columns else "*"
        return [tuple(r) for r in conn.execute(sa.text(f"SELECT {selected} FROM {table} {where} ORDER BY {order}"))]


def column_names(application, table: str) -> list[str]:
    with application.app_context(), db.engine.connect() as conn:
        return [c["name"] for c in sa.inspect(conn).get_columns(table)]


def audit_head(application) -> tuple[int, str]:
    with application.app_context(), db.engine.connect() as conn:
        return tuple(conn.execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).one())


# --- the writers --------------------------------------------------------------------------------


class Writers:
    """Threads writing to the source while a backup runs: follow-ups, case steps, letters drafted and rendered.

    Once `view_taken` is set (the backup has read its view of the database), each writer
    notes what it commits in writes it began afterwards; `enough_after_view` is set once a rendered letter and two other
    writes have been committed after the view.
    """

    def __init__(self, application):
        self.app = application
        self.stop, self.view_taken, self.enough_after_view = threading.Event(), threading.Event(), threading.Event()
        self.lock = threading.Lock()
        self.after_view: dict[str, list[int]] = {"letters": [], "writes": []}
        self.errors: list[BaseException] = []
        self.commits = 0
        self.threads = [threading.Thread(target=self._run, args=(work,), daemon=True)
                        for work in (self._follow_up, self._step, self._letter)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(WAIT)
        assert not any(t.is_alive() for t in self.threads), "a writer hung"

    def _committed(self, kind: str, ident: int, began_after_view: bool) -> None:
        with self.lock:
            self.commits += 1
            if began_after_view:
                self.after_view[kind].append(ident)
                if self.after_view["letters"] and len(self.after_view["writes"]) >= 2:
                    self.enough_after_view.set()

    def _run(self, work) -> None:
        with self.app.app_context():
            actor_id = db.session.scalar(sa.select(User.id).where(User.username == "supervisor"))
            turn = 0
            while not self.stop.is_set():
                turn += 1
                # Read before the write begins: a write that began after the view was taken
                # surely committed after it. (Seen only once it is done, a write that committed
                # just before the view would be miscounted: a letter is committed before it is
                # rendered.)
                began_after_view = self.view_taken.is_set()
                try:
                    actor = db.session.get(User, actor_id)
                    done = work(actor, turn)
                    db.session.commit()
                    if done is not None:
                        self._committed(*done, began_after_view)
                except (Stale, Refused):
                    db.session.rollback()
                except BaseException as exc:
                    db.session.rollback()
                    self.errors.append(exc)
                    return
                finally:
                    db.session.remove()
                # A pause between writes, as between a user's clicks: SQLite's busy handler is not
                # fair, and writers looping without one would starve the backup's own commit.
                self.stop.wait(0.02)

    def _cases(self, *statuses: CaseStatus) -> list[Case]:
        return db.session.scalars(sa.select(Case).where(Case.status.in_(statuses)).order_by(Case.id)).all()

    def _follow_up(self, actor, turn):
        cases = self._cases(CaseStatus.SUBMITTED, CaseStatus.ESCALATED)
        case = cases[turn % len(cases)]
        event = log_follow_up(case, actor, expected_version=case.version, channel=Channel.PHONE,
                              response="Called the office; they will look into it.")
        return "writes", event.id

    def _step(self, actor, turn):
        documented = self._cases(CaseStatus.DOCUMENTED)
        if documented:
            case = documented[0]
            event = transition(case, actor, "submit", {"application_ref": f"APP/{turn}", "application_date": today()},
                               expected_version=case.version)
        else:
            identified = self._cases(CaseStatus.IDENTIFIED)
            if not identified:
                return self._follow_up(actor, turn)
            case = identified[0]
            event = transition(case, actor, "verify", {}, expected_version=case.version)
        return "writes", event.id

    def _letter(self, actor, turn):
        cases = [c for c in self._cases(CaseStatus.SUBMITTED, CaseStatus.ESCALATED)
                 if letter_services.drafting_office(c) is not None]
        case = cases[turn % len(cases)]
        letter = letter_services.draft_letter(case, letter_services.drafting_office(case), actor=actor,
                                              level=case.level)
        db.session.commit()
        letter_services.ensure_rendered(letter.id, actor)
        return "letters", letter.id


def _hold_copy_until_written_after_view(monkeypatch, writers: Writers) -> None:
    """Between the backup's view of the database and its copying of files, let the writers commit."""
    original = snapshot_module._copy_store_files

    def held(view, partial):
        writers.view_taken.set()
        assert writers.enough_after_view.wait(WAIT), "the writers wrote nothing after the snapshot's view"
        return original(view, partial)

    monkeypatch.setattr(snapshot_module, "_copy_store_files", held)


# --- the tests ----------------------------------------------------------------------------------


def test_letters_are_a_registered_file_store():
    assert "letters" in [store.name for store in filestores.stores()]


def test_a_backup_under_concurrent_writes_restores_one_moment_and_a_quiet_one_restores_everything(
        source, instances, tmp_path, monkeypatch, committed_db):
    out = tmp_path / "backups"
    with Writers(source) as writers:
        _hold_copy_until_written_after_view(monkeypatch, writers)
        output = ok(backup(source, out))
        monkeypatch.undo()
    assert not writers.errors, writers.errors
    assert writers.commits >= 3
    snapshot = written_path(output)
    manifest = json.loads((snapshot / MANIFEST).read_text())

    restored = instances.new("moment")
    restored_output = ok(restore(restored, snapshot, "--expect-manifest", output.split("manifest sha256 ")[1].strip()))
    assert "The audit chain verifies" in restored_output

    # One moment of the source: its chain is a prefix of the source's, and it ends at the manifest's head.
    seq, digest = manifest["audit_head"]["seq"], manifest["audit_head"]["hash"]
    with source.app_context():
        assert verify(expect_head=digest).ok
        db.session.rollback()
    assert rows(restored, "audit_entries", f"WHERE seq <= {seq}") == rows(source, "audit_entries", f"WHERE seq <= {seq}")
    # Events are append-only: every restored one is the source's; letters keep their register entry and PDF.
    source_events = {r[0]: r for r in rows(source, "case_events")}
    assert all(source_events[r[0]] == r for r in rows(restored, "case_events"))
    with restored.app_context():
        restored_letters = {letter.id: (letter.reference, letter.pdf_path, letter.pdf_sha256)
                            for letter in db.session.scalars(sa.select(Letter))}
        db.session.remove()
    with source.app_context():
        for letter_id, (reference, path, sha) in restored_letters.items():
            now = db.session.get(Letter, letter_id)
            assert now.reference == reference and (path is None or (now.pdf_path, now.pdf_sha256) == (path, sha))
        db.session.remove()
    # Letters committed after the view are not in the snapshot, neither row nor file.
    assert writers.after_view["letters"] and not set(writers.after_view["letters"]) & set(restored_letters)
    # No row without its file, no file without its row, each file its recorded bytes.
    files = files_under(letters_root(restored))
    assert set(files) == {path for _ref, path, _sha in restored_letters.values() if path}
    assert len(files) >= 2
    from caseflow.letters.storage import sha256
    assert all(sha256(files[path]) == sha for _ref, path, sha in restored_letters.values() if path)

    # Quiet now: a second backup restores into an instance equal to the source, table by table.
    snapshot = written_path(ok(backup(source, out)))
    manifest = json.loads((snapshot / MANIFEST).read_text())
    copy = instances.new("quiet")
    ok(restore(copy, snapshot))
    seq = manifest["audit_head"]["seq"]
    for table in db.metadata.sorted_tables:
        if table.name == "audit_head":
            continue
        where = f"WHERE seq <= {seq}" if table.name == "audit_entries" else ""
        assert rows(copy, table.name, where) == rows(source, table.name, where), table.name
    assert rows(copy, "cases") and rows(copy, "letters")
    assert files_under(letters_root(copy)) == {
        path: data for path, data in files_under(letters_root(source)).items()
        if path in {r.pdf_path for r in _letter_rows(source)}}
    # The restore is on the restored chain, right after the manifest's head.
    assert audit_head(copy)[0] == seq + 1
    assert rows(copy, "audit_entries", f"WHERE seq = {seq + 1}")[0][3] == "backup.restored"


def _letter_rows(application):
    with application.app_context(), db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT pdf_path FROM letters WHERE pdf_path IS NOT NULL")).all()


def test_a_snapshot_holds_exactly_the_files_its_rows_reference_while_letters_are_drafted(
        source, tmp_path, monkeypatch, committed_db):
    """Orphans on disk (a render whose transaction rolled back) and letters stored after the view stay out."""
    orphan = letters_root(source) / "SHR" / "2026" / "SHR-LTR-2026-99999-0000000000000000.pdf"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"%PDF-1.7 rolled back")
    with Writers(source) as writers:
        _hold_copy_until_written_after_view(monkeypatch, writers)
        snapshot = written_path(ok(backup(source, tmp_path)))
        monkeypatch.undo()
    assert not writers.errors, writers.errors
    engine = sa.create_engine(f"sqlite:///{snapshot / 'database.sqlite3'}") if (snapshot / "database.sqlite3").exists() else None
    manifest = json.loads((snapshot / MANIFEST).read_text())
    in_snapshot = {e["path"].removeprefix("files/letters/") for e in manifest["files"] if e.get("store") == "letters"}
    assert set(files_under(snapshot / "files" / "letters")) == in_snapshot
    assert orphan.name not in {Path(p).name for p in in_snapshot}
    if engine is not None:  # SQLite: read the rows from the snapshot's own database
        with engine.connect() as conn:
            referenced = set(conn.execute(sa.text("SELECT pdf_path FROM letters WHERE pdf_path IS NOT NULL")).scalars())
            ids = set(conn.execute(sa.text("SELECT id FROM letters")).scalars())
        engine.dispose()
        assert referenced == in_snapshot
        assert not set(writers.after_view["letters"]) & ids
    assert manifest["stores"]["letters"] == len(in_snapshot)


@pytest.mark.parametrize("damage", ["altered letter", "altered database", "missing letter", "extra file"])
def test_a_snapshot_that_does_not_match_its_manifest_is_refused_and_nothing_is_written(
        demo_snapshot, instances, tmp_path, damage, committed_db):
    snapshot = tmp_path / demo_snapshot.name
    shutil.copytree(demo_snapshot, snapshot)
    letter = next((snapshot / "files" / "letters").rglob("*.pdf"))
    database = next(p for p in snapshot.iterdir() if p.name.startswith("database."))
    if damage == "altered letter":
        data = bytearray(letter.read_bytes())
        data[len(data) // 2] ^= 0x01
        letter.write_bytes(bytes(data))
    elif damage == "altered database":
        data = bytearray(database.read_bytes())
        data[-100] ^= 0x01
        database.write_bytes(bytes(data))
    elif damage == "missing letter":
        letter.unlink()
    else:
        (letter.parent / "SHR-LTR-2026-77777-1111111111111111.pdf").write_bytes(b"%PDF-1.7 slipped in")
    target = instances.new("target")
    result = restore(target, snapshot)
    assert result.exit_code == 1
    assert "does not match its manifest" in result.output and "nothing was restored" in result.output
    expected = {"altered letter": "SHA-256 differs", "altered database": "SHA-256 differs",
                "missing letter": "missing", "extra file": "not in the manifest"}[damage]
    assert expected in result.output
    with target.app_context():
        assert database_tables() == 0
    assert files_under(letters_root(target)) == {}


def test_a_target_that_is_not_empty_is_refused_and_left_as_it_was(demo_snapshot, instances, committed_db):
    migrated = instances.new("migrated", migrated=True)
    before = rows(migrated, "audit_head")
    result = restore(migrated, demo_snapshot)
    assert result.exit_code == 1 and "the target database is not empty" in result.output
    assert rows(migrated, "audit_head") == before and rows(migrated, "letters") == []
    assert files_under(letters_root(migrated)) == {}

    with_files = instances.new("with-files")
    stray = letters_root(with_files) / "SHR" / "old.pdf"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"%PDF-1.7 from another life")
    result = restore(with_files, demo_snapshot)
    assert result.exit_code == 1 and "file stores are not empty" in result.output
    with with_files.app_context():
        assert database_tables() == 0
    assert files_under(letters_root(with_files)) == {"SHR/old.pdf": b"%PDF-1.7 from another life"}


def test_a_snapshot_of_a_revision_this_code_does_not_know_is_refused(demo_snapshot, instances, tmp_path, committed_db):
    snapshot = tmp_path / demo_snapshot.name
    shutil.copytree(demo_snapshot, snapshot)
    recorded = hashlib.sha256((snapshot / MANIFEST).read_bytes()).hexdigest()
    manifest = json.loads((snapshot / MANIFEST).read_text())
    manifest["schema_revision"] = "ffffffffffff"
    (snapshot / MANIFEST).write_text(json.dumps(manifest))
    target = instances.new("newer")
    result = restore(target, snapshot)
    assert result.exit_code == 1 and "'ffffffffffff' is not one this caseflow knows" in result.output
    # The manifest vouches for the files; the hash `backup` printed vouches for the manifest.
    result = restore(target, snapshot, "--expect-manifest", recorded)
    assert result.exit_code == 1 and "is not the manifest recorded" in result.output
    with target.app_context():
        assert database_tables() == 0


def test_a_snapshot_of_the_other_database_kind_is_refused(demo_snapshot, instances, tmp_path, committed_db):
    """The manifest is consistent (its files match) but names the other kind: nothing is written."""
    snapshot = tmp_path / demo_snapshot.name
    shutil.copytree(demo_snapshot, snapshot)
    manifest = json.loads((snapshot / MANIFEST).read_text())
    ours = manifest["database"]["kind"]
    other = "postgresql" if ours == "sqlite" else "sqlite"
    (snapshot / snapshot_module.DATABASE_FILES[ours]).rename(snapshot / snapshot_module.DATABASE_FILES[other])
    manifest["database"] = {"kind": other, "file": snapshot_module.DATABASE_FILES[other]}
    manifest["files"][0]["path"] = snapshot_module.DATABASE_FILES[other]
    (snapshot / MANIFEST).write_text(json.dumps(manifest))
    target = instances.new("kind")
    result = restore(target, snapshot)
    assert result.exit_code == 1 and f"holds a {other} database and this instance runs on {ours}" in result.output
    with target.app_context():
        assert database_tables() == 0
    assert files_under(letters_root(target)) == {}


def test_a_snapshot_of_an_older_schema_is_migrated_forward(demo_snapshot, instances, tmp_path, committed_db):
    head = script_directory().get_current_head()
    older = instances.new("older")
    with older.app_context():
        restore_snapshot(demo_snapshot)
        downgrade(directory=str(MIGRATIONS), revision="-2")
        db.engine.dispose()
        old_revision = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        db.session.remove()
    assert old_revision != head
    snapshot = written_path(ok(backup(older, tmp_path)))
    assert json.loads((snapshot / MANIFEST).read_text())["schema_revision"] == old_revision

    forward = instances.new("forward")
    # In-process rather than through the command: the migration's own commit is schema work the
    # audit guard (tests/audit_guard.py) would otherwise count as an unaudited CLI change.
    with forward.app_context():
        restored = restore_snapshot(snapshot)
        revision = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        db.session.remove()
    assert restored.migrated_from == old_revision and revision == head
    # The columns the older schema had are kept, row for row; later migrations may add others.
    for table in ("cases", "case_events", "letters", "beneficiaries", "users"):
        # The columns the older schema had: the newer migrations may have added some (search keys).
        kept = column_names(older, table)
        assert set(kept) <= set(column_names(forward, table)), table
        assert rows(forward, table, columns=kept) == rows(older, table, columns=kept), table
    assert set(files_under(letters_root(forward))) == set(files_under(letters_root(older)))
    with forward.app_context():
        assert verify().ok
        db.session.remove()


def _fake_snapshot(root: Path, moment: datetime) -> Path:
    path = root / snapshot_name(moment)
    path.mkdir()
    (path / MANIFEST).write_text(json.dumps({"format": "caseflow-backup", "format_version": 1, "files": []}))
    return path


def test_retention_keeps_exactly_the_newest_of_each_day_and_month_and_nothing_else_is_touched(
        source, tmp_path, committed_db):
    root = tmp_path / "backups"
    root.mkdir()
    # 06:00 UTC is the same calendar day in Asia/Kolkata (11:30).
    at = [datetime(2026, m, d, h, tzinfo=UTC) for m, d, h in
          [(9, 15, 6), (10, 3, 6), (10, 20, 6), (11, 1, 6), (11, 27, 6), (11, 28, 5), (11, 28, 6), (11, 29, 6)]]
    made = {moment: _fake_snapshot(root, moment) for moment in at}

    now = datetime(2026, 11, 30, 6, tzinfo=UTC)
    newest = _fake_snapshot(root, now)
    # 3 days: 30, 29, 28 (its newest, 06:00); 2 months: November (the 30th), October (the 20th).
    pruned = to_prune(snapshots(root), keep_daily=3, keep_monthly=2, keep=newest)
    assert set(pruned) == {made[at[0]], made[at[1]], made[at[3]], made[at[4]], made[at[5]]}
    # Nothing kept by the policy: still never the snapshot just written.
    assert newest not in to_prune(snapshots(root), keep_daily=0, keep_monthly=0, keep=newest)

    # Through the command, beside today's real snapshot: two of yesterday (the newer is kept),
    # one of the day before (kept), one of three days ago (pruned), with --keep-daily 3.
    other = tmp_path / "daily"
    other.mkdir()
    with source.app_context():
        day = today()
        yesterday = [local_midnight(day - timedelta(days=1)) + timedelta(hours=h) for h in (1, 2)]
        fakes = [_fake_snapshot(other, moment.replace(tzinfo=UTC)) for moment in
                 [*yesterday, local_midnight(day - timedelta(days=2)), local_midnight(day - timedelta(days=3))]]
    # Not caseflow snapshots: left alone whatever their age.
    strangers = {"caseflow-20200101T060000Z", "caseflow-20200102T060000Z", "notes", "caseflow-20200103T060000Z.tar",
                 "caseflow-20261399T250000Z", ".partial-caseflow-20200104T060000Z-x"}
    (other / "caseflow-20200101T060000Z").mkdir()  # no manifest
    (other / "caseflow-20200102T060000Z").mkdir()
    (other / "caseflow-20200102T060000Z" / MANIFEST).write_text('{"format": "something-else"}')
    (other / "notes").mkdir()
    (other / "caseflow-20261399T250000Z").mkdir()  # the shape of a name, not a time
    (other / "caseflow-20200103T060000Z.tar").write_bytes(b"operator's archive")
    (other / ".partial-caseflow-20200104T060000Z-x").mkdir()
    output = ok(backup(source, other, "--keep-daily", "3"))
    assert "2 older snapshot(s) deleted" in output
    assert {p.name for p in other.iterdir()} == {written_path(output).name, fakes[1].name, fakes[2].name, *strangers}


def test_a_stored_letter_changed_on_disk_fails_the_backup_and_leaves_nothing(source, tmp_path, committed_db):
    pdf = next(letters_root(source).rglob("*.pdf"))
    with source.app_context():
        referenced = set(db.session.scalars(sa.select(Letter.pdf_path).where(Letter.pdf_path.is_not(None))))
        db.session.remove()
    pdf = next(p for p in letters_root(source).rglob("*.pdf") if p.relative_to(letters_root(source)).as_posix() in referenced)
    original = pdf.read_bytes()
    try:
        pdf.write_bytes(original + b"\n%tampered")
        result = backup(source, tmp_path / "out")
    finally:
        pdf.write_bytes(original)
    assert result.exit_code == 1
    assert "its SHA-256 differs from the one its row records" in result.output and "no snapshot was written" in result.output
    assert list((tmp_path / "out").iterdir()) == []


def test_write_snapshot_refuses_a_second_snapshot_in_the_same_second(source, tmp_path, committed_db):
    moment = datetime(2026, 11, 30, 1, 2, 3, tzinfo=UTC)
    with source.app_context():
        snapshot_module.write_snapshot(tmp_path, now=moment)
        with pytest.raises(BackupError, match="exists already"):
            snapshot_module.write_snapshot(tmp_path, now=moment)
    assert [p.name for p in tmp_path.iterdir()] == [snapshot_name(moment)]
