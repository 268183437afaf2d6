"""Evidence files are a registered file store: `caseflow backup` copies exactly the files (and
thumbnails) the evidence rows point at, once each, and `caseflow restore` puts them back, on
SQLite and (when configured) PostgreSQL scratch instances."""
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow import demo, filestores
from caseflow.auth.models import Role, User
from caseflow.cases.models import Case
from caseflow.evidence import services, storage
from caseflow.evidence.files import prepare
from caseflow.extensions import db
from caseflow.scope import path_in_scope
from tests import evidence_support as make
from tests.scratch import BACKENDS
from tests.test_backup import Instances, backup, files_under, ok, restore, written_path


@pytest.fixture(params=BACKENDS)
def instances(request, tmp_path):
    made = Instances(request.param, tmp_path)
    yield made
    made.close()


def evidence_root(application) -> Path:
    return Path(application.config["EVIDENCE_DIR"])


def test_evidence_is_a_registered_file_store():
    assert "evidence" in [store.name for store in filestores.stores()]


def test_a_backup_holds_the_evidence_files_and_a_restore_puts_them_back(instances, tmp_path, committed_db):
    source = instances.new("evsrc", migrated=True)
    with source.app_context():
        demo.seed(n_cases=4)
        db.session.commit()
        incharge = db.session.scalars(sa.select(User).where(User.role == Role.INCHARGE).order_by(User.id)).first()
        cases = [c for c in db.session.scalars(sa.select(Case).order_by(Case.id)).all()
                 if path_in_scope(incharge, c.area_path)][:2]
        photo = prepare(make.photo_with_gps())
        for case in cases:  # one photo on two cases: one file (and one thumbnail) on disk
            services.attach(case, incharge, photo, caption="Receipt")
        services.attach(cases[0], incharge, prepare(make.pdf()))
        db.session.commit()
        digests = {storage.sha256(photo.data), storage.sha256(photo.thumbnail), storage.sha256(make.pdf())}
    (evidence_root(source) / "ab").mkdir(parents=True, exist_ok=True)
    (evidence_root(source) / "ab" / f"{'ab' * 32}.jpg").write_bytes(b"an orphan: no row points at it")

    snapshot = written_path(ok(backup(source, tmp_path / "out")))
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert manifest["stores"]["evidence"] == 3
    in_snapshot = files_under(snapshot / "files" / "evidence")
    assert {Path(p).stem for p in in_snapshot} == digests

    target = instances.new("evdst")
    ok(restore(target, snapshot))
    restored = files_under(evidence_root(target))
    assert restored == in_snapshot
    assert all(storage.sha256(data) == Path(path).stem for path, data in restored.items())
