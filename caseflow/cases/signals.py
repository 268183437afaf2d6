"""What the cases domain tells the domains built on it, in the same transaction.

`step_taken` is sent by `caseflow.cases.services.transition` after every step of the case
machine has been written (event flushed, audit entry recorded), with the case, the actor,
the trigger, the event and the `Route` of a move (None for steps that do not move the
case). The letters domain listens: it supersedes letters drafted to an office the case no
longer sits at, and drafts the letter to the new addressee of an escalation or appeal. A
receiver that raises rolls the whole step back with the request.

blinker is Flask's own signal library; a signal keeps the import one way (letters → cases).
"""
from blinker import Namespace

_signals = Namespace()

step_taken = _signals.signal("case-step-taken")
