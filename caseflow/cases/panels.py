"""The case page's panels from other domains (escalation, letters, bias, audit).

A domain declares its panel with `@panels.register(bp, name, order=...)`; the panel joins an app's
case page when the domain's blueprint is registered on that app. So the imports go one way,
from those domains to this module, and the case page never imports their views.

A panel function takes (case, user) and returns the dict its template
(`templates/<name>/_case_panel.html`, which reads it as `panel`) needs.
"""
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, current_app

_KEY = "caseflow.case_panels"


@dataclass(frozen=True)
class Panel:
    name: str
    order: int
    build: Callable[..., dict]

    @property
    def template(self) -> str:
        return f"{self.name}/_case_panel.html"


def register(bp: Blueprint, name: str, *, order: int):
    """Decorator: `build(case, user)` is a panel of the case page of every app `bp` is registered on."""

    def decorate(build: Callable[..., dict]):
        def on_register(state) -> None:
            state.app.extensions.setdefault(_KEY, {})[name] = Panel(name, order, build)

        bp.record_once(on_register)
        return build

    return decorate


def panels_for(case, user) -> list[tuple[str, dict]]:
    """(template, panel) for each registered panel, in page order."""
    registered = current_app.extensions.get(_KEY, {}).values()
    return [(p.template, p.build(case, user)) for p in sorted(registered, key=lambda p: p.order)]
