"""Turning a letter into HTML (Jinja, in the letter's language) and the HTML into a PDF.

The renderer is locked down: WeasyPrint gets a URL fetcher that reads only the project's
own fonts and letterhead from disk and refuses every other URL (http, https, ftp, data:,
file:// anywhere else), so text that reaches a letter — a beneficiary named
`<img src="http://…">` — can never make the server fetch anything, even if it were not
escaped. One FontConfiguration serves the whole process: WeasyPrint then loads the @font-face
files once, which keeps memory flat over thousands of letters and makes each letter faster.
"""
import atexit
import functools
import mimetypes
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from caseflow import labels
from caseflow.areas.models import Area, AreaKind, path_ids
from caseflow.auth.models import Role, User
from caseflow.cases.models import CaseEvent, EventKind
from caseflow.db import local_date
from caseflow.extensions import db
from caseflow.identity import scrub_aadhaar
from caseflow.letters.models import Letter, LetterKind
from caseflow.scope import path_in_scope

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
FONT_DIR = STATIC_DIR / "fonts"
LETTERHEAD_DIR = STATIC_DIR / "letterhead"
DEFAULT_LOGO = LETTERHEAD_DIR / "logo.svg"
TEMPLATES = {LetterKind.ESCALATION: "letters/escalation.html", LetterKind.REFERRAL: "letters/referral.html"}
# The letter templates look labels up by the code's value.
RELATION_LABELS = dict(labels.RELATION_PHRASE)
BIAS_KIND_LABELS = dict(labels.BIAS_KIND_PHRASE)
FINDING_LABELS = dict(labels.FINDING_PHRASE)

_font_config = None
_font_config_lock = threading.Lock()
# Pango and fontconfig objects inside the shared FontConfiguration are not safe to use from
# two threads at once; rendering is CPU-bound under the GIL anyway, so one at a time per process.
_render_lock = threading.Lock()


class FetchRefused(ValueError):
    """The letter asked for a URL outside the project's own assets."""


@functools.cache
def fetcher_class():
    """The fetcher class: it must subclass WeasyPrint's, which is imported only when needed."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415 (WeasyPrint loads Pango and its fonts on import: only a process that renders pays)

    class AssetFetcher(URLFetcher):
        """Serves files from the allowed folders (and the configured logo), refuses everything else."""

        def __init__(self, allowed_dirs, allowed_files):
            super().__init__(allowed_protocols={"file"}, allow_redirects=False, timeout=1)
            self.allowed_dirs = tuple(Path(d).resolve() for d in allowed_dirs)
            self.allowed_files = frozenset(Path(f).resolve() for f in allowed_files)
            self.served: list[str] = []
            self.refused: list[str] = []

        def local_path(self, url: str) -> Path:
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise FetchRefused(f"only the project's own files are served, not {parts.scheme or '?'}: URLs")
            path = Path(unquote(parts.path)).resolve()
            inside = path in self.allowed_files or any(path.is_relative_to(d) for d in self.allowed_dirs)
            if not inside or not path.is_file():
                raise FetchRefused("not one of the project's letter assets")
            return path

        def fetch(self, url, headers=None):
            try:
                path = self.local_path(url)
            except FetchRefused:
                self.refused.append(url)
                raise
            self.served.append(url)
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})

    return AssetFetcher


def logo_path() -> Path | None:
    configured = current_app.config.get("LETTERHEAD_LOGO")
    if configured == "":
        return None  # explicitly no logo
    path = Path(configured) if configured else DEFAULT_LOGO
    return path if path.is_file() else None


def asset_fetcher():
    """A fresh fetcher for one rendering (it records what it served and refused)."""
    logo = logo_path()
    return fetcher_class()([FONT_DIR, LETTERHEAD_DIR], [logo] if logo else [])


def font_config():
    """The process-wide FontConfiguration, created on first use."""
    global _font_config
    if _font_config is None:
        with _font_config_lock:
            if _font_config is None:
                from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415 (as above)

                _font_config = FontConfiguration()
                # Let it clean up its temporary font folder while the interpreter is still whole.
                atexit.register(_drop_font_config)
    return _font_config


def _drop_font_config() -> None:
    global _font_config
    _font_config = None


def html_to_pdf(html: str, *, fetcher=None) -> bytes:
    """The PDF of one letter's HTML, fetching only the project's assets."""
    return html_to_pdf_pages(html, fetcher=fetcher)[0]


def html_to_pdf_pages(html: str, *, fetcher=None) -> tuple[bytes, int]:
    """The PDF of `html` and how many pages it has (for a document that must fit its pages)."""
    from weasyprint import HTML  # noqa: PLC0415 (as in fetcher_class)

    fetcher = fetcher or asset_fetcher()
    _install_text_layer()
    with _render_lock:
        document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher)
        rendered = document.render(font_config=font_config())
        return rendered.write_pdf(), len(rendered.pages)


def _install_text_layer() -> None:
    """Make Hindi text copyable: caseflow.letters.textlayer patches WeasyPrint process-wide
    (idempotent and cheap) to write /ActualText for shaped Devanagari clusters."""
    if not current_app.config.get("LETTERS_TEXT_LAYER_FIX", True):
        return
    try:
        from caseflow.letters import textlayer  # noqa: PLC0415 (imports WeasyPrint; see fetcher_class)
    except ImportError:
        return
    textlayer.fix_text_layer()


def render_pdf(letter: Letter) -> bytes:
    return html_to_pdf(letter_html(letter))


# --- what a letter says --------------------------------------------------------------------

def css_string(text: str) -> str:
    """`text` as a CSS string literal, safe inside a <style> element."""
    escaped = (str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ")
               .replace("<", "\\3C ").replace(">", "\\3E "))
    return f'"{escaped}"'


def page_counter_css() -> str:
    """CSS `content` for "page x of y" in the current locale, built from one translated string."""
    text = _("Page %(page)s of %(pages)s", page="\x01", pages="\x02")
    parts = []
    chunk = ""
    for char in text:
        if char in "\x01\x02":
            if chunk:
                parts.append(css_string(chunk))
            parts.append("counter(page)" if char == "\x01" else "counter(pages)")
            chunk = ""
        else:
            chunk += char
    if chunk:
        parts.append(css_string(chunk))
    return " ".join(parts)


def _places(area: Area, language: str) -> list[str]:
    """The settlement and the areas above it up to the district, in the letter's language."""
    ids = path_ids(area.path)
    rows = {a.id: a for a in db.session.scalars(sa.select(Area).where(Area.id.in_(ids)))}
    chain = [rows[i] for i in reversed(ids) if i in rows and rows[i].kind is not AreaKind.STATE]
    return [a.name(language) for a in chain]


def _signatory(letter: Letter) -> User | None:
    """Who signs: the in-charge who drafted it, else the case's in-charge (the sweep drafts unsigned)."""
    candidates = [letter.created_by_id, letter.case.assigned_to_id, letter.case.created_by_id]
    for user_id in candidates:
        user = db.session.get(User, user_id) if user_id else None
        if user is not None and user.role is Role.INCHARGE:
            return user
    return None


def _supervisor(letter: Letter) -> User | None:
    """The supervisor nearest to the case: the one whose areas hold it most narrowly."""
    supervisors = db.session.scalars(
        sa.select(User).where(User.role == Role.SUPERVISOR, User.active).order_by(User.id)
    ).all()
    best, best_depth = None, -1
    for user in supervisors:
        if not path_in_scope(user, letter.area_path):
            continue
        depth = max(len(a.path) for a in user.areas if letter.area_path.startswith(a.path))
        if depth > best_depth:
            best, best_depth = user, depth
    return best


def _chronology(letter: Letter) -> list[dict]:
    """What happened on the case up to this letter: steps, follow-ups and earlier letters."""
    case = letter.case
    events = db.session.scalars(
        sa.select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.at <= letter.created_at,
               CaseEvent.kind.in_((EventKind.TRANSITION, EventKind.FOLLOW_UP, EventKind.SENT_BACK)))
        .order_by(CaseEvent.at, CaseEvent.id)
    ).all()
    earlier = db.session.scalars(
        sa.select(Letter).where(Letter.case_id == case.id, Letter.id < letter.id).order_by(Letter.id)
    ).all()
    items = [{"on": local_date(e.at), "event": e, "letter": None} for e in events]
    items += [{"on": local_date(x.created_at), "event": None, "letter": x} for x in earlier]
    items.sort(key=lambda item: (item["on"], item["event"].at if item["event"] else item["letter"].created_at))
    return items


# What a kind of letter adds to the context (a referral: the bias finding), registered by the
# domain that drafts it, so letters need not import the domains built on top of them.
ContextProvider = Callable[[Letter], dict]
_context_providers: dict[LetterKind, ContextProvider] = {}


def register_context(kind: LetterKind, provider: ContextProvider) -> None:
    _context_providers[kind] = provider


def _move(letter: Letter) -> dict:
    """What the letter says of the step that made it, read from that step's timeline event:
    an appeal, an escalation before the time limit ran out (with its reason), or after it."""
    event = letter.event
    if event is None or event.kind is not EventKind.TRANSITION:
        return {}
    details = event.details or {}
    return {
        "trigger": event.trigger,
        "early": bool(details.get("early")),
        "reason": event.note,
        "from_level": details.get("from_level"),
        "skipped_levels": details.get("skipped_levels") or [],
    }


def letter_context(letter: Letter) -> dict:
    case = letter.case
    person = case.beneficiary
    language = letter.language
    ladder = {lv.level: lv for lv in case.scheme.levels}
    level = ladder.get(letter.level or 0)
    move = _move(letter)
    # The level the case came from, as recorded; a letter drafted before moves were recorded
    # (or at the case's own level) falls back to the level below.
    previous = ladder.get(move["from_level"]) if move.get("from_level") else ladder.get((letter.level or 0) - 1)
    letter_date = local_date(letter.created_at)
    logo = logo_path()
    config = current_app.config
    context = {
        "letter": letter,
        "case": case,
        "person": person,
        "referral": None,
        "anonymous": False,
        "bias_report": None,
        "scheme": case.scheme,
        "language": language,
        "organisation": {
            "name": config.get("ORGANISATION_NAME") or "caseflow",
            "address_lines": [line.strip() for line in (config.get("ORGANISATION_ADDRESS") or "").splitlines()
                              if line.strip()],
            "logo_url": logo.resolve().as_uri() if logo else None,
        },
        "letter_date": letter_date,
        "places": _places(case.area, language),
        "office": letter.addressee_office,
        "level": level,
        "previous_level": previous if letter.level and letter.level > 1 else None,
        "move": move,
        "days_elapsed": (letter_date - case.application_date).days if case.application_date else None,
        "chronology": _chronology(letter),
        "next_office": letter.copy_office,
        "supervisor": _supervisor(letter),
        "signatory": _signatory(letter),
        "signatory_title": None,
        "page_counter": page_counter_css(),
        "reference_css": css_string(letter.reference),
        "relation_labels": RELATION_LABELS,
        "bias_kind_labels": BIAS_KIND_LABELS,
        "finding_labels": FINDING_LABELS,
        "done_labels": labels.CASE_STEP_DONE,
        "channel_labels": labels.CHANNEL,
    }
    provider = _context_providers.get(letter.kind)
    if provider is not None:
        context.update(provider(letter))
    return context


def letter_html(letter: Letter) -> str:
    """The letter as HTML, in its own language whatever the language of the person printing it."""
    with force_locale(letter.language):
        # Straight from the Jinja environment, not render_template: a letter depends on nothing
        # of the request (no context processors: no session, no user), so the command line and
        # a page render it the same way.
        template = current_app.jinja_env.get_template(TEMPLATES[letter.kind])
        html = template.render(**letter_context(letter))
    # Every field is masked where it was typed in; masking the whole document as well means no
    # 12-digit identity number can reach a PDF through any field, present or future.
    return scrub_aadhaar(html)
