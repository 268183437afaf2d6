"""What every page's forms share for screen readers and phones: a field's error is tied to the
field (`aria-invalid`, `aria-describedby` naming the error and hint), and the first field in
error on the page takes the focus (`autofocus`, so it works without JavaScript too;
static/forms.js opens a collapsed action that holds it).

Templates render a field as `f(**field_attrs(f, ...))` (templates/_form.html does it for every
form built with its `field` macro); a hand-written field does the same with `error_id`.
"""
from flask import Flask, g, has_request_context


def error_id(f, index: int = 1) -> str:
    return f"{f.id}-error-{index}"


def hint_id(f) -> str:
    return f"{f.id}-hint"


def field_attrs(f, **attrs) -> dict:
    """`attrs` plus what ties `f`'s hint and errors to it; the first field in error of the
    response also gets `autofocus` (one per page: browsers honour only the first anyway)."""
    described = [hint_id(f)] if f.description else []
    if f.errors:
        described += [error_id(f, i) for i in range(1, len(f.errors) + 1)]
        attrs["aria-invalid"] = "true"
        if has_request_context() and not g.get("caseflow_autofocus_given"):
            g.caseflow_autofocus_given = True
            attrs["autofocus"] = True
    if described:
        attrs["aria-describedby"] = " ".join([attrs["aria-describedby"], *described]
                                             if attrs.get("aria-describedby") else described)
    return attrs


def init_app(app: Flask) -> None:
    app.add_template_global(field_attrs, "field_attrs")
    app.add_template_global(error_id, "error_id")
    app.add_template_global(hint_id, "hint_id")
