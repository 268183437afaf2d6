"""What the cases domain tells the domains built on it, in the same transaction.

`steps_taken` is sent by `caseflow.cases.services.transition_many` (and so by `transition`, a
batch of one) once the steps of a batch of cases have been written (cases updated, events
inserted, audit entries recorded), with the actor, the trigger and a list of `Taken` — the
case, its event and the `Route` of a move (None for steps that do not move the case). The
letters domain listens: it supersedes letters drafted to an office a case no longer sits at,
and drafts the letters to the new addressees of escalations and appeals, for the whole batch
at once. A receiver that raises rolls the whole batch back with the request.

blinker is Flask's own signal library; a signal keeps the import one way (letters → cases).
"""
from dataclasses import dataclass

from blinker import Namespace

_signals = Namespace()

steps_taken = _signals.signal("case-steps-taken")


@dataclass(frozen=True)
class Taken:
    """One case's step, as the receivers of `steps_taken` see it."""

    case: object  # the Case, already at its new status, level and office
    event_id: int  # its TRANSITION event
    route: object  # the routing.Route of a move, or None
    from_level: int
