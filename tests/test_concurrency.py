"""Guards optimistic locking and numbering under real concurrency, on whichever database runs the suite.

Two people acting on the same case at once: exactly one wins, the other is refused with
Stale (HTTP 409 "reload"), and the case moves exactly one step. Parallel case openings
in one district never share a reference number. Every test commits for real (`committed_db`)
from separate threads, each with its own app context and therefore its own session and
connection. SQLite must queue its writers (BEGIN IMMEDIATE + busy timeout): a "database is
locked" error anywhere fails the test.

Where the case is loaded relative to the race: both workers read the case *before* the
barrier, in a read transaction (as a page view does), and keep the version they saw. A
writer cannot hold its transaction open across the barrier on SQLite: BEGIN IMMEDIATE would
make the other worker wait for a lock that is only released after the barrier. Two ways of
holding the old version are raced:

- "reloaded": the read ends with a rollback, the write reloads the case; the service's
  version check must refuse the loser;
- "held": the read ends with a commit that keeps the loaded attributes, so both workers act
  on the same old snapshot and pass the service check; the ORM's versioned UPDATE must
  refuse the loser at flush.
"""
import re
import threading
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from caseflow.auth.models import User
from caseflow.beneficiaries.models import Beneficiary
from caseflow.cases import services
from caseflow.cases.models import Case, CaseEvent, CaseStatus, Channel, EventKind
from caseflow.db import read_only_transaction, today
from caseflow.exceptions import Stale
from caseflow.extensions import db
from caseflow.schemes.models import Scheme
from caseflow.sequences import Counter
from tests.conftest import Auth, World, step_data

ROUNDS = 5
# (trigger of worker 0, trigger of worker 1) for each round: the same step twice, or two different steps.
TRIGGER_PAIRS = [
    ("escalate", "escalate"),
    ("sanction", "reject"),
    ("sanction", "sanction"),
    ("escalate", "close"),
    ("reject", "escalate"),
]
DEST = {"escalate": CaseStatus.ESCALATED, "sanction": CaseStatus.SANCTIONED, "reject": CaseStatus.REJECTED,
        "close": CaseStatus.CLOSED}
JOIN_TIMEOUT = 60


@dataclass
class Ids:
    """Primary keys of a committed world: plain ints, safe to hand to other threads."""

    incharge: int
    supervisor: int
    scheme: int
    cases: list[int] = field(default_factory=list)
    people: list[int] = field(default_factory=list)


def build(app, case_statuses=(), people=0) -> Ids:
    """A world plus cases and people, committed for real.

    (conftest's `world` object is expired and detached after its commit when the session
    is not the test's rolled-back one, so concurrency tests keep ids instead.)
    """
    with app.app_context():
        world = World()
        ids = Ids(
            incharge=world.incharge.id,
            supervisor=world.supervisor.id,
            scheme=world.scheme.id,
            cases=[world.case(status=status).id for status in case_statuses],
            people=[world.person(name=f"Lakshmi {n}").id for n in range(people)],
        )
        db.session.commit()
    return ids


def race(app, workers):
    """Run each `worker(barrier)` in its own thread and app context; return one outcome per worker.

    Outcomes: ("ok", value), ("stale", None) or ("error", exception) — any other exception,
    e.g. an OperationalError "database is locked", is an error the caller asserts against.
    """
    barrier = threading.Barrier(len(workers))
    outcomes: list = [None] * len(workers)

    def run(index, worker):
        try:
            with app.app_context():
                try:
                    outcomes[index] = ("ok", worker(barrier))
                except Stale:
                    db.session.rollback()
                    outcomes[index] = ("stale", None)
                except BaseException:
                    db.session.rollback()
                    raise
        except BaseException as exc:
            outcomes[index] = ("error", exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, w), daemon=True) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    errors = [o[1] for o in outcomes if o[0] == "error"]
    assert not errors, f"unexpected errors in workers: {errors!r}"
    return outcomes


def read_before_barrier(case_id: int, mode: str) -> tuple[Case, int]:
    """Load the case in a read transaction and end it, keeping the version seen (see module doc)."""
    token = read_only_transaction.set(True)
    try:
        case = db.session.get(Case, case_id)
        seen = case.version
        if mode == "held":
            db.session().expire_on_commit = False
            db.session.commit()
        else:
            db.session.rollback()
    finally:
        read_only_transaction.reset(token)
    return case, seen


def transition_worker(case_id: int, user_id: int, trigger: str, mode: str):
    def work(barrier):
        case, seen = read_before_barrier(case_id, mode)
        barrier.wait(timeout=JOIN_TIMEOUT)
        actor = db.session.get(User, user_id)
        services.transition(case, actor, trigger, step_data(trigger), expected_version=seen)
        db.session.commit()
        return trigger

    return work


def follow_up_worker(case_id: int, user_id: int, response: str, mode: str):
    def work(barrier):
        case, seen = read_before_barrier(case_id, mode)
        barrier.wait(timeout=JOIN_TIMEOUT)
        actor = db.session.get(User, user_id)
        services.log_follow_up(case, actor, expected_version=seen, channel=Channel.PHONE, response=response)
        db.session.commit()
        return response

    return work


def snapshot(app, case_id: int) -> dict:
    """The case as the database holds it now, read through a fresh session."""
    with app.app_context():
        case = db.session.get(Case, case_id)
        events = db.session.scalars(
            sa.select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all()
        return {
            "version": case.version,
            "status": case.status,
            "transitions": [e.trigger for e in events if e.kind is EventKind.TRANSITION],
            "follow_ups": [e.note for e in events if e.kind is EventKind.FOLLOW_UP],
        }


@pytest.mark.parametrize("mode", ["reloaded", "held"])
def test_two_concurrent_transitions_exactly_one_wins(app, committed_db, mode):
    ids = build(app, case_statuses=["submitted"] * ROUNDS)
    for case_id, triggers in zip(ids.cases, TRIGGER_PAIRS, strict=True):
        before = snapshot(app, case_id)
        outcomes = race(app, [transition_worker(case_id, ids.incharge, t, mode) for t in triggers])

        assert sorted(kind for kind, _ in outcomes) == ["ok", "stale"], (triggers, outcomes)
        winner = next(value for kind, value in outcomes if kind == "ok")
        after = snapshot(app, case_id)
        assert after["version"] == before["version"] + 1
        assert after["transitions"] == [*before["transitions"], winner]
        assert after["status"] is DEST[winner]


@pytest.mark.parametrize("mode", ["reloaded", "held"])
def test_two_concurrent_follow_ups_exactly_one_wins(app, committed_db, mode):
    ids = build(app, case_statuses=["submitted"] * 3)
    for case_id in ids.cases:
        before = snapshot(app, case_id)
        outcomes = race(app, [
            follow_up_worker(case_id, ids.incharge, "Secretary promised a visit", mode),
            follow_up_worker(case_id, ids.supervisor, "Secretary was on leave", mode),
        ])

        assert sorted(kind for kind, _ in outcomes) == ["ok", "stale"], outcomes
        winner = next(value for kind, value in outcomes if kind == "ok")
        after = snapshot(app, case_id)
        assert after["version"] == before["version"] + 1
        assert after["follow_ups"] == [*before["follow_ups"], winner]
        assert after["transitions"] == before["transitions"]
        assert after["status"] is before["status"]


def test_a_transition_racing_a_follow_up_exactly_one_wins(app, committed_db):
    ids = build(app, case_statuses=["submitted"] * 2)
    for case_id in ids.cases:
        before = snapshot(app, case_id)
        outcomes = race(app, [
            transition_worker(case_id, ids.incharge, "sanction", "reloaded"),
            follow_up_worker(case_id, ids.supervisor, "Order signed yesterday", "reloaded"),
        ])

        assert sorted(kind for kind, _ in outcomes) == ["ok", "stale"], outcomes
        after = snapshot(app, case_id)
        assert after["version"] == before["version"] + 1
        moved = len(after["transitions"]) - len(before["transitions"])
        noted = len(after["follow_ups"]) - len(before["follow_ups"])
        assert (moved, noted) in ((1, 0), (0, 1))
        assert (after["status"] is CaseStatus.SANCTIONED) == (moved == 1)


def test_a_held_snapshot_is_refused_at_flush_by_the_versioned_update(app, committed_db):
    """No threads: the ORM's versioned UPDATE alone refuses a change made on an old snapshot."""
    ids = build(app, case_statuses=["submitted"])
    case_id = ids.cases[0]
    before = snapshot(app, case_id)
    with app.app_context():
        case, seen = read_before_barrier(case_id, "held")
        with app.app_context():  # someone else, in another session, moves the case first
            other = db.session.get(Case, case_id)
            services.transition(other, db.session.get(User, ids.supervisor), "sanction", step_data("sanction"),
                                expected_version=seen)
            db.session.commit()
        assert case.version == seen  # the held snapshot still shows the old version
        with pytest.raises(Stale):
            services.transition(case, db.session.get(User, ids.incharge), "reject", step_data("reject"),
                                expected_version=seen)
        db.session.rollback()
    after = snapshot(app, case_id)
    assert after["version"] == before["version"] + 1
    assert after["transitions"] == [*before["transitions"], "sanction"]
    assert after["status"] is CaseStatus.SANCTIONED


# --- through HTTP ------------------------------------------------------------------------


def hidden_version(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert tag, f"no {name} field on the page"
    return re.search(r'\bvalue="(\d+)"', tag.group(0)).group(1)


def logged_in(app, username: str):
    client = app.test_client()
    assert Auth(client).login(username).status_code == 302
    return client


def test_http_second_of_two_edits_from_the_same_page_gets_409_and_changes_nothing(app, committed_db):
    ids = build(app, case_statuses=["submitted"])
    case_id = ids.cases[0]
    url = f"/cases/{case_id}"
    first, second = logged_in(app, "incharge"), logged_in(app, "supervisor")
    page_1, page_2 = (c.get(url).get_data(as_text=True) for c in (first, second))
    version_1 = hidden_version(page_1, "sanction-version")
    version_2 = hidden_version(page_2, "reject-version")
    assert version_1 == version_2

    done = first.post(f"{url}/do/sanction", data={"sanction-version": version_1, "sanction-sanction_ref": "SO-1",
                                                  "sanction-sanction_date": "2026-02-01"})
    assert done.status_code == 303, done.get_data(as_text=True)[:2000]
    after_winner = snapshot(app, case_id)

    refused = second.post(f"{url}/do/reject", data={"reject-version": version_2, "reject-reason": "Land record mismatch"})
    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    assert "reload" in body.lower()
    assert f'href="/cases/{case_id}"' in body
    assert "Land record mismatch" in body  # what they typed is handed back to them
    assert snapshot(app, case_id) == after_winner

    # A follow-up typed on the same old page is refused the same way.
    refused = second.post(f"{url}/follow-up", data={"fu-version": version_2, "fu-office": "0", "fu-channel": "phone",
                                                   "fu-response": "Will call back"})
    assert refused.status_code == 409
    assert "Will call back" in refused.get_data(as_text=True)
    assert snapshot(app, case_id) == after_winner

    # After reloading, the second person can act on what is there now.
    fresh = hidden_version(second.get(url).get_data(as_text=True), "deliver-version")
    assert int(fresh) == after_winner["version"]


def post_together(posts) -> list:
    """POST each (client, url, data) from its own thread, released at once; the status codes."""
    barrier = threading.Barrier(len(posts))
    statuses: list = [None] * len(posts)

    def post(index, client, url, data):
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            statuses[index] = client.post(url, data=data).status_code
        except BaseException as exc:  # reported to the test
            statuses[index] = exc

    threads = [threading.Thread(target=post, args=(i, *p), daemon=True) for i, p in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return statuses


def test_http_two_simultaneous_posts_one_303_one_409(app, committed_db):
    ids = build(app, case_statuses=["submitted"] * 3)
    first, second = logged_in(app, "incharge"), logged_in(app, "supervisor")
    for case_id in ids.cases:
        url = f"/cases/{case_id}"
        version = hidden_version(first.get(url).get_data(as_text=True), "escalate-version")
        before = snapshot(app, case_id)

        statuses = post_together([
            (first, f"{url}/do/escalate", {"escalate-version": version, "escalate-reason": "No reply"}),
            (second, f"{url}/do/reject", {"reject-version": version, "reject-reason": "Land record mismatch"}),
        ])

        assert sorted(statuses, key=str) == [303, 409], statuses
        after = snapshot(app, case_id)
        assert after["version"] == before["version"] + 1
        assert len(after["transitions"]) == len(before["transitions"]) + 1


@pytest.mark.parametrize("action", ["step", "follow-up"])
def test_http_change_landing_between_check_and_write_gets_409_not_500(app, committed_db, action):
    """The version check passed, then someone else's change lands before our UPDATE (on PostgreSQL
    the usual way to lose a race): the versioned UPDATE refuses it and the page says "reload".

    The other writer is played deterministically by a before_flush hook that bumps the case's
    version on the request's own connection, just before the ORM writes the case.
    """
    ids = build(app, case_statuses=["submitted"])
    case_id = ids.cases[0]
    url = f"/cases/{case_id}"
    client = logged_in(app, "incharge")
    page = client.get(url).get_data(as_text=True)
    if action == "step":
        post = (f"{url}/do/reject", {"reject-version": hidden_version(page, "reject-version"),
                                     "reject-reason": "Land record mismatch"})
    else:
        post = (f"{url}/follow-up", {"fu-version": hidden_version(page, "fu-version"), "fu-office": "0",
                                     "fu-channel": "phone", "fu-response": "Land record mismatch"})
    before = snapshot(app, case_id)
    fired = []

    def someone_else_commits_first(session, flush_context, instances):
        if not fired and any(isinstance(obj, Case) for obj in session.dirty):
            fired.append(True)
            session.connection().execute(
                sa.update(Case.__table__).where(Case.__table__.c.id == case_id).values(version=Case.__table__.c.version + 1)
            )

    sa.event.listen(db.session, "before_flush", someone_else_commits_first)
    try:
        response = client.post(post[0], data=post[1])
    finally:
        sa.event.remove(db.session, "before_flush", someone_else_commits_first)

    assert fired, "the hook never ran: the request wrote nothing?"
    assert response.status_code == 409, response.get_data(as_text=True)[:2000]
    assert "reload" in response.get_data(as_text=True).lower()
    assert "Land record mismatch" in response.get_data(as_text=True)
    assert snapshot(app, case_id) == before  # the request rolled back, the hook's bump with it


# --- numbering ---------------------------------------------------------------------------


def test_parallel_case_openings_in_one_district_get_distinct_references(app, committed_db):
    threads = 10
    ids = build(app, people=threads)

    def opener(person_id):
        def work(barrier):
            barrier.wait(timeout=JOIN_TIMEOUT)
            actor = db.session.get(User, ids.incharge)
            case = services.open_case(actor, db.session.get(Beneficiary, person_id), db.session.get(Scheme, ids.scheme))
            db.session.commit()
            return case.reference

        return work

    outcomes = race(app, [opener(person_id) for person_id in ids.people])

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    references = [value for _, value in outcomes]
    year = today().year
    assert all(re.fullmatch(rf"SHR/{year}/\d{{6}}", ref) for ref in references), references
    assert len(set(references)) == threads, sorted(references)
    with app.app_context():
        stored = db.session.scalars(sa.select(Case.reference)).all()
        counter = db.session.get(Counter, ("case:SHR", year))
        assert sorted(stored) == sorted(references)
        assert counter.value == threads  # one number per opened case, none handed out twice
