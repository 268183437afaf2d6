"""`make bench`: the queue page on 1,000,000 cases, SQLite and PostgreSQL, beside a raw baseline and the limit page.

For each database: generate (or reuse) the data set, serve caseflow with
`gunicorn -w 2 wsgi:app` in production configuration, sign in as the in-charge of one
district and as the state-wide supervisor, and load with wrk: the in-charge's default queue
(open cases, by due date), a filtered one (submitted and overdue), a deep page reached through
the "Next page" links, and the supervisor's default queue. The bare baseline
(bench/baseline_app.py) is served and loaded the same way just before; the limit page
(bench/limit_app.py: same sign-in, one plain query for the same 50 rows, plain Jinja) just
after, for each user, with the same cookies.

Figures: requests per second (wrk), server-side latency (gunicorn's own request time, from
its access log, so queueing at the client is not counted) and the peak RSS of each worker
(VmHWM). The exit status is 0 even when a budget is missed: this measures, it does not test.

    .venv/bin/python -m bench.run [--db sqlite|postgres|both] [--cases N] [--duration S] [--explain]
"""
import argparse
import html
import http.client
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import generate

ROOT = generate.ROOT
OUT = generate.OUT
GUNICORN = Path(sys.executable).parent / "gunicorn"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
LUA = Path(__file__).resolve().parent / "wrk_status.lua"
USER_AGENT = "caseflow-bench/1"
WORKERS = 2

# Budgets, DESIGN.md §6.
P99_BUDGET_MS = 100.0
THROUGHPUT_BUDGET_RATIO = 0.5
LIMIT_BUDGET_RATIO = 0.7  # of the limit page (bench/limit_app.py): issue 12
RSS_BUDGET_MB = 200.0


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- serving ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One gunicorn master with its workers, started and stopped by this process only."""

    def __init__(self, name: str, app_spec: str, env: dict[str, str], ready_path: str):
        self.name, self.port = name, free_port()
        self.access_log = OUT / f"access-{name}.log"
        self.error_log = OUT / f"error-{name}.log"
        for path in (self.access_log, self.error_log):
            path.unlink(missing_ok=True)
        command = [str(GUNICORN), "-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}",
                   "--access-logfile", str(self.access_log), "--access-logformat", "%(s)s %(D)s",
                   "--error-logfile", str(self.error_log), app_spec]
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self._wait_ready(ready_path)

    def _wait_ready(self, path: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited:\n{self.error_tail()}")
            try:
                status, _headers, _body = request(self.port, "GET", path)
                if status == 200 and len(self.workers()) == WORKERS:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name}: not ready after {timeout:.0f} s:\n{self.error_tail()}")

    def error_tail(self) -> str:
        try:
            return "\n".join(self.error_log.read_text().splitlines()[-30:])
        except FileNotFoundError:
            return "(no error log)"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def workers(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            return [int(pid) for pid in children]
        except OSError:
            return [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/stat")
                    if _ppid(p) == self.proc.pid]

    def peak_rss_mb(self) -> dict[int, float]:
        """VmHWM of each worker: the most resident memory it ever had."""
        peaks = {}
        for pid in self.workers():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[pid] = int(line.split()[1]) / 1024
            except OSError:
                continue
        return peaks

    def log_offset(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def server_times_ms(self, start: int) -> tuple[list[float], int]:
        """Request times (ms) logged since byte `start`, and how many were not 200."""
        with self.access_log.open("rb") as f:
            f.seek(start)
            lines = f.read().decode(errors="replace").splitlines()
        times, bad = [], 0
        for line in lines:
            parts = line.split()
            if len(parts) != 2 or not parts[1].isdigit():
                continue
            if parts[0] != "200":
                bad += 1
            times.append(int(parts[1]) / 1000)
        return times, bad

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # gunicorn stops its own workers
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _ppid(stat: Path) -> int | None:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def request(port: int, method: str, path: str, headers: dict | None = None, body: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read().decode(errors="replace")
    finally:
        conn.close()


def _session_cookie(headers, current: str | None) -> str | None:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return current


def sign_in(port: int, username: str, password: str) -> str:
    """The session cookie of a signed-in user, as a browser would hold it after the first page.

    Production sets the cookie Secure, which a browser would not send back over plain http;
    wrk sends the Cookie header itself, so that does not matter here.
    """
    status, headers, body = request(port, "GET", "/login")
    cookie = _session_cookie(headers, None)
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', body)
    if status != 200 or not match or not cookie:
        raise RuntimeError(f"GET /login gave {status}, no CSRF token or no cookie")
    form = urllib.parse.urlencode({"csrf_token": match.group(1), "username": username, "password": password})
    status, headers, _body = request(port, "POST", "/login", {
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, form)
    cookie = _session_cookie(headers, None)
    if status != 302 or not cookie:
        raise RuntimeError(f"POST /login gave {status}: wrong credentials or throttled")
    # The first page puts a CSRF token in the session; keep the cookie a browser would then hold.
    for _ in range(3):
        status, headers, _body = request(port, "GET", "/queue", {"Cookie": cookie})
        fresh = _session_cookie(headers, cookie)
        if fresh == cookie:
            break
        cookie = fresh
    if status != 200:
        raise RuntimeError(f"GET /queue after signing in gave {status}")
    return cookie


# A row's reference: class "ref" on the baseline and limit pages, "qrow-ref" on caseflow's compact queue.
_REFERENCE = re.compile(r'class="(?:qrow-)?ref"[^>]*>([^<]+)<')


def queue_rows(body: str) -> int:
    return len(_REFERENCE.findall(body))


def references(body: str) -> list[str]:
    return _REFERENCE.findall(body)


def next_link(body: str) -> str | None:
    match = re.search(r'<a[^>]*rel="next"[^>]*href="([^"]+)"', body) or re.search(
        r'<a[^>]*href="([^"]+)"[^>]*rel="next"', body)
    return html.unescape(match.group(1)) if match else None


# --- load -------------------------------------------------------------------------------


@dataclass
class Load:
    work: str
    path: str
    requests_per_s: float = 0.0
    requests: int = 0
    wrk_p50_ms: float = 0.0
    wrk_p99_ms: float = 0.0
    server_p50_ms: float = 0.0
    server_p99_ms: float = 0.0
    server_requests: int = 0
    not_ok: int = 0  # responses other than 200 (a redirect to the login page would look fast)
    socket_errors: str = ""
    rows: int = 0
    user: str = "incharge"  # whose page: "incharge" or "supervisor" (its limit page is that user's)


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)  # nearest rank
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def run_wrk(url: str, cookie: str | None, seconds: int, threads: int, connections: int) -> str:
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency",
               "-s", str(LUA), "-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    result = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 120)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr or result.stdout}")
    return result.stdout


def measure(server: Server, work: str, path: str, cookie: str | None, args) -> Load:
    load = Load(work=work, path=path)
    if args.warmup:
        run_wrk(server.url(path), cookie, args.warmup, args.threads, args.connections)
    start = server.log_offset()
    output = run_wrk(server.url(path), cookie, args.duration, args.threads, args.connections)
    time.sleep(0.5)  # let the workers' last log lines land
    load.requests_per_s = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    load.requests = int(re.search(r"(\d+) requests in", output).group(1))
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.M))
    load.wrk_p50_ms, load.wrk_p99_ms = _ms(percentiles["50"]), _ms(percentiles["99"])
    wrk_bad = re.search(r"not200: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    load.socket_errors = errors.group(1) if errors else ""
    times, bad = server.server_times_ms(start)
    load.server_requests = len(times)
    load.server_p50_ms, load.server_p99_ms = percentile(times, 0.50), percentile(times, 0.99)
    load.not_ok = max(bad, int(wrk_bad.group(1)) if wrk_bad else 0)
    say(f"  {work}: {load.requests_per_s:.1f} req/s, server p50 {load.server_p50_ms:.1f} ms / "
        f"p99 {load.server_p99_ms:.1f} ms, wrk p99 {load.wrk_p99_ms:.1f} ms"
        + (f", {load.not_ok} NOT 200" if load.not_ok else "") + (f", socket errors {load.socket_errors}"
                                                                    if load.socket_errors else ""))
    return load


@dataclass
class Result:
    label: str
    loads: list[Load] = field(default_factory=list)
    peak_rss_mb: dict[int, float] = field(default_factory=dict)
    database: dict | None = None


def bench_baseline(args) -> Result:
    from bench import baseline_app

    baseline_app.build()
    env = {**os.environ, "CASEFLOW_BASELINE_DB": str(baseline_app.DB_PATH)}
    server = Server("baseline", "bench.baseline_app:app", env, "/")
    try:
        status, _h, body = request(server.port, "GET", "/")
        assert status == 200 and queue_rows(body) == baseline_app.ROWS, "the baseline page is wrong"
        say("baseline: bare Flask + Jinja, 50 rows of a 50-row SQLite table")
        result = Result("baseline", [measure(server, "baseline page", "/", None, args)])
        result.peak_rss_mb = server.peak_rss_mb()
    finally:
        server.stop()
    return result


SUPERVISOR = "supervisor"  # bench/generate.py: the supervisor of the whole (only) state


def bench_caseflow(database: generate.BenchDatabase, secret: str, args) -> tuple[Result, dict[str, str], dict]:
    """caseflow's pages; also the users' cookies and first pages' references, for the limit page."""
    kind = database.kind
    env = {**os.environ, "CASEFLOW_CONFIG": "production", "CASEFLOW_DATABASE_URL": database.url,
           "CASEFLOW_SECRET_KEY": secret, "CASEFLOW_INSTANCE_DIR": str(OUT / "instance")}
    server = Server(kind, "wsgi:app", env, "/healthz")
    try:
        try:
            cookies = {"incharge": sign_in(server.port, generate.BENCH_USERNAME, generate.BENCH_PASSWORD),
                       "supervisor": sign_in(server.port, SUPERVISOR, generate.BENCH_PASSWORD)}
        except RuntimeError as exc:
            errors = [line for line in server.error_tail().splitlines() if "Error" in line]
            raise RuntimeError(f"{exc}\n{kind} server: {errors[-1] if errors else '(no error logged)'}\n"
                               f"(full log: {server.error_log})") from None
        cookie = cookies["incharge"]
        scenarios = [("queue, open, page 1", "/queue", "incharge"),
                     ("queue, submitted + overdue", "/queue?status=submitted&overdue=1", "incharge")]
        path, page = "/queue", 1
        while page < args.deep_pages:  # follow the page's own "Next page" link
            status, _h, body = request(server.port, "GET", path, {"Cookie": cookie})
            following = next_link(body) if status == 200 else None
            if not following:
                break  # a small data set has fewer pages
            path, page = following, page + 1
        if page > 1:
            scenarios.append((f"queue, page {page} (after cursor)", path, "incharge"))
        scenarios.append(("supervisor (state-wide), queue, open, page 1", "/queue", "supervisor"))
        say(f"{kind}: caseflow, gunicorn -w {WORKERS}, production config, signed in as "
            f"{generate.BENCH_USERNAME} (district D01, {args.cases // generate.DISTRICTS:,} cases) "
            f"and as {SUPERVISOR} (the state, {args.cases:,} cases)")
        result = Result(kind, database=asdict(database))
        first_pages = {}
        for work, path, user in scenarios:
            status, _h, body = request(server.port, "GET", path, {"Cookie": cookies[user]})
            if status != 200:
                raise RuntimeError(f"{path} gave {status}")
            if path == "/queue":
                first_pages[user] = references(body)
            load = measure(server, work, path, cookies[user], args)
            load.rows, load.user = queue_rows(body), user
            result.loads.append(load)
        result.peak_rss_mb = server.peak_rss_mb()
    finally:
        server.stop()
    return result, cookies, first_pages


def bench_limit(database: generate.BenchDatabase, secret: str, cookies: dict[str, str], first_pages: dict,
                args) -> Result:
    """The limit page (bench/limit_app.py) for each user, checked to list the same cases as caseflow's."""
    env = {**os.environ, "CASEFLOW_DATABASE_URL": database.url, "CASEFLOW_SECRET_KEY": secret}
    server = Server(f"limit-{database.kind}", "bench.limit_app:app", env, "/healthz")
    try:
        say(f"{database.kind}: limit page: same sign-in, one plain query for the same 50 rows, plain Jinja")
        result = Result(f"limit-{database.kind}")
        for user, cookie in cookies.items():
            status, _h, body = request(server.port, "GET", "/queue", {"Cookie": cookie})
            if status != 200 or references(body) != first_pages[user]:
                raise RuntimeError(f"the limit page of {user} gave {status} and not caseflow's 50 cases")
            load = measure(server, f"limit page, {user}", "/queue", cookie, args)
            load.rows, load.user = queue_rows(body), user
            result.loads.append(load)
        result.peak_rss_mb = server.peak_rss_mb()
    finally:
        server.stop()
    return result


# --- report -----------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(baselines: dict[str, Result], results: list[Result], args,
           limits: dict[str, Result] | None = None) -> list[list[str]]:
    rows = [["work", "figure", "value", "baseline", "ratio", "budget", "result"]]
    for result in results:
        base = baselines[result.label]
        base_load = base.loads[0]
        limit = {load.user: load for load in (limits or {}).get(result.label, Result("")).loads}
        for load in result.loads:
            work = f"{result.label}: {load.work}"
            if load.rows != 50:
                work += f" [{load.rows} rows]"
            if not load.requests:
                work += " [no request finished in time: use a longer --duration]"
            rps_ratio = load.requests_per_s / base_load.requests_per_s if base_load.requests_per_s else 0
            rows.append([work, "throughput, req/s", f"{load.requests_per_s:.1f}", f"{base_load.requests_per_s:.1f}",
                         f"{rps_ratio:.3f}", f"≥ {THROUGHPUT_BUDGET_RATIO} × baseline",
                         _verdict(rps_ratio >= THROUGHPUT_BUDGET_RATIO)])
            if load.user in limit:
                top = limit[load.user]
                ratio = load.requests_per_s / top.requests_per_s if top.requests_per_s else 0
                rows.append(["", f"vs limit page ({load.user}), req/s", f"{load.requests_per_s:.1f}",
                             f"{top.requests_per_s:.1f}", f"{ratio:.3f}", f"≥ {LIMIT_BUDGET_RATIO} × limit page",
                             _verdict(ratio >= LIMIT_BUDGET_RATIO)])
            rows.append(["", "server p99, ms", f"{load.server_p99_ms:.1f}", f"{base_load.server_p99_ms:.1f}",
                         _ratio(load.server_p99_ms, base_load.server_p99_ms), f"≤ {P99_BUDGET_MS:.0f} ms",
                         _verdict(load.server_p99_ms <= P99_BUDGET_MS)])
            rows.append(["", "server p50, ms", f"{load.server_p50_ms:.1f}", f"{base_load.server_p50_ms:.1f}",
                         _ratio(load.server_p50_ms, base_load.server_p50_ms), "—", ""])
            rows.append(["", f"wrk p99 (c={args.connections}), ms", f"{load.wrk_p99_ms:.1f}",
                         f"{base_load.wrk_p99_ms:.1f}", _ratio(load.wrk_p99_ms, base_load.wrk_p99_ms),
                         "— (includes queueing)", ""])
            if load.not_ok or load.socket_errors:
                rows.append(["", "responses not 200 / socket errors", str(load.not_ok), "", "", "0",
                             _verdict(False)])
        peak = max(result.peak_rss_mb.values(), default=0)
        base_peak = max(base.peak_rss_mb.values(), default=0)
        rows.append([f"{result.label}: one worker under load", "peak RSS (VmHWM), MB", f"{peak:.0f}",
                     f"{base_peak:.0f}", _ratio(peak, base_peak), f"≤ {RSS_BUDGET_MB:.0f} MB",
                     _verdict(peak <= RSS_BUDGET_MB)])
    return rows


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.1f}" if base else "—"


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    line = "  ".join("-" * w for w in widths)
    print()
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) if i in (0, 1, 5, 6) else cell.rjust(w) for i, (cell, w) in
                        enumerate(zip(row, widths, strict=True))).rstrip())
        if n == 0:
            print(line)
    print()


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the database (default 1,000,000)")
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per page (default 15)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unrecorded load first (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--deep-pages", type=int, default=20, help="the deep page: how many pages in (default 20)")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the databases even if cached")
    parser.add_argument("--explain", action="store_true", help="also print each queue query with its plan")
    parser.add_argument("--drop", action="store_true", help="drop the PostgreSQL database afterwards")
    generate.add_pg_database_option(parser)
    args = parser.parse_args(argv)
    generate.use_pg_database(args.pg_database)
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    OUT.mkdir(parents=True, exist_ok=True)
    load_before = load_average()
    say(f"load average before: {load_before} on {os.cpu_count()} CPUs (shared: figures are noisy)")
    baselines, results, limits = {}, [], {}
    for kind in kinds:
        database = generate.ensure(kind, args.cases, args.regenerate)  # first, so the loads run back to back
        baselines[kind] = bench_baseline(args)
        secret = secrets.token_hex(32)
        result, cookies, first_pages = bench_caseflow(database, secret, args)
        results.append(result)
        limits[kind] = bench_limit(database, secret, cookies, first_pages, args)
        if args.explain:
            from bench import explain

            explain.explain_queue(kind, args.cases, args.deep_pages)
    load_after = load_average()
    say(f"load average after: {load_after}")
    for result in results:
        db = result.database
        say(f"{result.label}: {db['cases']:,} cases, generated on {db['generated_on']} in {db['seconds']:.0f} s"
            + (" (reused)" if db["reused"] else ""))
    rows = report(baselines, results, args, limits)
    for kind, limit in limits.items():
        for load in limit.loads:
            say(f"{kind}: {load.work}: {load.requests_per_s:.1f} req/s, server p99 {load.server_p99_ms:.1f} ms")
    print_table(rows)
    missed = sum(row[-1] == "MISSED" for row in rows)
    say(f"{missed} budget(s) MISSED" if missed else "every budget met")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"results-{stamp}.json").write_text(json.dumps({
        "args": vars(args), "load_average": {"before": load_before, "after": load_after}, "baselines": {k: asdict(v) for k, v in baselines.items()},
        "limits": {k: asdict(v) for k, v in limits.items()},
        "results": [asdict(r) for r in results], "table": rows}, indent=2))
    say(f"raw figures in {OUT / f'results-{stamp}.json'}")
    if args.drop and "postgres" in kinds:
        generate.drop_pg_database()
    return 0


if __name__ == "__main__":
    sys.exit(main())
