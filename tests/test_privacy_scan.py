"""`flask caseflow privacy-scan`: rows stored before the Aadhaar rule held at every flush.

Rows are planted with Core statements, which bypass the flush layer as an older version of
caseflow did. Guards: the scan names table, column and ids, never the value; `--fix` masks
free text and JSON in place and writes one audit entry; a reference holding a number and an
audit entry holding one are listed, left as they are, and make the exit status 1; a clean
database exits 0.
"""
import sqlalchemy as sa

from caseflow.areas.models import Area
from caseflow.audit.models import AuditEntry
from caseflow.cases.models import Case
from caseflow.extensions import db
from tests.test_aadhaar_rule import MASKED, NOT_VERHOEFF, NUMBER


def scan(app, *args: str):
    db.session.commit()
    return app.test_cli_runner().invoke(args=["caseflow", "privacy-scan", *args])


def plant(world):
    spaced = f"{NUMBER[:4]}\u00a0{NUMBER[4:8]}\u00a0{NUMBER[8:]}"
    db.session.execute(sa.update(Area).where(Area.id == world.village.id).values(name_en=f"Gaon {spaced}"))
    case_id = db.session.scalar(sa.select(Case.id).order_by(Case.id).limit(1))
    db.session.execute(sa.update(Case).where(Case.id == case_id).values(sanction_ref=NUMBER,
                                                                          application_ref=NOT_VERHOEFF))
    return case_id


def test_a_clean_database_passes(app, world):
    with app.app_context():
        world.case()
        result = scan(app)
        assert result.exit_code == 0, result.output
        assert "0 value(s) masked; 0 left" in result.output


def test_lists_without_values_then_fix_masks_free_text_and_keeps_references(app, world):
    with app.app_context():
        world.case()
        case_id = plant(world)
        listed = scan(app)
        assert listed.exit_code == 1
        assert f"areas.name_en: 1 row(s), to mask (--fix); ids {world.village.id}" in listed.output
        assert f"cases.sanction_ref: 1 row(s), reference: correct by hand; ids {case_id}" in listed.output
        assert "application_ref" not in listed.output  # not a valid number: a real reference
        assert NUMBER[:8] not in listed.output and NUMBER[-8:] not in listed.output
        # listing changed nothing
        assert NUMBER[:4] in db.session.scalar(sa.select(Area.name_en).where(Area.id == world.village.id))

        audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        fixed = scan(app, "--fix")
        assert fixed.exit_code == 1  # the reference is still there
        assert "1 value(s) masked; 1 left" in fixed.output
        db.session.expire_all()
        assert db.session.scalar(sa.select(Area.name_en).where(Area.id == world.village.id)) == f"Gaon {MASKED}"
        refs = db.session.execute(sa.select(Case.sanction_ref, Case.application_ref).where(Case.id == case_id)).one()
        assert tuple(refs) == (NUMBER, NOT_VERHOEFF)
        entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc())).all()
        assert len(entries) == audit_before + 1
        assert (entries[0].action, entries[0].data) == ("privacy.masked_stored", {"count": 1})


def test_numbers_inside_the_audit_chain_are_counted_not_rewritten(app, world):
    with app.app_context():
        world.case()
        seq = db.session.scalar(sa.select(sa.func.min(AuditEntry.seq)))
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.seq == seq).values(data={"note": NUMBER}))
        result = scan(app, "--fix")
        assert result.exit_code == 1
        assert f"audit_entries.data: 1 row(s), in the audit chain: cannot be rewritten; ids {seq}" in result.output
        db.session.expire_all()
        assert db.session.get(AuditEntry, seq).data == {"note": NUMBER}
