"""Letter PDFs against their budgets (DESIGN.md §6): one letter ≤ 1.1 × bare WeasyPrint on the same
HTML with one shared font configuration, memory flat over 1,000 letters, and a 500-letter batch
printed in ≤ 1.2 × the time it takes to join its stored PDFs.

Standalone: builds a throw-away SQLite database (real migrations, the demo district), drafts
letters through the services and renders them as the app does.

    .venv/bin/python -m bench.letters [--letters 1000] [--batch 500] [--repeat 30] [--workers 2]

Figures:
- **one letter**: the median time of `render.render_pdf(letter)` (building the HTML from the
  database, the locked-down fetcher, the process-wide FontConfiguration, the Hindi text-layer
  fix) beside bare WeasyPrint — `HTML(string=same_html, base_url=static).write_pdf(font_config=
  one FontConfiguration made once by the bench)`, otherwise WeasyPrint's defaults (its own
  fetcher, its own text layer) — run alternately, after a warm-up; also caseflow without the
  text-layer fix, which isolates what that fix costs. (Until issue 12 the baseline made a
  FontConfiguration per document, which flattered caseflow by ~25 ms a letter.);
- **memory**: the process RSS before and after rendering and storing N letters (each in its
  own transaction, as printing does), with samples every quarter;
- **workers**: N fresh drafted letters rendered by `caseflow worker --once --concurrency W`
  (W spawned processes, as in production), letters per second;
- **batch**: the same N letters printed as one PDF the way `/letters/batch.pdf` does it (check
  the batch is rendered, read each stored PDF checking its SHA-256, audit each print, join with
  pypdf, commit), beside the baseline: pypdf joining the same stored files, nothing else.
It exits 0 whatever the figures: it measures, it does not test.
"""
import argparse
import json
import os
import statistics
import tempfile
import time
from io import BytesIO
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
RATIO_BUDGET = 1.1
BATCH_BUDGET = 1.2


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def say(message: str) -> None:
    print(f"[bench.letters] {message}", flush=True)


def build_app(workdir: Path):
    os.environ.setdefault("CASEFLOW_CONFIG", "testing")
    from flask_migrate import upgrade

    from caseflow import create_app

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'letters.db'}",
        "ENV_NAME": "testing", "TESTING": True, "SECRET_KEY": "bench-only-not-a-secret-0123456789abcdef",
        "LETTERS_DIR": str(workdir / "letters"),
        "ORGANISATION_NAME": "Jan Adhikar Kendra",
        "ORGANISATION_ADDRESS": "12 Gandhi Road, Sehore 466001\nPhone 07562 220000",
    })
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    return app


def draft(n: int) -> list[int]:
    """n letters to the offices now responsible for waiting demo cases, round robin."""
    import sqlalchemy as sa

    from caseflow.areas.models import Office
    from caseflow.cases.models import WAITING_STATUSES, Case
    from caseflow.extensions import db
    from caseflow.letters.services import draft_letter

    cases = db.session.scalars(sa.select(Case).where(Case.status.in_(WAITING_STATUSES),
                                                     Case.office_id.is_not(None)).order_by(Case.id)).all()
    ids = []
    for i in range(n):
        case = cases[i % len(cases)]
        level = case.scheme.level(case.level)
        ids.append(draft_letter(case, db.session.get(Office, case.office_id), level=case.level,
                                due_within_days=level.time_limit_days).id)
    db.session.commit()
    return ids


def one_letter(letter_id: int, repeat: int) -> dict:
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from caseflow.extensions import db
    from caseflow.letters import render, textlayer
    from caseflow.letters.models import Letter

    letter = db.session.get(Letter, letter_id)
    html = render.letter_html(letter)
    base_url = render.STATIC_DIR.as_uri() + "/"
    # The baseline's own, made once, like caseflow's process-wide one (not shared with it).
    bare_fonts = FontConfiguration()

    def caseflow():
        return render.render_pdf(letter)  # installs the text-layer fix again if it was taken out

    def caseflow_no_text_layer():
        textlayer.restore_weasyprint()
        with render._render_lock:
            document = weasyprint.HTML(string=render.letter_html(letter), base_url=base_url,
                                       url_fetcher=render.asset_fetcher())
            return document.write_pdf(font_config=render.font_config())

    def bare():
        textlayer.restore_weasyprint()
        return weasyprint.HTML(string=html, base_url=base_url).write_pdf(font_config=bare_fonts)

    runs = {"caseflow": caseflow, "bare": bare, "caseflow_no_text_layer": caseflow_no_text_layer}
    wall = {name: [] for name in runs}
    cpu = {name: [] for name in runs}
    sizes = {}
    for _ in range(3):  # warm-up: fonts loaded, caches filled
        for fn in runs.values():
            fn()
    for _ in range(repeat):  # alternating, so a busy machine slows every side alike
        for name, fn in runs.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            sizes[name] = len(fn())
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    textlayer.fix_text_layer()
    medians = {name: statistics.median(values) * 1000 for name, values in wall.items()}
    cpu_medians = {name: statistics.median(values) * 1000 for name, values in cpu.items()}
    return {"median_ms": medians, "cpu_median_ms": cpu_medians, "ratio": medians["caseflow"] / medians["bare"],
            "ratio_no_text_layer": medians["caseflow_no_text_layer"] / medians["bare"],
            "cpu_ratio": cpu_medians["caseflow"] / cpu_medians["bare"], "bytes": sizes,
            "pages": _pages(letter), "repeat": repeat}


def _pages(letter) -> int:
    from pypdf import PdfReader

    from caseflow.letters import render

    return len(PdfReader(BytesIO(render.render_pdf(letter))).pages)


def memory(letter_ids: list[int]) -> dict:
    from caseflow.extensions import db
    from caseflow.letters import services

    samples = [(0, rss_mb())]
    start = time.perf_counter()
    quarter = max(1, len(letter_ids) // 4)
    for n, letter_id in enumerate(letter_ids, 1):
        services.print_letter(letter_id)
        db.session.commit()
        db.session.expunge_all()
        if n % quarter == 0 or n == len(letter_ids):
            samples.append((n, rss_mb()))
            say(f"  {n} letters, RSS {samples[-1][1]:.0f} MB")
    elapsed = time.perf_counter() - start
    return {"letters": len(letter_ids), "rss_mb": samples, "growth_mb": samples[-1][1] - samples[0][1],
            "letters_per_s": len(letter_ids) / elapsed}


def workers(app_config: dict, letter_ids: list[int], concurrency: int) -> dict:
    """The render workers, as `caseflow worker --once --concurrency W` runs them."""
    import sqlalchemy as sa

    from caseflow.extensions import db
    from caseflow.jobs import worker
    from caseflow.jobs.models import Job, JobState
    from caseflow.letters.models import Letter

    db.session.remove()
    start = time.perf_counter()
    code = worker.run_processes(app_config, concurrency, once=True, poll=0.1)
    elapsed = time.perf_counter() - start
    rendered = db.session.scalar(sa.select(sa.func.count()).select_from(Letter)
                                 .where(Letter.id.in_(letter_ids), Letter.pdf_path.is_not(None)))
    # Every drafted letter without a PDF is theirs (the demo's too), so count the jobs done.
    jobs = db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.state == JobState.DONE))
    return {"letters": rendered, "of": len(letter_ids), "jobs": jobs, "workers": concurrency, "exit": code,
            "s": elapsed, "letters_per_s": jobs / elapsed}


def batch(letter_ids: list[int], repeat: int = 3) -> dict:
    """The batch print of stored letters (what /letters/batch.pdf does) beside joining the files alone."""
    from pypdf import PdfReader, PdfWriter

    from caseflow.extensions import db
    from caseflow.letters import register, storage
    from caseflow.letters.models import Letter
    from caseflow.scope import OPERATOR

    upto = max(letter_ids)
    filters = register.RegisterFilters(status="drafted", upto=upto)
    paths = [storage.path_of(db.session.get(Letter, i).pdf_path) for i in letter_ids]
    db.session.rollback()

    def caseflow():
        progress = register.batch_progress(OPERATOR, filters)
        assert progress.done, "the workers left letters unrendered"
        out = BytesIO()
        # Exactly these letters (the register's filters have no lower bound to leave out the
        # memory run's letters, which are drafted too).
        count, pages = register.write_batch(letter_ids, None, out)
        db.session.commit()
        return count, pages, len(out.getvalue())

    def join():
        writer = PdfWriter()
        for path in paths:
            writer.append(PdfReader(BytesIO(path.read_bytes())), import_outline=False)
        out = BytesIO()
        writer.write(out)
        return len(paths), None, len(out.getvalue())

    runs = {"caseflow": caseflow, "join": join}
    wall = {name: [] for name in runs}
    result = {}
    for _ in range(repeat):  # alternating, as for one letter
        for name, fn in runs.items():
            start = time.perf_counter()
            result[name] = fn()
            wall[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in wall.items()}
    count, pages, size = result["caseflow"]
    return {"letters": count, "pages": pages, "mb": size / 1e6, "median_s": medians,
            "ratio": medians["caseflow"] / medians["join"], "repeat": repeat, "rss_mb": rss_mb()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--letters", type=int, default=1000, help="letters for the memory run (1000)")
    parser.add_argument("--batch", type=int, default=500, help="letters in the batch (500)")
    parser.add_argument("--repeat", type=int, default=30, help="timed renders of one letter (30)")
    parser.add_argument("--workers", type=int, default=2, help="render worker processes (2)")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="caseflow-bench-letters-") as tmp:
        workdir = Path(tmp)
        app = build_app(workdir)
        with app.app_context():
            from caseflow import demo
            from caseflow.extensions import db

            say("loading the demo district")
            demo.seed(n_cases=300)
            db.session.commit()
            say(f"drafting {1 + args.letters + args.batch} letters")
            ids = draft(1 + args.letters)
            say(f"one letter, {args.repeat} timed renders each way")
            single = one_letter(ids[0], args.repeat)
            say(f"memory over {args.letters} letters")
            mem = memory(ids[1:])
            batch_ids = draft(args.batch)
            say(f"{args.workers} worker processes rendering {args.batch} drafted letters")
            from caseflow.jobs.worker import portable_config

            rendered = workers(portable_config(app), batch_ids, args.workers)
            say(f"a batch of {args.batch} stored letters, 3 times each way")
            whole = batch(batch_ids)
    load = os.getloadavg()
    results = {"one_letter": single, "memory": mem, "workers": rendered, "batch": whole, "loadavg": {"before": load_before, "after": load}}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"letters-{stamp}.json").write_text(json.dumps(results, indent=2))
    m = single["median_ms"]
    verdict = "ok" if single["ratio"] <= RATIO_BUDGET else "MISSED"
    print()
    c = single["cpu_median_ms"]
    print(f"one letter        caseflow {m['caseflow']:.0f} ms, bare WeasyPrint {m['bare']:.0f} ms: "
          f"{single['ratio']:.2f}x (budget {RATIO_BUDGET}x) {verdict}  [{single['pages']} pages; CPU "
          f"{c['caseflow']:.0f} ms vs {c['bare']:.0f} ms: {single['cpu_ratio']:.2f}x]")
    print(f"                  without the text-layer fix {m['caseflow_no_text_layer']:.0f} ms: "
          f"{single['ratio_no_text_layer']:.2f}x")
    first, last = mem["rss_mb"][0][1], mem["rss_mb"][-1][1]
    print(f"memory            RSS {first:.0f} MB before, {last:.0f} MB after {mem['letters']} letters "
          f"({mem['growth_mb']:+.0f} MB; samples {', '.join(f'{n}:{v:.0f}' for n, v in mem['rss_mb'])}); "
          f"{mem['letters_per_s']:.1f} letters/s rendered and stored")
    print(f"workers           {rendered['workers']} processes rendered {rendered['letters']} of {rendered['of']} "
          f"letters ({rendered['jobs']} jobs in all, spawning included) in {rendered['s']:.1f} s: {rendered['letters_per_s']:.1f} letters/s")
    b = whole["median_s"]
    batch_verdict = "ok" if whole["ratio"] <= BATCH_BUDGET else "MISSED"
    print(f"batch of {whole['letters']:<8} caseflow {b['caseflow']:.2f} s, joining the stored PDFs {b['join']:.2f} s: "
          f"{whole['ratio']:.2f}x (budget {BATCH_BUDGET}x) {batch_verdict}  [{whole['pages']} pages, "
          f"{whole['mb']:.1f} MB]")
    print(f"load average      {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} before, "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} after")
    print(f"results in bench/out/letters-{stamp}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
