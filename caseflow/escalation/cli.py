"""Operator commands of the escalation domain, registered under `flask --app wsgi caseflow`.

`escalate` is the sweep cron runs: every overdue case waiting on an office moves up exactly
one level, or is flagged for a supervisor (stalled at the top, needs configuration).

Exit status: 0 done; 3 some cases have no resolvable addressee (a configuration problem an
administrator must fix; they are listed on /escalation/configuration); 1 anything else
(an error, or a case the case machine refused); 2 bad options.
"""
import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from caseflow.audit.services import appended_together
from caseflow.cases.models import WAITING_STATUSES
from caseflow.db import fixed_today, read_only_transaction, today
from caseflow.escalation import services
from caseflow.extensions import db

EXIT_CONFIGURATION = 3
EXIT_ERROR = 1
RETRIES = 5  # a batch that lost a deadlock (PostgreSQL) or waited out the lock (SQLite) runs again
log = logging.getLogger("caseflow.escalation")

# Work the same scheduled command does after the sweep (the reminders of caseflow.today), so
# one timer runs both: `hook(on)` returns a line for the report. Filled by
# caseflow._connect_domains, so this domain imports nothing above it. A hook's failure is
# logged and never changes the sweep's exit status.
after_sweep: list[Callable[[date], str]] = []


@click.command("escalate")
@click.option("--dry-run", is_flag=True, help="List what would happen; change nothing.")
@click.option("--now", "now", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Run as if today were this date (India). Default: today.")
@click.option("--batch-size", type=click.IntRange(1, 20000), default=500, show_default=True,
              help="Cases per transaction.")
@click.option("--pause", type=click.FloatRange(0, 10), default=None, metavar="SECONDS",
              help="Pause between batches (SQLite default 0.05 s, so web requests get the write lock; PostgreSQL 0).")
@click.option("--sweep-only", is_flag=True, help="Do not send the reminders (digests) after the sweep.")
@with_appcontext
def escalate(dry_run: bool, now: datetime | None, batch_size: int, pause: float | None, sweep_only: bool = False):
    """Escalate every overdue case one level; flag those that cannot move; then send the reminders."""
    if pause is None:
        pause = 0.05 if db.engine.dialect.name == "sqlite" else 0.0
    on = now.date() if now else today()
    counts, refused = run_sweep(on, batch_size=batch_size, dry_run=dry_run, pause=pause)
    if not (dry_run or sweep_only):
        for hook in after_sweep:
            try:
                click.echo(hook(on))
            except Exception:
                db.session.rollback()
                log.exception("after the sweep, %s failed; the sweep's work is committed", hook.__name__)
    if refused:
        raise SystemExit(EXIT_ERROR)
    if counts["needs_configuration"]:
        raise SystemExit(EXIT_CONFIGURATION)


def run_sweep(on: date, *, batch_size: int = 500, dry_run: bool = False, pause: float = 0.0,
              echo=click.echo) -> tuple[Counter, list[str]]:
    """One sweep as of `on`: what `escalate` runs, and what `seed-demo` runs after loading the demo.

    Commits once per batch (see `Sweep`); returns the outcome counts and the references of the
    cases the case machine refused. `echo(text, err=False)` receives the report, line by line.
    """
    token = read_only_transaction.set(dry_run)  # a dry run on SQLite must not take the write lock
    try:
        with fixed_today(on):
            return Sweep(batch_size, dry_run, pause, echo).run()
    finally:
        read_only_transaction.reset(token)


commands: list[click.Command] = [escalate]


class Sweep:
    """One run of the sweep: the batch loop, its transactions and its report.

    The rule "one commit per CLI command" (DESIGN §4) has its one exception here: the sweep
    commits once per batch, so a run over 100,000 cases neither holds its locks for minutes
    (blocking users and, on SQLite, every writer) nor loses all its work on a late failure.
    Each batch is selected, locked, re-checked and written in its own transaction; after the
    commit the session is emptied, so memory stays flat however many cases the run touches.
    """

    def __init__(self, batch_size: int, dry_run: bool, pause: float, echo=click.echo):

        self.services = services
        self.batch_size, self.dry_run, self.pause, self.echo = batch_size, dry_run, pause, echo
        self.lookups = services.Lookups(memo=True)
        self.counts: Counter = Counter()
        self.refused: list[str] = []
        self.postgres = db.engine.dialect.name == "postgresql"
        self.run_id: int | None = None
        self.cache_kib = current_app.config["SWEEP_SQLITE_CACHE_MB"] * 1024
        self.head_held = 0.0  # the longest the audit head stayed locked, in seconds (lock to commit)

    def run(self) -> tuple[Counter, list[str]]:
        s = self.services
        on = today()
        mode = "DRY RUN — nothing will change; " if self.dry_run else ""
        self.echo(f"Escalation sweep as of {on.isoformat()} ({mode}batch size {self.batch_size})")
        run_id = None
        if not self.dry_run:
            run_id = self.run_id = self._transaction(lambda: s.start_run(socket.gethostname(), os.getpid()).id)
            released, after_id = 0, 0
            while after_id is not None:
                cleared, after_id = self._transaction(
                    lambda after_id=after_id: self._beating(s.release_moved_on(after_id, self.batch_size,
                                                                               lock=self.postgres)))
                released += cleared
            if released:
                self.echo(f"  cleared the flag of {released} cases that moved on since they were flagged")
        started = time.perf_counter()
        for status in WAITING_STATUSES:
            after = None
            while True:
                result = self._transaction(lambda status=status, after=after: self._batch(status, after))
                if result is None:
                    break
                # Counted only now that the batch is committed: a batch run again is counted once.
                after, lines, counts, refused = result
                self.counts.update(counts)
                self.refused.extend(refused)
                for line in lines:
                    self.echo(line)
                done = sum(self.counts.values())
                rate = done / max(time.perf_counter() - started, 1e-9)
                self.echo(f"  {status.value}: {done:,} cases so far — escalated {self.counts['escalated']:,}, "
                           f"stalled at top {self.counts['stalled_at_top']:,}, "
                           f"needs configuration {self.counts['needs_configuration']:,} ({rate:,.0f} cases/s)")
                if self.pause:
                    time.sleep(self.pause)
        if not self.dry_run:
            outcomes = {o: self.counts[o.value] for o in s.Outcome}
            self._transaction(lambda: s.finish_run(db.session.get(s.SweepRun, run_id), outcomes))
        pending = self._transaction(s.still_pending, write=False)
        self._summary(pending)
        return self.counts, self.refused

    def _beating(self, result, batch_counts: Counter | None = None):
        """Beat the run's heartbeat in the batch's transaction, with the counts it will have once
        this batch commits; returns `result`."""
        if self.run_id is not None:
            total = self.counts + (batch_counts or Counter())
            self.services.heartbeat(self.run_id, {o: total[o.value] for o in self.services.Outcome})
        return result

    def _batch(self, status, after):
        s = self.services
        rows = s.overdue_batch(status, after, self.batch_size, lock=not self.dry_run)
        if not rows:
            return None
        cases = s.load_cases([case_id for case_id, _due in rows])
        s.prepare_batch(cases, self.lookups)
        from_levels = [case.level for case in cases]
        # The batch's audit entries are appended together at the end, just before the commit:
        # the audit head is locked for that append only, not while the batch is worked out.
        with appended_together():
            if self.dry_run:
                outcomes = [s.preview(case, self.lookups) for case in cases]
            else:
                outcomes = s.sweep_batch(cases, self.lookups)
            lines, counts, refused = [], Counter(), []
            for case, from_level, (outcome, route) in zip(cases, from_levels, outcomes, strict=True):
                counts[outcome.value] += 1
                if outcome is s.Outcome.REFUSED:
                    refused.append(case.reference)
                if self.dry_run or outcome in (s.Outcome.REFUSED, s.Outcome.NEEDS_CONFIGURATION):
                    line = self._describe(case, from_level, outcome, route)
                    if line:
                        lines.append(line)
            last_id, last_due = rows[-1]
            return self._beating(((last_due, last_id), lines, counts, refused), counts)

    def _describe(self, case, from_level, outcome, route) -> str | None:
        """One line per case, references and levels only (no personal data in logs)."""
        outcomes = self.services.Outcome
        verb = "would " if self.dry_run else ""
        skipped = f", skipping level(s) {', '.join(map(str, route.skipped))} (bias report)" if route and route.skipped else ""
        if outcome is outcomes.ESCALATED:
            return f"    {case.reference}: {verb}escalate level {from_level} → {route.level}{skipped}"
        if outcome is outcomes.STALLED_AT_TOP:
            why = "every level above is accused in a bias report" if route.blocked_by_bias else "top of the ladder"
            return f"    {case.reference}: {verb}flag stalled at level {from_level} ({why})"
        if outcome is outcomes.NEEDS_CONFIGURATION:
            return (f"    {case.reference}: no office of the kind level {route.missing_level} names resolves for this "
                    f"case's area — needs configuration")
        if outcome is outcomes.REFUSED:
            return f"    {case.reference}: REFUSED by the case machine — check this case"
        return None

    def _transaction(self, work, write: bool = True):
        """Run `work` in its own transaction and commit it (roll back in a dry run or a read)."""
        for attempt in range(1, RETRIES + 1):
            try:
                if not self.postgres:
                    db.session.connection().exec_driver_sql(f"PRAGMA cache_size=-{self.cache_kib}")
                result = work()
                if write and not self.dry_run:
                    db.session.commit()
                else:
                    db.session.rollback()
                locked_at = db.session.info.pop("audit_head_locked_at", None)
                if locked_at is not None:
                    self.head_held = max(self.head_held, time.perf_counter() - locked_at)
            except OperationalError as exc:
                db.session.info.pop("audit_head_locked_at", None)
                # Deadlock with another writer (PostgreSQL) or the write lock not granted in
                # time (SQLite): nothing was committed, so the batch can simply run again.
                db.session.rollback()
                db.session.expunge_all()
                if attempt == RETRIES:
                    raise
                self.echo(f"  retrying a batch after a database conflict ({exc.orig.__class__.__name__})", err=True)
                time.sleep(0.2 * attempt)
                continue
            except BaseException:
                db.session.rollback()
                raise
            db.session.expunge_all()
            return result
        return None

    def _summary(self, pending: int) -> None:
        c = self.counts
        verb = "would be " if self.dry_run else ""
        self.echo(f"Summary: {verb}escalated {c['escalated']:,}; {verb}stalled at the top {c['stalled_at_top']:,}; "
                   f"could not resolve an addressee {c['needs_configuration']:,}; "
                   f"changed meanwhile {c['changed']:,}; refused {c['refused']:,}.")
        if not self.dry_run:
            self.echo(f"The audit head was locked for at most {self.head_held * 1000:,.0f} ms at a time.")
        if not self.dry_run and pending:
            self.echo(f"{pending:,} overdue cases are neither escalated nor flagged: another sweep or a user held "
                       "them; the next run takes them.")
        if c["needs_configuration"]:
            self.echo("Configuration problem: some cases have no office to escalate to. Add the missing offices "
                       "(Administration › Offices); the cases are listed on /escalation/configuration.", err=True)
        if self.refused:
            self.echo(f"The case machine refused {len(self.refused)} cases: {', '.join(self.refused[:20])}", err=True)
