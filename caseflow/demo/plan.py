"""Planning the demo cases: how each one ends up, which steps lead there and on which days.

Every case is worked out before anything is written, so that cases can be opened in date
order (their references then run in date order, as they would have). A plan never escalates
a case to a level whose office is missing (data.MISSING_OFFICES): the escalation service
refuses that, and the sweep is what must find those cases.
"""
import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from caseflow.areas.models import Area
from caseflow.areas.services import resolve_office
from caseflow.cases.models import OPEN_STATUSES, WAITING_STATUSES, CaseStatus, CloseReason
from caseflow.db import today
from caseflow.demo import data
from caseflow.extensions import db
from caseflow.schemes.models import Scheme

STEP_STATUS = {"verify": CaseStatus.DOCUMENTED, "submit": CaseStatus.SUBMITTED, "escalate": CaseStatus.ESCALATED,
               "appeal": CaseStatus.ESCALATED, "sanction": CaseStatus.SANCTIONED, "reject": CaseStatus.REJECTED,
               "deliver": CaseStatus.RESOLVED, "close": CaseStatus.CLOSED, "reopen": CaseStatus.SUBMITTED}


def calendar_days(working_days: int) -> int:
    """A rough calendar span for planning; the real due dates use the holiday calendar."""
    return math.ceil(working_days * 7 / 5) + 1


@dataclass
class Plan:
    """One demo case worked out before anything is written."""

    district: int
    settlement: Area
    scheme: Scheme
    outcome: str
    steps: list[str]
    offsets: list[int]  # days after the case was opened, one per step
    age: int  # days from opening to today
    overdue: bool = False
    close_reason: CloseReason | None = None
    follow_ups: dict[int, int] = field(default_factory=dict)  # step index (-1: after opening) -> count
    label: str | None = None  # a showcase case (data.SHOWCASE)

    @property
    def opened(self) -> date:
        return today() - timedelta(days=self.age)


class Planner:
    def __init__(self, seeder) -> None:
        self.seeder = seeder
        self.rng = seeder.rng
        self._reachable: dict[tuple[str, int], int] = {}

    def reachable(self, settlement: Area, scheme: Scheme) -> int:
        """The highest level escalation can take a case of this place to (every office above level 1 set up)."""
        key = (settlement.path, scheme.id)
        if key not in self._reachable:
            top = 1
            with db.session.no_autoflush:
                for ladder_level in scheme.levels:
                    if ladder_level.level == 1:
                        continue
                    if resolve_office(settlement.path, ladder_level.office_kind_id) is None:
                        break
                    top = ladder_level.level
            self._reachable[key] = top
        return self._reachable[key]

    def _outcomes(self, n: int) -> list[str]:
        """Exactly `n` outcomes in the OUTCOMES proportions, with every outcome present when n allows."""
        total = sum(w for _, w in data.OUTCOMES)
        exact = {name: n * w / total for name, w in data.OUTCOMES}
        quota = {name: int(v) for name, v in exact.items()}
        for name in sorted(exact, key=lambda k: exact[k] - quota[k], reverse=True)[: n - sum(quota.values())]:
            quota[name] += 1
        for name in quota:
            if quota[name] == 0 and n >= len(data.OUTCOMES):
                donor = max(quota, key=quota.get)
                quota[donor] -= 1
                quota[name] += 1
        result = [name for name, count in quota.items() for _ in range(count)]
        self.rng.shuffle(result)
        return result

    def _escalations(self, most: int) -> int:
        weights = (0.55, 0.3, 0.15)[:most]
        return self.rng.choices(range(1, most + 1), weights=weights)[0] if most > 0 else 0

    def _steps(self, outcome: str, close_reason: CloseReason | None, can_rise: int, rises: int | None) -> list[str]:
        """The steps to `outcome`; `can_rise` is how many levels the case can go up at most."""
        applied = ["verify", "submit"]

        def up(*choices: int) -> list[str]:
            return ["escalate"] * min(self.rng.choice(choices), can_rise)

        if outcome == "identified":
            return []
        if outcome == "documented":
            return ["verify"]
        if outcome == "submitted":
            return applied
        if outcome == "reopened":
            return applied + ["close", "reopen"]
        if outcome == "escalated":
            return applied + ["escalate"] * min(rises if rises is not None else self._escalations(min(3, can_rise)),
                                                can_rise)
        if outcome == "appealed":
            return applied + ["reject", "appeal"] if can_rise else applied + ["reject"]
        if outcome == "sanctioned":
            return applied + up(0, 0, 1, 2) + ["sanction"]
        if outcome == "rejected":
            return applied + up(0, 0, 1) + ["reject"]
        if outcome == "resolved":
            return applied + up(0, 0, 0, 1, 2) + ["sanction", "deliver"]
        stage = self.rng.choice(data.CLOSE_STAGES[close_reason])
        if stage == "escalated" and not can_rise:
            stage = "submitted"
        before = {"identified": [], "documented": ["verify"], "submitted": applied,
                  "escalated": applied + ["escalate"], "rejected": applied + ["reject"]}[stage]
        return before + ["close"]

    def _offsets(self, steps: list[str], scheme: Scheme) -> tuple[list[int], int]:
        """Day offsets of each step after opening, and the ladder level the case ends at."""
        day, level, offsets = 0, 0, []
        for trigger in steps:
            limit = calendar_days(scheme.level(level).time_limit_days) if level else 0
            if trigger == "verify":
                gap = self.rng.randint(3, 25)
            elif trigger == "submit":
                gap = self.rng.randint(2, 20)
            elif trigger == "escalate":
                # Escalations happen once the level's time has run out, as the sweep does it.
                gap = limit + self.rng.randint(1, 6)
            elif trigger == "sanction":
                gap = self.rng.randint(5, limit + 5)
            elif trigger == "reject":
                gap = self.rng.randint(5, limit)
            elif trigger == "deliver":
                gap = self.rng.randint(7, 40)
            elif trigger == "close":
                gap = self.rng.randint(2, 30)
            else:  # appeal, reopen
                gap = self.rng.randint(3, 25)
            day += gap
            offsets.append(day)
            if trigger == "submit":
                level = 1
            elif trigger in ("escalate", "appeal"):
                level += 1
        return offsets, level

    def _plan(self, district: int, settlement: Area, scheme: Scheme, outcome: str, *,
              close_reason: CloseReason | None = None, rises: int | None = None, overdue: bool | None = None,
              label: str | None = None) -> Plan:
        can_rise = min(self.reachable(settlement, scheme), scheme.top_level) - 1
        steps = self._steps(outcome, close_reason, can_rise, rises)
        offsets, level = self._offsets(steps, scheme)
        status = data.OUTCOME_STATUS[outcome]
        if status in WAITING_STATUSES:
            window = calendar_days(scheme.level(level).time_limit_days)
            if overdue is None:
                overdue = self.rng.random() < data.OVERDUE_SHARE
            tail = window + self.rng.randint(2, 25) if overdue else self.rng.randint(0, max(0, window - 4))
            if overdue and label is not None:
                tail += 14  # a showcase case must be overdue whatever holidays the calendar holds
        elif status in (CaseStatus.IDENTIFIED, CaseStatus.DOCUMENTED):
            tail = self.rng.randint(0, 30)
        elif status in (CaseStatus.SANCTIONED, CaseStatus.REJECTED):
            tail = self.rng.randint(0, 25)
        else:
            tail = self.rng.randint(0, 90)
        plan = Plan(district, settlement, scheme, outcome, steps, offsets, (offsets[-1] if offsets else 0) + tail,
                    overdue=bool(overdue), close_reason=close_reason, label=label)
        self._plan_follow_ups(plan, status)
        return plan

    def plan(self, n_cases: int) -> list[Plan]:
        s = self.seeder
        showcase = self._showcase() if n_cases >= len(data.SHOWCASE) else []
        plans = []
        reasons = list(CloseReason)
        self.rng.shuffle(reasons)
        closed_seen = 0
        for outcome in self._outcomes(n_cases - len(showcase)):
            district = self.rng.randrange(len(s.districts))
            settlement = self.rng.choice(s.settlements[district])
            rural = settlement.id in s.rural
            scheme = s.weighted(
                [(x, s.scheme_spec[x.id]["weight"]) for x in s.schemes if rural or not s.scheme_spec[x.id]["rural_only"]]
            )
            close_reason = None
            if outcome == "closed":
                # Round-robin, so even a small demo shows every close reason.
                close_reason = reasons[closed_seen % len(reasons)]
                closed_seen += 1
            plans.append(self._plan(district, settlement, scheme, outcome, close_reason=close_reason))
        plans.extend(showcase)
        # Opening the oldest first makes the references run in date order, as they would have.
        plans.sort(key=lambda p: p.opened)
        return plans

    def _showcase(self) -> list[Plan]:
        plans = []
        for label, district, block, code, outcome, rises, overdue in data.SHOWCASE:
            settlement = self.rng.choice(self.seeder.blocks[(district, block)])
            plans.append(self._plan(district, settlement, self.seeder.scheme(code), outcome, rises=rises,
                                    overdue=overdue, label=label))
        return plans

    def _plan_follow_ups(self, plan: Plan, final: CaseStatus) -> None:
        """Spread 1-3 follow-ups over the stages where an open case was waiting on someone."""
        statuses = [CaseStatus.IDENTIFIED] + [STEP_STATUS[trigger] for trigger in plan.steps]
        open_stages = [i - 1 for i, s in enumerate(statuses) if s in OPEN_STATUSES]
        if final in OPEN_STATUSES:
            count = self.rng.randint(1, 3)
            chosen = [len(plan.steps) - 1] + self.rng.choices(open_stages, k=count - 1)
        else:
            chosen = self.rng.choices(open_stages, k=self.rng.randint(0, 2)) if open_stages else []
        for stage in chosen:
            plan.follow_ups[stage] = plan.follow_ups.get(stage, 0) + 1
