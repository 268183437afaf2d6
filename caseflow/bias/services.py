"""Filing and reviewing bias reports; revealing a complainant's identity (logged)."""
import sqlalchemy as sa

from caseflow.bias.models import OPEN_REVIEW, BiasReport, Finding
from caseflow.cases.models import Case
from caseflow.extensions import db


def blocked_office_ids(case: Case) -> set[int]:
    """Offices the case must not be routed to: those accused in a report that still blocks.

    A report blocks while it is under review, and after a finding that it was substantiated
    or referred to a higher authority (see BiasReport.blocks_routing).
    """
    rows = db.session.scalars(
        sa.select(BiasReport.accused_office_id).where(
            BiasReport.case_id == case.id,
            BiasReport.accused_office_id.is_not(None),
            sa.or_(BiasReport.status.in_(OPEN_REVIEW), BiasReport.finding.in_((Finding.SUBSTANTIATED, Finding.REFERRED))),
        )
    )
    return set(rows)


def has_open_report(case: Case) -> bool:
    return bool(db.session.scalar(
        sa.select(sa.func.count()).select_from(BiasReport).where(
            BiasReport.case_id == case.id, BiasReport.status.in_(OPEN_REVIEW))
    ))
