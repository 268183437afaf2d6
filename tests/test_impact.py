"""The impact summary: figures against counts made here, small-cell suppression over random
data sets, consent to publicity and its withdrawal, the PNG card and one-page PDF, the audit
entries of each generation, and who may ask for which area."""
import io
import random
import statistics
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from caseflow.audit.models import AuditEntry
from caseflow.cases.models import Case, CaseStatus
from caseflow.db import local_date
from caseflow.extensions import db
from caseflow.impact import output, periods, services
from caseflow.impact.models import ConsentForm, PeriodKind
from caseflow.impact.summary import SMALL, summarise
from caseflow.schemes.models import BenefitUnit, Scheme
from caseflow.schemes.services import save_scheme
from tests.conftest import text_of
from tests.letters_support import pdf_pages, pdftotext

MARCH = periods.month(2026, 3)
_refs = iter(range(1, 10**6))


def _scheme(code: str, value: int | None = None, unit: BenefitUnit | None = None) -> Scheme:
    return save_scheme(code=code, name_en=f"Scheme {code}", name_hi=f"योजना {code}", department="Dept",
                       proof_of_delivery="Proof", benefit_value=value, benefit_unit=unit, actor=None)


def _person(world, name, settlement):
    actor = world.incharge if settlement is world.village else world.other_incharge
    return world.person(name=name, settlement=settlement, actor=actor)


def _case(world, person, scheme, *, delivered_on: date | None, opened: datetime,
          status: CaseStatus = CaseStatus.RESOLVED) -> Case:
    """A case written straight to the table (fast: the property test makes hundreds)."""
    district = person.area_path[:14]
    resolved = status is CaseStatus.RESOLVED
    case = Case(reference=f"T/{next(_refs):08d}", beneficiary_id=person.id, scheme_id=scheme.id,
                area_id=person.settlement_id, area_path=person.area_path, district_id=int(district[7:14]),
                status=status, level=1 if resolved else 0, application_ref="APP-1" if resolved else None,
                application_date=date(2025, 1, 1) if resolved else None, sanction_ref="SO-1" if resolved else None,
                proof_of_delivery="Proof" if resolved else None, delivered_on=delivered_on if resolved else None,
                beneficiary_confirmed=resolved, ended_at=opened if resolved else None,
                created_by_id=world.incharge.id, created_at=opened)
    db.session.add(case)
    db.session.flush()
    return case


def _expected(rows, period, path):
    """What the summary should say, computed from the rows we made: {scheme_id: (households, days)}."""
    served = [r for r in rows if r["status"] is CaseStatus.RESOLVED and r["path"].startswith(path)
              and period.start <= r["delivered_on"] <= period.end]
    per_scheme = {}
    for r in served:
        people, days = per_scheme.setdefault(r["scheme"], (set(), []))
        people.add(r["person"])
        days.append((r["delivered_on"] - local_date(r["opened"])).days)
    return served, per_scheme


def test_figures_match_counts_made_independently(app, world, ctx):
    pension = _scheme("PENSION", 600, BenefitUnit.MONTHLY)
    house = _scheme("HOUSE", 120000, BenefitUnit.ONE_TIME)
    gas = _scheme("GAS")
    rng = random.Random(11)
    people = [_person(world, f"Person {i}", world.village if i % 3 else world.other_village) for i in range(24)]
    rows = []
    for person in people:
        for scheme in (pension, house, gas):
            if rng.random() < 0.6:
                status = rng.choice([CaseStatus.RESOLVED] * 4 + [CaseStatus.IDENTIFIED, CaseStatus.CLOSED])
                if status is CaseStatus.CLOSED:
                    continue  # a closed case needs a reason; an open one is enough to be left out
                opened = datetime(2025, 12, 1, 20, 0) + timedelta(days=rng.randrange(60))
                delivered = date(2026, 2, 20) + timedelta(days=rng.randrange(45))
                _case(world, person, scheme, delivered_on=delivered, opened=opened, status=status)
                rows.append({"person": person.id, "scheme": scheme.id, "status": status, "path": person.area_path,
                             "delivered_on": delivered, "opened": opened, "settlement": person.settlement_id})
    for area in (world.state, world.district):
        served, per_scheme = _expected(rows, MARCH, area.path)
        summary = summarise(area, MARCH)
        got = {row.scheme.id: row for row in summary.rows}
        assert set(got) == set(per_scheme)
        for scheme_id, (households, days) in per_scheme.items():
            row = got[scheme_id]
            if len(households) < 5:
                assert row.households is SMALL and row.median_days is None and row.value_total is None
                continue
            assert row.households == len(households)
            assert row.median_days == statistics.median(days)
            scheme = db.session.get(Scheme, scheme_id)
            assert row.value_total == (scheme.benefit_value * len(households) if scheme.benefit_value else None)
        all_people = {r["person"] for r in served}
        settlements = {r["settlement"] for r in served}
        assert summary.settlements == (len(settlements) if len(settlements) >= 5 or not settlements else SMALL)
        if summary.households not in (None, SMALL):
            assert summary.households == len(all_people)
        assert summary.median_days == statistics.median([d for _, days in per_scheme.values() for d in days])
        shown = [r for r in summary.rows if r.households is not SMALL and r.value_total is not None]
        assert summary.value_totals == {u: sum(r.value_total for r in shown if r.scheme.benefit_unit is u)
                                        for u in {r.scheme.benefit_unit for r in shown}}


@pytest.mark.parametrize("seed", range(40))
def test_no_published_count_is_below_five(app, world, ctx, seed):
    """Random small data sets: every count shown is 0 or at least 5; what could tell a small
    count (value, median, the total minus the rows shown) is held back with it."""
    rng = random.Random(seed)
    values = [rng.choice([None, 500, 100000]) for _ in range(rng.randint(1, 4))]
    schemes = [_scheme(f"S{seed}X{i}", value, value and BenefitUnit.MONTHLY) for i, value in enumerate(values)]
    places = [world.village, world.other_village]
    people = [_person(world, f"P{i}", rng.choice(places)) for i in range(rng.randint(0, 14))]
    served = {}
    for person in people:
        for scheme in rng.sample(schemes, rng.randint(1, len(schemes))):
            on = date(2026, 3, rng.randint(1, 31))
            _case(world, person, scheme, delivered_on=on, opened=datetime(2026, 1, rng.randint(1, 28)))
            served.setdefault(scheme.id, set()).add(person.id)
    summary = summarise(world.state, MARCH)
    for count in summary.counts():
        assert count is None or count is SMALL or count == 0 or count >= 5, count
    small = [r for r in summary.rows if r.households is SMALL]
    for row in summary.rows:
        true = len(served[row.scheme.id])
        assert (row.households is SMALL) == (1 <= true < 5)
        if row.households is SMALL:
            assert row.value_total is None and row.median_days is None
    everyone = set().union(*served.values()) if served else set()
    if len(everyone) < 5:
        assert summary.median_days is None
        assert summary.households in (SMALL, 0)
    if small and summary.households not in (SMALL, 0):
        hidden = set().union(*(served[r.scheme.id] for r in small))
        if isinstance(summary.households, int):
            assert len(hidden) >= 5, "the total would give the small rows away"
        else:
            assert len(hidden) < 5 and summary.households is None
            shown = set().union(*(served[r.scheme.id] for r in summary.rows if r.households is not SMALL))
            assert summary.households_at_least == len(shown) >= 5
    # Value totals add up the rows shown only.
    assert sum(summary.value_totals.values()) == sum(r.value_total or 0 for r in summary.rows if r.households is not SMALL)


def test_periods():
    today = date(2026, 11, 30)
    assert periods.parse("month", "2026-02", None, None, today=today) == periods.Period(
        PeriodKind.MONTH, date(2026, 2, 1), date(2026, 2, 28))
    assert periods.parse("quarter", "2026-Q4", None, None, today=today).end == date(2026, 12, 31)
    fy = periods.parse("financial_year", "2025-26", None, None, today=today)
    assert (fy.start, fy.end) == (date(2025, 4, 1), date(2026, 3, 31))
    assert periods.parse(None, None, None, None, today=today).start == date(2026, 11, 1)
    assert periods.parse("financial_year", None, None, None, today=date(2026, 2, 1)).start == date(2025, 4, 1)
    custom = periods.parse("custom", None, "2026-01-10", "2026-02-05", today=today)
    assert (custom.start, custom.end) == (date(2026, 1, 10), date(2026, 2, 5))
    for args in (("month", "2026-13"), ("quarter", "2026-Q5"), ("financial_year", "2025-27"), ("year", "")):
        with pytest.raises(periods.PeriodError):
            periods.parse(*args, None, None, today=today)
    with pytest.raises(periods.PeriodError):
        periods.parse("custom", None, "2026-02-05", "2026-01-10", today=today)
    with pytest.raises(periods.PeriodError):
        periods.parse("custom", None, "2016-02-05", "2026-01-10", today=today)


# --- consent, stories and the outputs ---------------------------------------------------------

def _served_village(world, n=6, name="Lakshmi Bai"):
    """n households of the village served in March 2026, the first with a name to look for."""
    pension = _scheme("OAP", 600, BenefitUnit.MONTHLY)
    people = [world.person(name=name if i == 0 else f"Household {i}") for i in range(n)]
    cases = [_case(world, p, pension, delivered_on=date(2026, 3, 10 + i), opened=datetime(2026, 1, 5, 6))
             for i, p in enumerate(people)]
    return people, cases


STORY = "After three visits to the block office, Lakshmi Bai now receives her pension every month."


def _outputs(world, locale="en") -> str:
    summary = summarise(world.district, MARCH)
    stories = services.public_stories(world.district, MARCH, limit=3)
    sheet = pdftotext(output.sheet_pdf(summary, stories, locale))
    card = pdftotext(output.card_pdf(summary, stories, locale))
    return " ".join((sheet + " " + card).split())


def test_no_name_or_story_without_consent_and_withdrawal_removes_them(app, world, ctx, client, auth):
    people, cases = _served_village(world)
    person = people[0]
    with pytest.raises(services.ImpactError):
        services.write_story(cases[0], actor=world.incharge, text=STORY)
    assert "Lakshmi" not in _outputs(world)

    services.record_consent(person, actor=world.incharge, given_as=ConsentForm.WRITTEN, note="Signed form in file 7")
    services.write_story(cases[0], actor=world.incharge, text=STORY)
    text = _outputs(world)
    assert "Lakshmi Bai" in text and "receives her pension every month" in text

    services.withdraw_consent(person, actor=world.incharge)
    text = _outputs(world)
    assert "Lakshmi" not in text and "pension every month" not in text
    db.session.commit()
    auth.login(world.supervisor)
    page = text_of(client.get(f"/impact?area={world.district.id}&period=month&month=2026-03"))
    assert "Lakshmi" not in page and "Household 1" not in page
    # A later consent is a new record; the history keeps the withdrawal.
    services.record_consent(person, actor=world.incharge, given_as=ConsentForm.ORAL, note=None)
    assert len(services.consent_history(person)) == 2
    with pytest.raises(services.ImpactError):
        services.record_consent(person, actor=world.incharge, given_as=ConsentForm.ORAL, note=None)


def test_the_pdf_is_one_page_with_the_figures_in_both_languages(app, world, ctx):
    _served_village(world, n=7)
    few = _scheme("FEW", 120000, BenefitUnit.ONE_TIME)
    _case(world, world.person(name="Alone"), few, delivered_on=date(2026, 3, 3), opened=datetime(2026, 2, 1))
    summary = summarise(world.district, MARCH)
    english = output.sheet_pdf(summary, [], "en")
    hindi = output.sheet_pdf(summary, [], "hi")
    assert pdf_pages(english) == 1 and pdf_pages(hindi) == 1
    en = " ".join(pdftotext(english).split())
    hi = " ".join(pdftotext(hindi).split())
    assert "Sehore" in en and "March 2026" in en and "Scheme OAP" in en
    assert "₹4,200 per month" in en  # 600 × 7 households
    assert "fewer than 5" in en and "Alone" not in en
    assert "सीहोर" in hi and "योजना OAP" in hi and "₹4,200" in hi
    assert "5 से कम" in hi and "households" not in hi
    # The total of households is held back (only one scheme is "fewer than 5", so the total
    # minus the rows would tell it); the households of the schemes shown stand in for it.
    assert summary.households is None and summary.households_at_least == 7
    assert "at least 7" in en and "कम से कम 7" in hi and "not shown" in en  # FEW's value


def test_the_card_is_a_1080_square_png_and_each_download_is_audited(app, world, client, auth):
    with app.app_context():
        _served_village(world)
        db.session.commit()
    auth.login(world.supervisor)
    query = f"area={world.district.id}&period=month&value=2026-03"
    before = _audit_count(app)
    for lang in ("hi", "en"):
        response = client.get(f"/impact/card.png?{query}&lang={lang}")
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert "Sehore" not in response.headers["Content-Disposition"]
        image = Image.open(io.BytesIO(response.data))
        assert image.size == (1080, 1080)
    response = client.get(f"/impact/sheet.pdf?{query}&lang=hi")
    assert response.status_code == 200 and pdf_pages(response.data) == 1
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "impact.generated")
                                     .order_by(AuditEntry.seq)).all()[-3:]
        assert _audit_count(app) == before + 3
        assert [e.data["format"] for e in entries] == ["png", "png", "pdf"]
        assert all(e.actor_id == world.supervisor.id and e.object_id == str(world.district.id)
                   and e.data["start"] == "2026-03-01" and e.data["end"] == "2026-03-31"
                   and e.data["period"] == "month" for e in entries)
        assert [e.data["locale"] for e in entries] == ["hi", "en", "hi"]


def _audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "impact.generated"))


def test_scope(app, world, client, auth):
    auth.login(world.other_incharge)
    assert client.get(f"/impact?area={world.district.id}").status_code == 404
    assert client.get(f"/impact?area={world.state.id}").status_code == 404
    assert client.get(f"/impact/sheet.pdf?area={world.district.id}").status_code == 404
    assert client.get(f"/impact?area={world.other_district.id}").status_code == 200
    assert client.get("/impact?area=999999").status_code == 404
    auth.logout()
    auth.login(world.supervisor)
    for area in (world.state, world.district, world.block, world.village):
        assert client.get(f"/impact?area={area.id}").status_code == 200
    assert client.get("/impact?period=custom&start=2026-05-01&end=2026-01-01").status_code == 422
    auth.logout()
    auth.login(world.admin)
    assert client.get("/impact").status_code == 403


def test_consent_controls_on_the_beneficiary_page(app, world, client, auth):
    with app.app_context():
        people, cases = _served_village(world, n=1)
        db.session.commit()
        person_id, case_id = people[0].id, cases[0].id
    auth.login(world.incharge)
    page = f"/beneficiaries/{person_id}"
    assert "Record consent to publicity" in text_of(client.get(page))
    refused = client.post(f"/impact/beneficiaries/{person_id}/consent", data={"given_as": "written", "note": ""})
    assert refused.status_code == 303  # not confirmed: nothing recorded
    with app.app_context():
        assert services.standing_consent(db.session.get(type(people[0]), person_id)) is None
    client.post(f"/impact/beneficiaries/{person_id}/consent",
                data={"given_as": "thumb_impression", "note": "Witness: ASHA worker", "understood": "y"})
    shown = text_of(client.get(page))
    assert "Thumb impression on the consent form" in shown and "recorded by In-charge Sehore" in shown
    client.post(f"/impact/cases/{case_id}/story", data={"text": STORY})
    assert "receives her pension" in text_of(client.get(page))
    client.post(f"/impact/beneficiaries/{person_id}/withdraw", data={})
    shown = text_of(client.get(page))
    assert "Withdrawn on" in shown and "Record consent to publicity" in shown
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.action.in_(["publicity.consent_recorded", "publicity.consent_withdrawn",
                                   "impact.story_written"]))).all()
        assert sorted(actions) == ["impact.story_written", "publicity.consent_recorded", "publicity.consent_withdrawn"]


def test_scheme_form_keeps_the_benefit_value(app, world, client, auth):
    auth.login(world.admin)
    data = {"code": "NSAP", "name_en": "Old age pension", "name_hi": "वृद्धावस्था पेंशन", "department": "Social Justice",
            "proof_of_delivery": "First credit", "active": "y", "benefit_value": "600"}
    assert client.post("/admin/schemes/new", data={**data, "benefit_unit": "weekly"}).status_code == 422
    assert client.post("/admin/schemes/new", data={**data, "benefit_value": "0", "benefit_unit": "monthly"}
                       ).status_code == 422
    assert client.post("/admin/schemes/new", data={**data, "benefit_unit": "monthly"}).status_code == 302
    with app.app_context():
        scheme = db.session.scalars(sa.select(Scheme).where(Scheme.code == "NSAP")).one()
        assert (scheme.benefit_value, scheme.benefit_unit) == (600, BenefitUnit.MONTHLY)
        scheme_id = scheme.id
    assert '<option selected value="monthly">' in client.get(f"/admin/schemes/{scheme_id}").get_data(as_text=True)
    # No value: no unit, whatever the select says.
    assert client.post(f"/admin/schemes/{scheme_id}", data={**data, "benefit_value": "", "benefit_unit": "yearly"}
                       ).status_code == 302
    with app.app_context():
        scheme = db.session.get(Scheme, scheme_id)
        assert (scheme.benefit_value, scheme.benefit_unit) == (None, None)


def test_a_full_aadhaar_number_in_a_story_is_masked(app, world, ctx):
    from tests.test_case_services import AADHAAR

    people, cases = _served_village(world)
    services.record_consent(people[0], actor=world.incharge, given_as=ConsentForm.ORAL, note=f"Card {AADHAAR}")
    story = services.write_story(cases[0], actor=world.incharge, text=f"Her Aadhaar {AADHAAR} was linked.")
    db.session.flush()
    db.session.refresh(story)
    assert AADHAAR not in story.text and "XXXX XXXX 0124" in story.text
    assert "0124" in _outputs(world) and "6789" not in _outputs(world)


def test_syscheck_names_poppler_for_the_card():
    from caseflow import syscheck

    assert syscheck.missing_packages(lambda lib: lib, which=lambda program: None) == ["poppler-utils"]


def test_the_database_holds_a_value_and_its_unit_together(app, world, ctx):
    from sqlalchemy.exc import IntegrityError

    for value, unit in ((600, None), (None, "monthly"), (0, "monthly"), (600, "weekly")):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.execute(sa.text("UPDATE schemes SET benefit_value = :v, benefit_unit = :u WHERE id = :id"),
                               {"v": value, "u": unit, "id": world.scheme.id})
