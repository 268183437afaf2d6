"""The case export: any filtered queue as CSV or XLSX, scoped like the queue and audited.

What leaves in a file: the case's references, dates and standing, the beneficiary's name,
relative, mobile and the Aadhaar number's last four only. Nothing about bias reports (a
complainant's identity is revealed only through the logged reveal), no notes or free-text
timeline, no user passwords or sessions. Rows come in the queue's own order, a page of ids at
a time off the queue's indexes, so an export of a district costs what paging through it costs.
"""
from collections.abc import Iterator
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from caseflow import labels
from caseflow.areas.models import Area
from caseflow.audit.services import record
from caseflow.auth.models import User
from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases import queries
from caseflow.cases.models import WAITING_STATUSES, Case
from caseflow.extensions import db
from caseflow.schemes.models import Scheme

FORMATS = ("csv", "xlsx")
PAGE = 1000

COLUMNS = (
    _l("Reference"), _l("Status"), _l("Level"), _l("Scheme"), _l("District"), _l("Settlement"),
    _l("Due date"), _l("Overdue"), _l("Application reference"), _l("Application date"),
    _l("CM Helpline / CPGRAMS number"), _l("Sanction order number"), _l("Sanction date"),
    _l("Delivered on"), _l("Close reason"), _l("Opened on"), _l("Beneficiary"), _l("Relative's name"),
    _l("Mobile number"), _l("Aadhaar last 4 digits"),
)


def header() -> list[str]:
    """The column titles in the reader's language."""
    return [str(title) for title in COLUMNS]


def count(user: User, filters: queries.QueueFilters, on: date) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(queries.filtered(user, filters, on).subquery()))


def rows(user_id: int, filters: queries.QueueFilters, on: date, locale: str) -> Iterator[list]:
    """Every case under `filters`, in the queue's order, as the export's cells.

    Read while the response streams, after the request's commit: the user is loaded here again
    by id, as the signed-in user object of the request may be expired or detached by then."""
    user = db.session.get(User, user_id)
    district = sa.orm.aliased(Area)
    walk = queries.QueueFilters(**{**filters.__dict__, "after": None, "search": ""})
    while True:
        page = queries.queue(user, walk, on, PAGE)
        ids = [row.id for row in page.cases]
        if not ids:
            return
        details = {r.id: r for r in db.session.execute(
            sa.select(Case.id, Case.reference, Case.status, Case.level, Scheme.code,
                      district.name_en.label("district_en"), district.name_hi.label("district_hi"),
                      Area.name_en.label("settlement_en"), Area.name_hi.label("settlement_hi"), Case.due_date, Case.application_ref, Case.application_date,
                      Case.grievance_ref, Case.sanction_ref, Case.sanction_date, Case.delivered_on,
                      Case.close_reason, Case.created_at, Beneficiary.name, Beneficiary.relative_name,
                      Beneficiary.mobile, Beneficiary.aadhaar_last4)
            .join(Beneficiary, Beneficiary.id == Case.beneficiary_id)
            .join(Scheme, Scheme.id == Case.scheme_id)
            .join(Area, Area.id == Case.area_id)
            .join(district, district.id == Case.district_id)
            .where(Case.id.in_(ids)))}
        hindi = locale == "hi"
        for case_id in ids:
            r = details.get(case_id)
            if r is None:  # gone between the two reads (cases are never deleted, but be exact)
                continue
            yield [
                r.reference, str(labels.CASE_STATUS[r.status]), r.level, r.code,
                r.district_hi if hindi else r.district_en, r.settlement_hi if hindi else r.settlement_en,
                r.due_date, str(_l("Yes")) if r.due_date and r.due_date < on and r.status in WAITING_STATUSES else "",
                r.application_ref, r.application_date, r.grievance_ref, r.sanction_ref, r.sanction_date,
                r.delivered_on, str(labels.CLOSE_REASON[r.close_reason]) if r.close_reason else None,
                r.created_at.date(), r.name, r.relative_name, r.mobile,
                f"XXXX XXXX {r.aadhaar_last4}" if r.aadhaar_last4 else None,
            ]
        if page.next_cursor is None:
            return
        walk.after = page.next_cursor


def record_export(user: User, filters: queries.QueueFilters, fmt: str, n: int) -> None:
    """The export on the audit trail before any row leaves: who, which format, how many rows
    and the filters (codes and ids only)."""
    record("export.xlsx" if fmt == "xlsx" else "export.csv", actor=user, object_type="cases", data={
        "rows": n, "status": filters.status, "scheme_id": filters.scheme_id,
        "settlement_id": filters.settlement_id, "overdue": filters.overdue})
