"""Build, or reuse, the benchmark database: one state, 50 districts, 1,000,000 cases.

The schema comes from the real migrations; the small things (areas, office kinds, offices,
schemes and ladders, users) are made through the services, as an administrator would; the
beneficiaries and cases are bulk-loaded with raw SQL (COPY on PostgreSQL, one executemany
transaction on SQLite), every row shaped the way the services would have written it and
checked by the database's own CHECK constraints on the way in. Case events are not
generated: the queue never reads them.

A generated database is reused while its key matches: the key hashes the migration files
and this generator's version, so a schema change regenerates. Everything lands in bench/out/
(or $CASEFLOW_BENCH_OUT).
"""
import bisect
import hashlib
import json
import os
import random
import secrets
import sqlite3
import sys
import time
from array import array
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("CASEFLOW_BENCH_OUT", ROOT / "bench" / "out"))
MIGRATIONS = ROOT / "migrations"
GENERATOR_VERSION = 5  # bump when the generated data changes shape

PG_SERVER = os.environ.get("CASEFLOW_BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
# The PostgreSQL database's name: several benches (or sessions) can share one server, each
# under its own name (`--pg-database` on each benchmark, or CASEFLOW_BENCH_PG_DATABASE).
PG_DATABASE = os.environ.get("CASEFLOW_BENCH_PG_DATABASE", "caseflow_bench")


def add_pg_database_option(parser) -> None:
    parser.add_argument("--pg-database", default=None, metavar="NAME",
                        help=f"the PostgreSQL benchmark database's name (default {PG_DATABASE}; "
                             "the sweep's copies take it as a prefix)")


def use_pg_database(name: str | None) -> None:
    global PG_DATABASE
    if name:
        PG_DATABASE = name

BENCH_USERNAME = "incharge01"  # the in-charge of district 01, whose queue is measured
BENCH_PASSWORD = "bench-password-not-a-secret"

DISTRICTS, BLOCKS, GPS, SETTLEMENTS = 50, 5, 10, 3
CASES_PER_PERSON = (1, 1, 1, 1, 1, 1, 1, 2, 2, 3)  # drawn per beneficiary: 1.4 on average
TOP_LEVEL = 3  # every scheme here has a three-level ladder
HISTORY_DAYS = 540  # cases were opened over the last year and a half

# Status spread; "open" (the default queue filter) is the first six, 75 %.
STATUS_SHARES = (
    ("identified", 0.10),
    ("documented", 0.10),
    ("submitted", 0.25),
    ("escalated", 0.15),
    ("sanctioned", 0.10),
    ("rejected", 0.05),
    ("resolved", 0.15),
    ("closed", 0.10),
)

SCHEMES = (
    # code, English, Hindi, department, proof of delivery, ladder time limits (working days)
    ("PMAY-G", "Pradhan Mantri Awas Yojana (Gramin)", "प्रधानमंत्री आवास योजना (ग्रामीण)", "Rural Development",
     "Sanction order and first instalment date", (15, 15, 30)),
    ("PMUY", "Pradhan Mantri Ujjwala Yojana", "प्रधानमंत्री उज्ज्वला योजना", "Petroleum and Natural Gas",
     "LPG connection number", (10, 15, 21)),
    ("NSAP-OAP", "Indira Gandhi National Old Age Pension", "इंदिरा गांधी राष्ट्रीय वृद्धावस्था पेंशन",
     "Social Justice", "First pension credit date", (15, 21, 30)),
    ("PM-JAY", "Ayushman Bharat PM Jan Arogya Yojana", "आयुष्मान भारत प्रधानमंत्री जन आरोग्य योजना", "Health",
     "Ayushman card number", (7, 15, 21)),
    ("PM-KISAN", "PM Kisan Samman Nidhi", "पीएम किसान सम्मान निधि", "Agriculture",
     "First instalment credit date", (15, 15, 30)),
    ("NFSA", "Ration card (National Food Security Act)", "राशन कार्ड (राष्ट्रीय खाद्य सुरक्षा अधिनियम)",
     "Food and Civil Supplies", "Ration card number", (10, 15, 30)),
)

PLACES = [
    ("Rampur", "रामपुर"), ("Sultanpur", "सुल्तानपुर"), ("Bhojpur", "भोजपुर"), ("Khajuri", "खजूरी"),
    ("Kishanpur", "किशनपुर"), ("Amarpur", "अमरपुर"), ("Dhamoni", "धमोनी"), ("Semra", "सेमरा"),
    ("Piparia", "पिपरिया"), ("Barkheda", "बरखेड़ा"), ("Salamatpur", "सलामतपुर"), ("Nayagaon", "नयागांव"),
    ("Devri", "देवरी"), ("Kathotia", "कठोतिया"), ("Jamuniya", "जमुनिया"), ("Bilkisganj", "बिलकिसगंज"),
    ("Imaliya", "इमलिया"), ("Khamariya", "खमरिया"), ("Ratanpur", "रतनपुर"), ("Gopalpur", "गोपालपुर"),
]
SETTLEMENT_SUFFIXES = [("Khurd", "खुर्द"), ("Kalan", "कलां"), ("Tola", "टोला"), ("Basti", "बस्ती")]
FEMALE = ["सुनीता", "गीता", "कमला", "रेखा", "सीमा", "पूजा", "राधा", "लक्ष्मी", "शांति", "मीना", "सरिता",
          "अनीता", "ममता", "सावित्री", "उषा", "कविता", "Sunita", "Kamla", "Rekha", "Pooja"]
MALE = ["रामलाल", "मोहन", "सुरेश", "राजेश", "दिनेश", "गणेश", "रमेश", "महेश", "बाबूलाल", "कैलाश", "हरिराम",
        "श्याम", "मुकेश", "राकेश", "संतोष", "प्रकाश", "Ramesh", "Suresh", "Mohan", "Kailash"]
SURNAMES = ["वर्मा", "यादव", "कुशवाहा", "अहिरवार", "मीणा", "पटेल", "साहू", "लोधी", "गोंड", "भील", "खान",
            "अंसारी", "जाटव", "राठौर", "सिंह", "शर्मा", "Verma", "Yadav", "Ahirwar", "Khan"]
CLOSE_REASONS = ["ineligible", "duplicate", "withdrawn", "unreachable", "deceased", "moved"]
REJECTIONS = ["Land record mismatch", "Name differs from the SECC list", "Income certificate missing",
              "Bank account not seeded"]

BENEFICIARY_COLUMNS = (
    "id", "name", "name_key", "relative_name", "relation", "gender", "birth_year", "mobile", "settlement_id",
    "area_path", "address", "preferred_language", "aadhaar_last4", "ration_card_no", "lawful_basis",
    "consent_note", "consent_recorded_by_id", "consent_recorded_at", "created_at",
)
CASE_COLUMNS = (
    "id", "reference", "beneficiary_id", "scheme_id", "area_id", "area_path", "district_id", "status", "level",
    "office_id", "assigned_to_id", "due_date", "verified_at", "application_ref", "application_date", "grievance_ref",
    "sanction_ref", "sanction_date", "rejection_reason", "proof_of_delivery", "delivered_on",
    "beneficiary_confirmed", "confirmation_override_reason", "close_reason", "ended_at", "created_by_id",
    "created_at", "updated_at", "attention", "attention_since", "version", "ref_seq", "application_key",
    "grievance_key",
)
TOKEN_COLUMNS = ("beneficiary_id", "position", "key", "skeleton", "area_path")


@dataclass
class BenchDatabase:
    kind: str  # "sqlite" or "postgres"
    url: str
    cases: int
    key: str
    generated_on: str  # the local date the due dates were spread around
    seconds: float  # how long generation took
    reused: bool = False


def log(message: str) -> None:
    print(f"[generate] {message}", flush=True)


def schema_key() -> str:
    """Changes whenever a migration file changes (edited or added) or GENERATOR_VERSION is bumped."""
    digest = hashlib.sha256(f"generator {GENERATOR_VERSION}".encode())
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _pg_url(database: str) -> str:
    return f"{PG_SERVER}/{database}"


def _pg_conninfo(database: str) -> str:
    import sqlalchemy as sa

    url = sa.make_url(_pg_url(database))
    parts = {"host": url.host or "127.0.0.1", "port": url.port or 5432, "user": url.username or "postgres",
             "dbname": database}
    if url.password:
        parts["password"] = url.password
    return " ".join(f"{k}={v}" for k, v in parts.items())


def _meta_path(kind: str, cases: int, key: str) -> Path:
    if kind == "sqlite":
        return OUT / f"sqlite-{key}-{cases}.json"
    return OUT / f"postgres-{PG_DATABASE}.json"


def _sqlite_path(cases: int, key: str) -> Path:
    return OUT / f"sqlite-{key}-{cases}.db"


def ensure(kind: str, cases: int, regenerate: bool = False) -> BenchDatabase:
    """The benchmark database for `kind`, generated now unless a matching one exists."""
    OUT.mkdir(parents=True, exist_ok=True)
    key = schema_key()
    meta_path = _meta_path(kind, cases, key)
    if not regenerate and meta_path.exists():
        meta = BenchDatabase(**json.loads(meta_path.read_text()))
        if meta.key == key and meta.cases == cases and _row_count_matches(kind, meta.url, cases):
            meta.reused = True
            log(f"{kind}: reusing {meta.url} ({cases:,} cases, generated on {meta.generated_on} "
                f"in {meta.seconds:.0f} s)")
            from caseflow.db import today

            if (today() - date.fromisoformat(meta.generated_on)).days > 7:
                log(f"{kind}: due dates were spread around {meta.generated_on}; more cases are overdue now than "
                    "a live queue would have — use --regenerate for figures comparable with a fresh run")
            return meta
    started = time.perf_counter()
    if kind == "sqlite":
        for stale in OUT.glob("sqlite-*"):
            stale.unlink()  # old keys or sizes: each file is hundreds of MB
        url = f"sqlite:///{_sqlite_path(cases, key)}"
    else:
        _recreate_pg_database()
        url = _pg_url(PG_DATABASE)
    _generate(kind, url, cases)
    from caseflow.db import today

    meta = BenchDatabase(kind=kind, url=url, cases=cases, key=key, generated_on=today().isoformat(),
                         seconds=round(time.perf_counter() - started, 1))
    meta_path.write_text(json.dumps(asdict(meta), indent=2))
    log(f"{kind}: {cases:,} cases generated in {meta.seconds:.0f} s")
    return meta


def _row_count_matches(kind: str, url: str, cases: int) -> bool:
    try:
        if kind == "sqlite":
            path = url.removeprefix("sqlite:///")
            if not Path(path).exists():
                return False
            conn = sqlite3.connect(path)
        else:
            import psycopg

            conn = psycopg.connect(_pg_conninfo(PG_DATABASE), connect_timeout=5)
        try:
            cur = conn.cursor()
            cur.execute("SELECT count(*) FROM cases")
            return cur.fetchone()[0] == cases
        finally:
            conn.close()
    except Exception:  # missing database, missing table: regenerate
        return False


def _recreate_pg_database() -> None:
    import psycopg

    with psycopg.connect(_pg_conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')


def drop_pg_database() -> None:
    import psycopg

    with psycopg.connect(_pg_conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
    _meta_path("postgres", 0, "").unlink(missing_ok=True)


# --- the small world, through the services ----------------------------------------------


@dataclass
class World:
    settlements: list  # (area id, path, district index, gp id, block id)
    district_codes: list  # index -> code
    district_ids: list
    incharges: list  # district index -> user id
    secretary: dict  # gp id -> office id
    janpad: dict  # block id -> office id
    collector: dict  # district id -> office id
    schemes: list  # (scheme id, code, ladder days)


def bench_app(url: str):
    """An app bound to the benchmark database, for generation and for EXPLAIN."""
    os.environ.setdefault("CASEFLOW_INSTANCE_DIR", str(OUT / "instance"))
    os.environ.setdefault("CASEFLOW_SECRET_KEY", secrets.token_hex(32))
    sys.path.insert(0, str(ROOT))
    from caseflow import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "ENV_NAME": "bench",
        "SECRET_KEY": secrets.token_hex(32),
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "DEBUG": False,
    })


def _build_world(app, rng: random.Random) -> World:
    """The tree down to blocks, offices, schemes, ladders and users through the services.

    Gram panchayats, settlements and their offices (2,500 + 7,500 areas, 5,000 offices) are
    inserted in one statement each instead, with the ids and paths `create_area` would give
    them: through the services they took two minutes on this machine. Every user gets the same
    real Argon2id hash, computed once.
    """
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from caseflow.areas.models import Area, AreaKind, Office, path_segment
    from caseflow.areas.services import create_area, create_office_kind, save_office
    from caseflow.auth import services as auth_services
    from caseflow.auth.models import Role
    from caseflow.db import utcnow
    from caseflow.extensions import db
    from caseflow.schemes.services import save_scheme, set_ladder

    with app.app_context():
        started = time.perf_counter()
        upgrade(directory=str(MIGRATIONS))
        log(f"schema built by the migrations in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        kinds = {
            code: create_office_kind(code=code, name_en=en, name_hi=hi, elected=elected, actor=None)
            for code, en, hi, elected in [
                ("panchayat_secretary", "Panchayat Secretary", "पंचायत सचिव", False),
                ("sarpanch", "Sarpanch", "सरपंच", True),
                ("janpad_ceo", "CEO, Janpad Panchayat", "मुख्य कार्यपालन अधिकारी, जनपद पंचायत", False),
                ("collector", "Collector", "कलेक्टर", False),
            ]
        }
        schemes = []
        for code, en, hi, department, proof, days in SCHEMES:
            scheme = save_scheme(code=code, name_en=en, name_hi=hi, department=department, proof_of_delivery=proof,
                                 documents_required="Aadhaar (last 4)\nBank passbook", actor=None)
            set_ladder(scheme, list(zip((kinds["panchayat_secretary"].id, kinds["janpad_ceo"].id,
                                         kinds["collector"].id), days, strict=True)), actor=None)
            schemes.append((scheme.id, code, days))
        hashed = auth_services.hash_password(BENCH_PASSWORD)
        real_hash_password, auth_services.hash_password = auth_services.hash_password, lambda _password: hashed
        try:
            create_user = auth_services.create_user
            state = create_area(kind=AreaKind.STATE, name_en="Bench State", name_hi="बेंच राज्य", actor=None)
            create_user(username="admin", display_name="Admin", password=BENCH_PASSWORD, role=Role.ADMIN, locale="en", actor=None)
            create_user(username="supervisor", display_name="Supervisor", password=BENCH_PASSWORD,
                        role=Role.SUPERVISOR, areas=[state], locale="en", actor=None)
            world = World([], [], [], [], {}, {}, {}, schemes)
            blocks = []
            for d in range(1, DISTRICTS + 1):
                code = f"D{d:02d}"
                district = create_area(kind=AreaKind.DISTRICT, name_en=f"District {d:02d}",
                                       name_hi=f"ज़िला {d:02d}", parent=state, code=code, actor=None)
                world.district_codes.append(code)
                world.district_ids.append(district.id)
                world.collector[district.id] = save_office(area_id=district.id, kind_id=kinds["collector"].id,
                                                           holder_name=f"Collector {code}", language="en", actor=None).id
                user = create_user(username=f"incharge{d:02d}", display_name=f"In-charge {code}",
                                   password=BENCH_PASSWORD, role=Role.INCHARGE, areas=[district], locale="en", actor=None)
                world.incharges.append(user.id)
                for block_en, block_hi in rng.sample(PLACES, BLOCKS):
                    block = create_area(kind=AreaKind.BLOCK, name_en=block_en, name_hi=block_hi, parent=district, actor=None)
                    world.janpad[block.id] = save_office(area_id=block.id, kind_id=kinds["janpad_ceo"].id,
                                                         holder_name=f"CEO {block_en}", language="hi", actor=None).id
                    blocks.append((block.id, block.path, d - 1))
            db.session.commit()
        finally:
            auth_services.hash_password = real_hash_password

        area_id = db.session.scalar(sa.select(sa.func.max(Area.id)))
        office_id = db.session.scalar(sa.select(sa.func.max(Office.id)))
        areas, offices, at = [], [], utcnow()
        for block_id, block_path, district in blocks:
            for gp_en, gp_hi in rng.sample(PLACES, GPS):
                area_id += 1
                gp_id, gp_path = area_id, block_path + path_segment(area_id)
                areas.append({"id": gp_id, "parent_id": block_id, "kind": AreaKind.GRAM_PANCHAYAT, "code": None,
                              "name_en": gp_en, "name_hi": gp_hi, "path": gp_path, "active": True})
                office_id += 2
                world.secretary[gp_id] = office_id - 1
                for oid, kind, holder in ((office_id - 1, "panchayat_secretary", "Secretary"),
                                          (office_id, "sarpanch", "Sarpanch")):
                    offices.append({"id": oid, "area_id": gp_id, "kind_id": kinds[kind].id,
                                    "holder_name": f"{holder} {gp_en}", "language": "hi", "holder_since": at})
                for suffix_en, suffix_hi in SETTLEMENT_SUFFIXES[:SETTLEMENTS]:
                    area_id += 1
                    path = gp_path + path_segment(area_id)
                    areas.append({"id": area_id, "parent_id": gp_id, "kind": AreaKind.SETTLEMENT, "code": None,
                                  "name_en": f"{gp_en} {suffix_en}", "name_hi": f"{gp_hi} {suffix_hi}",
                                  "path": path, "active": True})
                    world.settlements.append((area_id, path, district, gp_id, block_id))
        db.session.execute(sa.insert(Area), areas)
        db.session.execute(sa.insert(Office), offices)
        if db.engine.dialect.name == "postgresql":
            for table in ("areas", "offices"):
                db.session.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        db.session.commit()
        n_areas = db.session.scalar(sa.select(sa.func.count()).select_from(Area))
        n_offices = db.session.scalar(sa.select(sa.func.count()).select_from(Office))
        log(f"{n_areas:,} areas, {n_offices:,} offices, {len(schemes)} schemes, {DISTRICTS + 2} users "
            f"in {time.perf_counter() - started:.1f} s")
        db.session.remove()
        db.engine.dispose()
    return world


# --- the bulk rows ------------------------------------------------------------------------


class _Plan:
    """Who the beneficiaries are and how many cases each has, drawn once, read twice."""

    def __init__(self, world: World, cases: int, rng: random.Random):
        from caseflow.beneficiaries.names import name_key, name_tokens

        self.world, self.cases, self.rng = world, cases, rng
        counts = array("B")
        total = 0
        while total < cases:
            n = min(rng.choice(CASES_PER_PERSON), cases - total)
            counts.append(n)
            total += n
        self.counts = counts
        self.people = len(counts)
        self.settlement = array("I", (rng.randrange(len(world.settlements)) for _ in range(self.people)))
        self.now = datetime.now().replace(microsecond=0)
        self.first = self.now - timedelta(days=HISTORY_DAYS)
        self.keys = {}
        self.tokens = {}
        for name in {f"{f} {s}" for f in FEMALE + MALE for s in SURNAMES}:
            self.keys[name] = name_key(name)
            self.tokens[name] = name_tokens(name)
        self.names: list[str] = []  # person -> name, for the search words (token_rows)

    def created(self, person: int) -> datetime:
        """People were recorded steadily over the history, in id order."""
        seconds = int(HISTORY_DAYS * 86400 * person / self.people)
        return self.first + timedelta(seconds=seconds)

    def beneficiaries(self):
        rng, world, keys = self.rng, self.world, self.keys
        r = rng.random
        female_names, male_names, surnames = FEMALE, MALE, SURNAMES
        for person in range(self.people):
            settlement_id, path, district, _gp, _block = world.settlements[self.settlement[person]]
            female = r() < 0.6
            surname = surnames[int(r() * len(surnames))]
            firsts = female_names if female else male_names
            first = firsts[int(r() * len(firsts))]
            name = f"{first} {surname}"
            self.names.append(name)
            relation = ("husband" if r() < 0.7 else "father") if female else "father"
            at = self.created(person)
            yield (
                person + 1, name, keys[name], f"{male_names[int(r() * len(male_names))]} {surname}", relation,
                "female" if female else "male", 1940 + int(r() * 65),
                f"{6 + int(r() * 4)}{int(r() * 10 ** 9):09d}" if r() < 0.75 else None,
                settlement_id, path, f"House {1 + int(r() * 400)}, ward {1 + int(r() * 12)}",
                "hi" if r() < 0.9 else "en",
                f"{int(r() * 10000):04d}" if r() < 0.6 else None,
                f"MP{int(r() * 10 ** 10):010d}" if r() < 0.5 else None,
                "written_consent" if r() < 0.7 else "oral_consent",
                "Consent recorded at the household survey", world.incharges[district], at, at,
            )

    def token_rows(self):
        """The search words of each person's name (beneficiary_name_tokens), after beneficiaries()."""
        world, tokens = self.world, self.tokens
        for person, name in enumerate(self.names):
            path = world.settlements[self.settlement[person]][1]
            for position, (key, skel) in enumerate(tokens[name]):
                yield person + 1, position, key, skel, path

    def case_rows(self):
        """One tuple per case in CASE_COLUMNS order, shaped as the workflow's steps leave a case."""
        from caseflow.cases.models import search_key
        from caseflow.db import today

        rng, world, now = self.rng, self.world, self.now
        r = rng.random
        on = today()
        days = [timedelta(days=n) for n in range(-400, 401)]  # days[400 + n] is n days

        def later(n: int) -> timedelta:
            return days[400 + n]

        cumulative, acc = [], 0.0
        for _status, share in STATUS_SHARES:
            acc += share
            cumulative.append(acc)
        statuses = [status for status, _share in STATUS_SHARES]
        sequences: dict[tuple[str, int], int] = {}
        case_id = 0
        n_schemes = len(world.schemes)
        for person in range(self.people):
            settlement_id, path, district, gp_id, block_id = world.settlements[self.settlement[person]]
            code, user = world.district_codes[district], world.incharges[district]
            offices = (None, world.secretary[gp_id], world.janpad[block_id], world.collector[world.district_ids[district]])
            recorded = self.created(person)
            first_scheme = int(r() * n_schemes)
            for nth in range(self.counts[person]):
                case_id += 1
                scheme_id, scheme_code, _limits = world.schemes[(first_scheme + nth) % n_schemes]
                created = min(recorded + later(nth * int(r() * 31)) + timedelta(minutes=5 + int(r() * 600)), now)
                year = created.year
                sequence = sequences[(code, year)] = sequences.get((code, year), 0) + 1
                status = statuses[min(bisect.bisect(cumulative, r()), len(statuses) - 1)]
                level, office, due, verified, version, ended, updated = 0, None, None, None, 1, None, created
                app_ref = app_date = grievance = sanction_ref = sanction_date = rejection = None
                proof = delivered = override = close_reason = None
                confirmed = False
                day0 = created.date()
                if status != "identified":
                    verified = min(created + later(int(r() * 11)), now)
                    version = 2
                applied = status in ("submitted", "escalated", "sanctioned", "rejected", "resolved") or (
                    status == "closed" and r() < 0.3)
                if applied:
                    app_date = min(day0 + later(2 + int(r() * 24)), on)
                    if status == "submitted":
                        level = 1
                    elif status == "escalated":
                        level = 2 if r() < 0.7 else 3
                    elif status == "closed":
                        level = 1 if r() < 0.5 else 2
                    else:
                        level = (1, 1, 2, 3)[int(r() * 4)]
                    office = offices[level]
                    app_ref = f"{scheme_code}/{app_date.year}/{int(r() * 10 ** 6):06d}"
                    version = 2 + level + int(r() * 5)
                    if level > 1 and r() < 0.3:
                        grievance = f"CMH/{app_date.year}/{int(r() * 10 ** 7):07d}"
                    if status in ("submitted", "escalated"):
                        # Promised dates and fresh levels keep the clock near today; about 35 % overdue.
                        due = max(on + later(int(r() * 71) - 25), app_date + later(7))
                    elif status in ("sanctioned", "rejected", "resolved"):
                        decided = min(app_date + later(10 + int(r() * 111)), on)
                        # Sanction and rejection stop the clock.
                        due = None
                        updated = min(datetime.combine(decided, created.time()), now)
                        if status == "rejected":
                            rejection = REJECTIONS[int(r() * len(REJECTIONS))]
                        else:
                            sanction_ref, sanction_date = f"SO-{int(r() * 10 ** 6):06d}", decided
                        if status == "resolved":
                            delivered = min(decided + later(5 + int(r() * 56)), on)
                            confirmed = r() < 0.95
                            if not confirmed:
                                override = "Beneficiary has migrated for work; verified with the secretary"
                            proof = f"Delivered, entry {int(r() * 10 ** 6):06d}"
                            due, ended = None, min(datetime.combine(delivered, created.time()), now)
                if status == "closed":
                    close_reason = CLOSE_REASONS[int(r() * len(CLOSE_REASONS))]
                    ended = min(created + later(1 + int(r() * 200)), now)
                attention = attention_since = None
                if status == "escalated" and level == TOP_LEVEL and due < on:
                    # What the sweep leaves on an overdue case that has no level left to go to.
                    attention, attention_since = "stalled_at_top", due + later(1)
                if ended is not None:
                    updated, version = ended, version + 1
                if verified is not None and verified > updated:
                    updated = verified
                yield (
                    case_id, f"{code}/{year}/{sequence:06d}", person + 1, scheme_id, settlement_id, path,
                    world.district_ids[district], status,
                    level, office, user, due, verified, app_ref, app_date, grievance, sanction_ref, sanction_date,
                    rejection, proof, delivered, confirmed, override, close_reason, ended, user, created, updated,
                    attention, attention_since, version, sequence, search_key(app_ref), search_key(grievance),
                )
        self.sequences = sequences


def _generate(kind: str, url: str, cases: int) -> None:
    rng = random.Random(20260101)
    app = bench_app(url)
    world = _build_world(app, rng)
    plan = _Plan(world, cases, rng)
    log(f"{plan.people:,} beneficiaries and {cases:,} cases to load")
    if kind == "sqlite":
        _load_sqlite(url.removeprefix("sqlite:///"), plan)
    else:
        _load_postgres(plan)


def _fk_checks(cur) -> None:
    """Every foreign key of the bulk-loaded tables points at a row (checked after the load)."""
    from caseflow.beneficiaries.models import Beneficiary
    from caseflow.cases.models import Case

    for table in (Beneficiary.__table__, Case.__table__):
        for fk in table.foreign_keys:
            column, target = fk.parent.name, fk.column
            cur.execute(f"SELECT count(*) FROM {table.name} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                        f"(SELECT 1 FROM {target.table.name} p WHERE p.{target.name} = t.{column})")
            missing = cur.fetchone()[0]
            if missing:
                raise RuntimeError(f"{missing} rows of {table.name}.{column} point nowhere")


def _counter_rows(plan: _Plan) -> list[tuple[str, int, int]]:
    return [(f"case:{code}", year, value) for (code, year), value in sorted(plan.sequences.items())]


def _sqlite_checks(cur, table: str) -> list[str]:
    """The CHECK expressions of `table` exactly as the migrations created them."""
    sql = cur.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
    checks, at = [], 0
    while (at := sql.find("CHECK (", at)) != -1:
        at += len("CHECK (")
        depth, quoted, end = 1, False, at
        while depth:
            char = sql[end]
            if char == "'":
                quoted = not quoted
            elif not quoted:
                depth += {"(": 1, ")": -1}.get(char, 0)
            end += 1
        checks.append(sql[at:end - 1])
        at = end
    return checks


def _verify_sqlite_checks(cur) -> None:
    """Every row satisfies every CHECK: one scan per table, after a load that skipped them."""
    for table in ("beneficiaries", "cases"):
        checks = _sqlite_checks(cur, table)
        # A CHECK fails only when its expression is false (NULL passes): sum() counts exactly those.
        counts = cur.execute(f"SELECT {', '.join(f'coalesce(sum(NOT ({c})), 0)' for c in checks)} "
                             f"FROM {table}").fetchone()
        broken = [f"{c}: {n} rows" for c, n in zip(checks, counts, strict=True) if n]
        if broken:
            raise RuntimeError(f"{table} rows break CHECK constraints: " + "; ".join(broken))
    log(f"sqlite: every row satisfies the {len(_sqlite_checks(cur, 'beneficiaries'))} + "
        f"{len(_sqlite_checks(cur, 'cases'))} CHECK constraints of beneficiaries and cases")


# caseflow.cases.counts.REBUILD_SQL, kept here so this module imports no application code at load.
REBUILD_COUNTS_SQL = (
    "DELETE FROM case_count_deltas",
    "INSERT INTO case_count_deltas (district_id, scheme_id, status, n) "
    "SELECT district_id, scheme_id, status, COUNT(*) FROM cases GROUP BY district_id, scheme_id, status",
)


def _load_sqlite(path: str, plan: _Plan) -> None:
    sqlite3.register_adapter(datetime, lambda v: v.strftime("%Y-%m-%d %H:%M:%S.%f"))
    sqlite3.register_adapter(date, lambda v: v.isoformat())
    conn = sqlite3.connect(path, isolation_level=None)
    cur = conn.cursor()
    # CHECKs cost SQLite more than the insert itself: skipped here, verified in one scan below.
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000", "temp_store=MEMORY",
                   "foreign_keys=OFF", "ignore_check_constraints=ON"):
        cur.execute(f"PRAGMA {pragma}")
    indexes = cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                          "AND tbl_name IN ('cases', 'beneficiaries', 'beneficiary_name_tokens')").fetchall()
    # The status-count triggers too: one row per case inserted would double the load.
    triggers = cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases'").fetchall()
    cur.execute("BEGIN")
    for name, _sql in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    for name, _sql in triggers:
        cur.execute(f'DROP TRIGGER "{name}"')
    started = time.perf_counter()
    cur.executemany(f"INSERT INTO beneficiaries ({', '.join(BENEFICIARY_COLUMNS)}) VALUES "
                    f"({', '.join('?' * len(BENEFICIARY_COLUMNS))})", plan.beneficiaries())
    cur.executemany(f"INSERT INTO beneficiary_name_tokens ({', '.join(TOKEN_COLUMNS)}) VALUES "
                    f"({', '.join('?' * len(TOKEN_COLUMNS))})", plan.token_rows())
    log(f"sqlite: beneficiaries and their name words inserted in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    cur.executemany(f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}) VALUES ({', '.join('?' * len(CASE_COLUMNS))})",
                    plan.case_rows())
    cur.executemany("INSERT INTO counters (scope, year, value) VALUES (?, ?, ?)", _counter_rows(plan))
    for sql in REBUILD_COUNTS_SQL:  # the status counts the triggers would keep, in one pass
        cur.execute(sql)
    log(f"sqlite: cases inserted in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    for _name, sql in indexes + triggers:
        cur.execute(sql)
    cur.execute("COMMIT")
    log(f"sqlite: {len(indexes)} indexes rebuilt in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    cur.execute("PRAGMA ignore_check_constraints=OFF")
    _verify_sqlite_checks(cur)
    _fk_checks(cur)
    cur.execute("ANALYZE")
    cur.execute("PRAGMA journal_mode=WAL")
    conn.close()
    log(f"sqlite: foreign keys checked, ANALYZE done in {time.perf_counter() - started:.1f} s")


def _load_postgres(plan: _Plan) -> None:
    import psycopg

    with psycopg.connect(_pg_conninfo(PG_DATABASE)) as conn:
        cur = conn.cursor()
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '512MB'")
        # Foreign-key triggers off during the load (checked in bulk afterwards); CHECKs stay on.
        cur.execute("SET session_replication_role = replica")
        indexes = cur.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid IN ('cases'::regclass, 'beneficiaries'::regclass, "
            "'beneficiary_name_tokens'::regclass) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)").fetchall()
        for name, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        started = time.perf_counter()
        with cur.copy(f"COPY beneficiaries ({', '.join(BENEFICIARY_COLUMNS)}) FROM STDIN") as copy:
            for row in plan.beneficiaries():
                copy.write_row(row)
        with cur.copy(f"COPY beneficiary_name_tokens ({', '.join(TOKEN_COLUMNS)}) FROM STDIN") as copy:
            for row in plan.token_rows():
                copy.write_row(row)
        log(f"postgres: beneficiaries and their name words copied in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        with cur.copy(f"COPY cases ({', '.join(CASE_COLUMNS)}) FROM STDIN") as copy:
            for row in plan.case_rows():
                copy.write_row(row)
        cur.executemany("INSERT INTO counters (scope, year, value) VALUES (%s, %s, %s)", _counter_rows(plan))
        for sql in REBUILD_COUNTS_SQL:  # replica mode kept the status-count triggers off too
            cur.execute(sql)
        log(f"postgres: cases copied in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        for _name, sql in indexes:
            cur.execute(sql)
        for table in ("cases", "beneficiaries"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cur.execute("SET session_replication_role = origin")
        conn.commit()
        log(f"postgres: {len(indexes)} indexes rebuilt in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        _fk_checks(cur)
        conn.commit()
    with psycopg.connect(_pg_conninfo(PG_DATABASE), autocommit=True) as conn:
        # VACUUM as well: index-only scans need the visibility map.
        conn.execute("VACUUM (ANALYZE) cases")
        conn.execute("VACUUM (ANALYZE) beneficiaries")
        conn.execute("VACUUM (ANALYZE) beneficiary_name_tokens")
        conn.execute("ANALYZE")
    log(f"postgres: foreign keys checked, VACUUM ANALYZE done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Generate (or reuse) the benchmark databases.")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--regenerate", action="store_true")
    add_pg_database_option(parser)
    args = parser.parse_args()
    use_pg_database(args.pg_database)
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        print(ensure(kind, args.cases, args.regenerate))
