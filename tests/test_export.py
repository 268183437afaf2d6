"""The case export: a filtered queue as CSV and XLSX.

Checked against the cases the test made (not against the queue's own code): the rows are the
user's cases under the filters, in the queue's order, across pages of the walk; another
district's cases never appear; the Aadhaar number is shown by its last four only; a cell that
would run as a formula is neutralised in both formats; every export is on the audit trail with
its row count; an export over the limit, a bad format or a GET writes nothing.
"""
import csv
import io

import openpyxl
import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEntry
from caseflow.cases import export
from caseflow.extensions import db
from caseflow.spreadsheets import neutral

AADHAAR = "2345 6789 0124"  # a valid Verhoeff number's shape: only its last four may leave


@pytest.fixture
def made(app, world):
    with app.app_context():
        cases = {
            "sunita": world.case(person=world.person(name="सुनीता देवी", aadhaar=AADHAAR, mobile="9876543210"),
                                 status="submitted"),
            "formula": world.case(person=world.person(name="=HYPERLINK(\"http://x\")", relative_name="+91 trick"),
                                  status="documented"),
            "plain": world.case(person=world.person(name="Ramesh Kumar")),
            "closed": world.case(person=world.person(name="Kamla Bai"), status="closed"),
            "raisen": world.case(person=world.person(name="Savitri Bai", settlement=world.other_village,
                                                     actor=world.other_incharge), actor=world.other_incharge),
        }
        db.session.commit()
        return {key: (case.id, case.reference) for key, case in cases.items()}


def _csv(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _exports(app, fmt="csv") -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == f"export.{fmt}")).all()


def test_csv_holds_the_users_open_cases_in_queue_order(app, client, auth, world, made):
    auth.login(world.incharge)
    response = client.post("/queue/export?status=open", data={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="cases-')
    assert response.headers["Cache-Control"] == "no-store"
    header, *rows = _csv(response)
    assert header[0] == "Reference" and "Aadhaar last 4 digits" in header
    refs = [row[0] for row in rows]
    # Open cases of Sehore only: the submitted one has a due date and comes first (the queue's order).
    assert refs == [made["sunita"][1], made["formula"][1], made["plain"][1]]
    sunita = dict(zip(header, rows[0], strict=True))
    assert sunita["Aadhaar last 4 digits"] == "XXXX XXXX 0124"
    assert sunita["Mobile number"] == "9876543210" and sunita["Status"] == "Submitted"
    assert sunita["Beneficiary"] == "सुनीता देवी" and sunita["Due date"]
    body = response.get_data().decode("utf-8")
    assert "2345" not in body.replace(made["sunita"][1], "")
    assert "Savitri" not in body and "Kamla" not in body
    [entry] = _exports(app)
    assert entry.object_type == "cases" and entry.data["rows"] == 3 and entry.actor_id == world.incharge.id


def test_formula_cells_are_neutralised_in_csv_and_xlsx(client, auth, world, made):
    auth.login(world.incharge)
    header, *rows = _csv(client.post("/queue/export?status=documented", data={"format": "csv"}))
    row = dict(zip(header, rows[0], strict=True))
    assert row["Beneficiary"] == "'=HYPERLINK(\"http://x\")" and row["Relative's name"] == "'+91 trick"
    response = client.post("/queue/export?status=documented", data={"format": "xlsx"})
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    cells = {sheet.cell(1, col).value: sheet.cell(2, col) for col in range(1, sheet.max_column + 1)}
    assert cells["Beneficiary"].value == "'=HYPERLINK(\"http://x\")" and cells["Beneficiary"].data_type == "s"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_holds_the_same_rows_as_csv(client, auth, world, made):
    auth.login(world.supervisor)
    header, *rows = _csv(client.post("/queue/export?status=all", data={"format": "csv"}))
    sheet = openpyxl.load_workbook(io.BytesIO(client.post("/queue/export?status=all",
                                                          data={"format": "xlsx"}).get_data())).active
    values = [[neutral(cell.value) for cell in row] for row in sheet.iter_rows()]
    assert values[0] == header
    assert len(values) - 1 == len(rows) == 5  # the supervisor sees both districts, closed case included
    assert [row[0] for row in values[1:]] == [row[0] for row in rows]


def test_the_walk_pages_through_every_case_once(client, auth, world, made, monkeypatch):
    monkeypatch.setattr(export, "PAGE", 1)
    auth.login(world.supervisor)
    header, *rows = _csv(client.post("/queue/export?status=all", data={"format": "csv"}))
    assert sorted(row[0] for row in rows) == sorted(ref for _id, ref in made.values())


def test_filters_apply(client, auth, world, made):
    auth.login(world.incharge)
    _header, *rows = _csv(client.post("/queue/export?status=closed", data={"format": "csv"}))
    assert [row[0] for row in rows] == [made["closed"][1]]
    _header, *rows = _csv(client.post(f"/queue/export?status=all&scheme={world.scheme.id + 999}",
                                      data={"format": "csv"}))
    assert rows == []


def test_over_the_limit_bad_format_and_get_write_nothing(app, client, auth, world, made, monkeypatch):
    auth.login(world.incharge)
    monkeypatch.setitem(app.config, "EXPORT_MAX_ROWS", 2)
    refused = client.post("/queue/export?status=open", data={"format": "csv"})
    assert refused.status_code == 303
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "select 3 cases; an export holds at most 2" in page
    assert client.post("/queue/export", data={"format": "pdf"}).status_code == 400
    assert client.get("/queue/export").status_code == 405
    assert _exports(app) == [] and _exports(app, "xlsx") == []


def test_administrators_do_not_export_cases(client, auth, world, made):
    auth.login(world.admin)
    assert client.post("/queue/export", data={"format": "csv"}).status_code == 403


def test_the_queue_offers_the_export(client, auth, world, made):
    auth.login(world.incharge)
    page = client.get("/queue?status=open").get_data(as_text=True)
    assert 'name="format" value="xlsx"' in page and "/queue/export?status=open" in page


def test_the_export_streams_after_a_real_commit(app, committed_db, client, auth, world):
    """Outside the rolled-back test transaction a commit expires the signed-in user's object:
    the rows, read while the response streams, must not depend on it."""
    with app.app_context():
        ref = world.case(person=world.person(name="Ramesh Kumar")).reference
        db.session.commit()
    auth.login(world.incharge)
    for fmt in ("csv", "xlsx"):
        response = client.post("/queue/export?status=open", data={"format": fmt})
        assert response.status_code == 200
        if fmt == "csv":
            _header, *rows = _csv(response)
            assert [row[0] for row in rows] == [ref]
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
            assert sheet.cell(2, 1).value == ref
