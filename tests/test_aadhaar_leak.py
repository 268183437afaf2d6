"""The leak test: a full Aadhaar number typed into every text field of every form is found nowhere.

The forms are not listed here: the test signs in as each role (administrator, supervisor,
in-charge, and nobody), walks every page it can reach from the URL map and the links on the
pages, and submits every form it finds, each text box holding a Verhoeff-valid number in as many
of the spellings of `test_aadhaar_rule.SPELLINGS` as it takes (no-break and thin spaces, en
dashes, slashes, underscores, Devanagari digits…): every spelling in every text area, several
in each shorter box, each box starting with the next spelling. A field that refuses it gets a
real value on the next try, so the rest of the form is stored. It walks and submits again while new forms appear (a case
moved on shows its next steps, a filed bias report its review). A new form on any page is
covered without touching this file; every form class of the app with a text field must have
been submitted (`assert_every_form_class_was_reached`).

Then it searches, after stripping every separator and reading every digit as ASCII, for the
twelve digits and for the first eight: every table and column of the database, every log
record, every response (pages, CSV exports, PDFs as text), every letter's PDF as text, the
session cookies and every file of the instance and letters folders. A real 12-digit reference
that fails the check digit and the complaint number `CMH-18112026-7788` are stored unchanged.

One walk feeds all the checks (it is the slow part): they are one test.
"""
import html
import json
import logging
import re
import subprocess
import time
import unicodedata
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote_plus, urlsplit

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField

from caseflow.db import today
from caseflow.extensions import db
from caseflow.identity import mask_aadhaar, verhoeff_digit, verhoeff_valid
from caseflow.letters.models import Letter
from tests.conftest import Auth
from tests.test_aadhaar_rule import MASKED, NUMBER, SPELLINGS

CMH = "CMH-18112026-7788"
# A real-looking 12-digit reference whose check digit is wrong, sharing no 8 digits with NUMBER.
LEGIT_12 = next(n for n in (f"73190482615{d}" for d in range(10)) if not verhoeff_valid(n))
assert verhoeff_valid(NUMBER) and LEGIT_12[:8] not in NUMBER
NEW_PASSWORD = "a-long-new-password-for-the-leak-test"
# Forms that would end the walk (sign out, switch language) or only change a password.
SKIPPED_ENDPOINTS = {"auth.logout", "auth.language", "auth.password", "users.password"}
ROLES = ("admin", "supervisor", "incharge", "anonymous")
MAX_PER_ENDPOINT = 12  # pages per endpoint and role: enough for one case in every status
ROUNDS = 4


# --- reading pages -------------------------------------------------------------------------------


class Page(HTMLParser):
    """The links and forms of a page, and which fields came back with an error."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self.error_fields: set[str] = set()
        self._form = None
        self._select = None
        self._textarea = None
        self._error_depth = 0  # >0 inside a field marked has-error
        self._depth = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div":
            self._depth += 1
            if "has-error" in (a.get("class") or "").split() and not self._error_depth:
                self._error_depth = self._depth
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            self._add(a["name"], kind, a.get("value") or "", checked="checked" in a, min=a.get("min"),
                      maxlength=a.get("maxlength"))
        elif tag == "textarea" and a.get("name"):
            self._textarea = self._add(a["name"], "textarea", "", maxlength=a.get("maxlength"))
        elif tag == "select" and a.get("name"):
            self._select = self._add(a["name"], "select", None, options=[], multiple="multiple" in a)
        elif tag == "option" and self._select is not None:
            self._select["options"].append((a.get("value", ""), "selected" in a))

    def _add(self, name, kind, value, **extra):
        field = {"name": name, "kind": kind, "value": value, **extra}
        self._form["fields"].append(field)
        if self._error_depth:
            self.error_fields.add(name)
        return field

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "div":
            if self._error_depth == self._depth:
                self._error_depth = 0
            self._depth -= 1
        elif tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


TEXT_KINDS = {"text", "search", "email", "tel", "url", "textarea"}


class Walk:
    """Clients for every role, the pages they saw and the forms they submitted."""

    def __init__(self, app, world):
        self.app, self.world = app, world
        self.clients = {role: app.test_client() for role in ROLES}
        for role in ROLES[:3]:
            assert Auth(self.clients[role]).login(getattr(world, role)).status_code == 302
        self.adapter = app.url_map.bind("localhost")
        self.seen: list[tuple[str, str]] = []  # (what, text) of every response
        self.visited: set[tuple[str, str]] = set()
        self.per_endpoint: dict[tuple[str, str], int] = {}
        self.forms: dict[tuple, tuple[str, dict]] = {}  # key -> (role, form)
        self.submitted: list[dict] = []  # every submission: role, endpoint, field names, outcome
        self.spelling = 0
        self.fallbacks = 0

    # pages

    def endpoint(self, url: str, method: str = "GET") -> str | None:
        try:
            return self.adapter.match(urlsplit(url).path, method=method)[0]
        except Exception:
            return None

    def keep(self, what: str, response) -> str:
        body = response.get_data()
        kind = response.mimetype or ""
        if kind == "application/pdf":
            text = pdf_text(body)
        else:
            text = body.decode("utf-8", "replace")
        self.seen.append((what, text + "\n" + response.headers.get("Location", "")))
        return text if kind == "text/html" else ""

    def get(self, role: str, url: str) -> None:
        endpoint = self.endpoint(url)
        if endpoint is None or endpoint == "static" or (role, url) in self.visited:
            return
        if self.per_endpoint.get((role, endpoint), 0) >= MAX_PER_ENDPOINT:
            return
        self.visited.add((role, url))
        self.per_endpoint[(role, endpoint)] = self.per_endpoint.get((role, endpoint), 0) + 1
        response = self.clients[role].get(url)
        assert response.status_code < 500, (role, url, response.status_code)
        text = self.keep(f"{role} GET {url}", response)
        if not text:
            return
        page = Page(text)
        for form in page.forms:
            self.note_form(role, url, form)
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            self.get(role, link.split("#")[0])

    def crawl(self) -> None:
        starts = [r.rule for r in self.app.url_map.iter_rules()
                  if "GET" in r.methods and not r.arguments and r.endpoint != "static"]
        for role in ROLES:
            self.visited = {v for v in self.visited if v[0] != role}
            self.per_endpoint = {k: v for k, v in self.per_endpoint.items() if k[0] != role}
            for url in ["/", *sorted(starts)]:
                self.get(role, url)

    # forms

    def note_form(self, role: str, page_url: str, form: dict) -> None:
        if form["method"] != "post":
            return
        action = form["action"] or page_url
        endpoint = self.endpoint(action, "POST")
        # A delete form has no text to push, and would take away what the walk stored.
        if endpoint is None or endpoint in SKIPPED_ENDPOINTS or "delete" in endpoint:
            return
        names = tuple(sorted(f["name"] for f in form["fields"] if f["kind"] != "hidden"))
        # One submission per role, endpoint and set of fields: the same step on another case adds nothing.
        # (A step's URL names it: /cases/N/do/verify and /cases/N/do/close are different forms.)
        step = re.sub(r"/\d+", "/N", urlsplit(action).path) if endpoint in ("cases.step", "bias.review") else ""
        key = (role, endpoint, step, names)
        if key not in self.forms:
            self.forms[key] = (role, {**form, "action": action, "page": page_url})

    def spellings(self, prefix: str, maxlength: str | None) -> str:
        """As many spellings as the box takes (all of them in a text area), each box starting
        with the next one, so every spelling reaches boxes of every size."""
        values = list(SPELLINGS.values())
        self.spelling += 1
        limit = int(maxlength) if maxlength else 10_000
        text = prefix + values[self.spelling % len(values)]  # one even if too long: then it is refused
        for i in range(1, len(values)):
            longer = f"{text}; {values[(self.spelling + i) % len(values)]}"
            if max(len(longer), len(mask_aadhaar(longer))) > limit:  # masked, it must still fit
                break
            text = longer
        return text

    def fill(self, form: dict) -> dict:
        data: dict[str, list[str]] = {}
        for field in form["fields"]:
            name, kind = field["name"], field["kind"]
            if kind in TEXT_KINDS:
                value = self.spellings("Note " if kind == "textarea" else "", field.get("maxlength"))
            elif kind == "password":
                value = NEW_PASSWORD
            elif kind == "date":
                value = field["value"] or (today() - timedelta(days=3)).isoformat()
            elif kind == "number":
                value = field["value"] or field.get("min") or "1"
            elif kind == "checkbox":
                value = field["value"] or "y"
            elif kind == "radio":
                if name in data and not field["checked"]:
                    continue
                value = field["value"]
            elif kind == "select":
                options = field["options"]
                chosen = [v for v, selected in options if selected] or [v for v, _ in options if v][:1]
                if not chosen:
                    continue
                data[name] = chosen
                continue
            else:
                value = field["value"]
            data.setdefault(name, [])
            if kind == "radio":
                data[name] = [value]
            else:
                data[name].append(value)
        return data

    def fallback(self, name: str, attempt: int) -> str:
        """What a field that refused the number gets instead, in turn: a real reference (both
        kinds alternately), a word that fits any code or username, an e-mail, a phone number."""
        self.fallbacks += 1
        word = "zq" + "".join(chr(ord("a") + int(d)) for d in str(self.fallbacks))
        return [CMH if self.fallbacks % 2 else LEGIT_12, word, f"{word}@example.in", "98765 43210"][attempt]

    def submit_all(self) -> int:
        done = {s["key"] for s in self.submitted}
        new = [(key, value) for key, value in self.forms.items() if key not in done]
        # Administrators first: offices renamed before the letters that copy their holders are drafted.
        new.sort(key=lambda item: ROLES.index(item[0][0]))
        submitted = 0
        for key, (role, form) in new:
            form = self.current(key, role, form)
            if form is None:  # gone from its page (a step was taken): the next walk finds it on another
                del self.forms[key]
                continue
            self.submit(key, role, form)
            submitted += 1
        return submitted

    def current(self, key, role: str, form: dict) -> dict | None:
        """The form as its page shows it now (an earlier submission may have moved its version on)."""
        response = self.clients[role].get(form["page"])
        text = self.keep(f"{role} GET {form['page']} (again)", response)
        for fresh in Page(text).forms if text else ():
            if fresh["method"] == "post" and (fresh["action"] or form["page"]) == form["action"] and \
                    tuple(sorted(f["name"] for f in fresh["fields"] if f["kind"] != "hidden")) == key[3]:
                return {**fresh, "action": form["action"], "page": form["page"]}
        return None

    def submit(self, key, role: str, form: dict) -> None:
        client = self.clients[role]
        data = self.fill(form)
        text_names = {f["name"] for f in form["fields"] if f["kind"] in TEXT_KINDS}
        outcome = None
        for attempt in range(5):
            response = client.post(form["action"], data=data)
            assert response.status_code < 500, (role, form["action"], response.status_code)
            text = self.keep(f"{role} POST {form['action']} (attempt {attempt + 1})", response)
            outcome = response.status_code
            errors = Page(text).error_fields & text_names if text and response.status_code >= 400 else set()
            if not errors or attempt == 4:
                break
            for name in errors:
                data[name] = [self.fallback(name, attempt)]
        self.submitted.append({"key": key, "role": role, "endpoint": key[1], "action": form["action"],
                               "names": set(key[3]), "outcome": outcome, "data": data})

    def run(self) -> None:
        for _ in range(ROUNDS):
            self.crawl()
            if not self.submit_all():
                break
        self.crawl()  # what the last submissions changed


# --- searching -----------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode("utf-8", "replace")


def _ascii_digit(match) -> str:
    return str(unicodedata.digit(match.group(0), 0))


def squeezed(text: str) -> str:
    """Letters and ASCII digits only: entities and URL escapes decoded, any digit read as ASCII,
    every separator (and anything else) dropped, so every spelling becomes the bare digits."""
    text = unicodedata.normalize("NFKC", unquote_plus(html.unescape(text)))
    text = re.sub(r"\d", _ascii_digit, text)
    return re.sub(r"[\W_]", "", text)


def leaks(text: str) -> list[str]:
    flat = squeezed(text)
    return [needle for needle in (NUMBER, NUMBER[:8]) if needle in flat]


def database_columns(app) -> dict[str, str]:
    """Every column of every table, as text: {"table.column": all its values}."""
    with app.app_context():
        out = {}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(sa.select(table)).all()
            for i, column in enumerate(table.columns):
                out[f"{table.name}.{column.name}"] = "\n".join(
                    json.dumps(row[i], ensure_ascii=False, default=str) for row in rows)
        return out


def files_under(*roots: Path, since: float = 0) -> dict[str, str]:
    """Every file under the roots written since `since` (the instance folder is the checkout's,
    and may hold a development database: only what the walk wrote is its business)."""
    out = {}
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.stat().st_mtime >= since):
            data = path.read_bytes()
            out[str(path)] = pdf_text(data) if data[:5] == b"%PDF-" else data.decode("utf-8", "replace")
    return out


# --- the test ------------------------------------------------------------------------------------


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record):
        self.lines.append(f"{self.format(record)} {record.msg!r} {record.args!r}")


@pytest.fixture
def records():
    """Every record logged at DEBUG and above by anyone, loggers that Alembic switched off included."""
    handler = Records()
    root = logging.getLogger()
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    saved = [(lg, lg.disabled, lg.level) for lg in loggers] + [(root, root.disabled, root.level)]
    for lg, _, _ in saved:
        lg.disabled = False
    for name in ("caseflow", "werkzeug"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)  # as in production: no SQL echo
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    for lg, disabled, level in saved:
        lg.disabled, lg.level = disabled, level


@pytest.fixture
def walked(app, world, records):
    """A case in every status, then the whole walk."""
    from caseflow.impact.models import ConsentForm
    from caseflow.impact.services import record_consent

    with app.app_context():
        # A beneficiary who agreed to publicity, with a resolved case, gets the story form
        # (caseflow.impact); their open case puts them first in the queue, where the walk starts.
        told = world.case(status="resolved")
        record_consent(told.beneficiary, actor=world.incharge, given_as=ConsentForm.WRITTEN, note=None)
        world.case(person=told.beneficiary, status="escalated")
        for status in ("identified", "documented", "submitted", "escalated", "sanctioned", "rejected",
                       "resolved", "closed"):
            world.case(status=status)
        db.session.commit()
    walk = Walk(app, world)
    walk.started = time.time() - 1
    walk.run()
    return walk


def test_no_full_aadhaar_number_anywhere_and_real_references_survive(app, walked, records):
    walk = walked
    assert_every_form_class_was_reached(walk)
    # The walk really went through: forms were stored, not only refused.
    assert sum(1 for s in walk.submitted if s["outcome"] in (200, 302, 303)) >= 25, \
        [(s["endpoint"], s["outcome"]) for s in walk.submitted]

    # Every spelling went into many boxes: each text area took them all, shorter boxes several.
    typed = [value for s in walk.submitted for values in s["data"].values() for value in values]
    reached = {name: sum(spelling in value for value in typed) for name, spelling in SPELLINGS.items()}
    assert min(reached.values()) >= 30, reached

    columns = database_columns(app)
    leaked = {name: found for name, text in columns.items() if (found := leaks(text))}
    assert not leaked, f"the full number is stored in {leaked}"

    # Free text was stored masked, in the administrator's fields and the case workers' alike.
    masked = {name for name, text in columns.items() if MASKED in text}
    for column in ("users.display_name", "areas.name_en", "areas.name_hi", "office_kinds.name_en",
                   "offices.holder_name", "offices.address", "schemes.proof_of_delivery", "schemes.name_en",
                   "holidays.name_en", "letters.addressee_holder", "beneficiaries.name", "beneficiaries.address",
                   "cases.rejection_reason", "case_events.note", "bias_reports.account",
                   "bias_complainants.contact"):
        assert column in masked, f"{column} holds no masked number: was its form reached? {sorted(masked)}"

    # Reference fields refused the number and kept the real references exactly as typed.
    stored = "\n".join(columns.values())
    assert CMH in stored and LEGIT_12 in stored
    kept = {name for name, text in columns.items() if CMH in text or LEGIT_12 in text}
    assert {"cases.application_ref", "cases.sanction_ref"} <= kept, kept

    logged = "\n".join(records.lines)
    assert "login user_id=" in logged, "log capture is not working"
    assert not leaks(logged), "the full number is in the logs"

    pages = [(what, found) for what, text in walk.seen if (found := leaks(text))]
    assert not pages, f"the full number is in responses: {pages[:10]}"
    assert any(CMH in text for _, text in walk.seen) and any(LEGIT_12 in text for _, text in walk.seen)

    serializer = app.session_interface.get_signing_serializer(app)
    for role, client in walk.clients.items():
        cookie = client.get_cookie("session")
        if cookie is not None:
            session = json.dumps(serializer.loads(cookie.value), ensure_ascii=False, default=str)
            assert not leaks(session), f"the full number is in the session cookie of {role}"

    # Every letter's PDF (rendered now if the walk did not print it; a superseded letter is
    # not printed any more) and the files on disk.
    with app.app_context():
        letter_ids = db.session.scalars(sa.select(Letter.id)).all()
    printed = 0
    for letter_id in letter_ids:
        response = walk.clients["supervisor"].get(f"/letters/{letter_id}/pdf")
        assert response.status_code in (200, 303)
        if response.status_code == 200:
            printed += 1
            assert not leaks(pdf_text(response.get_data())), f"the full number is in letter {letter_id}'s PDF"
    assert printed >= 2, "letters were not printed: their PDFs were not searched"
    files = {**files_under(Path(app.instance_path), since=walk.started), **files_under(Path(app.config["LETTERS_DIR"]))}
    assert any(name.endswith(".pdf") for name in files)
    found = {name: hit for name, text in files.items() if (hit := leaks(text))}
    assert not found, f"the full number is in files: {found}"


def assert_every_form_class_was_reached(walked):
    """A form class with text fields that the walk never submitted would be a blind spot."""

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    submitted = [s["names"] for s in walked.submitted]
    missing = []
    for form_class in set(subclasses(FlaskForm)):
        if not form_class.__module__.startswith("caseflow."):
            continue
        text_fields = {name for name in dir(form_class)
                       if (unbound := getattr(form_class, name, None)) is not None
                       and getattr(unbound, "field_class", None) is not None
                       and issubclass(unbound.field_class, StringField)
                       and not issubclass(unbound.field_class, PasswordField | HiddenField)}
        if not text_fields:
            continue
        # Prefixed forms (a step's "verify-reason") match on the field name after the prefix.
        if not any(all(any(n == f or n.endswith(f"-{f}") for n in names) for f in text_fields)
                   for names in submitted):
            missing.append(f"{form_class.__module__}.{form_class.__name__} {sorted(text_fields)}")
    assert not missing, f"forms the walk never submitted: {missing}"


def test_the_search_sees_every_spelling():
    """The search itself: every spelling of the number is found, masked text and references are not."""
    for spelling in SPELLINGS.values():
        assert leaks(f"x {spelling} y") and leaks(html.escape(spelling)), spelling
    assert not leaks(f"{MASKED} {CMH} {LEGIT_12} {verhoeff_digit('1')}")
