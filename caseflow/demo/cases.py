"""Writing the demo cases: each planned case (caseflow/demo/plan.py) opened, stepped through its
history and followed up through the case services, as an in-charge would have done it, then
moved back to the days its history says things happened.

Every step goes through `cases.services.transition`, the one path the case page and the
sweep use, so each escalation and appeal drafts its letter to the new office (and the letters
a case moved away from are superseded); every step runs with `today()` fixed to its day, so due dates and letter references
are those of that day.
"""
from datetime import date, datetime, timedelta

from caseflow.areas import services as areas
from caseflow.auth.models import User
from caseflow.beneficiaries import services as beneficiaries
from caseflow.beneficiaries.models import Beneficiary, Gender, LawfulBasis, Relation
from caseflow.cases import services as cases
from caseflow.cases.models import WAITING_STATUSES, Case, CaseStatus, CloseReason, EventKind
from caseflow.db import fixed_today
from caseflow.demo import data
from caseflow.demo.plan import Plan, Planner
from caseflow.extensions import db
from caseflow.holidays.services import add_working_days, week_of
from caseflow.identity import holds_aadhaar
from caseflow.letters.models import Letter
from caseflow.schemes.models import Scheme


def hi_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


class History:
    """The case histories of one seed run, and what later steps need from them (letters, showcase cases)."""

    def __init__(self, seeder) -> None:
        self.seeder = seeder
        self.rng = seeder.rng
        self.today = seeder.today
        self.counts = seeder.counts
        self.planner = Planner(seeder)
        self.people: list[list[tuple[Beneficiary, set[int]]]] = [[] for _ in seeder.districts]
        self.first_offices: dict[tuple[str, int], int | None] = {}
        self.due_dates: dict[tuple[date, int], date] = {}
        self.letters: list[Letter] = []  # drafted by the history's escalations, oldest first
        self.showcase: dict[str, Case] = {}

    def plan(self, n_cases: int) -> list[Plan]:
        return self.planner.plan(n_cases)

    def _fits(self, person: Beneficiary, scheme: Scheme) -> bool:
        spec = self.seeder.scheme_spec[scheme.id]
        if spec["rural_only"] and person.settlement_id not in self.seeder.rural:
            return False
        if scheme.code == "PMUY" and person.gender is not Gender.FEMALE:
            return False
        if scheme.code == "IGNOAPS" and (person.birth_year or self.today.year) > self.today.year - 60:
            return False
        return not (scheme.code == "NFSA-RC" and person.ration_card_no)

    def _beneficiary(self, plan: Plan, actor: User) -> tuple[Beneficiary, bool]:
        # Some households are followed up for a second scheme: only where escalation can take
        # the case as far as its plan says (a showcase case keeps the place it was planned for).
        if plan.label is None and self.rng.random() < 0.15:
            reach = self.planner.reachable(plan.settlement, plan.scheme)
            candidates = [(p, s) for p, s in self.people[plan.district]
                          if plan.scheme.id not in s and self._fits(p, plan.scheme)
                          and self.planner.reachable(p.settlement, plan.scheme) == reach]
            if candidates:
                person, schemes = self.rng.choice(candidates)
                schemes.add(plan.scheme.id)
                return person, False
        code = plan.scheme.code
        if code == "PMUY":
            gender = Gender.FEMALE
        elif code == "PM-KISAN":
            gender = Gender.MALE if self.rng.random() < 0.85 else Gender.FEMALE
        else:
            gender = self.seeder.weighted(((Gender.FEMALE, 55), (Gender.MALE, 44), (Gender.OTHER, 1)))
        age = self.rng.randint(60, 88) if code == "IGNOAPS" else self.rng.randint(19, 72)
        name = self.seeder.person_name(gender)
        surname = name.rsplit(" ", 1)[1]
        if gender is Gender.FEMALE and age > 22 and self.rng.random() < 0.8:
            relation, relative = Relation.HUSBAND, self.seeder.person_name(Gender.MALE, surname)
        else:
            relation, relative = Relation.FATHER, self.seeder.person_name(Gender.MALE, surname)
        basis = self.seeder.weighted(((LawfulBasis.WRITTEN_CONSENT, 70), (LawfulBasis.ORAL_CONSENT, 25),
                                (LawfulBasis.GUARDIAN_CONSENT, 5 if age >= 75 else 0)))
        consent = {
            LawfulBasis.WRITTEN_CONSENT: "सर्वे के दौरान लाभार्थी ने सहमति पत्र पर हस्ताक्षर/अंगूठा लगाया; पत्र फ़ाइल में।",
            LawfulBasis.ORAL_CONSENT: "लाभार्थी ने गवाह के सामने मौखिक सहमति दी; गवाह का नाम रजिस्टर में।",
            LawfulBasis.GUARDIAN_CONSENT: "लाभार्थी अस्वस्थ; पुत्र ने अभिभावक के रूप में लिखित सहमति दी।",
        }[basis]
        mobile = None
        if self.rng.random() < 0.85:
            mobile = self.seeder.mobile()
            if self.rng.random() < 0.2:
                mobile = f"+91 {mobile[:5]}-{mobile[5:]}"  # as people write it; register() normalises
        rural = plan.settlement.id in self.seeder.rural
        address = (f"मकान नं. {self.rng.randint(1, 240)}, ग्राम {plan.settlement.name_hi}" if rural
                   else f"मकान नं. {self.rng.randint(1, 480)}, गली नं. {self.rng.randint(1, 12)}, {plan.settlement.name_hi}")
        ration = None
        if code != "NFSA-RC" and self.rng.random() < 0.5:
            ration = f"RC/{self.seeder.districts[plan.district].code}/{self.rng.randint(100000, 999999)}"
        person = beneficiaries.register(
            actor, plan.settlement,
            name=name, relative_name=relative, relation=relation, gender=gender,
            birth_year=self.today.year - age, mobile=mobile, address=address,
            preferred_language="en" if self.rng.random() < 0.02 else "hi",
            # The last four digits only: a demo must never even look like it holds a full number.
            aadhaar=f"{self.rng.randint(0, 9999):04d}" if self.rng.random() < 0.8 else None,
            ration_card_no=ration, lawful_basis=basis, consent_note=consent,
        )
        self.people[plan.district].append((person, {plan.scheme.id}))
        self.counts["beneficiaries"] += 1
        return person, True

    def _data(self, case: Case, plan: Plan, trigger: str, day: date) -> dict:
        code = plan.scheme.code
        year = day.year
        if trigger == "submit":
            step = {"application_ref": f"{data.APPLICATION_PREFIX[code]}{self.rng.randint(10**6, 10**7 - 1)}",
                    "application_date": day}
            if self.rng.random() < 0.15:
                number = self.rng.randint(10**7, 10**8 - 2)
                # Year and number are twelve digits: one in ten would pass as an Aadhaar number,
                # which a reference field refuses. The next number never does too.
                if holds_aadhaar(f"{year}{number}"):
                    number += 1
                step["grievance_ref"] = f"CMH/{year}/{number}"
            return step
        if trigger == "escalate":
            return {"reason": self.rng.choice(data.ESCALATE_REASONS)}
        if trigger == "sanction":
            return {"sanction_ref": f"{code}/{case.reference.split('/')[0]}/{year}/{self.rng.randint(100, 9999):04d}",
                    "sanction_date": day}
        if trigger == "reject":
            return {"reason": self.rng.choice(data.REJECT_REASONS)}
        if trigger == "appeal":
            return {"reason": self.rng.choice(data.APPEAL_REASONS)}
        if trigger == "deliver":
            proof = data.DELIVERY_PROOF[code].format(sanction=case.sanction_ref, day=hi_date(day),
                                                number=self.rng.randint(10**7, 10**8 - 1))
            return {"proof_of_delivery": proof, "delivered_on": day, "beneficiary_confirmed": True}
        if trigger == "close":
            if plan.outcome == "reopened":
                return {"close_reason": CloseReason.UNREACHABLE, "reason": "परिवार मज़दूरी के लिए पलायन पर; संपर्क नहीं।"}
            return {"close_reason": plan.close_reason, "reason": data.CLOSE_NOTES[plan.close_reason]}
        if trigger == "reopen":
            return {"reason": self.rng.choice(data.REOPEN_REASONS)}
        return {}

    def _follow_up(self, case: Case, plan: Plan, actor: User, promise: bool) -> None:
        status = case.status
        office_id = case.office_id
        if status in (CaseStatus.IDENTIFIED, CaseStatus.DOCUMENTED):
            # Before submission the in-charge deals with whoever takes the application.
            office_id = self._first_office(case, plan.scheme)
            response = self.rng.choice(data.FOLLOW_UP_EARLY)
        elif status is CaseStatus.SANCTIONED:
            response = self.rng.choice(data.FOLLOW_UP_SANCTIONED)
        elif status is CaseStatus.REJECTED:
            response = self.rng.choice(data.FOLLOW_UP_REJECTED)
        else:
            response = self.rng.choice(data.FOLLOW_UP_WAITING)
        promised = None
        if promise:
            promised = self.today + timedelta(days=self.rng.randint(3, 20))
            response = self.rng.choice(data.FOLLOW_UP_PROMISE).format(date=hi_date(promised))
        cases.log_follow_up(case, actor, expected_version=case.version, channel=self.seeder.weighted(data.CHANNELS),
                            response=response, office_id=office_id, promised_date=promised)
        self.counts["follow_ups"] += 1

    def _first_office(self, case: Case, scheme: Scheme) -> int | None:
        key = (case.area_path, scheme.id)
        if key not in self.first_offices:
            first = scheme.level(1)
            with db.session.no_autoflush:
                office = areas.resolve_office(case.area_path, first.office_kind_id) if first else None
            self.first_offices[key] = office.id if office else None
        return self.first_offices[key]

    def _due(self, day: date, working_days: int, area_path: str) -> date:
        with db.session.no_autoflush:
            key = (day, working_days, week_of(area_path))
            if key not in self.due_dates:
                self.due_dates[key] = add_working_days(*key)
        return self.due_dates[key]

    def _backdate(self, case: Case, person: Beneficiary | None, stamps: list[datetime],
                  verified: datetime | None, due: date | None) -> None:
        """Move a case the services just wrote back to the days its demo history says things happened.

        Only the demo does this: services stamp "now" (only `today()` is fixed per step), but a
        demo needs a history that happened in the past, including cases that are now overdue.
        It runs once per case, after the last service call, so these writes ride along with the
        next service flush instead of adding one per step. `stamps` has one time per step and
        follow-up; a letter the step drafted shares the step's time.
        """
        if person is not None:
            person.created_at = person.consent_recorded_at = stamps[0] - timedelta(minutes=self.rng.randint(10, 60))
        with db.session.no_autoflush:
            events = list(case.events)
        times = iter(stamps)
        at = None
        for event in events:
            if event.kind is EventKind.LETTER and at is not None:
                event.at = at
                letter = db.session.get(Letter, event.details["letter_id"])
                letter.created_at = at
                self.letters.append(letter)
            else:
                at = event.at = next(times)
        if next(times, None) is not None:
            raise RuntimeError(f"demo case {case.reference}: fewer events than planned steps")
        case.created_at = stamps[0]
        case.updated_at = stamps[-1]
        if verified is not None:
            case.verified_at = verified
        if due is not None:
            case.due_date = due
        if case.ended_at is not None:
            case.ended_at = stamps[-1]  # nothing is logged on an ended case, so its last event ended it

    def write_case(self, plan: Plan) -> Case:
        actor = self.seeder.users[f"incharge{plan.district + 1}"]
        opened = plan.opened
        person, is_new = self._beneficiary(plan, actor)
        plan.settlement = person.settlement
        case = cases.open_case(actor, person, plan.scheme, note=self.rng.choice(data.OPEN_NOTES))
        last = self.seeder.stamp(opened)
        stamps, verified, due = [last], None, None
        for stage in range(-1, len(plan.steps)):
            if stage >= 0:
                trigger = plan.steps[stage]
                day = opened + timedelta(days=plan.offsets[stage])
                last = self.seeder.stamp(day, last)
                step_actor = actor
                if trigger == "escalate" and case.level + 1 == plan.scheme.top_level and self.rng.random() < 0.5:
                    # A supervisor often takes a case to the top: the state's or the district's own.
                    step_actor = self.seeder.users[self.rng.choice(("supervisor", f"supervisor{plan.district + 1}"))]
                with fixed_today(day):
                    step_data = self._data(case, plan, trigger, day)
                    cases.transition(case, step_actor, trigger, step_data, expected_version=case.version)
                stamps.append(last)
                if trigger == "verify":
                    verified = last
                if case.status in WAITING_STATUSES and trigger in ("submit", "escalate", "appeal", "reopen"):
                    due = self._due(day, case.scheme.level(case.level).time_limit_days, case.area_path)
            start = plan.offsets[stage] if stage >= 0 else 0
            end = plan.offsets[stage + 1] if stage + 1 < len(plan.steps) else plan.age
            count = plan.follow_ups.get(stage, 0)
            for n, offset in enumerate(sorted(self.rng.randint(start, end) for _ in range(count))):
                last = self.seeder.stamp(opened + timedelta(days=offset), last)
                is_final_stage = stage == len(plan.steps) - 1
                promise = (is_final_stage and n == count - 1 and not plan.overdue
                           and case.status in (*WAITING_STATUSES, CaseStatus.SANCTIONED)
                           and self.rng.random() < 0.45)
                self._follow_up(case, plan, actor, promise)
                stamps.append(last)
                if promise and case.status in WAITING_STATUSES:
                    due = None  # the promised date, set by the service, is the due date now
        self._backdate(case, person if is_new else None, stamps, verified, due)
        self.counts["cases"] += 1
        if plan.label:
            self.showcase[plan.label] = case
        return case

