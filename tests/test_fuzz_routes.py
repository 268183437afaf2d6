"""No input yields a 500: every route of the URL map, every method, every form and filter the
pages show, driven with hostile values; a refused request writes nothing but its refusal.

- Path arguments: each `<int:…>` gets integers beyond 32 and 64 bits, negatives, non-digits,
  NUL, other scripts' digits; each text argument free text, NUL, malformed UTF-8.
- Methods: every method a rule does not take answers 405.
- Bodies: 2 MB + 1 byte and 20 MB to every POST route answer 413.
- Forms and query parameters (Hypothesis): the forms and filters found by crawling the pages
  (tests/fuzz_support.py) are sent with random text, NUL bytes, malformed UTF-8, integers
  beyond 64 bits, impossible and extreme dates, unknown choices, as the role that may use them.

Hypothesis runs derandomized with a fixed number of examples, so a run is repeatable; every
example starts from the same database state (a savepoint rolled back after it) and the same
signed-in sessions.
"""
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.extensions import db
from tests import fuzz_support as fz
from tests import test_routes_matrix as matrix

# The route matrix's world: objects in and out of scope, one signed-in client per role.
objs, clients = matrix.objs, matrix.clients

FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
EXAMPLES_FORMS = 160
EXAMPLES_PARAMS = 100


class Reset:
    """Each request, or each example, starts from the same database and the same sessions."""

    def __init__(self, app, clients):
        self.app, self.clients = app, clients
        self.cookies = {role: client.get_cookie("session") for role, client in clients.items()}

    def __enter__(self):
        with self.app.app_context():
            db.session.remove()
            self.connection = db.session().get_bind()
        self.savepoint = self.connection.begin_nested()
        for role, cookie in self.cookies.items():
            if cookie is not None:
                self.clients[role].set_cookie("session", cookie.value, domain=cookie.domain, path=cookie.path)
        return self

    def __exit__(self, *exc):
        with self.app.app_context():
            db.session.remove()
        self.savepoint.rollback()


@pytest.fixture
def reset(app, clients):
    return Reset(app, clients)


def _send(client, method: str, url: str, body: str | bytes | None = None):
    if body is None:
        return client.open(url, method=method)
    return client.open(url, method=method, data=body, content_type="application/x-www-form-urlencoded")


_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _path(rule, values: dict) -> str:
    """The rule's path with `values` put in as they are (already percent-encoded, or not a valid value)."""
    return _ARG.sub(lambda m: str(values[m.group(2)]), rule.rule)


def test_hostile_path_arguments(app, objs, clients, reset):
    sent = 0
    for rule in fz.rules(app):
        kinds = {m.group(2): m.group(1) or "default" for m in _ARG.finditer(rule.rule)}
        role, valid = fz.role_for(rule.endpoint), fz.valid_values(rule, objs)
        for arg, kind in kinds.items():
            if kind == "any":
                continue  # a fixed list: anything else does not match the rule
            for value in fz.PATH_INTS if kind == "int" else fz.PATH_TEXT:
                url = _path(rule, valid | {arg: value})
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    with reset:
                        ledger = fz.Ledger(app)
                        response = _send(clients[role], method, url, "" if method == "POST" else None)
                        ledger.check(response, f"{method} {url[:120]} as {role}")
                        if kind == "int":
                            # 405: the same path with another method's rule (Werkzeug checks methods first).
                            assert response.status_code in (404, 405), f"{method} {url} as {role}: {response.status_code}"
                    sent += 1
    assert sent > 300, sent


def test_wrong_methods(app, objs, clients, reset):
    sent = 0
    for rule in fz.rules(app):
        role = fz.role_for(rule.endpoint)
        url = fz.build(app, rule, fz.valid_values(rule, objs))
        for method in sorted(set(fz.METHODS) - rule.methods):
            other = [r for r in app.url_map.iter_rules() if r.rule == rule.rule and method in r.methods]
            if other:
                continue  # the same path answers this method elsewhere (areas.show and areas.update)
            with reset:
                ledger = fz.Ledger(app)
                response = _send(clients[role], method, url, "a=b")
                assert response.status_code == 405, f"{method} {url}: {response.status_code}"
                ledger.check(response, f"{method} {url}")
            sent += 1
    assert sent > 100, sent


@pytest.mark.parametrize("size", [2 * 1024 * 1024 + 1, 20 * 1024 * 1024])
def test_bodies_over_the_limit(app, objs, clients, reset, size):
    body = "a=" + "x" * (size - 2)
    for rule in fz.rules(app):
        if "POST" not in rule.methods:
            continue
        role = fz.role_for(rule.endpoint)
        url = fz.build(app, rule, fz.valid_values(rule, objs))
        with reset:
            ledger = fz.Ledger(app)
            response = _send(clients[role], "POST", url, body)
            assert response.status_code == 413, f"POST {url} as {role}: {response.status_code}"
            assert "too large" in response.get_data(as_text=True)
            ledger.check(response, f"POST {url}")


@pytest.fixture
def crawled(app, objs, clients, reset):
    with reset:
        return fz.crawl(app, clients, objs)


def test_the_crawl_finds_a_form_for_every_post_route(app, crawled):
    """A POST route no page shows a form for would escape the form fuzzing below."""
    adapter = app.url_map.bind("localhost")
    reached = {adapter.match(fz._split(form.action)[0], method="POST")[0] for form in crawled.forms}
    posts = {rule.endpoint for rule in fz.rules(app) if "POST" in rule.methods}
    assert sorted(posts - reached) == [], sorted(posts - reached)
    assert sum(len(form.fields) for form in crawled.forms) > 100
    assert len(crawled.params) >= 5


def _hostile():
    return st.one_of(st.sampled_from(fz.HOSTILE), st.text(max_size=40))


@st.composite
def _fields(draw, spec: "fz.FormSpec"):
    """The form filled as it would succeed, then one field (or several) hostile or left out."""
    names = list(spec.fields) or ["q"]
    if draw(st.booleans()):
        spoiled = {draw(st.sampled_from(names))}
    else:
        spoiled = set(draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names))))
    pairs, raw = [], []
    for name in names:
        if name not in spoiled:
            pairs.append((name, spec.plausible(name)))
            continue
        how = draw(st.sampled_from(["hostile", "hostile", "hostile", "option", "missing", "bad utf-8"]))
        if how == "hostile":
            pairs.append((name, draw(_hostile())))
        elif how == "option" and spec.fields.get(name):
            pairs.append((name, draw(st.sampled_from(spec.fields[name]))))
        elif how == "bad utf-8":
            raw.append(f"{quote(name, safe='')}={draw(st.sampled_from(fz.BAD_UTF8))}")
    return pairs, raw


def _probe(app, reset, client, method: str, url: str, body, where: str) -> None:
    """One request from the same starting database: an allowed answer, nothing half-written, and
    the page a redirect leads to loads too (a bad value kept in the session must not break it)."""
    with reset:
        ledger = fz.Ledger(app)
        response = _send(client, method, url, body)
        ledger.check(response, where)
        # A streamed download (the case export) keeps its request open until it is closed:
        # closed here, inside the savepoint, not later by the garbage collector.
        response.close()
        if response.status_code in (302, 303) and response.location.startswith("/"):
            ledger.check(client.get(response.location), f"GET {response.location} after {where}")


@given(data=st.data())
@settings(FUZZ, max_examples=EXAMPLES_FORMS)
def test_forms_with_hostile_values(app, clients, crawled, reset, data):
    form = data.draw(st.sampled_from(crawled.forms), label="form")
    pairs, raw = data.draw(_fields(form), label="fields")
    _probe(app, reset, clients[form.role], "POST", form.action, fz.encode(pairs, raw),
           f"POST {form.action} as {form.role} with {pairs!r:.300} {raw}")


@given(data=st.data())
@settings(FUZZ, max_examples=EXAMPLES_PARAMS)
def test_query_parameters_with_hostile_values(app, clients, crawled, reset, data):
    path = data.draw(st.sampled_from(sorted(crawled.params)), label="path")
    role, names = crawled.params[path]
    spec = fz.FormSpec(role, path, "GET", fields={name: list(values) for name, values in names.items()})
    pairs, raw = data.draw(_fields(spec), label="query")
    query = fz.encode(pairs, raw)
    _probe(app, reset, clients[role], "GET", f"{path}?{query}", None, f"GET {path}?{query:.300} as {role}")


# Each field of each form in turn, the rest filled as it would succeed.
CORE = ["a\x00b", str(2**64 + 1), "-1", "0001-01-01", "10000-01-01", "bogus", fz.AADHAAR_TEXT]


def test_every_field_of_every_form(app, clients, crawled, reset):
    accepted, sent = set(), 0
    for form in crawled.forms:
        base = [(name, form.plausible(name)) for name in form.fields]
        with reset:
            ledger = fz.Ledger(app)
            response = _send(clients[form.role], "POST", form.action, fz.encode(base))
            ledger.check(response, f"POST {form.action} as {form.role} with {base!r:.300}")
            if response.status_code < 400 and "error" not in response.get_data(as_text=True):
                accepted.add(form.action)
        for name in form.fields:
            for value in [*CORE, None]:
                pairs = [(n, v) for n, v in base if n != name]
                raw = [f"{quote(name, safe='')}=%FF%FE"] if value is None else []
                if value is not None:
                    pairs.append((name, value))
                _probe(app, reset, clients[form.role], "POST", form.action, fz.encode(pairs, raw),
                       f"POST {form.action} as {form.role}: {name}={value!r:.60}")
                sent += 1
    # The filled-in forms must mostly succeed, or the hostile field never got past the others.
    assert len(accepted) >= len(crawled.forms) // 2, sorted({f.action for f in crawled.forms} - accepted)
    assert sent > 500, sent
