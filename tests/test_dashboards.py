"""The dashboards: every figure against counts worked out here in plain Python over the cases the
test made, the scope (an in-charge never sees another district), the area and period selector,
the links (each opens the queue on exactly the cases it counts), and the daily snapshot job
(idempotent per day, history kept for the overdue share). Both databases, via conftest."""
import re
from collections import Counter
from datetime import date, timedelta
from statistics import median

import pytest
import sqlalchemy as sa

from caseflow.areas.models import AreaKind
from caseflow.areas.services import create_area
from caseflow.auth import services as auth_services
from caseflow.auth.models import Role
from caseflow.cases.models import OPEN_STATUSES, WAITING_STATUSES, Case, CaseEvent, CaseStatus, EventKind
from caseflow.dashboards import figures, snapshot
from caseflow.dashboards.models import DashboardSnapshot, DashboardTally
from caseflow.db import fixed_today, local_date, local_midnight, today
from caseflow.extensions import db
from caseflow.i18n import number
from tests.conftest import PASSWORD

BUCKETS = ((0, 7, "0-7"), (8, 30, "8-30"), (31, 90, "31-90"), (91, 180, "91-180"), (181, 10**6, "181+"))


def _bucket(days: int) -> str:
    return next(name for lo, hi, name in BUCKETS if lo <= days <= hi)


def _set(case_id: int, **values) -> None:
    db.session.execute(sa.update(Case).where(Case.id == case_id).values(**values))


def _age_events(case_id: int, at) -> None:
    """Move every timeline event of a case to `at`, as if its steps had been taken then."""
    db.session.execute(sa.update(CaseEvent).where(CaseEvent.case_id == case_id).values(at=at))


@pytest.fixture
def cases(app, world):
    """A spread of cases in both districts: statuses, ages at status, levels, resolution months,
    overdue and not. Returns the day they are seen from."""
    on = today()
    with app.app_context():
        second = create_area(kind=AreaKind.SETTLEMENT, name_en="Rampur Kalan", name_hi="रामपुर कलां",
                             parent=world.gp, actor=None)
        plan = [
            # (status, settlement, days at status, overdue?)
            ("identified", world.village, 2, False), ("identified", world.village, 45, False),
            ("identified", second, 200, False), ("documented", world.village, 10, False),
            ("submitted", world.village, 3, False), ("submitted", second, 20, True),
            ("submitted", world.village, 100, True), ("escalated", world.village, 40, True),
            ("escalated", second, 5, False), ("sanctioned", world.village, 9, False),
            ("rejected", second, 31, False), ("closed", world.village, 1, False),
            ("resolved", world.village, 0, False), ("resolved", second, 0, False),
            ("resolved", world.village, 0, False),
            ("identified", world.other_village, 1, False), ("submitted", world.other_village, 12, True),
            ("resolved", world.other_village, 0, False),
        ]
        # Resolved cases: (months back of the resolution, days from opening to delivery).
        resolutions = iter([(0, 30), (4, 90), (8, 61), (2, 15)])
        for status, settlement, days, late in plan:
            actor = world.other_incharge if settlement is world.other_village else world.incharge
            case = world.case(person=world.person(settlement=settlement, actor=actor), actor=actor, status=status)
            since = local_midnight(on - timedelta(days=days)) + timedelta(hours=6)
            _set(case.id, created_at=since - timedelta(days=400))
            _age_events(case.id, since)
            if status == "identified":
                _set(case.id, created_at=since)
            if status in ("submitted", "escalated"):
                _set(case.id, due_date=on - timedelta(days=3) if late else on + timedelta(days=5))
            if status == "resolved":
                back, span = next(resolutions)
                ended = on.replace(day=1) - timedelta(days=1) if back else on
                for _ in range(back - 1 if back else 0):
                    ended = ended.replace(day=1) - timedelta(days=1)
                ended = ended.replace(day=min(ended.day, 15))
                opened = ended - timedelta(days=span + 3)
                _set(case.id, ended_at=local_midnight(ended) + timedelta(hours=12),
                     created_at=local_midnight(opened) + timedelta(hours=12), delivered_on=opened + timedelta(days=span))
        db.session.commit()
    return on


def _expected(district_ids: set[int] | None, on: date, months: int) -> dict:
    """Every figure, worked out from the rows in Python."""
    rows = db.session.scalars(sa.select(Case)).all()
    rows = [c for c in rows if district_ids is None or c.district_id in district_ids]
    entered = {}
    for case in rows:
        changes = [e.at for e in case.events if e.kind is EventKind.TRANSITION and e.from_status != e.to_status]
        entered[case.id] = max(changes) if changes else case.created_at
    open_rows = [c for c in rows if c.status in OPEN_STATUSES]
    first = date(on.year, on.month, 1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    resolved = [c for c in rows if c.status is CaseStatus.RESOLVED and first <= local_date(c.ended_at) <= on]
    return {
        "status": Counter(c.status.value for c in rows),
        "age": Counter(f"{c.status.value}:{_bucket((on - local_date(entered[c.id])).days)}" for c in open_rows),
        "level": Counter(str(c.level) for c in open_rows),
        "office": Counter(str(c.office_id) for c in open_rows if c.office_id),
        "scheme": Counter(str(c.scheme_id) for c in open_rows),
        "settlement": Counter(str(c.area_id) for c in open_rows),
        "resolved": Counter(f"{local_date(c.ended_at):%Y-%m}" for c in resolved),
        "median": median([(c.delivered_on - local_date(c.created_at)).days for c in resolved]) if resolved else None,
        "median_of": len(resolved),
        "overdue": sum(1 for c in rows if c.status in WAITING_STATUSES and c.due_date < on),
        "waiting": sum(1 for c in rows if c.status in WAITING_STATUSES),
        "refs": {c.id: c.reference for c in rows},
    }


def _board(app, user, on, **kw):
    with app.test_request_context():
        kw.setdefault("district_id", None)
        kw.setdefault("months", 12)
        return figures.build(db.session.get(type(user), user.id), on, locale="en", **kw)


def _figures_of(board) -> dict:
    bars = lambda items: Counter({b.key: b.n for b in items if b.n and b.key != "others"})  # noqa: E731
    return {
        "status": bars(board.funnel),
        "age": Counter({f"{row.status.value}:{c.key}": c.n for row in board.ageing for c in row.cells if c.n}),
        "level": bars(board.levels), "office": bars(board.offices), "scheme": bars(board.schemes),
        "settlement": bars(board.settlements), "resolved": bars(board.resolved),
    }


def _check(board, expected) -> None:
    got = _figures_of(board)
    for metric in ("status", "age", "level", "office", "scheme", "settlement", "resolved"):
        assert got[metric] == +expected[metric], metric
    assert board.median_days == expected["median"]
    assert board.median_of == expected["median_of"]
    latest = [p for p in board.overdue if p.as_of == board.on]
    assert latest and (latest[0].overdue, latest[0].waiting) == (expected["overdue"], expected["waiting"])


def test_every_figure_matches_the_cases(app, world, cases):
    on = cases
    with app.app_context():
        snapshot.take(on)
        for user, districts in ((world.supervisor, None), (world.incharge, {world.district.id}),
                                (world.other_incharge, {world.other_district.id})):
            for months in (3, 6, 12, 24):
                board = _board(app, user, on, months=months)
                _check(board, _expected(districts, on, months))
        # The area selector narrows a supervisor's dashboard to one district.
        for district in (world.district, world.other_district):
            _check(_board(app, world.supervisor, on, district_id=district.id), _expected({district.id}, on, 12))


def test_the_period_changes_what_is_counted(app, world, cases):
    on = cases
    with app.app_context():
        snapshot.take(on)
        short, long = (_board(app, world.supervisor, on, months=m) for m in (3, 12))
        assert len(short.resolved) == 3 and len(long.resolved) == 12
        assert sum(b.n for b in short.resolved) == 2 and sum(b.n for b in long.resolved) == 4
        assert (short.median_of, long.median_of) == (2, 4)


def _references(client, href: str) -> set[str]:
    body = client.get(href).get_data(as_text=True)
    return set(re.findall(r'class="qrow-ref"[^>]*>([^<]+)<', body))


def test_each_figure_links_to_exactly_its_cases(app, world, cases, client, auth):
    on = cases
    with app.app_context():
        snapshot.take(on)
        db.session.commit()
        board = _board(app, world.supervisor, on, district_id=world.district.id)
        rows = [c for c in db.session.scalars(sa.select(Case)).all() if c.district_id == world.district.id]
        entered = {}
        for case in rows:
            changes = [e.at for e in case.events if e.kind is EventKind.TRANSITION and e.from_status != e.to_status]
            entered[case.id] = max(changes) if changes else case.created_at
        expect = {}
        for bar in board.funnel:
            expect[bar.href] = {c.reference for c in rows if c.status.value == bar.key}
        for row in board.ageing:
            for cell in row.cells:
                expect[cell.href] = {c.reference for c in rows if c.status is row.status
                                     and _bucket((on - local_date(entered[c.id])).days) == cell.key}
        open_rows = [c for c in rows if c.status in OPEN_STATUSES]
        for bar in board.levels:
            expect[bar.href] = {c.reference for c in open_rows if str(c.level) == bar.key}
        for bars, attr in ((board.offices, "office_id"), (board.schemes, "scheme_id"), (board.settlements, "area_id")):
            for bar in bars:
                expect[bar.href] = {c.reference for c in open_rows if str(getattr(c, attr)) == bar.key}
        for bar in board.resolved:
            expect[bar.href] = {c.reference for c in rows if c.status is CaseStatus.RESOLVED
                                and f"{local_date(c.ended_at):%Y-%m}" == bar.key}
        latest = board.overdue[-1]
        expect[latest.href] = {c.reference for c in rows if c.status in WAITING_STATUSES and c.due_date < on}
        counted = {b.href: b.n for b in (*board.funnel, *board.levels, *board.offices, *board.schemes,
                                         *board.settlements, *board.resolved)}
        counted.update({c.href: c.n for row in board.ageing for c in row.cells})
        counted[latest.href] = latest.overdue
    auth.login("supervisor")
    assert all(f"district={world.district.id}" in href for href in expect)
    for href, refs in expect.items():
        assert _references(client, href) == refs, href
        assert len(refs) == counted[href], href


def test_an_incharge_sees_only_their_district(app, world, cases, client, auth):
    on = cases
    with app.app_context():
        snapshot.take(on)
        db.session.commit()
        board = _board(app, world.incharge, on)
        assert sum(b.n for b in board.funnel) == 15
        assert {a.id for a in figures.area_options(db.session.get(type(world.incharge), world.incharge.id))} == {
            world.district.id}
    auth.login("incharge")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Sultanpur Tola" not in page and "Rampur Khurd" in page
    # Another district's figures, or an area the selector never offers: refused, nothing shown.
    for query in (f"area={world.other_district.id}", f"area={world.state.id}", "area=abc", "months=7",
                  "area=2147483647"):
        response = client.get(f"/dashboard?{query}")
        assert response.status_code == 422, query
        assert "Sultanpur" not in response.get_data(as_text=True)
    assert client.get(f"/dashboard?area={world.district.id}&months=3").status_code == 200


def test_administrators_see_no_dashboard(app, world, client, auth):
    auth.login("admin")
    assert client.get("/dashboard").status_code == 403


def test_smaller_scope_is_counted_live_from_its_own_cases(app, world, cases, client):
    on = cases
    with app.app_context():
        snapshot.take(on)
        block_user = auth_services.create_user(username="blockwala", display_name="Block in-charge", password=PASSWORD,
                                               role=Role.INCHARGE, areas=[world.block], locale="en", actor=None)
        db.session.commit()
        board = _board(app, block_user, on)
        assert board.live and board.overdue == []
        rows = [c for c in db.session.scalars(sa.select(Case)).all() if c.area_path.startswith(world.block.path)]
        assert sum(b.n for b in board.funnel) == len(rows) == 15
        assert figures.area_options(db.session.get(type(block_user), block_user.id)) == []


def test_snapshot_is_idempotent_per_day_and_keeps_the_overdue_history(app, world, cases):
    on = cases
    runner = app.test_cli_runner()
    earlier = on - timedelta(days=40)
    with app.app_context():
        with fixed_today(earlier):
            snapshot.take(earlier)
        db.session.commit()
    for _ in range(2):
        result = runner.invoke(args=["caseflow", "snapshot-dashboards"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        days = db.session.scalars(sa.select(DashboardSnapshot.as_of).order_by(DashboardSnapshot.as_of)).all()
        assert days == [earlier, on]
        rows = db.session.execute(sa.select(DashboardTally.as_of, DashboardTally.metric, DashboardTally.district_id,
                                            DashboardTally.key, DashboardTally.n)).all()
        assert len(rows) == len(set(r[:4] for r in rows))  # one row per key: the second run replaced the first
        # 40 days ago nothing was overdue yet (zero rows are not stored); only the history is kept.
        assert {r.metric for r in rows if r.as_of == earlier} == {"waiting"}
        today_rows = sorted(r for r in rows if r.as_of == on)
        runner.invoke(args=["caseflow", "snapshot-dashboards"])
        again = sorted(r for r in db.session.execute(sa.select(
            DashboardTally.as_of, DashboardTally.metric, DashboardTally.district_id, DashboardTally.key,
            DashboardTally.n)).all() if r.as_of == on)
        assert again == today_rows
        board = _board(app, world.supervisor, on, months=3)
        points = {p.as_of: p for p in board.overdue if p.as_of}
        assert set(points) == {earlier, on} or set(points) == {on}  # `earlier` may share the month of `on`
        assert points[on].href and all(p.href is None for d, p in points.items() if d != on)


def test_indian_digit_grouping(app):
    for language in ("en", "hi"):
        with app.test_request_context(headers={"Accept-Language": language}):
            assert [number(n) for n in (0, 999, 1000, 99999, 100000, 1234567, 1000000000, -12345)] == [
                "0", "999", "1,000", "99,999", "1,00,000", "12,34,567", "1,00,00,00,000", "-12,345"]


@pytest.mark.browser
def test_the_dashboard_fits_a_phone(app, phone):
    """At 360 px every chart scales to the screen, the tables open, and a bar leads to its cases."""
    from playwright.sync_api import expect

    from tests.conftest import World

    with app.app_context():
        w = World()
        for status in ("identified", "submitted", "escalated", "resolved", "documented"):
            w.case(status=status)
        snapshot.take(today())
        db.session.commit()
    phone.login("supervisor")
    phone.page.goto(f"{phone.base_url}/dashboard")
    expect(phone.page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(phone.page.get_by_test_id("as-of")).to_contain_text("Figures as of")
    phone.fits("the dashboard")
    for details in phone.page.locator("details.numbers").all():
        details.locator("summary").click()
    phone.fits("the dashboard with every table open")
    phone.page.select_option("#area", label="Sehore")
    phone.page.select_option("#months", value="3")
    phone.page.get_by_role("button", name="Show").click()
    expect(phone.page.locator("#months")).to_have_value("3")
    phone.fits("the dashboard of one district")
    phone.page.locator("#funnel svg a rect.bar").first.click()
    expect(phone.page.get_by_role("heading", level=1)).to_have_text("My queue")
    assert "status=identified" in phone.page.url and "district=" in phone.page.url
    assert len(phone.page.locator(".qrows .qrow-ref").all()) == 1
    phone.no_problems()


def test_top_n_sums_the_rest_as_others(app, world, cases, monkeypatch):
    on = cases
    monkeypatch.setattr(figures, "TOP", 1)
    with app.app_context():
        snapshot.take(on)
        board = _board(app, world.supervisor, on)
        expected = _expected(None, on, 12)
        for bars, metric in ((board.settlements, "settlement"), (board.offices, "office")):
            (top_key, top_n), = expected[metric].most_common(1)
            assert [(b.key, b.n) for b in bars] == [(top_key, top_n), ("others", sum(expected[metric].values()) - top_n)]
            assert bars[-1].href is None


def test_the_dashboard_in_hindi(app, world, cases, client, auth):
    with app.app_context():
        snapshot.take(cases)
        db.session.commit()
    auth.login("supervisor")
    client.post("/language", data={"lang": "hi"})
    page = client.get("/dashboard").get_data(as_text=True)
    for hindi in ("डैशबोर्ड", "स्थिति के अनुसार", "पिछले 12 महीने", "हर महीने हल हुए मामले", "आँकड़े"):
        assert hindi in page, hindi


def test_malformed_dashboard_filters_are_not_applied(app, world, cases, client, auth):
    """A filter nobody could have meant is dropped (caseflow.inputs): the queue shows the open cases."""
    auth.login("incharge")
    everything = _references(client, "/queue")
    assert len(everything) == 11
    for query in ("aged=bogus", "resolved=2026-13", "resolved=2026-05:2025-01", "level=abc", "office=2%5E40",
                  "district=99999999999"):
        assert _references(client, f"/queue?{query}") == everything, query
