"""Reminders, sent to a real SMTP server (aiosmtpd on 127.0.0.1) and read back from it: the
content in the user's language, opt-out, one digest per day however many runs, a mail server
that is down (logged, retried next run, the sweep unharmed), and no notifier configured."""
import email
import email.policy
import logging
import socket
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from caseflow import notify
from caseflow.auth.models import User
from caseflow.cases.models import Attention, Case
from caseflow.db import today
from caseflow.extensions import db
from caseflow.today import digests
from caseflow.today.models import DigestKind, DigestSend
from tests.test_escalation_support import sweep


class Inbox:
    """What the SMTP server received, parsed."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port, "SMTP_STARTTLS": False,
                       "SMTP_FROM": "caseflow@example.org", "SMTP_USER": None, "BASE_URL": "https://cf.example.org",
                       "SMTP_TIMEOUT_SECONDS": 5}.items():
        monkeypatch.setitem(app.config, key, value)
    try:
        yield inbox
    finally:
        controller.stop()


def _set(user, **values):
    # An UPDATE, not the ORM: loading the account would load its areas, which the world's
    # detached objects (cases are opened at them) must not meet in the session.
    db.session.execute(sa.update(User).where(User.id == user.id).values(**values))


def _setup(world, *, hindi_incharge=False):
    """Addresses for everyone, an overdue case and a stalled one in Sehore, one in Raisen."""
    on = today()
    for user, address in ((world.incharge, "sehore@example.org"), (world.other_incharge, "raisen@example.org"),
                          (world.supervisor, "state@example.org"), (world.disabled, "gone@example.org")):
        _set(user, email=address)
    if hindi_incharge:
        _set(world.incharge, locale="hi")
    overdue = world.case(status="submitted")
    overdue.due_date = on - timedelta(days=3)
    stalled = world.case(status="escalated")
    stalled.attention, stalled.attention_since = Attention.STALLED_AT_TOP, on - timedelta(days=9)
    db.session.flush()
    # Plain values: the runs commit, and the objects expire with their session's transaction.
    return overdue.reference, stalled.reference, overdue.id


def _body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_daily_and_weekly_digests_in_each_users_language(app, world, smtp):
    with app.app_context():
        overdue, stalled, _id = _setup(world, hindi_incharge=True)
        outcome = digests.send_digests(today())
    assert outcome["sent_daily"] == 2 and outcome["sent_weekly"] == 1, outcome
    [daily] = smtp.to("sehore@example.org")
    assert not smtp.to("gone@example.org")  # a disabled account gets nothing
    body = _body(daily)
    assert daily["Content-Language"] == "hi"
    assert "समय-सीमा पार" in daily["Subject"] and "नमस्ते" in body
    assert overdue in body and "3 दिन पहले" in body
    assert "https://cf.example.org/today" in body
    [weekly] = smtp.to("state@example.org")
    body = _body(weekly)
    assert weekly["Content-Language"] == "en" and "stalled" in weekly["Subject"]
    assert "Stalled at the top of the ladder: 1" in body and stalled in body
    assert overdue in body and "9 days ago" in body
    [raisen] = smtp.to("raisen@example.org")
    assert overdue not in _body(raisen)  # another district's case never appears
    for message in smtp.messages:
        assert "Aadhaar" not in _body(message) and "9012" not in _body(message)


def test_a_user_who_turned_reminders_off_gets_none(app, world, smtp):
    with app.app_context():
        _setup(world)
        _set(world.incharge, digests=False)
        digests.send_digests(today())
    assert not smtp.to("sehore@example.org") and smtp.to("raisen@example.org")


def test_a_second_run_the_same_day_sends_nothing_again(app, world, smtp):
    with app.app_context():
        _setup(world)
        digests.send_digests(today())
        again = digests.send_digests(today())
        # The next day brings the next daily digest; a weekly one only if it is a new ISO week.
        tomorrow = digests.send_digests(today() + timedelta(days=1))
    assert again["already_sent"] == 3 and not again["sent_daily"] and not again["sent_weekly"]
    assert tomorrow["sent_daily"] == 2 and tomorrow["sent_weekly"] == (1 if today().weekday() == 6 else 0)
    assert len(smtp.to("sehore@example.org")) == 2


def test_a_run_meeting_anothers_claim_skips_that_digest(app, world, smtp):
    """Two runs at once: the unique (user, kind, period) lets only one claim commit."""
    with app.app_context():
        _setup(world)
        db.session.add(DigestSend(user_id=world.incharge.id, kind="daily", period=today(), state="sending"))
        db.session.commit()  # as the other run's claim would be
        outcome = digests.send_digests(today(), kinds=(DigestKind.DAILY,))
    assert outcome["already_sent"] == 1 and not smtp.to("sehore@example.org") and smtp.to("raisen@example.org")


def test_two_runs_at_once_send_each_digest_once(app, world, smtp, committed_db):
    with app.app_context():
        db.session().expire_on_commit = False
        for user in (world.incharge, world.other_incharge):
            _set(user, email=f"{user.username}@example.org")
        db.session.commit()
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        with app.app_context():
            barrier.wait()
            outcomes.append(digests.send_digests(today(), kinds=(DigestKind.DAILY,)))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(smtp.to("incharge@example.org")) == 1 and len(smtp.to("other@example.org")) == 1
    assert sum(o["sent_daily"] for o in outcomes) == 2


def test_mail_server_down_is_logged_and_retried_next_run_and_the_sweep_carries_on(app, world, smtp, monkeypatch,
                                                                                 caplog):
    port = app.config["SMTP_PORT"]
    monkeypatch.setitem(app.config, "SMTP_PORT", _free_port())  # nothing listens there
    with app.app_context():
        _setup(world)
        with caplog.at_level(logging.ERROR, logger="caseflow.today"):
            result = sweep(app, "--now", today().isoformat())
        assert result.exit_code == 0, result.output
        assert "failed (tried again next run)" in result.output
        failures = [r.getMessage() for r in caplog.records if "digest not sent" in r.getMessage()]
        assert failures and not any("@" in m for m in failures)  # no address in the log
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(DigestSend))
        monkeypatch.setitem(app.config, "SMTP_PORT", port)
        outcome = digests.send_digests(today())
    assert outcome["sent_daily"] == 2 and len(smtp.to("sehore@example.org")) == 1


def test_the_sweep_sends_the_digests_after_it(app, world, smtp):
    with app.app_context():
        _overdue, _stalled, overdue_id = _setup(world)
        result = sweep(app, "--now", today().isoformat())
        assert result.exit_code == 0, result.output
        assert "Digests: sent 2 daily and 1 weekly" in result.output
        moved = db.session.get(Case, overdue_id)
        assert moved.level == 2  # the sweep escalated it first: the digest tells of the new state
    assert smtp.to("sehore@example.org")


def test_no_smtp_server_configured_skips_with_a_line_not_an_error(app, world, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    with app.app_context():
        _setup(world)
        with caplog.at_level(logging.INFO, logger="caseflow.today"):
            result = app.test_cli_runner().invoke(args=["caseflow", "digests"])
    assert result.exit_code == 0 and "Digests skipped: no SMTP server configured" in result.output
    assert any("digests skipped" in r.getMessage() for r in caplog.records)
    with app.app_context():
        assert notify.notifiers() == []


def test_a_user_without_an_address_is_counted_not_failed(app, world, smtp):
    with app.app_context():
        outcome = digests.send_digests(today())
    assert outcome["no_address"] >= 2 and not outcome["failed"] and not smtp.messages


def test_recipients_are_active_opted_in_users_of_the_role(app, world):
    with app.app_context():
        daily = {u.username for u in digests.recipients(DigestKind.DAILY)}
        weekly = {u.username for u in digests.recipients(DigestKind.WEEKLY)}
        assert daily == {"incharge", "other"} and weekly == {"supervisor"}
        assert db.session.scalar(sa.select(User.digests).where(User.username == "admin"))


def test_a_refused_address_fails_that_digest_only(app, world, smtp):
    with app.app_context():
        _setup(world)
        _set(world.incharge, email="refused@example.org")
        outcome = digests.send_digests(today())
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(DigestSend)
                                     .where(DigestSend.user_id == world.incharge.id))
    assert outcome["failed"] == 1 and outcome["sent_daily"] == 1 and outcome["sent_weekly"] == 1
    assert smtp.to("raisen@example.org") and smtp.to("state@example.org")
