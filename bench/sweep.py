"""The escalation sweep on 100,000 overdue cases among 1,000,000, beside one raw SQL UPDATE.

    .venv/bin/python -m bench.sweep [--db sqlite|postgres|both] [--cases 1000000] [--overdue 100000]
                                    [--batch-size 500] [--regenerate] [--keep]

For each database: build (or reuse) the data set with bench/generate.py — in a namespace of
its own (bench/out/sweep/, PostgreSQL database caseflow_bench_sweep_src), so this benchmark
never regenerates or drops the queue benchmark's databases — then pick the day on which the
wanted number of waiting cases is overdue, and:

- **baseline**: on a fresh copy, one raw `UPDATE cases SET level = level + 1, due_date = …`
  of exactly the rows the sweep selects, committed, timed (sqlite3 / psycopg directly);
- **sweep**: on another fresh copy, `flask --app wsgi caseflow escalate --now DAY` in a
  subprocess, production configuration, timed from start to exit; its peak RSS comes from
  the child's VmHWM in /proc, read while it runs.

The sweep does per case what the product needs: lock and re-check, route (bias rule, office
resolution), the case machine, a timeline event, an audit entry, and a drafted letter
(register number, snapshots, LETTER event, audit entry — no PDF), one commit per batch, all
through the batch path `caseflow.cases.services.transition_many`. The baseline does none of
that; the ratio says what it costs.

Budgets (issue 12): ≥ 3,000 cases/s and ≥ 0.25 × the raw UPDATE, ≤ 300 MB peak RSS, the audit
head locked ≤ 200 ms at a time (the command prints its longest hold). The exit status is 0
even when a budget is missed: this measures, it does not test. Figures go to bench/out/sweep/.
"""
import argparse
import json
import os
import re
import resource
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from bench import generate

ROOT = generate.ROOT
OUT = generate.OUT / "sweep"
# Named after the bench database (generate.PG_DATABASE, `--pg-database`), so two sweeps can run
# on one server; set by main.
SOURCE_PG = f"{generate.PG_DATABASE}_sweep_src"
COPY_PG = f"{generate.PG_DATABASE}_sweep_copy"
RATE_BUDGET = 3000.0  # cases/s
RATIO_BUDGET = 0.25  # of the raw UPDATE's rows/s
RSS_BUDGET_MB = 300.0
HEAD_BUDGET_MS = 200.0
WAITING = ("submitted", "escalated")


def say(message: str) -> None:
    print(f"[bench.sweep] {message}", flush=True)


@dataclass
class Figures:
    db: str
    cases: int
    overdue: int
    as_of: str
    baseline_rows: int
    baseline_seconds: float
    sweep_seconds: float
    sweep_escalated: int
    sweep_stalled: int
    sweep_needs_configuration: int
    sweep_exit: int
    peak_rss_mb: float
    sweep_cpu_seconds: float  # the sweep process's own CPU time (user + system); PostgreSQL's is not in it
    letters_drafted: int
    loop_rate: float  # cases/s of the batch loop alone, from the command's last progress line
    head_held_ms: float  # the longest the audit head stayed locked, from the command's output

    @property
    def processed(self) -> int:
        return self.sweep_escalated + self.sweep_stalled + self.sweep_needs_configuration

    @property
    def rate(self) -> float:
        return self.processed / self.sweep_seconds if self.sweep_seconds else 0.0

    @property
    def baseline_rate(self) -> float:
        return self.baseline_rows / self.baseline_seconds if self.baseline_seconds else 0.0


# --- the data set and its copies ----------------------------------------------------------------


def source(kind: str, cases: int, regenerate: bool) -> str:
    """The generated database's URL, in this benchmark's own namespace."""
    generate.OUT = OUT  # the generator reads these module globals when it runs
    generate.PG_DATABASE = SOURCE_PG
    return generate.ensure(kind, cases, regenerate=regenerate).url


def copy(kind: str, url: str, name: str) -> str:
    """A fresh copy of the source database to change."""
    if kind == "sqlite":
        src = Path(url.removeprefix("sqlite:///"))
        with sqlite3.connect(src) as conn:  # fold the WAL into the file before copying it
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        dst = OUT / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{dst}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(src, dst)
        return f"sqlite:///{dst}"
    import psycopg

    with psycopg.connect(generate._pg_conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{COPY_PG}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{COPY_PG}" TEMPLATE "{SOURCE_PG}"')
    return generate._pg_url(COPY_PG)


def drop(kind: str, url: str) -> None:
    if kind == "sqlite":
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(generate._pg_conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{COPY_PG}" WITH (FORCE)')


def connect(kind: str, url: str):
    if kind == "sqlite":
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn
    import psycopg
    import sqlalchemy as sa

    return psycopg.connect(generate._pg_conninfo(sa.make_url(url).database))


def _param(kind: str) -> str:
    return "?" if kind == "sqlite" else "%s"


def pick_day(kind: str, url: str, wanted: int) -> tuple[date, int]:
    """The first day on which at least `wanted` waiting cases are overdue (due before it), and how many."""
    conn = connect(kind, url)
    try:
        rows = conn.execute(
            "SELECT due_date, count(*) FROM cases WHERE status IN ('submitted', 'escalated') "
            "GROUP BY due_date ORDER BY due_date").fetchall()
    finally:
        conn.close()
    total = 0
    for due, count in rows:
        due = date.fromisoformat(due) if isinstance(due, str) else due
        total += count
        if total >= wanted:
            return due + timedelta(days=1), total
    raise SystemExit(f"only {total:,} waiting cases in the data set; ask for fewer with --overdue")


# --- the two measurements -----------------------------------------------------------------------


def baseline(kind: str, url: str, as_of: date) -> tuple[int, float]:
    """One UPDATE of the rows the sweep selects (next level, a new due date), committed; rows and seconds."""
    p = _param(kind)
    conn = connect(kind, url)
    try:
        started = time.perf_counter()
        if kind == "sqlite":
            conn.execute("BEGIN IMMEDIATE")
        cur = conn.execute(
            f"UPDATE cases SET level = level + 1, due_date = {p} "
            f"WHERE status IN ('submitted', 'escalated') AND due_date < {p}",
            ((as_of + timedelta(days=21)).isoformat(), as_of.isoformat()),
        )
        rows = cur.rowcount
        conn.commit() if kind != "sqlite" else conn.execute("COMMIT")
        return rows, time.perf_counter() - started
    finally:
        conn.close()


def run_sweep(url: str, as_of: date, batch_size: int, log: Path) -> tuple[int, float, float, float, str]:
    """The CLI in a child process: exit status, seconds, peak RSS in MB, CPU seconds, output.

    Peak RSS is the child's VmHWM read from /proc while it runs (the kernel's high-water mark of
    its own memory since exec; the last reading before it exits). Not `ru_maxrss`: Linux carries
    the parent's high-water mark over a fork and exec, and this parent holds a generator's worth.
    """
    env = {**os.environ, "CASEFLOW_CONFIG": "production", "CASEFLOW_DATABASE_URL": url,
           "CASEFLOW_SECRET_KEY": secrets.token_hex(32), "CASEFLOW_INSTANCE_DIR": str(OUT / "instance")}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "caseflow", "escalate", "--now", as_of.isoformat(),
               "--batch-size", str(batch_size)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb = 0
    with log.open("w") as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        while child.poll() is None:
            peak_kb = max(peak_kb, _vm_hwm_kb(child.pid))
            time.sleep(0.2)
        seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return child.returncode, seconds, peak_kb / 1024, cpu, log.read_text()


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def loop_rate(output: str) -> float:
    """The batch loop's own rate (no start-up, no release pass), from the last progress line."""
    rates = re.findall(r"\(([\d,]+) cases/s\)", output)
    return float(rates[-1].replace(",", "")) if rates else 0.0


def head_held_ms(output: str) -> float:
    found = re.search(r"audit head was locked for at most ([\d,]+) ms", output)
    return float(found.group(1).replace(",", "")) if found else 0.0


def undate_future_flags(kind: str, url: str, as_of: date) -> int:
    """Clear flags the generator dated on or after the chosen day (untimed): on that day they did not exist yet."""
    p = _param(kind)
    conn = connect(kind, url)
    try:
        cur = conn.execute(f"UPDATE cases SET attention = NULL, attention_since = NULL WHERE attention_since >= {p}",
                           (as_of.isoformat(),))
        conn.commit() if kind != "sqlite" else None
        return cur.rowcount
    finally:
        conn.close()


def summary_counts(output: str) -> tuple[int, int, int]:
    found = re.search(r"Summary: escalated ([\d,]+); stalled at the top ([\d,]+); could not resolve an addressee "
                      r"([\d,]+)", output)
    if not found:
        raise SystemExit("the sweep printed no summary:\n" + output[-3000:])
    return tuple(int(n.replace(",", "")) for n in found.groups())


def count_letters(kind: str, url: str) -> int:
    conn = connect(kind, url)
    try:
        return conn.execute("SELECT count(*) FROM letters").fetchone()[0]
    finally:
        conn.close()


def measure(kind: str, cases: int, overdue: int, batch_size: int, regenerate: bool, keep: bool) -> Figures:
    url = source(kind, cases, regenerate)
    as_of, selected = pick_day(kind, url, overdue)
    say(f"{kind}: {selected:,} waiting cases are overdue on {as_of.isoformat()} (asked for {overdue:,})")

    base_url = copy(kind, url, "baseline")
    try:
        rows, base_seconds = baseline(kind, base_url, as_of)
    finally:
        drop(kind, base_url)
    say(f"{kind}: baseline UPDATE of {rows:,} rows in {base_seconds:.2f} s")

    sweep_url = copy(kind, url, "sweep")
    try:
        undated = undate_future_flags(kind, sweep_url, as_of)
        say(f"{kind}: cleared {undated:,} attention flags the generator dated after {as_of.isoformat()}")
        log = OUT / f"sweep-{kind}.log"
        code, seconds, rss, cpu, output = run_sweep(sweep_url, as_of, batch_size, log)
        escalated, stalled, needs_configuration = summary_counts(output)
        drafted = count_letters(kind, sweep_url)
    finally:
        if not keep:
            drop(kind, sweep_url)
    say(f"{kind}: sweep exited {code} after {seconds:.1f} s (output in {log})")
    return Figures(kind, cases, selected, as_of.isoformat(), rows, round(base_seconds, 3), round(seconds, 2),
                   escalated, stalled, needs_configuration, code, round(rss, 1), round(cpu, 2), drafted,
                   loop_rate(output), head_held_ms(output))


# --- report ---------------------------------------------------------------------------------------


def report(all_figures: list[Figures]) -> None:
    header = f"{'db':<9}{'work':<34}{'figure':>14}{'baseline':>14}{'ratio':>9}{'budget':>14}  result"
    print(header)
    print("-" * len(header))
    for f in all_figures:
        ratio = f.rate / f.baseline_rate if f.baseline_rate else 0.0
        rate_ok = "ok" if f.rate >= RATE_BUDGET and ratio >= RATIO_BUDGET else "MISSED"
        head_ok = "ok" if f.head_held_ms <= HEAD_BUDGET_MS else "MISSED"
        rss_ok = "ok" if f.peak_rss_mb <= RSS_BUDGET_MB else "MISSED"
        print(f"{f.db:<9}{'sweep, cases/s':<34}{f.rate:>14,.0f}{f.baseline_rate:>14,.0f}{ratio:>9.4f}"
              f"{'>= 3,000, 0.25x':>14}  {rate_ok}")
        print(f"{f.db:<9}{'sweep, peak RSS (MB)':<34}{f.peak_rss_mb:>14,.1f}{'—':>14}{'':>9}{'<= 300':>14}  {rss_ok}")
        print(f"{f.db:<9}{'audit head held, ms (longest)':<34}{f.head_held_ms:>14,.0f}{'—':>14}{'':>9}"
              f"{'<= 200':>14}  {head_ok}")
        print(f"{'':<9}{'  processed / overdue selected':<34}{f.processed:>14,}{f.overdue:>14,}")
        print(f"{'':<9}{'  escalated / stalled / config':<34}"
              f"{f'{f.sweep_escalated:,} / {f.sweep_stalled:,} / {f.sweep_needs_configuration:,}':>28}")
        print(f"{'':<9}{'  letters drafted':<34}{f.letters_drafted:>14,}")
        print(f"{'':<9}{'  seconds (sweep / baseline)':<34}{f.sweep_seconds:>14,.2f}{f.baseline_seconds:>14,.3f}")
        cpu_rate = f.processed / f.sweep_cpu_seconds if f.sweep_cpu_seconds else 0.0
        print(f"{'':<9}{'  sweep CPU s / cases per CPU s':<34}{f.sweep_cpu_seconds:>14,.1f}{cpu_rate:>14,.0f}")
        print(f"{'':<9}{'  batch loop alone, cases/s':<34}{f.loop_rate:>14,.0f}")
        print(f"{'':<9}{'  sweep exit status':<34}{f.sweep_exit:>14}")


def main(argv=None) -> int:
    global SOURCE_PG, COPY_PG
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--regenerate", action="store_true", help="Build the data set again even if it matches.")
    parser.add_argument("--keep", action="store_true", help="Keep the swept copy (bench/out/sweep/sweep.db or "
                                                            f"the PostgreSQL database {COPY_PG}).")
    generate.add_pg_database_option(parser)
    args = parser.parse_args(argv)
    if args.pg_database:
        SOURCE_PG, COPY_PG = f"{args.pg_database}_sweep_src", f"{args.pg_database}_sweep_copy"
    OUT.mkdir(parents=True, exist_ok=True)
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    say(f"load average before: {os.getloadavg()[0]:.2f}")
    figures = [measure(kind, args.cases, args.overdue, args.batch_size, args.regenerate, args.keep) for kind in kinds]
    say(f"load average after: {os.getloadavg()[0]:.2f}")
    report(figures)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"results-{stamp}.json").write_text(json.dumps(
        [{**asdict(f), "cases_per_s": round(f.rate, 1), "baseline_rows_per_s": round(f.baseline_rate, 1)}
         for f in figures], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
