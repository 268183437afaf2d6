"""The pattern statistics on a constructed dataset with known answers: reports and findings per
accused post and per panchayat, stalled shares here and in the rest of the district, the exact
one-sided binomial p-value, median days to resolution, scope, and that the number of queries
does not grow with the number of cases (the work is done by GROUP BY, not a loop).
"""
import math
from datetime import datetime, timedelta
from fractions import Fraction

import pytest
import sqlalchemy as sa

from caseflow import marks
from caseflow.areas.models import AreaKind
from caseflow.areas.services import create_area
from caseflow.bias import patterns
from caseflow.bias.models import AccusedRole, Finding
from caseflow.bias.patterns import binomial_sf, median_of
from caseflow.cases.models import Attention
from caseflow.db import today
from caseflow.extensions import db
from tests.test_bias_helpers import file, finding_data, review, supervisor

# --- the exact test and the median on their own ---------------------------------------------


def exact_tail(k: int, n: int, p: Fraction) -> Fraction:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


@pytest.mark.parametrize("k,n,p", [(8, 10, Fraction(1, 5)), (0, 7, Fraction(1, 3)), (3, 3, Fraction(1, 2)),
                                   (5, 40, Fraction(1, 10)), (1, 1, Fraction(9, 10)), (12, 200, Fraction(3, 100)),
                                   (2, 200, Fraction(3, 100)), (150, 300, Fraction(1, 2)), (299, 300, Fraction(99, 100))])
def test_binomial_tail_matches_the_exact_sum(k, n, p):
    assert binomial_sf(k, n, float(p)) == pytest.approx(float(exact_tail(k, n, p)), rel=1e-9)


def test_binomial_tail_known_value_and_edges():
    # 45·0.2⁸·0.8² + 10·0.2⁹·0.8 + 0.2¹⁰
    assert binomial_sf(8, 10, 0.2) == pytest.approx(7.79264e-5, rel=1e-9)
    assert binomial_sf(0, 10, 0.2) == 1.0
    assert binomial_sf(11, 10, 0.2) == 0.0
    assert binomial_sf(1, 10, 0.0) == 0.0
    assert binomial_sf(3, 10, 1.0) == 1.0
    # Large n stays finite and exact to float precision (no overflow in the binomial coefficients).
    big = binomial_sf(700, 100_000, 0.006)
    assert 0.0 < big < 1e-3
    # Below the mode it is one minus the lower tail; one standard deviation above, the normal value.
    assert binomial_sf(10, 10**6, 0.5) == 1.0
    assert binomial_sf(500_500, 10**6, 0.5) == pytest.approx(0.1589, abs=2e-4)
    assert binomial_sf(600_000, 10**6, 0.5) == 0.0


def test_median_of_a_histogram():
    assert median_of({}) is None
    assert median_of({5: 1}) == 5
    assert median_of({10: 1, 20: 1, 30: 1}) == 20
    assert median_of({5: 1, 7: 1, 9: 1, 11: 1}) == 8
    assert median_of({1: 3, 100: 1}) == 1


# --- a constructed district ----------------------------------------------------------------------


def _stall(case, how: str) -> None:
    if how == "overdue":
        case.due_date = today() - timedelta(days=3)
    elif how == "top":
        case.attention, case.attention_since = Attention.STALLED_AT_TOP, today()


def _resolved(world, settlement, days: int) -> None:
    case = world.case(person=world.person(settlement=settlement), status="resolved")
    case.ended_at = datetime(2026, 3, 1, 12, 0)
    case.created_at = case.ended_at - timedelta(days=days, hours=5)


def build(world, scale: int = 1) -> dict:
    """Rampur: 10·scale waiting cases, 8·scale of them stalled (7 overdue + 1 stuck at the top per
    unit), resolved in 10, 20 and 30 days. Lakhanpur (the rest of Sehore): 20·scale waiting,
    4·scale stalled, resolved in 5, 7, 9 and 11 days. Raisen and unsubmitted cases must not count.
    """
    lakhanpur = create_area(kind=AreaKind.GRAM_PANCHAYAT, name_en="Lakhanpur", name_hi="लखनपुर", parent=world.block, actor=None)
    lakhanpur_village = create_area(kind=AreaKind.SETTLEMENT, name_en="Lakhanpur Tola", name_hi="लखनपुर टोला",
                                    parent=lakhanpur, actor=None)
    plan = ((world.village, 10, ["overdue"] * 7 + ["top"]), (lakhanpur_village, 20, ["overdue"] * 4))
    for settlement, waiting, stalls in plan:
        for _unit in range(scale):
            cases = [world.case(person=world.person(settlement=settlement), status="submitted")
                     for _ in range(waiting)]
            for case, how in zip(cases, stalls, strict=False):
                _stall(case, how)
    for days in (10, 20, 30):
        _resolved(world, world.village, days)
    for days in (5, 7, 9, 11):
        _resolved(world, lakhanpur_village, days)
    world.case(person=world.person(settlement=world.village), status="identified")  # not waiting
    raisen = world.case(person=world.person(settlement=world.other_village, actor=world.other_incharge),
                        actor=world.other_incharge, status="submitted")
    _stall(raisen, "overdue")

    second = supervisor("second", [world.state])
    open_report = file(world, role=AccusedRole.SARPANCH)
    upheld = file(world, role=AccusedRole.SARPANCH)
    review(upheld, world.supervisor, "take")
    review(upheld, world.supervisor, "record_finding", finding_data(Finding.SUBSTANTIATED))
    review(upheld, second, "confirm")
    referred = file(world, role=AccusedRole.PANCHAYAT_SECRETARY)
    review(referred, world.supervisor, "take")
    review(referred, world.supervisor, "record_finding",
           finding_data(Finding.REFERRED, referral_office_id=world.collector.id))
    no_post = file(world, role=AccusedRole.PARSHAD)  # no parshad post in a rural panchayat
    db.session.flush()
    # file() opened one more submitted case per report in Rampur, none of them stalled.
    return {"lakhanpur": lakhanpur, "reports": (open_report, upheld, referred, no_post), "extra_waiting": 4}


@pytest.fixture(autouse=True)
def _ctx(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def test_office_rows_have_the_known_counts_and_p_value(world):
    data = build(world)
    result = patterns.patterns(world.supervisor)
    rows = {(row.office.id if row.office else row.role): row for row in result.offices}
    assert set(rows) == {world.sarpanch.id, world.secretary.id, AccusedRole.PARSHAD}

    sarpanch = rows[world.sarpanch.id]
    assert (sarpanch.reports, sarpanch.open, sarpanch.findings) == (
        2, 1, {Finding.SUBSTANTIATED: 1, Finding.UNSUBSTANTIATED: 0, Finding.REFERRED: 0})
    assert (sarpanch.area.id, sarpanch.district.id) == (world.gp.id, world.district.id)
    c = sarpanch.cases
    n = 10 + data["extra_waiting"]
    assert (c.stalled, c.waiting, c.base_stalled, c.base_waiting) == (8, n, 4, 20)
    assert c.share == pytest.approx(8 / n) and c.base_share == pytest.approx(0.2)
    assert c.p_value == pytest.approx(float(exact_tail(8, n, Fraction(1, 5))), rel=1e-9)
    assert c.signal  # p ≈ 0.0042 < 0.01
    assert (c.median_days, c.base_median_days, c.resolved, c.base_resolved) == (20, 8, 3, 4)

    secretary = rows[world.secretary.id]
    assert secretary.findings[Finding.REFERRED] == 1 and secretary.open == 0
    assert secretary.cases.p_value == c.p_value  # same panchayat, same cases
    parshad = rows[AccusedRole.PARSHAD]
    assert (parshad.office, parshad.reports, parshad.area.id) == (None, 1, world.gp.id)

    # Ordered by the strength of the signal: the rows with a p-value first.
    assert result.offices[0].cases is not None


def test_panchayat_rows_and_scope(world):
    data = build(world)
    result = patterns.patterns(world.supervisor)
    assert [(row.area.id, row.reports, row.open) for row in result.panchayats] == [(world.gp.id, 4, 2)]
    assert result.panchayats[0].cases.stalled == 8
    # A supervisor of Raisen only sees none of it; a Sehore-only view the same numbers.
    raisen = supervisor("raisen_sup", [world.other_district])
    assert patterns.patterns(raisen).offices == [] and patterns.patterns(raisen).panchayats == []
    sehore = patterns.patterns(world.supervisor, world.district.id)
    assert sehore.panchayats[0].cases.p_value == result.panchayats[0].cases.p_value
    assert patterns.patterns(world.supervisor, world.other_district.id).panchayats == []
    assert data["lakhanpur"].id not in {row.area.id for row in result.panchayats}


def test_a_district_wide_post_has_no_comparison(world):
    from caseflow.bias import services

    report = file(world, role=AccusedRole.OTHER, other_office_id=world.collector.id)
    assert report.accused_office_id == world.collector.id
    rows = patterns.patterns(world.supervisor).offices
    assert [(row.office.id, row.cases) for row in rows] == [(world.collector.id, None)]
    assert services.referral_choices(report) == []  # nothing above the district is set up


def test_csv_rows_carry_the_numbers_and_no_names(world):
    build(world)
    rows = patterns.csv_rows(patterns.patterns(world.supervisor), "en")
    by_office = {row[3]: row for row in rows if row[0] == "office"}
    sarpanch = by_office["Sarpanch, Rampur"]
    header = patterns.CSV_COLUMNS
    assert sarpanch[header.index("reports")] == "2"
    assert sarpanch[header.index("stalled_cases")] == "8"
    assert sarpanch[header.index("district_rest_waiting")] == "20"
    assert float(sarpanch[header.index("p_value")]) == pytest.approx(float(exact_tail(8, 14, Fraction(1, 5))),
                                                                      rel=1e-5)
    text = repr(rows)
    assert "Mohan Lal" not in text and "Suresh Verma" not in text


def test_csv_cells_cannot_start_a_formula(world):
    world.gp.name_en = "=HYPERLINK(\"http://x\")"
    file(world)
    rows = patterns.csv_rows(patterns.patterns(world.supervisor), "en")
    assert all(not cell.startswith("=") for row in rows for cell in row)
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)


def _count_queries(fn) -> int:
    statements = []

    def before(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    return len(statements)


def test_the_number_of_queries_does_not_grow_with_the_cases(world):
    build(world, scale=1)

    def as_a_request():
        marks.forget()  # a request reads the change marks once (caseflow.marks)
        patterns.patterns(world.supervisor)

    as_a_request()  # the worker's caches (the list of states) warm, as in service
    small = _count_queries(as_a_request)
    for _ in range(15):  # many more cases in the same jurisdictions
        world.case(person=world.person(settlement=world.village), status="submitted")
    db.session.flush()
    large = _count_queries(as_a_request)
    assert small == large
    assert large <= 12
