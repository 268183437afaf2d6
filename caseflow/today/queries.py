"""The sections of Today, each one scoped query read off an index, and their capped counts.

Every section is scoped by `caseflow.scope.visible`, exactly as the queue is, and reads its
first rows in the order of one index:

| section | rows | index (district scope / every state) |
|---|---|---|
| overdue | waiting on an office, due date passed | ix_cases_district_due / ix_cases_due |
| due today, due this week | waiting, due today / in the next six days | the same |
| promised | a promise stands on the case (its latest follow-up carried it, no step since) dated within the week or up to PROMISE_LOOKBACK_DAYS ago, the case still waiting | ix_cases_promised (partial: promises only) |
| drafted | letters drafted, not dispatched | ix_letters_district_dispatch / ix_letters_status_dispatch |
| unacknowledged | letters dispatched N or more days ago, no acknowledgement | the same |
| delivery | sanctioned, the benefit's delivery not yet confirmed by the beneficiary | ix_cases_district_sanction / ix_cases_status_sanction |

A smaller scope (a block, a panchayat) reads the area_path indexes. Counts stop at COUNT_CAP:
"1,000+" says as much as the exact figure to a person planning a day, and bounds the cost of
a state-wide supervisor's counts to that many index entries a section.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases.models import WAITING_STATUSES, Case, CaseEvent, CaseStatus, EventKind, overdue
from caseflow.db import local_date
from caseflow.extensions import db
from caseflow.letters.models import Letter, LetterStatus
from caseflow.schemes.models import Scheme
from caseflow.scope import visible

COUNT_CAP = 1000
# A promise broken longer ago than this is no longer news: its case is overdue (the promise was
# its due date) and sits at the top of the overdue section.
PROMISE_LOOKBACK_DAYS = 30
WEEK = 6  # "this week": today and the six days after it

SECTIONS = ("overdue", "due_today", "due_week", "promised", "drafted", "unacknowledged", "delivery")
CASE_SECTIONS = ("overdue", "due_today", "due_week", "promised", "delivery")
LETTER_SECTIONS = ("drafted", "unacknowledged")


class CaseRow(NamedTuple):
    id: int
    reference: str
    beneficiary_name: str
    scheme_code: str
    status: CaseStatus
    day: date | None  # the date the section is about: due, promised or sanctioned
    office_id: int | None = None  # promised: the office that promised


class LetterRow(NamedTuple):
    id: int
    reference: str
    case_id: int
    case_reference: str
    addressee_title: str
    day: date | None  # drafted: the drafting day; unacknowledged: the dispatch day


@dataclass
class Section:
    key: str
    rows: list
    count: int  # at most COUNT_CAP + 1, which reads "1,000+"

    @property
    def more(self) -> bool:
        return self.count > len(self.rows)

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


def _waiting(who) -> sa.Select:
    return sa.select(Case.id).where(visible(who, Case), Case.status.in_(WAITING_STATUSES))


def _case_ids(key: str, who, on: date, ack_days: int) -> tuple[sa.Select, tuple]:
    """The ids of a case section's cases with the column(s) of its order, unlimited."""
    if key == "overdue":
        query = sa.select(Case.id).where(visible(who, Case), overdue(on))
        return query.add_columns(Case.due_date), (Case.due_date, Case.id)
    if key == "due_today":
        return _waiting(who).where(Case.due_date == on).add_columns(Case.due_date), (Case.due_date, Case.id)
    if key == "due_week":
        query = _waiting(who).where(Case.due_date > on, Case.due_date <= on + timedelta(days=WEEK))
        return query.add_columns(Case.due_date), (Case.due_date, Case.id)
    if key == "delivery":
        query = sa.select(Case.id, Case.sanction_date).where(visible(who, Case), Case.status == CaseStatus.SANCTIONED)
        return query, (Case.sanction_date, Case.id)
    raise KeyError(key)


def _promises(who, on: date) -> sa.Select:
    """(case id, promised date) of the promises standing today, in promise order.

    Standing (Case.promised_date, kept by caseflow.cases.services): the case's latest
    follow-up carried the promise, no step came after it, and the case still waits on an office.
    """
    return (
        sa.select(Case.id, Case.promised_date)
        .where(visible(who, Case), Case.promised_date >= on - timedelta(days=PROMISE_LOOKBACK_DAYS),
               Case.promised_date <= on + timedelta(days=WEEK), Case.status.in_(WAITING_STATUSES))
    )


def _letters(key: str, who, on: date, ack_days: int) -> sa.Select:
    query = sa.select(Letter.id, Letter.dispatched_on).where(visible(who, Letter))
    if key == "drafted":
        return query.where(Letter.status == LetterStatus.DRAFTED)
    if key == "unacknowledged":
        return query.where(Letter.status == LetterStatus.DISPATCHED,
                           Letter.dispatched_on <= on - timedelta(days=ack_days))
    raise KeyError(key)


def capped_count(query: sa.Select) -> int:
    """How many rows `query` selects, counting no further than COUNT_CAP + 1."""
    inner = query.limit(COUNT_CAP + 1).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(inner))


def case_rows(ids: sa.Select, order: tuple, limit: int) -> list[CaseRow]:
    """The first `limit` cases of `ids` (read in index order), joined to what a row shows."""
    page = ids.order_by(*order).limit(limit).subquery()
    query = (
        sa.select(Case.id, Case.reference, Beneficiary.name, Scheme.code, Case.status, page.c[1])
        .select_from(page)
        .join(Case, Case.id == page.c.id)
        .join(Beneficiary, Beneficiary.id == Case.beneficiary_id)
        .join(Scheme, Scheme.id == Case.scheme_id)
        .order_by(page.c[1], Case.id)
    )
    return [CaseRow(*row) for row in db.session.execute(query)]


def _promise_rows(who, on: date, limit: int) -> list[CaseRow]:
    page = _promises(who, on).order_by(Case.promised_date, Case.id).limit(limit).subquery()
    # The office that promised: that of the case's latest follow-up with a promise (20 look-ups).
    office = (sa.select(CaseEvent.office_id)
              .where(CaseEvent.case_id == page.c.id, CaseEvent.kind == EventKind.FOLLOW_UP,
                     CaseEvent.promised_date.is_not(None))
              .order_by(CaseEvent.id.desc()).limit(1).scalar_subquery())
    query = (
        sa.select(Case.id, Case.reference, Beneficiary.name, Scheme.code, Case.status, page.c.promised_date, office)
        .select_from(page)
        .join(Case, Case.id == page.c.id)
        .join(Beneficiary, Beneficiary.id == Case.beneficiary_id)
        .join(Scheme, Scheme.id == Case.scheme_id)
        .order_by(page.c.promised_date, Case.id)
    )
    return [CaseRow(*row) for row in db.session.execute(query)]


def _letter_rows(ids: sa.Select, limit: int) -> list[LetterRow]:
    page = ids.order_by(Letter.dispatched_on, Letter.id).limit(limit).subquery()
    query = (
        sa.select(Letter.id, Letter.reference, Letter.case_id, Case.reference, Letter.addressee_title,
                  Letter.dispatched_on, Letter.created_at)
        .select_from(page)
        .join(Letter, Letter.id == page.c.id)
        .join(Case, Case.id == Letter.case_id)
        .order_by(page.c.dispatched_on, Letter.id)
    )
    return [LetterRow(*row[:5], row[5] or local_date(row[6])) for row in db.session.execute(query)]


def section(key: str, who, on: date, *, ack_days: int, limit: int) -> Section:
    """One section of Today for `who` as of `on`: its first `limit` rows and its capped count."""
    if key == "promised":
        ids = _promises(who, on)
        return Section(key, _promise_rows(who, on, limit) if limit else [], capped_count(ids))
    if key in LETTER_SECTIONS:
        ids = _letters(key, who, on, ack_days)
        return Section(key, _letter_rows(ids, limit) if limit else [], capped_count(ids))
    ids, order = _case_ids(key, who, on, ack_days)
    return Section(key, case_rows(ids, order, limit) if limit else [], capped_count(ids))


def sections(who, on: date, *, ack_days: int, limit: int) -> list[Section]:
    """Every section, in the page's order."""
    return [section(key, who, on, ack_days=ack_days, limit=limit) for key in SECTIONS]


def badge_count(who, on: date, cap: int = 99) -> int:
    """The navigation's badge: overdue cases, counted no further than cap + 1 (at most 100 index
    entries, so every page can afford it)."""
    ids, _order = _case_ids("overdue", who, on, 0)
    inner = ids.limit(cap + 1).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(inner))
