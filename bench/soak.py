"""`make soak`: half an hour (by default) of mixed traffic against gunicorn on PostgreSQL, then proof nothing was lost.

One run:

1. **Database.** Its own PostgreSQL database (`caseflow_soak` by default; `caseflow_bench` is
   refused), copied from a seeded template (`<db>_template`, built once with
   `flask caseflow seed-demo --cases N`) so every run starts from the same demo, with its own
   letters folder. `--database-url sqlite:///…` runs it on SQLite instead (the suite's smoke test).
2. **Servers.** `--servers` gunicorn instances, each on its own port as separate hosts would be,
   started with the shipped deploy/gunicorn.conf.py in the production configuration
   (`CASEFLOW_TRUSTED_PROXIES=1`, rate limits in Redis when it answers), and `--job-workers`
   `flask caseflow worker` processes.
3. **Load.** Locust, headless: `--users` simulated in-charges and supervisors
   (bench/soak_locust.py) spread over the servers, for `--duration`.
4. **Faults.** Half-way, `kill -9` of one gunicorn worker (its master starts another) and of a job
   worker — the one holding a job when one can be caught running — which is then started again.
5. **Checks.** After the load, the job workers drain the queue; then every acknowledged write
   must be in the database, every job done (none queued, running or failed), every drafted
   letter rendered exactly once (one stored PDF whose SHA-256 matches, at most one
   `letter.rendered` audit entry), `flask caseflow audit verify` must pass, no request may
   have failed other than connections cut by the kill, and no process's memory may have grown
   by 10 % or more between the end of its warm-up and the end.

Figures: requests per second, p50/p99 per endpoint (Locust, client side), failures, the RSS of
each gunicorn worker and job worker at the end of its warm-up and at the end, load averages.
The exit status is 1 when a check fails; the figures are measured, not asserted.

    .venv/bin/python -m bench.soak [--duration 30m] [--users 50] [--servers 1] [--job-workers 1]
                                   [--cases 2000] [--db caseflow_soak] [--database-url URL] [--no-kill]
"""
import argparse
import csv
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
LOCUSTFILE = Path(__file__).resolve().parent / "soak_locust.py"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
FORBIDDEN_DATABASES = {"caseflow_bench"}  # the benchmark's data set: never touched by the soak
MEMORY_GROWTH_LIMIT = 0.10
SAMPLE_SECONDS = 10.0


def say(message: str) -> None:
    print(f"[soak] {message}", flush=True)


def seconds(text: str) -> float:
    """'30m', '10m', '90s', '1h' or a number of seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 30m, 90s, 1h)")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


# --- the database ------------------------------------------------------------------------


def flask(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, text=True,
                          capture_output=True)
    if check and done.returncode:
        raise SystemExit(f"flask {' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return done


def seeding_env(url: str, letters: Path, instance: Path) -> dict:
    # seed-demo refuses the production configuration: the template is built in development's.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    env.update(CASEFLOW_CONFIG="development", CASEFLOW_DEBUG="0", CASEFLOW_DATABASE_URL=url,
               CASEFLOW_LETTERS_DIR=str(letters), CASEFLOW_INSTANCE_DIR=str(instance))
    return env


def _psql(sql: str) -> None:
    engine = sa.create_engine(PG + "postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(sql))
    finally:
        engine.dispose()


def _pg_exists(name: str) -> bool:
    engine = sa.create_engine(PG + "postgres")
    try:
        with engine.connect() as conn:
            return bool(conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar())
    finally:
        engine.dispose()


def prepare_database(args, out: Path) -> tuple[str, Path]:
    """A fresh copy of the seeded template: (database URL, letters folder)."""
    letters = out / "letters"
    shutil.rmtree(letters, ignore_errors=True)
    if args.database_url:
        url = args.database_url
        if not url.startswith("sqlite:///"):
            raise SystemExit("--database-url is for SQLite files (sqlite:///path); name a PostgreSQL database with --db")
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        letters.mkdir(parents=True)
        say(f"seeding {path} with {args.cases} demo cases")
        env = seeding_env(url, letters, out / "instance")
        flask(env, "db", "upgrade")
        flask(env, "caseflow", "seed-demo", "--cases", str(args.cases))
        return url, letters
    if args.db in FORBIDDEN_DATABASES or not re.fullmatch(r"[a-z_][a-z0-9_]{0,50}", args.db):
        raise SystemExit(f"refusing database name {args.db!r}")
    template = f"{args.db}_template"
    template_letters = out.parent / f"{template}-letters"
    ready = out.parent / f"{template}.ready"  # written once seeding has finished
    if args.reseed or not _pg_exists(template) or not ready.exists():
        ready.unlink(missing_ok=True)
        say(f"building the template database {template}: seed-demo --cases {args.cases} (once; --reseed rebuilds)")
        _psql(f'DROP DATABASE IF EXISTS "{template}"')
        _psql(f'CREATE DATABASE "{template}"')
        shutil.rmtree(template_letters, ignore_errors=True)
        template_letters.mkdir(parents=True)
        env = seeding_env(PG + template, template_letters, out / "instance")
        flask(env, "db", "upgrade")
        flask(env, "caseflow", "seed-demo", "--cases", str(args.cases))
        ready.write_text(f"{args.cases}\n")
    _psql(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{args.db}" TEMPLATE "{template}"')
    shutil.copytree(template_letters, letters)
    url = PG + args.db
    flask(seeding_env(url, letters, out / "instance"), "db", "upgrade")  # a template older than the code
    return url, letters


# --- processes ---------------------------------------------------------------------------


class AppServer:
    """One gunicorn master (one "host") with its workers, on its own port."""

    def __init__(self, index: int, env: dict, out: Path, workers: int):
        self.index, self.port, self.workers_wanted = index, free_port(), workers
        self.access_log, self.error_log = out / f"access-{index}.log", out / f"error-{index}.log"
        env = {**env, "CASEFLOW_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers),
               "CASEFLOW_ACCESS_LOG": str(self.access_log), "CASEFLOW_ERROR_LOG": str(self.error_log)}
        self.proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "wsgi:app"], cwd=ROOT,
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.index} exited; see {self.error_log}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=10) as r:
                    if r.status == 200 and len(self.workers()) == self.workers_wanted:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn {self.index} not ready after {timeout:.0f} s; see {self.error_log}")

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def stop(self) -> None:
        stop(self.proc, timeout=40)


class JobWorker:
    def __init__(self, index: int, env: dict, out: Path):
        self.index, self.env, self.out = index, env, out
        self.generation = 0
        self.start()

    def start(self) -> None:
        self.generation += 1
        log = (self.out / f"job-worker-{self.index}.log").open("a")
        self.proc = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "caseflow", "worker", "--poll", "0.5"],
                                     cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def stop(self) -> None:
        stop(self.proc, timeout=120)


def stop(proc: subprocess.Popen, timeout: float) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- memory --------------------------------------------------------------------------------


@dataclass
class Memory:
    role: str  # "web 0", "job worker 1", …
    pid: int
    first_seen: float
    warm_mb: float | None = None  # the first sample once warm: `warmup` seconds after first seen
    end_mb: float | None = None
    peak_mb: float = 0.0
    killed: bool = False

    def growth(self) -> float | None:
        if self.warm_mb and self.end_mb is not None and not self.killed:
            return self.end_mb / self.warm_mb - 1
        return None


class Sampler(threading.Thread):
    """Every SAMPLE_SECONDS: the RSS of every gunicorn worker and job worker, and the load average."""

    def __init__(self, servers: list[AppServer], job_workers: list[JobWorker], warmup: float):
        super().__init__(daemon=True)
        self.servers, self.job_workers, self.warmup = servers, job_workers, warmup
        self.memory: dict[int, Memory] = {}
        self.loads: list[tuple[float, str]] = []
        self.halt = threading.Event()
        self.lock = threading.Lock()

    def sample(self) -> None:
        now = time.time()
        seen = [(f"web {s.index}", pid) for s in self.servers for pid in s.workers()]
        seen += [(f"job worker {w.index}", w.proc.pid) for w in self.job_workers if w.proc.poll() is None]
        with self.lock:
            for role, pid in seen:
                mb = rss_mb(pid)
                if mb is None:
                    continue
                entry = self.memory.setdefault(pid, Memory(role, pid, now))
                entry.peak_mb = max(entry.peak_mb, mb)
                if entry.warm_mb is None and now - entry.first_seen >= self.warmup:
                    entry.warm_mb = mb
                entry.end_mb = mb
            self.loads.append((now, loadavg()))

    def mark_killed(self, pid: int) -> None:
        with self.lock:
            if pid in self.memory:
                self.memory[pid].killed = True

    def run(self) -> None:
        while not self.halt.wait(SAMPLE_SECONDS):
            self.sample()


# --- faults --------------------------------------------------------------------------------


@dataclass
class Kill:
    what: str
    pid: int
    at: float
    holding_job: int | None = None
    note: str = ""


def running_job(engine) -> tuple[int, int] | None:
    """(job id, worker pid) of a job being run now, if any."""
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT id, locked_by FROM jobs WHERE state = 'running' ORDER BY id LIMIT 1")).first()
    if row is None or not row[1]:
        return None
    return row[0], int(row[1].split(":")[1])


def kill_faults(servers, job_workers, engine, sampler: Sampler, kills: list[Kill], patience: float) -> None:
    victim = servers[0].workers()[0]
    os.kill(victim, signal.SIGKILL)
    sampler.mark_killed(victim)
    kills.append(Kill(f"gunicorn worker of server 0 (port {servers[0].port})", victim, time.time()))
    say(f"kill -9 gunicorn worker {victim}")
    # Catch a job worker in the middle of a job when possible: that is the case worth testing.
    deadline, caught = time.monotonic() + patience, None
    pids = {w.proc.pid: w for w in job_workers}
    while time.monotonic() < deadline and caught is None:
        found = running_job(engine)
        if found and found[1] in pids:
            caught = found
        else:
            time.sleep(0.02)
    worker = pids[caught[1]] if caught else job_workers[0]
    os.kill(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait()
    sampler.mark_killed(worker.proc.pid)
    kills.append(Kill(f"job worker {worker.index}", worker.proc.pid, time.time(),
                      holding_job=caught[0] if caught else None,
                      note="" if caught else f"no job was running within {patience:.0f} s: killed idle"))
    say(f"kill -9 job worker {worker.proc.pid}" + (f" while it ran job {caught[0]}" if caught else " (idle)"))
    worker.start()
    say(f"job worker {worker.index} started again as {worker.proc.pid}")


# --- checks --------------------------------------------------------------------------------


def snapshot(engine) -> dict:
    with engine.connect() as conn:
        one = lambda sql: conn.execute(sa.text(sql)).scalar() or 0  # noqa: E731
        return {"event_id": one("SELECT max(id) FROM case_events"), "letter_id": one("SELECT max(id) FROM letters"),
                "audit_seq": one("SELECT max(seq) FROM audit_entries"), "job_id": one("SELECT max(id) FROM jobs")}


def drain(engine, timeout: float) -> dict:
    """Wait until no job is queued or running and every drafted letter has its PDF."""
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            pending = conn.execute(sa.text("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')")).scalar()
            unrendered = conn.execute(sa.text(
                "SELECT count(*) FROM letters WHERE status = 'drafted' AND pdf_path IS NULL")).scalar()
        if (not pending and not unrendered) or time.monotonic() > deadline:
            return {"pending_jobs": pending, "unrendered_letters": unrendered}
        time.sleep(1)


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def check_writes(engine, before: dict, acks: list[dict], run: str) -> dict:
    """Every acknowledged write, looked for in the database by its marker (or, for a draft, its letter)."""
    marker_re = re.compile(rf"{re.escape(run)}-\d+-\d+")
    found: set[tuple] = set()
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT case_id, trigger, note, details FROM case_events WHERE id > :e"),
                            {"e": before["event_id"]})
        for case_id, trigger, note, details in rows:
            text = (note or "") + " " + (details if isinstance(details, str) else json.dumps(details or {}))
            for marker in set(marker_re.findall(text)):
                found.add((case_id, trigger, marker))
        drafted = set(conn.execute(sa.text("SELECT DISTINCT case_id FROM letters WHERE id > :l"),
                                   {"l": before["letter_id"]}).scalars())
        superseded = set(conn.execute(sa.text("SELECT id FROM letters WHERE status = 'superseded'")).scalars())
    missing, acknowledged, conflicts, refused, unexplained = [], 0, 0, 0, []
    for ack in acks:
        if ack.get("conflict"):
            conflicts += 1
            continue
        if ack["kind"] == "print-refused":
            refused += 1
            if ack["letter_id"] not in superseded:
                unexplained.append(ack)
            continue
        acknowledged += 1
        if ack["kind"] == "follow-up":
            ok = (ack["case_id"], None, ack["marker"]) in found
        elif ack["kind"] == "step":
            ok = (ack["case_id"], ack["trigger"], ack["marker"]) in found
        else:
            ok = ack["case_id"] in drafted
        if not ok:
            missing.append(ack)
    kinds: dict[str, int] = {}
    for ack in acks:
        if not ack.get("conflict") and ack["kind"] != "print-refused":
            kinds[ack["kind"]] = kinds.get(ack["kind"], 0) + 1
    return {"acknowledged": acknowledged, "by_kind": kinds, "conflicts_409": conflicts,
            "lost": len(missing), "lost_examples": missing[:5],
            "prints_refused_superseded": refused - len(unexplained), "prints_refused_unexplained": unexplained[:20]}


def check_jobs_and_letters(engine, before: dict, letters_dir: Path) -> dict:
    with engine.connect() as conn:
        states = dict(conn.execute(sa.text("SELECT state, count(*) FROM jobs WHERE id > :j GROUP BY state"),
                                   {"j": before["job_id"]}).all())
        retried = conn.execute(sa.text("SELECT count(*) FROM jobs WHERE id > :j AND attempts > 1"),
                               {"j": before["job_id"]}).scalar()
        letters = conn.execute(sa.text("SELECT id, status, pdf_path, pdf_sha256 FROM letters")).all()
        twice = conn.execute(sa.text(
            "SELECT object_id FROM audit_entries WHERE action = 'letter.rendered' "
            "GROUP BY object_id HAVING count(*) > 1")).scalars().all()
        new_letters = conn.execute(sa.text("SELECT count(*) FROM letters WHERE id > :l"),
                                   {"l": before["letter_id"]}).scalar()
    unrendered = [lid for lid, status, path, _ in letters if status == "drafted" and not path]
    referenced, bad_files = set(), []
    for lid, _status, path, digest in letters:
        if not path:
            continue
        referenced.add(path)
        file = letters_dir / path
        if not file.is_file() or hashlib.sha256(file.read_bytes()).hexdigest() != digest:
            bad_files.append(lid)
    on_disk = {str(p.relative_to(letters_dir)) for p in letters_dir.rglob("*") if p.is_file()}
    return {"jobs_by_state": {str(k): v for k, v in states.items()}, "jobs_run_again_after_a_crash": retried,
            "jobs_done_per_worker": done_per_worker(letters_dir.parent),
            "letters_new": new_letters, "letters_unrendered": len(unrendered),
            "letters_rendered_twice": len(twice), "pdf_missing_or_mismatched": len(bad_files),
            "pdf_files_without_letter": len(on_disk - referenced)}


def done_per_worker(out: Path) -> dict[str, list[int]]:
    """What each job worker said it did when it stopped (a worker killed with -9 says nothing):
    across workers the sum is at most the jobs done, or one job ran twice."""
    counts = {}
    for log in sorted(out.glob("job-worker-*.log")):
        counts[log.stem] = [int(n) for n in re.findall(r"^(\d+) job\(s\) done", log.read_text(), re.M)]
    return counts


def locust_stats(prefix: Path) -> list[dict]:
    path = Path(f"{prefix}_stats.csv")
    if not path.exists():
        return []
    rows = []
    with path.open() as f:
        for row in csv.DictReader(f):
            rows.append({"name": f"{row['Type']} {row['Name']}".strip(), "requests": int(row["Request Count"]),
                         "failures": int(row["Failure Count"]), "rps": float(row["Requests/s"]),
                         "p50_ms": float(row["50%"] or 0), "p99_ms": float(row["99%"] or 0)})
    return rows


def classify_failures(failures: list[dict], kills: list[Kill]) -> tuple[list[dict], list[dict]]:
    """(errors, connections cut by the kill): a request with no answer within 10 s after a
    gunicorn worker was killed was in that worker's hands, not refused by the app."""
    web_kills = [k.at for k in kills if k.what.startswith("gunicorn")]
    errors, cut = [], []
    for f in failures:
        if f["status"] == 0 and any(at - 1 <= f["t"] <= at + 10 for at in web_kills):
            cut.append(f)
        else:
            errors.append(f)
    return errors, cut


def server_errors(servers: list[AppServer]) -> dict:
    fivexx, tracebacks = 0, 0
    for server in servers:
        if server.access_log.exists():
            for line in server.access_log.read_text(errors="replace").splitlines():
                match = re.search(r'" (\d{3}) ', line)
                if match and match.group(1).startswith("5"):
                    fivexx += 1
        if server.error_log.exists():
            tracebacks += server.error_log.read_text(errors="replace").count("Traceback")
    return {"responses_5xx": fivexx, "tracebacks": tracebacks}


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Report:
    started: str
    duration_s: float
    users: int
    servers: int
    web_workers_per_server: int
    job_workers: int
    database: str
    cases: int
    ratelimit_storage: str
    load_start: str = ""
    load_mid: str = ""
    load_end: str = ""
    requests: int = 0
    rps: float = 0.0
    endpoints: list = field(default_factory=list)
    failures: int = 0
    errors: list = field(default_factory=list)
    cut_by_kill: int = 0
    server: dict = field(default_factory=dict)
    writes: dict = field(default_factory=dict)
    jobs: dict = field(default_factory=dict)
    drain: dict = field(default_factory=dict)
    audit_verify: str = ""
    kills: list = field(default_factory=list)
    memory: list = field(default_factory=list)
    checks: dict = field(default_factory=dict)


def ratelimit_storage(wanted: str | None) -> str:
    if wanted:
        return wanted
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return "redis://127.0.0.1:6379"
    except OSError:
        return "memory://"


def run(args) -> Report:
    out = Path(args.out).resolve()  # the app wants an absolute instance path
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.log"):
        stale.unlink()
    run_id = "S" + secrets.token_hex(3)
    acks_path, failures_path = out / "acks.jsonl", out / "failures.jsonl"
    for path in (acks_path, failures_path):
        path.unlink(missing_ok=True)

    url, letters_dir = prepare_database(args, out)
    storage = ratelimit_storage(args.ratelimit_storage)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    env.update(CASEFLOW_CONFIG="production", CASEFLOW_SECRET_KEY=secrets.token_hex(32), CASEFLOW_DATABASE_URL=url,
               CASEFLOW_LETTERS_DIR=str(letters_dir), CASEFLOW_INSTANCE_DIR=str(out / "instance"),
               CASEFLOW_TRUSTED_PROXIES="1", CASEFLOW_RATELIMIT_STORAGE_URI=storage,
               # A killed worker's job comes back within the run instead of after the default 300 s.
               CASEFLOW_JOBS_LOCK_TIMEOUT=str(args.lock_timeout))
    engine = sa.create_engine(url)
    before = snapshot(engine)
    report = Report(started=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), duration_s=args.duration,
                    users=args.users, servers=args.servers, web_workers_per_server=args.web_workers,
                    job_workers=args.job_workers, database=url.split("@")[-1] if "@" in url else url,
                    cases=args.cases, ratelimit_storage=storage, load_start=loadavg())
    servers: list[AppServer] = []
    job_workers: list[JobWorker] = []
    sampler = locust = None
    kills: list[Kill] = []
    # SIGTERM (a CI timeout, `kill`) stops the run like Ctrl-C: every process started here is stopped.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        servers = [AppServer(i, env, out, args.web_workers) for i in range(args.servers)]
        for server in servers:
            server.wait_ready()
        job_workers = [JobWorker(i, env, out) for i in range(args.job_workers)]
        say(f"{args.servers} server(s) × {args.web_workers} workers on "
            f"{', '.join(s.url for s in servers)}; {args.job_workers} job worker(s); rate limits in {storage}")
        # A worker's memory climbs until it has served every kind of page once (each template,
        # the PDF path, caches filled): its "start" is taken once that is behind it.
        warmup = args.warmup if args.warmup is not None else min(120.0, args.duration / 5)
        sampler = Sampler(servers, job_workers, warmup)
        sampler.sample()
        sampler.start()
        prefix = out / "locust"
        locust_env = {**os.environ, "SOAK_HOSTS": ",".join(s.url for s in servers), "SOAK_ACKS": str(acks_path),
                      "SOAK_FAILURES": str(failures_path), "SOAK_RUN": run_id,
                      "SOAK_WAIT_MIN": str(args.wait_min), "SOAK_WAIT_MAX": str(args.wait_max)}
        say(f"{args.users} users for {args.duration:.0f} s (load {loadavg()})")
        locust = subprocess.Popen(
            [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "-u", str(args.users),
             "-r", str(args.spawn_rate), "-t", f"{int(args.duration)}s", "--host", servers[0].url,
             "--csv", str(prefix), "--only-summary", "--stop-timeout", "15", "--loglevel", "WARNING"],
            cwd=ROOT, env=locust_env, stdout=(out / "locust.log").open("w"), stderr=subprocess.STDOUT)
        started = time.monotonic()
        if not args.no_kill:
            while time.monotonic() - started < args.duration / 2 and locust.poll() is None:
                time.sleep(0.5)
            report.load_mid = loadavg()
            kill_faults(servers, job_workers, engine, sampler, kills, patience=min(60.0, max(5.0, args.duration / 4)))
        try:
            locust.wait(timeout=args.duration + 120)
        except subprocess.TimeoutExpired:
            locust.kill()
            locust.wait()
        sampler.sample()
        sampler.halt.set()
        report.load_end = loadavg()
        say(f"load finished (load {report.load_end}); draining the job queue")
        report.drain = drain(engine, timeout=args.lock_timeout + 120)
    finally:
        if sampler:
            sampler.halt.set()
        if locust is not None and locust.poll() is None:
            stop(locust, timeout=30)
        for worker in job_workers:
            worker.stop()
        for server in servers:
            server.stop()

    stats = locust_stats(out / "locust")
    total = next((s for s in stats if s["name"] == "Aggregated"), None)
    report.endpoints = [s for s in stats if s["name"] != "Aggregated"]
    report.requests, report.rps = (total["requests"], total["rps"]) if total else (0, 0.0)
    report.failures = total["failures"] if total else 0
    errors, cut = classify_failures(read_jsonl(failures_path), kills)
    report.errors, report.cut_by_kill = errors[:20], len(cut)
    report.server = server_errors(servers)
    report.writes = check_writes(engine, before, read_jsonl(acks_path), run_id)
    report.jobs = check_jobs_and_letters(engine, before, letters_dir)
    engine.dispose()
    verify = flask({**env}, "caseflow", "audit", "verify", check=False)
    report.audit_verify = ("ok: " if verify.returncode == 0 else "FAILED: ") + (verify.stdout or verify.stderr).strip()[-300:]
    report.kills = [asdict(k) for k in kills]
    report.memory = [asdict(m) | {"growth": m.growth()} for m in sorted(sampler.memory.values(), key=lambda m: m.role)]
    growths = [m["growth"] for m in report.memory if m["growth"] is not None]
    jobs = report.jobs["jobs_by_state"]
    report.checks = {
        "no errors": (not errors and report.server["responses_5xx"] == 0 and report.server["tracebacks"] == 0
                      and not report.writes["prints_refused_unexplained"]),
        "writes were made": report.writes["acknowledged"] > 0,
        "no lost updates": report.writes["lost"] == 0,
        "every job done once": (set(jobs) <= {"done"} and report.jobs["letters_unrendered"] == 0
                                and report.jobs["letters_rendered_twice"] == 0
                                and report.jobs["pdf_missing_or_mismatched"] == 0
                                and sum(map(sum, report.jobs["jobs_done_per_worker"].values())) <= jobs.get("done", 0)),
        "audit chain verifies": verify.returncode == 0,
        "memory growth < 10 %": bool(growths) and max(growths) < MEMORY_GROWTH_LIMIT,
    }
    return report


def print_report(report: Report) -> None:
    say(f"{report.started}: {report.duration_s / 60:.1f} min, {report.users} users, {report.servers} server(s) × "
        f"{report.web_workers_per_server} gunicorn workers, {report.job_workers} job worker(s), {report.cases} cases")
    say(f"load average: start {report.load_start}, mid {report.load_mid or '-'}, end {report.load_end}")
    say(f"{report.requests} requests, {report.rps:.1f} req/s; failures {report.failures} "
        f"({report.cut_by_kill} connections cut by the kill, {len(report.errors)} errors); server {report.server}")
    print(f"{'endpoint':48} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'fail':>5}")
    for s in sorted(report.endpoints, key=lambda s: -s["requests"]):
        print(f"{s['name'][:48]:48} {s['requests']:9d} {s['rps']:7.2f} {s['p50_ms']:7.0f} {s['p99_ms']:7.0f} "
              f"{s['failures']:5d}")
    for e in report.errors[:5]:
        say(f"error: {e}")
    say(f"writes: {report.writes}")
    say(f"jobs and letters: {report.jobs}; after the drain {report.drain}")
    say(f"audit verify: {report.audit_verify}")
    for k in report.kills:
        say(f"killed {k['what']} (pid {k['pid']})" + (f", holding job {k['holding_job']}" if k["holding_job"] else "")
            + (f" — {k['note']}" if k["note"] else ""))
    print(f"{'process':16} {'pid':>8} {'warm MB':>8} {'end MB':>8} {'peak MB':>8} {'growth':>8}")
    for m in report.memory:
        growth = "killed" if m["killed"] else ("-" if m["growth"] is None else f"{m['growth'] * 100:+.1f} %")
        warm = f"{m['warm_mb']:.1f}" if m["warm_mb"] else "-"
        print(f"{m['role']:16} {m['pid']:8d} {warm:>8} {m['end_mb'] or 0:8.1f} {m['peak_mb']:8.1f} {growth:>8}")
    for name, ok in report.checks.items():
        say(f"{'PASS' if ok else 'FAIL'}  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=seconds, default=seconds("30m"), help="how long the load runs (30m, 10m, 90s)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second")
    parser.add_argument("--servers", type=int, default=1, help="gunicorn instances, each on its own port")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--job-workers", type=int, default=1, help="`flask caseflow worker` processes")
    parser.add_argument("--cases", type=int, default=2000, help="demo cases in the template database")
    parser.add_argument("--db", default="caseflow_soak", help="PostgreSQL database (dropped and recreated)")
    parser.add_argument("--database-url", help="a SQLite file instead (sqlite:///path), seeded afresh")
    parser.add_argument("--reseed", action="store_true", help="rebuild the template database")
    parser.add_argument("--ratelimit-storage", help="CASEFLOW_RATELIMIT_STORAGE_URI (default: Redis on :6379 if up)")
    parser.add_argument("--lock-timeout", type=int, default=30, help="CASEFLOW_JOBS_LOCK_TIMEOUT for the run")
    parser.add_argument("--warmup", type=float, help="seconds before a process's memory counts as its start")
    parser.add_argument("--wait-min", type=float, default=0.5, help="each user's pause between tasks, at least")
    parser.add_argument("--wait-max", type=float, default=2.5, help="… and at most")
    parser.add_argument("--no-kill", action="store_true", help="no kill -9 half-way")
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "soak"))
    parser.add_argument("--json", help="write the report here as JSON")
    args = parser.parse_args(argv)
    report = run(args)
    print_report(report)
    path = Path(args.json) if args.json else Path(args.out) / "report.json"
    path.write_text(json.dumps(asdict(report), indent=2, default=str))
    say(f"report: {path}")
    return 0 if all(report.checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
