"""Reminders: each in-charge's daily digest (what Today shows: the counts and the first rows) and
each supervisor's weekly digest of the stalled and overdue cases of their areas, in the user's
language, through the first notifier that reaches them (caseflow.notify: e-mail today).

At most one digest per user per day (daily) or ISO week (weekly), however many runs, at once or
one after the other: a run claims (user, kind, period) in `digest_sends` — a unique key, so of
two runs only one claim commits — before it sends, marks it sent after, and deletes its claim
when the channel fails, so the next run tries again. A run that dies between sending and
marking leaves the claim: that digest is not sent twice (at most once, not at least once).

The digests hold references, names and scheme codes — going to the staff member who works
those cases — and never an Aadhaar number or a mobile number.
"""
import logging
from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from caseflow import notify
from caseflow.audit.services import record
from caseflow.auth.models import Role, User
from caseflow.cases.models import Attention, Case
from caseflow.cases.workflow import status_label
from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.scope import visible
from caseflow.today import queries
from caseflow.today.models import DigestKind, DigestSend
from caseflow.today.views import TITLES
from caseflow.today.when import relative_day

log = logging.getLogger("caseflow.today")

# Consecutive "server down" failures after which a run stops trying: it is down for everyone.
# A refused address counts as a failure for that user only.
GIVE_UP_AFTER = 3


def period_of(kind: DigestKind, on: date) -> date:
    """The day a daily digest is for, or the Monday of a weekly digest's ISO week."""
    return on if kind is DigestKind.DAILY else on - timedelta(days=on.weekday())


def compose(user: User, kind: DigestKind, on: date) -> notify.Message:
    """The digest `user` gets as of `on`, in their language."""
    rows = current_app.config["DIGEST_ROWS"]
    with force_locale(user.locale):
        if kind is DigestKind.DAILY:
            sections = queries.sections(user, on, ack_days=current_app.config["ACK_REMINDER_DAYS"], limit=rows)
            counts = {s.key: s for s in sections}
            subject = _("caseflow today: %(overdue)s overdue, %(due)s due today",
                        overdue=_count(counts["overdue"]), due=_count(counts["due_today"]))
            template = "today/digest_daily.txt"
        else:
            sections = [queries.Section("stalled", *_stalled(user, rows)),
                        queries.section("overdue", user, on, ack_days=0, limit=rows)]
            subject = _("caseflow this week: %(stalled)s stalled, %(overdue)s overdue in your areas",
                        stalled=_count(sections[0]), overdue=_count(sections[1]))
            template = "today/digest_weekly.txt"
        text = render_template(template, user=user, sections=sections, titles=TITLES, count=_count,
                               when=lambda day: relative_day(day, on), status_label=status_label,
                               base_url=current_app.config.get("BASE_URL") or "",
                               stalled_title=_("Stalled at the top of the ladder"))
    return notify.Message(subject=subject, text=text, language=user.locale)


def _count(section: queries.Section) -> str:
    return f"{queries.COUNT_CAP:,}+" if section.capped else f"{section.count:,}"


def _stalled(user: User, limit: int) -> tuple[list, int]:
    """A supervisor's cases stalled at the top of the ladder, longest-stalled first."""
    ids = sa.select(Case.id, Case.attention_since).where(visible(user, Case),
                                                        Case.attention == Attention.STALLED_AT_TOP)
    return queries.case_rows(ids, (Case.attention_since, Case.id), limit), queries.capped_count(ids)


def recipients(kind: DigestKind) -> list[User]:
    role = Role.INCHARGE if kind is DigestKind.DAILY else Role.SUPERVISOR
    return list(db.session.scalars(
        sa.select(User).where(User.role == role, User.active, User.digests).order_by(User.id)))


def _claim(user_id: int, kind: DigestKind, period: date) -> int | None:
    """Claim the digest (committed), or None when a run has already claimed it."""
    try:
        claim = DigestSend(user_id=user_id, kind=kind.value, period=period, state="sending")
        db.session.add(claim)
        db.session.commit()
        return claim.id
    except sa.exc.IntegrityError:
        db.session.rollback()
        return None


def _release(claim_id: int) -> None:
    db.session.rollback()
    db.session.execute(sa.delete(DigestSend).where(DigestSend.id == claim_id))
    db.session.commit()


def _sent(claim_id: int, user_id: int, kind: DigestKind, channel: str) -> None:
    db.session.execute(sa.update(DigestSend).where(DigestSend.id == claim_id).values(state="sent", sent_at=utcnow()))
    record("digest.sent", actor=None, object_type="users", object_id=user_id,
           data={"kind": kind.value, "channel": channel})
    db.session.commit()


def send_digests(on: date, kinds=tuple(DigestKind)) -> Counter:
    """Send every digest due as of `on` that no run has sent yet. Never raises for a channel's
    failure: it is logged, counted as "failed", and the digest is left for the next run."""
    outcome: Counter = Counter()
    if not notify.notifiers():
        log.info("digests skipped: no notifier configured (set CASEFLOW_SMTP_HOST and CASEFLOW_SMTP_FROM)")
        outcome["skipped_unconfigured"] = 1
        return outcome
    failures = 0
    for kind in kinds:
        period = period_of(kind, on)
        for user in recipients(kind):
            channel = notify.channel_for(user)
            if channel is None:
                outcome["no_address"] += 1
                continue
            user_id = user.id
            claim_id = _claim(user_id, kind, period)
            if claim_id is None:
                outcome["already_sent"] += 1
                continue
            try:
                message = compose(db.session.get(User, user_id), kind, on)
                db.session.rollback()  # end the read before waiting on the mail server
                channel.send(db.session.get(User, user_id), message)
            except notify.NotifyError as exc:
                _release(claim_id)
                failures = failures + 1 if exc.server_down else 0
                outcome["failed"] += 1
                log.error("digest not sent: kind=%s user_id=%s channel=%s error=%s; the next run tries again",
                          kind.value, user_id, channel.channel, exc)
                if failures >= GIVE_UP_AFTER:
                    log.error("digests stopped after %d failures in a row; the next run tries again", failures)
                    outcome["stopped"] = 1
                    return outcome
                continue
            except Exception:
                _release(claim_id)
                raise
            failures = 0
            _sent(claim_id, user_id, kind, channel.channel)
            outcome[f"sent_{kind.value}"] += 1
            log.info("digest sent: kind=%s user_id=%s channel=%s", kind.value, user_id, channel.channel)
    return outcome
