"""The step-machine engine both lifecycles use (cases, bias reviews): one `transitions`
machine per lifecycle, built once, its state in a column of the model.

A domain declares only its table: states, and `Step`s naming who may take them and when
(`guards`), the data they need (`requires`), which of several steps of one trigger applies
(`when`) and what they write (`apply`). The engine answers the three questions every page
and service asks — which steps may this user take now (the buttons), why not (the messages),
and take it — from that one table, so the page and the machine cannot disagree.

Each guard runs once per attempt: `fire` decides the step in Python (guards, then data,
then `when`) and then fires exactly that transition on the `transitions` machine, whose own
transitions carry no conditions (it keeps the state graph and runs the step's effect).
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from transitions import Machine, MachineError

from caseflow.exceptions import Refused


class TransitionRefused(Refused):
    """The step is not allowed now; `messages` say why, for the user."""


@dataclass(frozen=True)
class Guard:
    """Who may take a step, and when. `message` is a lazy string, or a callable (obj, actor)
    giving one when the reason depends on the object (e.g. which office is missing)."""

    test: Callable[[object, object], bool]
    message: object

    def why(self, obj, actor):
        return self.message(obj, actor) if callable(self.message) else self.message


def _no_problems(obj, actor, data) -> list:
    return []


def _always(obj, data) -> bool:
    return True


def _nothing(obj, actor, data, plan) -> None:
    return None


@dataclass(frozen=True)
class Step:
    trigger: str
    sources: tuple
    dest: object
    label: object
    guards: tuple[Guard, ...] = ()
    # The problems with the supplied data (empty when it is complete).
    requires: Callable[[object, object, dict], list] = field(default=_no_problems)
    # Picks this step among steps of the same trigger and source, by the data or the object.
    when: Callable[[object, dict], bool] = field(default=_always)
    # What the step writes on the object; `plan` is what the service worked out beforehand.
    apply: Callable[[object, object, dict, dict], None] = field(default=_nothing)


class StepMachine:
    """One lifecycle: its steps, the `transitions` machine built from them, and the questions
    pages and services ask of it."""

    def __init__(self, steps: Iterable[Step], *, states, initial, attribute: str = "status",
                 status_label: Callable[[object], object], not_now_message):
        self.steps: tuple[Step, ...] = tuple(steps)
        self.triggers: tuple[str, ...] = tuple(dict.fromkeys(step.trigger for step in self.steps))
        self.labels = {step.trigger: step.label for step in self.steps}
        self.status_label = status_label
        self.attribute = attribute
        # "This action is not possible while the … is “%(status)s”." for the domain's noun.
        self._not_now = not_now_message
        # Keyed by identity: a step's hash would include its lazy label, which changes with the locale.
        self._names = {id(step): f"{step.trigger}#{i}" for i, step in enumerate(self.steps)}
        self.machine = Machine(
            model=None,
            states=states,
            initial=initial,
            transitions=[
                {"trigger": name, "source": list(step.sources), "dest": step.dest, "before": self._apply(step)}
                for step in self.steps for name in (self._names[id(step)],)
            ],
            model_attribute=attribute,
            auto_transitions=False,
            send_event=True,
        )

    @staticmethod
    def _apply(step: Step):
        def apply(event):
            kwargs = event.kwargs
            step.apply(event.model, kwargs["actor"], kwargs["data"], kwargs.get("plan") or {})

        return apply

    def _status(self, obj):
        return getattr(obj, self.attribute)

    def steps_from(self, status, trigger: str | None = None) -> list[Step]:
        return [s for s in self.steps if status in s.sources and (trigger is None or s.trigger == trigger)]

    def available(self, obj, actor) -> list[str]:
        """The triggers this actor may take on this object now (before any data is asked for)."""
        results: dict[int, bool] = {}
        found: list[str] = []
        for step in self.steps_from(self._status(obj)):
            if step.trigger in found:
                continue
            if all(_test(g, obj, actor, results) for g in step.guards):
                found.append(step.trigger)
        return found

    def decide(self, obj, actor, trigger: str, data: dict) -> tuple[Step | None, list]:
        """The step `trigger` would take with `data`, or None and why not. Each guard runs once."""
        candidates = self.steps_from(self._status(obj), trigger)
        if not candidates:
            return None, [self._not_now(self.status_label(self._status(obj)))]
        results: dict[int, bool] = {}
        messages: list = []
        for step in candidates:
            failed = [g for g in step.guards if not _test(g, obj, actor, results)]
            if failed:
                messages.extend(m for g in failed if (m := g.why(obj, actor)) and m not in messages)
                continue
            if not step.when(obj, data):
                continue
            problems = step.requires(obj, actor, data)
            if problems:
                return None, problems
            return step, []
        return None, messages or [_l("This action is not possible now.")]

    def refusal(self, obj, actor, trigger: str, data: dict) -> list:
        """Why `trigger` cannot fire now with `data` (empty list: it can)."""
        return self.decide(obj, actor, trigger, data)[1]

    def fire(self, obj, trigger: str, *, actor, data: dict, plan: dict | None = None,
             step: Step | None = None) -> Step:
        """Take the step. Raises TransitionRefused, changing nothing, if it may not.

        `step`: one `decide` already chose for this attempt (so its guards are not run again).
        """
        if step is None:
            step, problems = self.decide(obj, actor, trigger, data)
            if step is None:
                raise TransitionRefused(problems)
        try:
            self.machine.events[self._names[id(step)]].trigger(obj, actor=actor, data=data, plan=plan)
        except MachineError as exc:  # the status changed under us: the table says no
            raise TransitionRefused([self._not_now(self.status_label(self._status(obj)))]) from exc
        return step

    def mermaid(self, initial) -> str:
        """The lifecycle as a mermaid state diagram, generated from the steps."""
        lines = ["stateDiagram-v2", f"    [*] --> {initial.value}"]
        seen = set()
        for step in self.steps:
            for source in step.sources:
                edge = (source.value, step.dest.value, step.trigger)
                if edge not in seen:
                    seen.add(edge)
                    lines.append(f"    {source.value} --> {step.dest.value}: {step.trigger}")
        return "\n".join(lines) + "\n"


def _test(guard: Guard, obj, actor, results: dict[int, bool]) -> bool:
    """The guard's answer, asked once per attempt however many steps share the guard."""
    if id(guard) not in results:
        results[id(guard)] = bool(guard.test(obj, actor))
    return results[id(guard)]
