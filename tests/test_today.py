"""Today: each section selects exactly the right rows (checked against an independent
computation over every case, event and letter), in scope only, in order; the page, the badge,
the landing after sign-in, and the account page's reminder settings."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from caseflow.areas.models import Area
from caseflow.areas.services import save_office
from caseflow.cases.models import WAITING_STATUSES, Case, CaseStatus, Channel, EventKind
from caseflow.cases.services import log_follow_up, transition
from caseflow.db import fixed_today, today
from caseflow.extensions import db
from caseflow.letters.models import DispatchMode, Letter, LetterStatus
from caseflow.scope import path_in_scope
from caseflow.today import queries
from caseflow.today.when import relative_day
from tests.conftest import step_data, text_of

ACK_DAYS = 15
STATUSES = ["identified", "documented", "submitted", "escalated", "sanctioned", "rejected", "resolved", "closed"]


def _dispatch(letter, days_ago, *, acknowledged=False):
    on = today()
    letter.status = LetterStatus.ACKNOWLEDGED if acknowledged else LetterStatus.DISPATCHED
    letter.pdf_path, letter.pdf_sha256 = f"x/{letter.id}.pdf", "0" * 64
    letter.dispatch_mode, letter.dispatched_on = DispatchMode.HAND, on - timedelta(days=days_ago)
    if acknowledged:
        letter.ack_inward_number, letter.ack_date = "IN-1", on
    db.session.flush()


def build(world):
    """Cases in every state, due dates around today, promises standing and replaced, letters in
    every state, in the in-charge's district and in the other one."""
    on = today()
    made = []
    # The other district's ladder offices, so its cases can escalate too (ids only: the world's
    # areas stay the detached objects the cases are opened at).
    area_id = world.other_village.parent_id
    for kind in ("panchayat_secretary", "janpad_ceo", "collector"):
        save_office(area_id=area_id, kind_id=world.kinds[kind].id, holder_name="Officer", actor=None)
        area_id = db.session.scalar(sa.select(Area.parent_id).where(Area.id == area_id))
    for who, village in ((world.incharge, world.village), (world.other_incharge, world.other_village)):
        first = len(made)
        person = lambda who=who, village=village: world.person(actor=who, settlement=village)  # noqa: E731
        for status in STATUSES:
            made.append(world.case(person=person(), actor=who, status=status))
        for status in ("submitted", "escalated"):
            for offset in (-40, -5, -1, 0, 1, 6, 7, 30):
                case = world.case(person=person(), actor=who, status=status)
                case.due_date = on + timedelta(days=offset)
                made.append(case)
        # Promises: standing within the week, beyond it, in the past, replaced by a later
        # follow-up or step, too old, on a case no longer waiting.
        promise = {}
        for name in ("week", "far", "past", "replaced", "stepped", "old", "sanctioned", "twice"):
            promise[name] = world.case(person=person(), actor=who, status="submitted")
            made.append(promise[name])

        def promised(case, days, *, logged_days_ago=0, who=who):
            with fixed_today(on - timedelta(days=logged_days_ago)):
                log_follow_up(case, who, expected_version=case.version, channel=Channel.VISIT, response="said",
                              promised_date=None if days is None else on + timedelta(days=days))

        promised(promise["week"], 2)
        promised(promise["far"], 10)
        promised(promise["past"], -3, logged_days_ago=10)
        promised(promise["replaced"], 1)
        promised(promise["replaced"], None)  # a later follow-up without a promise
        promised(promise["stepped"], 1)
        transition(promise["stepped"], who, "escalate", step_data("escalate"), expected_version=promise["stepped"].version)
        promised(promise["old"], -(queries.PROMISE_LOOKBACK_DAYS + 1), logged_days_ago=60)
        promised(promise["sanctioned"], 1)
        transition(promise["sanctioned"], who, "sanction", step_data("sanction"),
                   expected_version=promise["sanctioned"].version)
        promised(promise["twice"], 1)
        promised(promise["twice"], 4)  # the later promise stands
        # Letters: the escalated cases drafted theirs; dispatch some long ago, some lately,
        # acknowledge one.
        letters = db.session.scalars(sa.select(Letter).where(Letter.case_id.in_([c.id for c in made[first:]]),
                                                             Letter.status == LetterStatus.DRAFTED)
                                     .order_by(Letter.id)).all()
        assert len(letters) >= 5
        _dispatch(letters[0], ACK_DAYS + 5)
        _dispatch(letters[1], ACK_DAYS)
        _dispatch(letters[2], ACK_DAYS - 1)
        _dispatch(letters[3], ACK_DAYS + 30, acknowledged=True)
    db.session.flush()
    return made


def expected(user, key):
    """The section worked out in Python from every row, without the section's query."""
    on = today()
    week = on + timedelta(days=queries.WEEK)
    cases = [c for c in db.session.scalars(sa.select(Case)) if path_in_scope(user, c.area_path)]
    waiting = [c for c in cases if c.status in WAITING_STATUSES]
    if key == "overdue":
        return sorted((c.due_date, c.id) for c in waiting if c.due_date < on)
    if key == "due_today":
        return sorted((c.due_date, c.id) for c in waiting if c.due_date == on)
    if key == "due_week":
        return sorted((c.due_date, c.id) for c in waiting if on < c.due_date <= week)
    if key == "delivery":
        return sorted((c.sanction_date, c.id) for c in cases if c.status is CaseStatus.SANCTIONED)
    if key == "promised":
        found = []
        for c in waiting:
            steps = [e for e in sorted(c.events, key=lambda e: e.id)
                     if e.kind in (EventKind.FOLLOW_UP, EventKind.TRANSITION)]
            last = steps[-1] if steps else None
            if last and last.promised_date and on - timedelta(days=queries.PROMISE_LOOKBACK_DAYS) \
                    <= last.promised_date <= week:
                found.append((last.promised_date, c.id))
        return sorted(found)
    letters = [x for x in db.session.scalars(sa.select(Letter)) if path_in_scope(user, x.area_path)]
    if key == "drafted":
        return sorted((None, x.id) for x in letters if x.status is LetterStatus.DRAFTED)
    if key == "unacknowledged":
        return sorted((x.dispatched_on, x.id) for x in letters if x.status is LetterStatus.DISPATCHED
                      and x.dispatched_on <= on - timedelta(days=ACK_DAYS))
    raise KeyError(key)


@pytest.mark.parametrize("key", queries.SECTIONS)
def test_each_section_selects_exactly_the_right_rows_in_order(app, world, key):
    with app.app_context():
        build(world)
        for user in (world.incharge, world.other_incharge, world.supervisor):
            user = db.session.merge(user)
            got = queries.section(key, user, today(), ack_days=ACK_DAYS, limit=1000)
            want = expected(user, key)
            assert want, f"the test data has no {key} rows for {user.username}"
            if key == "drafted":
                assert [r.id for r in got.rows] == [i for _d, i in want]
            else:
                assert [(r.day, r.id) for r in got.rows] == want, (key, user.username)
            assert got.count == len(want)


def test_another_districts_rows_never_appear(app, world):
    with app.app_context():
        build(world)
        mine = db.session.merge(world.incharge)
        theirs = {c.reference for c in db.session.scalars(sa.select(Case).where(Case.district_id == world.other_district.id))}
        their_letters = {x.reference for x in db.session.scalars(
            sa.select(Letter).where(Letter.district_id == world.other_district.id))}
        for s in queries.sections(mine, today(), ack_days=ACK_DAYS, limit=1000):
            refs = {r.reference for r in s.rows} | {getattr(r, "case_reference", None) for r in s.rows}
            assert not refs & (theirs | their_letters), s.key


def test_counts_stop_at_the_cap_and_rows_at_the_limit(app, world, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    with app.app_context():
        build(world)
        s = queries.section("overdue", db.session.merge(world.supervisor), today(), ack_days=ACK_DAYS, limit=1)
        assert len(s.rows) == 1 and s.count == 3 and s.capped and s.more


def test_an_administrator_has_no_today(app, world, client, auth):
    auth.login(world.admin)
    assert client.get("/today").status_code == 403


def test_signing_in_lands_on_today_for_caseworkers_and_administration_for_admins(app, world, client, auth):
    for user, path in ((world.incharge, "/today"), (world.supervisor, "/today"), (world.admin, "/admin/")):
        response = auth.login(user)
        assert response.status_code == 302 and response.headers["Location"].endswith(path), user.username
        assert client.get("/").headers["Location"].endswith(path)
        auth.logout()


def test_the_page_lists_each_section_with_one_tap_links_in_english_and_hindi(app, world, client, auth):
    with app.app_context():
        made = build(world)
        db.session.commit()
        overdue = min((c for c in made if c.district_id == world.district.id and c.status in WAITING_STATUSES
                       and c.due_date and c.due_date < today()), key=lambda c: (c.due_date, c.id))
        theirs = [c.reference for c in made if c.district_id == world.other_district.id]
    auth.login(world.incharge)
    page = client.get("/today")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for key in queries.SECTIONS:
        assert f'id="{key}"' in html
    assert f'href="/cases/{overdue.id}#actions"' in html
    assert "#follow-up" in html and "#step-deliver" in html and "#letter-" in html
    assert "40 days ago" in text_of(page) and "tomorrow" in text_of(page)
    assert not any(ref in html for ref in theirs)
    assert "Aadhaar" not in html
    client.post("/language", data={"lang": "hi"})
    hindi = text_of(client.get("/today"))
    with app.test_request_context(), force_locale("hi"):
        from flask_babel import gettext
        assert gettext("Dates officials promised") in hindi
        assert gettext("Dates officials promised") != "Dates officials promised"


def test_the_badge_counts_overdue_cases_on_every_page(app, world, client, auth):
    with app.app_context():
        build(world)
        db.session.commit()
        mine = db.session.merge(world.incharge)
        n = queries.section("overdue", mine, today(), ack_days=ACK_DAYS, limit=0).count
    auth.login(world.incharge)
    for url in ("/queue", "/today", "/letters"):
        html = client.get(url).get_data(as_text=True)
        assert f'data-testid="today-badge" title="Overdue cases">{n}</span>' in html, url


def test_the_badge_says_99_plus_beyond_99(app, world, client, auth, monkeypatch):
    with app.app_context():
        build(world)
        db.session.commit()
    from caseflow.today import views
    monkeypatch.setattr(views, "BADGE_CAP", 2)
    auth.login(world.incharge)
    assert 'title="Overdue cases">2+</span>' in client.get("/queue").get_data(as_text=True)


def test_relative_days_read_naturally_in_both_languages(app):
    on = today()
    with app.test_request_context():
        with force_locale("en"):
            words = [relative_day(on + timedelta(days=d), on) for d in (0, 1, -1, 3, -2, -1 + 2 * 1)]
            assert words[:5] == ["today", "tomorrow", "yesterday", "in 3 days", "2 days ago"]
        with force_locale("hi"):
            assert relative_day(on, on) != "today" and "0" not in relative_day(on, on)


def test_account_page_sets_the_address_and_turns_reminders_off(app, world, client, auth):
    auth.login(world.incharge)
    assert client.get("/account").status_code == 200
    bad = client.post("/account", data={"email": "not an address", "digests": "y"})
    assert bad.status_code == 422
    with app.app_context():
        user = db.session.merge(world.incharge)
        db.session.refresh(user)
        assert user.email is None and user.digests
    done = client.post("/account", data={"email": " sehore@example.org "})
    assert done.status_code == 303
    with app.app_context():
        user = db.session.merge(world.incharge)
        db.session.refresh(user)
        assert user.email == "sehore@example.org" and not user.digests


def test_administrator_sets_a_users_address(app, world, client, auth):
    auth.login(world.admin)
    user = world.incharge
    response = client.post(f"/admin/users/{user.id}", data={
        "display_name": user.display_name, "role": "incharge", "areas": [world.district.id], "locale": "en",
        "active": "y", "email": "incharge@example.org"})
    assert response.status_code == 302
    with app.app_context():
        fresh = db.session.merge(user)
        db.session.refresh(fresh)
        assert fresh.email == "incharge@example.org"


def _migration():
    import importlib.util
    from pathlib import Path

    path = next((Path(__file__).resolve().parent.parent / "migrations" / "versions").glob("*_d16e57a10011_*.py"))
    spec = importlib.util.spec_from_file_location("today_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migrations_backfill_finds_the_promises_the_services_keep(app, world):
    """Databases upgraded with promises in their timelines get the same standing promises as
    the services would have kept: the migration's UPDATE, run on a copy of what they keep."""
    migration = _migration()
    with app.app_context():
        build(world)
        kept = dict(db.session.execute(sa.select(Case.id, Case.promised_date)).all())
        assert sum(1 for d in kept.values() if d) >= 8
        db.session.execute(sa.update(Case).values(promised_date=None))
        db.session.execute(sa.text(f"UPDATE cases SET promised_date = {migration._LATEST_PROMISE} "
                                   f"WHERE {migration._PENDING}"))
        db.session.expire_all()
        assert dict(db.session.execute(sa.select(Case.id, Case.promised_date)).all()) == kept
