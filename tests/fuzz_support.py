"""What the fuzz tests share: the world's pages crawled for their forms and links, hostile values,
and the check that a refused request changed nothing.

Forms and query parameters are found by reading the pages the app serves (every GET route of
the URL map, as the role that may use it), so a new route, form or filter is driven by the fuzz
tests without editing them.
"""
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import sqlalchemy as sa

from caseflow.audit.models import AuditEntry
from caseflow.extensions import db
from tests.audit_guard import EXEMPT
from tests.test_routes_matrix import ADMIN_ARGS, CASEWORK, FIXED_ARGS, PUBLIC, ROUTES, SCOPED_ARGS, WRITER

# Every answer a request may get; anything else (a 500 above all) fails.
ALLOWED = {200, 302, 303, 400, 401, 403, 404, 405, 409, 413, 422, 429}  # 401: a failed sign-in
# Audit entries a refused request may write: the refusal itself, a failed sign-in or password check.
REFUSAL_ACTIONS = {"access.refused", "auth.login_failed", "auth.password_check_failed", "auth.throttled"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

AADHAAR_TEXT = "Aadhaar 4829 1736 5402 of Sunita Devi"
HOSTILE_INTS = [str(2**31), str(2**31 - 1), str(2**63), str(2**64 + 1), str(10**30), "-1", f"-{2**70}", "0",
                "1e3", "1_000", "٣", "１", " 7", "0x10"]
HOSTILE_DATES = ["0001-01-01", "9999-12-31", "10000-01-01", "1899-12-31", "2200-01-01", "2026-02-30", "31/12/2026",
                 "2026-13-01", "-2026-01-01", "2026-01-01T00:00:00+05:30"]
HOSTILE_TEXT = ["\x00", "a\x00b", "x" * 5000, AADHAAR_TEXT, "bogus", "", " ", "<script>alert(1)</script>",
                "सुनीता देवी", "\u202eevil", "\ufeff", "' OR 1=1 --", "%00", "\r\n", "😀" * 50, "NaN", "inf",
                "../../etc/passwd", "d.2026-01-01.99999999999", "n.-5", "2026-01-01T00:00:00_1"]
HOSTILE = HOSTILE_INTS + HOSTILE_DATES + HOSTILE_TEXT
# Percent-encodings that are not UTF-8 (a lone continuation byte, an overlong NUL, a surrogate).
BAD_UTF8 = ["%FF", "%C0%80", "%ED%A0%80", "%80abc", "%E0%A4"]
PATH_INTS = [str(2**31), str(2**63), str(2**64 + 1), str(10**30), "-1", "abc", "%00", "%D9%A3", "1.5", "%FF"]
PATH_TEXT = [quote(AADHAAR_TEXT), "%00", "%FF%FE", "x" * 2000, "..%2F..", quote("सुनीता")]


def role_for(endpoint: str) -> str:
    """The role that may use the route (the matrix's writer); public routes as the in-charge."""
    access = ROUTES[endpoint].access
    return WRITER.get(access, "incharge")


def crawl_roles(endpoint: str) -> list[str]:
    """Who the crawl reads a page as: its writer, and whoever else sees other forms on it."""
    access = ROUTES[endpoint].access
    return [role_for(endpoint)] + {PUBLIC: ["anonymous"], CASEWORK: ["supervisor"]}.get(access, [])


# Objects in another state whose pages show forms the matrix's own objects do not.
CRAWL_VARIANTS = {"case_id": ["letter_case"], "review_id": ["signed_review"],
                  "beneficiary_id": ["told_person"]}  # told: consent and a story


def valid_values(rule, o, variant: dict | None = None) -> dict:
    """URL values that reach a real object in scope of the route's role."""
    values = {}
    for arg in rule.arguments:
        if arg in SCOPED_ARGS:
            group = (variant or {}).get(arg) or ROUTES[rule.endpoint].scoped_as or SCOPED_ARGS[arg]
            values[arg] = getattr(o, group)["shr"].id
        elif arg in ADMIN_ARGS:
            values[arg] = getattr(o, ADMIN_ARGS[arg]).id
        else:
            values[arg] = FIXED_ARGS[arg]
    return values


def build(app, rule, values: dict) -> str:
    with app.app_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values)


def rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


# --- reading pages -----------------------------------------------------------------------------


# A plausible value for an empty input of each type, so one hostile field is not hidden behind
# another field left blank.
PLAUSIBLE = {"date": "2026-01-05", "number": "3", "tel": "9876543210", "email": "office@example.org",
             "password": "another-long-password", "checkbox": "y"}


@dataclass
class FormSpec:
    role: str
    action: str
    method: str
    fields: dict = field(default_factory=dict)  # name -> list of values seen (first: the page's own)
    types: dict = field(default_factory=dict)  # name -> input type ("text", "date", "select", ...)
    valid: dict = field(default_factory=dict)  # name -> a value the form accepts, as far as known

    def add(self, name: str | None, value: str | None, kind: str = "text"):
        if name:
            self.fields.setdefault(name, [])
            self.types.setdefault(name, kind)
            if value is not None and value not in self.fields[name]:
                self.fields[name].append(value)

    def plausible(self, name: str) -> str:
        if name in self.valid:
            return str(self.valid[name])
        seen = [v for v in self.fields.get(name, []) if v not in ("", "0")]
        return seen[0] if seen else PLAUSIBLE.get(self.types.get(name), "Sample text")


class _Page(HTMLParser):
    def __init__(self, role: str, base: str):
        super().__init__(convert_charrefs=True)
        self.role, self.base = role, base
        self.forms: list[FormSpec] = []
        self.links: list[str] = []
        self._form = self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = FormSpec(self.role, a.get("action") or self.base, (a.get("method") or "get").upper())
            self.forms.append(self._form)
        elif tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        if self._form is None:
            return
        if tag == "input" and a.get("type") not in ("submit", "reset", "image"):
            kind = a.get("type") or "text"
            self._form.add(a.get("name"), a.get("value") or ("y" if kind == "checkbox" else ""), kind)
        elif tag in ("button", "input") and a.get("name"):
            self._form.add(a.get("name"), a.get("value") or "", "button")
        elif tag == "select":
            self._select = a.get("name")
            self._form.add(self._select, None, "select")
        elif tag == "option" and self._select:
            self._form.add(self._select, a.get("value", ""))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._form.add(self._textarea, None, "textarea")

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.add(self._textarea, data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@dataclass
class Crawl:
    forms: list  # FormSpec of every POST form, one per (role, action)
    params: dict  # path -> {query parameter name: values seen in links and GET forms}, with the role


def crawl(app, clients, o) -> Crawl:
    """Every GET page of the URL map, with valid ids, as the role that may use it."""
    forms, params = {}, {}
    pages = []
    for rule in rules(app):
        if "GET" not in rule.methods:
            continue
        variants = [None] + [{arg: group} for arg in rule.arguments for group in CRAWL_VARIANTS.get(arg, [])]
        for role in crawl_roles(rule.endpoint):
            for variant in variants:
                url = build(app, rule, valid_values(rule, o, variant))
                response = clients[role].get(url)
                if response.mimetype == "text/html":
                    page = _Page(role, url)
                    page.feed(response.get_data(as_text=True))
                    pages.append(page)
    for page in pages:
        role = page.role
        for form in page.forms:
            path, query = _split(form.action)
            if form.method == "GET":
                seen = params.setdefault(path, (role, {}))[1]
                for name, values in form.fields.items():
                    seen.setdefault(name, set()).update(values)
            else:
                known = forms.setdefault((role, form.action), form)
                for name, values in form.fields.items():
                    known.add(name, None, form.types[name])
                    for value in values:
                        known.add(name, value)
        for link in page.links:
            path, query = _split(link)
            for name, value in query:
                params.setdefault(path, (role, {}))[1].setdefault(name, set()).add(value)
    for form in forms.values():
        form.valid = _matrix_payload(app, form, clients, o)
    return Crawl(forms=list(forms.values()), params={p: (r, {k: sorted(v) for k, v in n.items()})
                                                     for p, (r, n) in params.items()})


def _matrix_payload(app, form: FormSpec, clients, o) -> dict:
    """The route matrix's payload that succeeds for this form's route and object, if it has one."""
    path, _query = _split(form.action)
    endpoint, args = app.url_map.bind("localhost").match(path, method="POST")
    route = ROUTES[endpoint]
    if route.post is None:
        return {}
    obj = None
    for arg, value in args.items():
        groups = [route.scoped_as, SCOPED_ARGS.get(arg), *CRAWL_VARIANTS.get(arg, [])] if arg in SCOPED_ARGS \
            else [ADMIN_ARGS.get(arg)]
        for group in filter(None, groups):
            found = getattr(o, group)
            found = found.get("shr") if isinstance(found, dict) else found
            if found is not None and found.id == value:
                obj = found
                break
    try:
        return route.post(o, obj, clients[form.role])
    except AttributeError:  # the payload is about an object this form's URL does not name
        return {}


def _split(url: str):
    parts = urlsplit(url)
    return parts.path, parse_qsl(parts.query, keep_blank_values=True)


def encode(pairs: list[tuple[str, str]], raw: list[str] = ()) -> str:
    """An application/x-www-form-urlencoded body or query string; `raw` pieces go in as they are."""
    return "&".join([f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs] + list(raw))


# --- nothing half-written ----------------------------------------------------------------------


def snapshot(app) -> dict:
    """Every table's rows but the audit trail's and the sign-in throttle's (tests/audit_guard.py)."""
    with app.app_context():
        return {table.name: sorted((tuple(row) for row in db.session.execute(sa.select(table))), key=repr)
                for table in db.metadata.sorted_tables if table.name not in EXEMPT}


class Ledger:
    """The database before a request, to tell what the request changed."""

    def __init__(self, app):
        self.app = app
        self.tables = snapshot(app)
        with app.app_context():
            self.seq = db.session.scalar(sa.select(sa.func.max(AuditEntry.seq))) or 0

    def new_actions(self) -> list[str]:
        with self.app.app_context():
            return list(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.seq > self.seq)))

    def check(self, response, where: str) -> None:
        assert response.status_code in ALLOWED, f"{where}: {response.status_code}"
        if response.status_code < 400:
            return
        assert snapshot(self.app) == self.tables, f"{where}: refused ({response.status_code}) but changed the database"
        extra = set(self.new_actions()) - REFUSAL_ACTIONS
        assert not extra, f"{where}: refused ({response.status_code}) but audited {sorted(extra)}"
