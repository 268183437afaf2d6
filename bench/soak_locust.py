"""The simulated users of `make soak` (bench/soak.py): a Locust file, run headless by it.

Each user signs in as one of the demo's in-charges or supervisors and, with a pause between
tasks, loads queue pages (plain, filtered, searched), case pages and the letters register,
prints letters, logs follow-ups, takes lifecycle steps and drafts letters — the forms filled
in from the case page the way a browser would, with its CSRF token and the case's version.

Every write the server acknowledged (303 back to the case) is appended to SOAK_ACKS (JSON
lines) with a marker unique to the run written into the follow-up or the step's note, so the
soak can look for each one in the database afterwards. A 409 (someone else changed the case
first: nothing saved, by design) is recorded as a conflict, and a print refused because the
letter was superseded meanwhile as a refusal (the soak checks the letter was superseded); not
errors. Anything else that is not the expected answer is a failure in Locust's statistics.

Settings come from the environment (the soak sets them): SOAK_HOSTS (comma-separated base
URLs, users spread over them in turn), SOAK_ACKS, SOAK_FAILURES, SOAK_RUN (marker prefix),
SOAK_PASSWORD, SOAK_WAIT_MIN/MAX (seconds between tasks).
"""
import itertools
import json
import os
import random
import re
import time
from datetime import date, timedelta
from html.parser import HTMLParser

from locust import HttpUser, between, events, task

HOSTS = [h for h in os.environ.get("SOAK_HOSTS", "http://127.0.0.1:8000").split(",") if h]
ACKS = os.environ.get("SOAK_ACKS", "soak-acks.jsonl")
FAILURES = os.environ.get("SOAK_FAILURES", "soak-failures.jsonl")
RUN = os.environ.get("SOAK_RUN", "S0")
PASSWORD = os.environ.get("SOAK_PASSWORD", "demo-password-1")
ACCOUNTS = ("incharge1", "incharge2", "incharge1", "incharge2", "supervisor1", "supervisor2", "supervisor")
# Steps whose form this file fills in; "deliver" needs the beneficiary's confirmation, which a
# real in-charge would have, so it is ticked.
STEPS = ("verify", "submit", "escalate", "sanction", "reject", "appeal", "send_back", "deliver", "close", "reopen")
_numbers = itertools.count(1)
_hosts = itertools.cycle(HOSTS)



def _record(path: str, entry: dict) -> None:
    # One write per line, appended and flushed at once: a soak killed half-way keeps what it had.
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


@events.request.add_listener
def _on_request(request_type, name, response_time, response_length, response=None, exception=None, **_kw):
    if exception is not None:
        status = getattr(response, "status_code", 0) if response is not None else 0
        _record(FAILURES, {"t": time.time(), "name": f"{request_type} {name}", "status": status or 0,
                           "error": type(exception).__name__ if not isinstance(exception, str) else "failure",
                           "text": str(exception)[:200]})


class Forms(HTMLParser):
    """The page's POST forms: action → {field name: value a browser would submit}, plus the
    selects' options and which fields are textareas, text or date inputs."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict] = {}
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {"fields": {}, "kinds": {}, "options": {}}
            self.forms[a.get("action") or ""] = self._form
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind == "checkbox":
                self._form["kinds"][a["name"]] = "checkbox"
                return
            self._form["fields"][a["name"]] = a.get("value") or ""
            self._form["kinds"][a["name"]] = kind
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["fields"][a["name"]] = ""
            self._form["kinds"][a["name"]] = "select"
            self._form["options"][a["name"]] = []
        elif tag == "option" and self._select:
            self._form["options"][self._select].append(a.get("value") or "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form["fields"][a["name"]] = ""
            self._form["kinds"][a["name"]] = "textarea"

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(html: str) -> dict[str, dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def fill(form: dict, marker: str) -> dict:
    """What a careful user would type: the marker in every text, yesterday in every date, the
    first real option of every select."""
    data = {}
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    for name, value in form["fields"].items():
        kind = form["kinds"][name]
        short = name.rsplit("-", 1)[-1]
        if kind == "hidden":
            data[name] = value
        elif short == "override_reason":
            continue
        elif kind == "textarea":
            data[name] = f"Soak note {marker}"
        elif kind == "date":
            data[name] = "" if short == "promised_date" else yesterday
        elif kind == "select":
            options = [o for o in form["options"].get(name, []) if o not in ("", "0")]
            data[name] = random.choice(options) if options else (form["options"].get(name) or [""])[0]
        else:
            data[name] = marker
    for name, kind in form["kinds"].items():
        if kind == "checkbox":
            data[name] = "y"
    return data


class Caseworker(HttpUser):
    wait_time = between(float(os.environ.get("SOAK_WAIT_MIN", "0.5")), float(os.environ.get("SOAK_WAIT_MAX", "2.5")))
    host = HOSTS[0]

    def on_start(self):
        self.number = next(_numbers)
        self.client.base_url = next(_hosts)
        # Production marks the session cookie Secure, and behind TLS a browser sends it back; the
        # soak talks plain http to gunicorn (X-Forwarded-Proto says https, as nginx would), so
        # the flag is dropped before each request.
        send = self.client.request

        def request(*args, **kwargs):
            for cookie in self.client.cookies:
                cookie.secure = False
            return send(*args, **kwargs)

        self.client.request = request
        # As nginx would send them (CASEFLOW_TRUSTED_PROXIES=1): each user its own address, so the
        # per-address sign-in limits see 50 people, not one machine.
        self.client.headers.update({"X-Forwarded-For": f"10.{self.number // 250}.{self.number % 250}.7",
                                    "X-Forwarded-Proto": "https", "Accept-Language": "hi",
                                    # Over https Flask-WTF also wants a same-origin Referer, as a browser sends.
                                    "Referer": self.client.base_url.replace("http://", "https://", 1) + "/"})
        self.username = ACCOUNTS[self.number % len(ACCOUNTS)]
        self.case_ids: list[int] = []
        self.letter_ids: list[int] = []
        self.writes = 0
        page = self.client.get("/login", name="/login").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        with self.client.post("/login", name="/login", allow_redirects=False, catch_response=True,
                              data={"csrf_token": token.group(1) if token else "", "username": self.username,
                                    "password": PASSWORD}) as r:
            if r.status_code != 302:
                r.failure(f"sign-in answered {r.status_code}")
                return
        self.queue()

    # --- reading ---------------------------------------------------------------------------

    def _get(self, path: str, name: str, expect: str = "text/html"):
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as r:
            if r.status_code != 200 or expect not in r.headers.get("Content-Type", ""):
                r.failure(f"{r.status_code} {r.headers.get('Content-Type', '')}")
                return None
            return r

    def _remember_cases(self, html: str) -> None:
        ids = [int(i) for i in re.findall(r'href="/cases/(\d+)"', html)]
        self.case_ids = (self.case_ids + ids)[-400:]

    @task(8)
    def queue(self):
        r = self._get("/queue", "/queue")
        if r is not None:
            self._remember_cases(r.text)
            following = re.search(r'<a[^>]*rel="next"[^>]*href="([^"]+)"', r.text)
            if following and random.random() < 0.3:
                r = self._get(following.group(1).replace("&amp;", "&"), "/queue (next page)")
                if r is not None:
                    self._remember_cases(r.text)

    @task(3)
    def queue_filtered(self):
        status = random.choice(("submitted", "escalated", "identified", "all"))
        overdue = "&overdue=1" if random.random() < 0.5 else ""
        r = self._get(f"/queue?status={status}{overdue}", "/queue?status=…")
        if r is not None:
            self._remember_cases(r.text)

    @task(2)
    def search(self):
        page = self._get("/queue", "/queue")
        if page is None:
            return
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        refs = re.findall(r'class="ref"[^>]*>([^<]+)<', page.text)
        if not token or not refs:
            return
        # The reference's last digits: matches a handful of cases, like a clerk's partial search.
        text = random.choice(refs).strip()[-4:]
        for form, name in (({"q": text}, "/queue/search"), ({"q": "", "clear": "1"}, "/queue/search (clear)")):
            with self.client.post("/queue/search", name=name, catch_response=True, allow_redirects=False,
                                  data={"csrf_token": token.group(1), **form}) as r:
                if r.status_code != 302:
                    r.failure(str(r.status_code))
                    return
            if "clear" not in form:
                self._get("/queue", "/queue (searched)")

    @task(8)
    def case_page(self):
        if self.case_ids:
            self._get(f"/cases/{random.choice(self.case_ids)}", "/cases/[id]")

    @task(2)
    def letters(self):
        r = self._get("/letters", "/letters")
        if r is not None:
            self.letter_ids = [int(i) for i in re.findall(r'href="/letters/(\d+)/pdf"', r.text)][:100]

    @task(2)
    def print_letter(self):
        if not self.letter_ids:
            return self.letters()
        letter_id = random.choice(self.letter_ids)
        with self.client.get(f"/letters/{letter_id}/pdf", name="/letters/[id]/pdf", catch_response=True,
                             allow_redirects=False) as r:
            if r.status_code == 200 and "application/pdf" in r.headers.get("Content-Type", ""):
                return
            if r.status_code == 303 and "/letters" in r.headers.get("Location", ""):
                # Refused with a message: the letter was superseded (another user moved its case)
                # since the register was loaded. The soak checks that each one really was.
                r.success()
                _record(ACKS, {"kind": "print-refused", "letter_id": letter_id, "t": time.time()})
                return
            r.failure(f"{r.status_code} {r.headers.get('Content-Type', '')}")

    # --- writing ---------------------------------------------------------------------------

    def _marker(self) -> str:
        self.writes += 1
        return f"{RUN}-{self.number}-{self.writes}"

    def _case_forms(self):
        if not self.case_ids:
            return None, {}
        case_id = random.choice(self.case_ids)
        r = self._get(f"/cases/{case_id}", "/cases/[id]")
        return (case_id, forms_of(r.text)) if r is not None else (None, {})

    def _post(self, case_id: int, action: str, data: dict, name: str, ack: dict) -> None:
        started = time.time()
        with self.client.post(action, data=data, name=name, catch_response=True, allow_redirects=False) as r:
            where = r.headers.get("Location", "")
            if r.status_code in (302, 303) and re.search(rf"/cases/{case_id}(?:$|[#?])", where):
                _record(ACKS, {**ack, "case_id": case_id, "user": self.username, "t0": started, "t": time.time()})
            elif r.status_code == 409:
                r.success()  # the case changed under us; nothing saved, as designed
                _record(ACKS, {**ack, "case_id": case_id, "conflict": True, "t": time.time()})
            else:
                r.failure(f"{r.status_code} {where}")

    @task(3)
    def follow_up(self):
        case_id, forms = self._case_forms()
        action = f"/cases/{case_id}/follow-up"
        if action not in forms:
            return
        marker = self._marker()
        self._post(case_id, action, fill(forms[action], marker), "/cases/[id]/follow-up",
                   {"kind": "follow-up", "marker": marker})

    @task(2)
    def step(self):
        case_id, forms = self._case_forms()
        steps = [a for a in forms if re.fullmatch(rf"/cases/{case_id}/do/({'|'.join(STEPS)})", a or "")]
        if not steps:
            return
        action = random.choice(steps)
        trigger = action.rsplit("/", 1)[-1]
        marker = self._marker()
        self._post(case_id, action, fill(forms[action], marker), f"/cases/[id]/do/{trigger}",
                   {"kind": "step", "trigger": trigger, "marker": marker})

    @task(1)
    def draft_letter(self):
        case_id, forms = self._case_forms()
        action = f"/cases/{case_id}/letters/draft"
        if action in forms:
            self._post(case_id, action, fill(forms[action], ""), "/cases/[id]/letters/draft",
                       {"kind": "draft"})
