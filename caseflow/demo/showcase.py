"""What the demo adds once the case histories are written, so a new user finds every page in use:
bias reports (one substantiated against a sarpanch, waiting for a second supervisor to confirm
it; one newly filed), and a few of the history's letters sent and acknowledged. The sweep that
fills the *Stalled* and *Needs configuration* lists runs after the commit (`seed-demo`).
"""
from datetime import timedelta

from caseflow.bias import services as bias
from caseflow.bias.models import AccusedRole, BiasKind, Finding
from caseflow.cases.models import Case
from caseflow.db import local_date
from caseflow.demo import data
from caseflow.extensions import db
from caseflow.letters import services as letters
from caseflow.letters.models import DispatchMode, Letter, LetterStatus


def file_bias_reports(seeder, showcase: dict[str, Case]) -> int:
    """File the demo's bias reports through the bias services; returns how many were filed."""
    rng, filed = seeder.rng, 0
    for label, filer, reviewer, role, kind, account, reasons in data.BIAS_REPORTS:
        case = showcase.get(label)
        if case is None:
            continue
        opened = local_date(case.created_at)
        incident = max(opened, seeder.today - timedelta(days=rng.randint(8, 15)))
        report = bias.file_report(
            case, seeder.users[filer], accused_role=AccusedRole(role), kind=BiasKind(kind), incident_date=incident,
            account=account, complainant=bias.Complainant(is_beneficiary=True, consent_to_be_named=rng.random() < 0.5),
            witnesses=data.BIAS_WITNESSES,
        )
        stamps = [seeder.stamp(incident + timedelta(days=rng.randint(1, 2)))]
        if reviewer is not None:
            supervisor = seeder.users[reviewer]
            bias.review(report, supervisor, "take", {}, expected_version=report.version)
            bias.review(report, supervisor, "record_finding", {"finding": Finding.SUBSTANTIATED, "reasons": reasons},
                        expected_version=report.version)
            stamps += [seeder.stamp(incident + timedelta(days=3), stamps[-1]),
                       seeder.stamp(incident + timedelta(days=6), stamps[-1])]
            report.finding_at = stamps[-1]
        # As with the cases, only the times move: into the days the demo's story places them.
        report.filed_at = stamps[0]
        for event, at in zip(bias.events(report), stamps, strict=True):
            event.at = at
        filed += 1
    return filed


def send_letters(seeder, drafted: list[Letter], n_cases: int) -> tuple[int, int]:
    """Record the dispatch of the oldest history letters, and the acknowledgement of some of them.

    Dispatch renders each letter's PDF (what was sent is the stored PDF), so only a few are sent:
    the rest stay drafted for the register's batch print. Returns (sent, acknowledged).
    """
    rng = seeder.rng
    # The letters' backdated creation times must be stored before the dispatch service locks them.
    db.session.flush()
    incharges = {district.id: seeder.users[f"incharge{i + 1}"] for i, district in enumerate(seeder.districts)}
    how_many = max(data.MIN_LETTERS_SENT, n_cases // data.CASES_PER_LETTER_SENT)
    # A letter to an office the case has since left was superseded: it can no longer be sent.
    standing = [letter for letter in drafted if letter.status is LetterStatus.DRAFTED]
    oldest = sorted(standing, key=lambda letter: letter.created_at)[:how_many]
    modes = [(DispatchMode(mode), weight) for mode, weight in data.DISPATCH_MODES]
    for n, letter in enumerate(oldest):
        actor = incharges[letter.district_id]
        written = local_date(letter.created_at)
        sent_on = min(written + timedelta(days=rng.randint(0, 3)), seeder.today)
        letter = letters.record_dispatch(letter, actor, expected_version=letter.version, mode=seeder.weighted(modes),
                                         on=sent_on)
        if n % 2 == 0:
            received = min(sent_on + timedelta(days=rng.randint(1, 10)), seeder.today)
            letters.record_acknowledgement(letter, actor, expected_version=letter.version, on=received,
                                           inward_number=f"{rng.randint(100, 4999)}/{received.year}")
    return len(oldest), (len(oldest) + 1) // 2

