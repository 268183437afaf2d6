"""The demo loader: `seed` builds the fixed part (areas, offices, schemes with ladders, holidays,
logins) from caseflow/demo/data.py, then has caseflow/demo/cases.py write the case histories
and caseflow/demo/showcase.py add what a new user should find (bias reports, letters sent).

Everything goes through the domain services, exactly as the screens would do it, so the demo
also exercises the rules; the only direct writes are the timestamps that put the history in
the past (see `cases.History.backdate`). Runs are deterministic (fixed seeds) and idempotent:
a second run finds the demo and changes nothing. Nothing is committed here: `seed-demo` commits
once, then runs the escalation sweep (caseflow/escalation/cli.py `run_sweep`), which commits
per batch.
"""
import random
from collections import Counter
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from faker import Faker

from caseflow.areas import services as areas
from caseflow.areas.models import Area, AreaKind, OfficeKind
from caseflow.auth.models import Role, User
from caseflow.auth.services import create_user
from caseflow.beneficiaries.models import Gender
from caseflow.cases.models import Case, CaseStatus
from caseflow.db import today, utcnow
from caseflow.demo import data
from caseflow.demo.cases import History
from caseflow.demo.reviews import add_reviews
from caseflow.demo.showcase import file_bias_reports, send_letters
from caseflow.extensions import db
from caseflow.holidays.services import create_holiday, set_work_week
from caseflow.schemes.models import BenefitUnit, Scheme
from caseflow.schemes.services import save_scheme, set_ladder

IST_OFFSET = timedelta(hours=5, minutes=30)


class Seeder:
    """The demo's random source, name maker and the fixed part of the demo district."""

    def __init__(self) -> None:
        self.rng = random.Random(data.SEED)
        self.fake = Faker("hi_IN")
        self.fake.seed_instance(data.SEED)
        self.today = today()
        self.now = utcnow()
        self.villages = list(data.VILLAGES)
        self.mohallas = list(data.MOHALLAS)
        self.rng.shuffle(self.villages)
        self.rng.shuffle(self.mohallas)
        self.kinds: dict[str, OfficeKind] = {}
        self.districts: list[Area] = []
        self.blocks: dict[tuple[int, str | None], list[Area]] = {}  # (district, block name or None): settlements
        self.settlements: list[list[Area]] = []  # per district
        self.rural: set[int] = set()
        self.users: dict[str, User] = {}
        self.schemes: list[Scheme] = []
        self.scheme_spec: dict[int, dict] = {}
        self.counts: Counter = Counter()

    # --- helpers ---------------------------------------------------------------------------

    def mobile(self) -> str:
        return self.rng.choice("6789") + "".join(self.rng.choice("0123456789") for _ in range(9))

    def person_name(self, gender: Gender, surname: str | None = None) -> str:
        muslim = surname in data.MUSLIM_SURNAMES if surname else self.rng.random() < 0.1
        if surname is None:
            surname = self.rng.choice(data.MUSLIM_SURNAMES if muslim else data.SURNAMES)
        if muslim:
            given = self.rng.choice(data.MUSLIM_FEMALE if gender is Gender.FEMALE else data.MUSLIM_MALE)
        else:
            pick = self.fake.first_name_female if gender is Gender.FEMALE else self.fake.first_name_male
            given = pick()
            # Faker's lists hold a few given names that echo the surname or carry a zero-width joiner.
            while surname.startswith(given) or "\u200d" in given:
                given = pick()
        return f"{given} {surname}"

    def weighted(self, pairs):
        items, weights = zip(*pairs, strict=True)
        return self.rng.choices(items, weights=weights)[0]

    def stamp(self, day: date, after: datetime | None = None) -> datetime:
        """A UTC timestamp during office hours in India on `day`, later than `after`, never in the future."""
        local = datetime.combine(day, time(self.rng.randint(10, 17), self.rng.randint(0, 59)))
        stamp = local - IST_OFFSET
        if after is not None and stamp <= after:
            stamp = after + timedelta(minutes=self.rng.randint(5, 90))
        return min(stamp, self.now)

    def scheme(self, code: str) -> Scheme:
        return next(s for s in self.schemes if s.code == code)

    # --- the fixed part: areas, offices, schemes, holidays, users ---------------------------

    def build_areas(self) -> None:
        state = areas.create_area(kind=AreaKind.STATE, name_en=data.STATE[0], name_hi=data.STATE[1], actor=None)
        self.state = state
        for index, spec in enumerate(data.DISTRICTS):
            district = areas.create_area(kind=AreaKind.DISTRICT, name_en=spec["name"][0], name_hi=spec["name"][1],
                                         parent=state, code=spec["code"], actor=None)
            self.districts.append(district)
            places: list[Area] = []
            for block_en, block_hi in spec["blocks"]:
                block = areas.create_area(kind=AreaKind.BLOCK, name_en=block_en, name_hi=block_hi, parent=district, actor=None)
                in_block = self.blocks.setdefault((index, block_en), [])
                for _ in range(self.rng.randint(3, 4)):
                    # A gram panchayat is named after its main village, which is its first settlement.
                    main_en, main_hi = self.villages.pop()
                    gp = areas.create_area(kind=AreaKind.GRAM_PANCHAYAT, name_en=main_en, name_hi=main_hi,
                                           parent=block, actor=None)
                    names = [(main_en, main_hi)] + [self.villages.pop() for _ in range(self.rng.randint(1, 2))]
                    for en, hi in names:
                        place = areas.create_area(kind=AreaKind.SETTLEMENT, name_en=en, name_hi=hi, parent=gp, actor=None)
                        places.append(place)
                        in_block.append(place)
                        self.rural.add(place.id)
            urban = areas.create_area(kind=AreaKind.URBAN_BODY, name_en=spec["urban"][0], name_hi=spec["urban"][1],
                                      parent=district, actor=None)
            in_town = self.blocks.setdefault((index, None), [])
            for number in sorted(self.rng.sample(range(1, 25), self.rng.randint(3, 4))):
                mohalla_en, mohalla_hi = self.mohallas.pop()
                ward = areas.create_area(kind=AreaKind.WARD, name_en=f"Ward {number} ({mohalla_en})",
                                         name_hi=f"वार्ड {number} ({mohalla_hi})", parent=urban, actor=None)
                for en, hi in ((mohalla_en, mohalla_hi), self.mohallas.pop()):
                    place = areas.create_area(kind=AreaKind.SETTLEMENT, name_en=en, name_hi=hi, parent=ward, actor=None)
                    places.append(place)
                    in_town.append(place)
            self.settlements.append(places)
        self.counts["settlements"] = sum(len(p) for p in self.settlements)

    def build_offices(self) -> None:
        for code, name_en, name_hi, elected in data.OFFICE_KINDS:
            self.kinds[code] = areas.create_office_kind(code=code, name_en=name_en, name_hi=name_hi, elected=elected, actor=None)
        missing = set(data.MISSING_OFFICES)
        for district_index, district in enumerate(self.districts):
            for code in data.DISTRICT_OFFICES:
                # Two district officers prefer English correspondence, so letters in both languages show up.
                language = "en" if (district_index, code) in ((0, "cmho"), (1, "collector")) else "hi"
                self._office(district, code, language=language,
                             email=f"{code.replace('_', '.')}.{district.code.lower()}@demo.example")
            for body in self._children(district):
                if body.kind is AreaKind.BLOCK:
                    for code in ("janpad_ceo", "lpg_distributor"):
                        if (district.code, body.name_en, code) not in missing:
                            self._office(body, code)
                    for gp in self._children(body):
                        self._office(gp, "panchayat_secretary")
                        self._office(gp, "sarpanch")
                else:
                    self._office(body, "municipal_commissioner")
                    # Urban households get LPG connections too; without this their Ujjwala cases
                    # would have no first level at all.
                    self._office(body, "lpg_distributor")
                    for ward in self._children(body):
                        self._office(ward, "parshad")

    def _children(self, area: Area) -> list[Area]:
        return db.session.scalars(sa.select(Area).where(Area.parent_id == area.id).order_by(Area.id)).all()

    def _office(self, area: Area, code: str, *, language: str = "hi", email: str | None = None) -> None:
        gender = Gender.FEMALE if self.rng.random() < 0.3 else Gender.MALE
        holder = self.person_name(gender)
        if code == "lpg_distributor":
            holder = f"{self.rng.choice(data.LPG_AGENCIES)} (प्रो. {holder})"
        areas.save_office(
            area_id=area.id, kind_id=self.kinds[code].id, holder_name=holder, holder_phone=self.mobile(),
            holder_email=email, address=data.OFFICE_ADDRESS_HI[code].format(area=area.name_hi), language=language, actor=None)
        self.counts["offices"] += 1

    def build_schemes(self) -> None:
        for spec in data.SCHEMES:
            fields = {k: spec[k] for k in ("code", "name_en", "name_hi", "department", "proof_of_delivery",
                                           "documents_required")}
            if "benefit" in spec:  # what the impact summary multiplies by the households served
                fields["benefit_value"], fields["benefit_unit"] = spec["benefit"][0], BenefitUnit(spec["benefit"][1])
            scheme = save_scheme(**fields, actor=None)
            set_ladder(scheme, [(self.kinds[code].id, days) for code, days in spec["ladder"]], actor=None)
            self.schemes.append(scheme)
            self.scheme_spec[scheme.id] = spec

    def build_holidays(self) -> None:
        days: dict[date, tuple[str, str]] = {}
        # Last year too: the oldest demo cases were opened then, and their due dates skip its holidays.
        for year in (self.today.year - 1, self.today.year, self.today.year + 1):
            for (month, day), name_en, name_hi in data.FIXED_HOLIDAYS:
                days[date(year, month, day)] = (name_en, name_hi)
            for name_en, name_hi, dates in data.MOVABLE_HOLIDAYS:
                if year in dates:
                    when = date(year, *dates[year])
                    if when in days:  # two holidays on one day (Dussehra on Gandhi Jayanti in 2025)
                        name_en, name_hi = f"{days[when][0]} / {name_en}", f"{days[when][1]} / {name_hi}"
                    days[when] = (name_en, name_hi)
        for when in sorted(days):
            create_holiday(when, *days[when], actor=None)
        self.counts["holidays"] = len(days)
        # As in many states, offices close on Sundays and the second and fourth Saturdays.
        set_work_week(self.state, {6}, {2, 4}, actor=None)

    def build_users(self) -> None:
        for username, display_name, role, scope, locale in data.USERS:
            scope_areas = [] if scope is None else [self.state] if scope == "state" else [self.districts[scope]]
            self.users[username] = create_user(
                username=username, display_name=display_name, password=data.DEMO_PASSWORD, role=role,
                areas=scope_areas, locale=locale, phone=None if role is Role.ADMIN else self.mobile(), actor=None)


def is_loaded() -> bool:
    """Whether the demo state (or a user named admin, which the demo would clash with) exists."""
    admin = db.session.scalar(sa.select(User.id).where(User.username == "admin"))
    state = db.session.scalar(
        sa.select(Area.id).where(Area.parent_id.is_(None), Area.name_en == data.STATE[0])
    )
    return bool(admin or state)


def seed(n_cases: int = 300) -> str:
    """Create the demo state and return a one-line summary, or "" if it is already there."""
    if is_loaded():
        return ""
    seeder = Seeder()
    seeder.build_areas()
    seeder.build_offices()
    seeder.build_schemes()
    seeder.build_holidays()
    seeder.build_users()
    history = History(seeder)
    for plan in history.plan(max(0, n_cases)):
        history.write_case(plan)
    reports = file_bias_reports(seeder, history.showcase)
    sent, acknowledged = send_letters(seeder, history.letters, n_cases)
    n_reviews = add_reviews(seeder)
    db.session.flush()
    by_status = dict(
        db.session.execute(sa.select(Case.status, sa.func.count()).group_by(Case.status)).all()
    )
    statuses = ", ".join(f"{status.value} {by_status[status]}" for status in CaseStatus if status in by_status)
    statuses = f" ({statuses})" if statuses else ""
    c = seeder.counts
    return (
        f"{len(seeder.districts)} districts, {c['settlements']} settlements, {c['offices']} offices, "
        f"{len(seeder.schemes)} schemes, {c['holidays']} holidays, {len(data.USERS)} users, "
        f"{c['beneficiaries']} beneficiaries, {c['cases']} cases{statuses}, {c['follow_ups']} follow-ups, "
        f"{len(history.letters)} letters ({sent} sent, {acknowledged} acknowledged), {reports} bias reports, "
        f"{n_reviews} quarterly reviews"
    )


def print_logins(echo) -> None:
    """Print the demo logins (all share one password) with `echo`, e.g. click.echo."""
    state = db.session.scalar(sa.select(Area).where(Area.parent_id.is_(None), Area.name_en == data.STATE[0]))
    if state is None:
        echo("This database holds no demo data, so the demo logins do not apply to it.")
        return
    districts = {d.code: d for d in db.session.scalars(sa.select(Area).where(Area.parent_id == state.id))}
    rows = [("username", "password", "role", "area")]
    for username, _name, role, scope, _locale in data.USERS:
        if scope is None:
            area = "-"
        elif scope == "state":
            area = state.name_en
        else:
            code = data.DISTRICTS[scope]["code"]
            area = f"{districts[code].name_en} ({code})" if code in districts else code
        rows.append((username, data.DEMO_PASSWORD, role.value, area))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    echo("Demo logins. These are DEMO CREDENTIALS, printed in the clear: use them on a trial")
    echo("database only, never on one that holds real people's data.")
    for row in rows:
        echo("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
