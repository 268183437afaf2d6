"""The quarterly review (caseflow/reviews): figures against counts made here from the raw
timeline, the sample reproducible from its seed and weighted toward endings, immutability after
both signatures (every edit path refused, nothing written; the database refuses too), scoping,
the overdue list, the PDF in both languages, and a stale edit refused.
"""
import statistics
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from caseflow.audit.models import AuditEntry
from caseflow.auth.models import Role, User
from caseflow.auth.services import create_user, set_locale
from caseflow.bias.models import AccusedRole, BiasKind
from caseflow.bias.services import Complainant, file_report
from caseflow.cases.models import Case, CaseEvent, Channel, EventKind
from caseflow.cases.services import log_follow_up
from caseflow.db import local_midnight, today
from caseflow.extensions import db
from caseflow.reviews import services
from caseflow.reviews.models import Assessment, CheckAnswer, QuarterlyReview, ReviewStage, SpotCheck
from caseflow.reviews.quarters import Quarter, last_ended
from tests.conftest import PASSWORD, text_of
from tests.letters_support import pdftotext

STATUSES = ["identified", "documented", "submitted", "escalated", "resolved", "resolved", "closed", "closed",
            "sanctioned", "rejected", "documented", "submitted"]


def _get(model, obj):
    return db.session.get(model, obj.id)


def backdate(case_ids, quarter: Quarter, *, start_days: int = 3):
    """Put the cases' events in `quarter`, one hour apart in their order, some days apart per case."""
    base = local_midnight(quarter.start) + timedelta(days=start_days)
    events = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id.in_(case_ids))
                                .order_by(CaseEvent.id)).all()
    for i, event in enumerate(events):
        event.at = base + timedelta(hours=7 * i)
    db.session.flush()


@pytest.fixture
def quarter():
    return last_ended(today())


@pytest.fixture
def worked(app, world, quarter):
    """The in-charge's quarter: cases in every status, follow-ups, a bias report; a peer in
    the region with a little work; the previous quarter with one case."""
    with app.app_context():
        incharge = world.incharge
        cases = [world.case(status=s) for s in STATUSES]
        log_follow_up(cases[2], incharge, expected_version=cases[2].version, channel=Channel.PHONE,
                      response="Will check", office_id=world.secretary.id)
        log_follow_up(cases[3], incharge, expected_version=cases[3].version, channel=Channel.VISIT,
                      response="Pending", office_id=world.secretary.id)
        report = file_report(cases[3], incharge, accused_role=AccusedRole.SARPANCH, kind=BiasKind.POLITICAL,
                             incident_date=today(), account="Refused", complainant=Complainant())
        report.filed_at = local_midnight(quarter.start) + timedelta(days=10)
        backdate([c.id for c in cases], quarter)
        # A peer in the same state (the supervisor's region), with two cases of their own.
        peer = create_user(username="peer", display_name="Peer", password=PASSWORD, role=Role.INCHARGE,
                           areas=[world.district], locale="en", actor=None)
        peer_cases = [world.case(actor=peer, status="documented"), world.case(actor=peer, status="closed")]
        backdate([c.id for c in peer_cases], quarter)
        earlier = world.case(status="resolved")
        backdate([earlier.id], quarter.previous())
        db.session.commit()
        return {"cases": [c.id for c in cases], "peer": peer.id, "earlier": earlier.id}


def _expected_counts(incharge_id, quarter: Quarter) -> dict:
    """Counted here, in Python, from every event row: independent of the grouped SQL."""
    lo, hi = quarter.bounds()
    rows = [e for e in db.session.scalars(sa.select(CaseEvent)) if e.actor_id == incharge_id and lo <= e.at < hi]
    by_trigger = lambda *t: sum(1 for e in rows if e.kind is EventKind.TRANSITION and e.trigger in t)  # noqa: E731
    return {
        "identified": sum(1 for e in rows if e.kind is EventKind.CREATED),
        "documented": by_trigger("verify"), "submitted": by_trigger("submit"),
        "escalated": by_trigger("escalate", "appeal"), "sanctioned": by_trigger("sanction"),
        "rejected": by_trigger("reject"), "resolved": by_trigger("deliver"), "closed": by_trigger("close"),
        "reopened": by_trigger("reopen"), "follow_ups": sum(1 for e in rows if e.kind is EventKind.FOLLOW_UP),
    }


def _open(world, quarter, seed=12345) -> QuarterlyReview:
    return services.open_review(world.supervisor, world.incharge, quarter, seed=seed)


def test_figures_match_counts_made_from_the_raw_timeline(app, world, worked, quarter):
    with app.app_context():
        review = _open(world, quarter)
        figures = services.review_figures(review)
        expected = _expected_counts(world.incharge.id, quarter)
        assert expected["identified"] == len(STATUSES) and expected["resolved"] == 2 and expected["closed"] == 2
        for key, n in expected.items():
            assert figures["counts"][key] == n, key
        assert figures["counts"]["bias_reports"] == 1
        assert figures["close_reasons"] == {"duplicate": 2}
        # The previous quarter: one case opened and taken to delivery there.
        assert figures["previous"]["identified"] == 1 and figures["previous"]["resolved"] == 1
        # The region: the state supervisor's other active in-charges (the peer and Raisen's;
        # the disabled account is not counted).
        peers = [_expected_counts(worked["peer"], quarter), _expected_counts(world.other_incharge.id, quarter)]
        assert figures["region"]["peers"] == 2
        for key in ("identified", "documented", "closed"):
            assert figures["region"]["median"][key] == statistics.median(p[key] for p in peers), key
        assert figures["region"]["median"]["identified"] == 1  # 2 and 0
        # Median days from the previous step, worked out from the event times.
        lo, hi = quarter.bounds()
        gaps = []
        for case_id in worked["cases"]:
            events = db.session.scalars(sa.select(CaseEvent).where(
                CaseEvent.case_id == case_id, CaseEvent.kind.in_((EventKind.CREATED, EventKind.TRANSITION)))
                .order_by(CaseEvent.at, CaseEvent.id)).all()
            gaps += [(b.at - a.at).total_seconds() / 86400 for a, b in zip(events, events[1:], strict=False)
                     if b.trigger == "verify" and lo <= b.at < hi]
        assert figures["median_days"]["verify"] == round(statistics.median(gaps), 1)
        assert figures["outreach"] is None
        waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(
            Case.assigned_to_id == world.incharge.id, Case.status.in_(("submitted", "escalated"))))
        assert figures["overdue"]["waiting"] == waiting


def test_the_sample_is_reproducible_from_its_seed_and_weighted_toward_endings(app, world, worked, quarter):
    with app.app_context():
        review = _open(world, quarter, seed=777)
        drawn = [c.case_id for c in review.checks]
        assert len(drawn) == services.SAMPLE_SIZE
        from caseflow.reviews.figures import sample_candidates

        candidates = sample_candidates(world.incharge, quarter)
        assert services.draw_sample(candidates, 777) == drawn
        assert services.draw_sample(candidates, 778) != drawn or len(candidates) <= services.SAMPLE_SIZE
        ended = {case_id for case_id, yes in candidates.items() if yes}
        assert {c.case_id for c in review.checks if c.weighted} == ended & set(drawn)
    # Weighting, on a synthetic population: 20 of 200 cases ended; over 300 seeds a sample of 10
    # holds about 2.5 of them, against 1 without weights.
    population = {i: i % 10 == 0 for i in range(1, 201)}
    share = statistics.mean(sum(population[c] for c in services.draw_sample(population, seed)) / 10
                            for seed in range(300))
    assert share > 0.18  # 0.10 unweighted


def _sign_both(world, review):
    supervisor, incharge = world.supervisor, world.incharge
    services.save_notes(review, supervisor, expected_version=review.version, notes="Good follow-up work",
                        assessment=Assessment.GOOD)
    services.sign(review, supervisor, "sign_supervisor", expected_version=review.version)
    services.save_response(review, incharge, expected_version=review.version, response="Thank you")
    services.sign(review, incharge, "sign_incharge", expected_version=review.version)


def test_sign_off_freezes_the_figures_and_makes_the_review_read_only(app, world, worked, quarter, client, auth):
    with app.app_context():
        review = _open(world, quarter)
        supervisor = world.supervisor
        with pytest.raises(services.workflow.TransitionRefused):  # no assessment yet
            services.sign(review, supervisor, "sign_supervisor", expected_version=review.version)
        _sign_both(world, review)
        assert review.stage is ReviewStage.SIGNED and review.figures["counts"]["resolved"] == 2
        db.session.commit()
        review_id, check_id, version = review.id, review.checks[0].id, review.version
        entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.object_type == "quarterly_reviews"))
    auth.login("supervisor")
    edits = [(f"/reviews/{review_id}/notes", {"version": version, "notes": "changed", "assessment": "outstanding"}),
             (f"/reviews/{review_id}/check",
              {"check": check_id, f"c{check_id}-reachable": "no", f"c{check_id}-received": "no",
               f"c{check_id}-file_complete": "no", f"c{check_id}-version": version}),
             (f"/reviews/{review_id}/sign", {"version": version, "trigger": "sign_supervisor"})]
    for url, data in edits:
        assert client.post(url, data=data).status_code == 422, url
    auth.logout()
    auth.login("incharge")
    for url, data in [(f"/reviews/{review_id}/response", {"version": version, "response": "changed"}),
                      (f"/reviews/{review_id}/sign", {"version": version, "trigger": "sign_incharge"})]:
        assert client.post(url, data=data).status_code == 422, url
    with app.app_context():
        review = db.session.get(QuarterlyReview, review_id)
        assert review.notes == "Good follow-up work" and review.response == "Thank you" and review.version == version
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.object_type == "quarterly_reviews")) == entries
        # The database refuses too, whatever path tries.
        for statement in ("UPDATE quarterly_reviews SET notes = 'x' WHERE id = :id",
                          "UPDATE review_spot_checks SET note = 'x' WHERE review_id = :id"):
            with pytest.raises(DBAPIError), db.session.begin_nested():
                db.session.execute(sa.text(statement), {"id": review_id})


def test_the_whole_walk_over_http_and_its_audit_trail(app, world, worked, quarter, client, auth):
    auth.login("supervisor")
    response = client.post("/reviews/open", data={"incharge": world.incharge.id, "quarter": quarter.code()})
    assert response.status_code == 302
    with app.app_context():
        review = db.session.scalar(sa.select(QuarterlyReview))
        review_id, check_id, version = review.id, review.checks[0].id, review.version
    page = client.get(f"/reviews/{review_id}")
    assert page.status_code == 200 and "not recorded yet" in text_of(page)
    data = {"check": check_id, f"c{check_id}-version": version, f"c{check_id}-reachable": "yes", f"c{check_id}-received": "no",
            f"c{check_id}-file_complete": "not_checked", f"c{check_id}-note": "House locked"}
    assert client.post(f"/reviews/{review_id}/check", data=data).status_code == 302
    # The same page, still at the old version, in another tab: refused, nothing lost silently.
    assert client.post(f"/reviews/{review_id}/notes", data={"version": version, "notes": "x",
                                                            "assessment": "good"}).status_code == 409
    with app.app_context():
        version = db.session.get(QuarterlyReview, review_id).version
        check = db.session.get(SpotCheck, check_id)
        assert check.reachable is CheckAnswer.YES and check.received is CheckAnswer.NO and check.note == "House locked"
    assert client.post(f"/reviews/{review_id}/notes", data={"version": version, "notes": "Steady",
                                                            "assessment": "good"}).status_code == 302
    assert client.post(f"/reviews/{review_id}/sign", data={"version": version + 1,
                                                                 "trigger": "sign_supervisor"}).status_code == 302
    auth.logout()
    auth.login("incharge")
    with app.app_context():
        version = db.session.get(QuarterlyReview, review_id).version
    assert client.post(f"/reviews/{review_id}/response", data={"version": version, "response": "Agreed"}).status_code == 302
    assert client.post(f"/reviews/{review_id}/sign", data={"version": version + 1,
                                                                 "trigger": "sign_incharge"}).status_code == 302
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.object_type == "quarterly_reviews").order_by(AuditEntry.seq)))
        assert actions == ["review.opened", "review.check_recorded", "review.notes_saved",
                           "review.signed_by_supervisor", "review.response_saved", "review.signed_by_incharge"]


def test_scoping(app, world, worked, quarter, client, auth):
    with app.app_context():
        review = _open(world, quarter)
        # A supervisor of Raisen only: the Sehore in-charge is not theirs.
        create_user(username="raisen_sup", display_name="Raisen supervisor", password=PASSWORD,
                    role=Role.SUPERVISOR, areas=[world.other_district], locale="en", actor=None)
        db.session.commit()
        review_id = review.id
    for username in ("raisen_sup", "other"):
        auth.login(username)
        assert client.get(f"/reviews/{review_id}").status_code == 404
        assert client.get(f"/reviews/{review_id}/pdf").status_code == 404
        assert world.incharge.display_name not in text_of(client.get("/reviews/"))
        auth.logout()
    auth.login("raisen_sup")
    assert client.post("/reviews/open", data={"incharge": world.incharge.id, "quarter": quarter.code()}).status_code == 404
    auth.logout()
    auth.login("incharge")
    assert client.get(f"/reviews/{review_id}").status_code == 200
    assert client.post("/reviews/open", data={"incharge": world.incharge.id, "quarter": quarter.code()}).status_code == 403


def test_overdue_reviews_are_listed_for_the_supervisor(app, world, client, auth):
    on = today()
    with app.app_context():
        incharge = _get(User, world.incharge)
        incharge.created_at = incharge.created_at - timedelta(days=400)
        db.session.commit()
        late = services.overdue_reviews(_get(User, world.supervisor), on)
        quarters = {item.quarter for item in late if item.incharge.id == world.incharge.id}
        assert quarters and all(q.deadline < on for q in quarters)
        assert last_ended(on).previous() in quarters
        assert not any(item.incharge.id == world.other_incharge.id for item in late)  # account made now
    auth.login("supervisor")
    assert "overdue" in text_of(client.get("/queue"))
    page = text_of(client.get("/reviews/"))
    assert "Overdue reviews" in page and world.incharge.display_name in page


def test_the_pdf_in_english_and_hindi(app, world, worked, quarter, client, auth):
    with app.app_context():
        review = _open(world, quarter)
        _sign_both(world, review)
        db.session.commit()
        review_id = review.id
    auth.login("supervisor")
    response = client.get(f"/reviews/{review_id}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    text = pdftotext(response.data)
    assert "Quarterly review" in text and "In-charge Sehore" in text and "Good" in text
    assert "not recorded yet" in text and "Thank you" in text
    with app.app_context():
        set_locale(_get(User, world.supervisor), "hi", actor=None)
        db.session.commit()
    text = pdftotext(client.get(f"/reviews/{review_id}/pdf").data)
    assert "त्रैमासिक समीक्षा" in text and "अभी दर्ज नहीं" in text and "अच्छा" in text
