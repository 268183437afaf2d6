"""Queue search: one box that finds a case by its reference (whole, or its number alone), the
beneficiary's mobile number or Aadhaar last four, the government's application or CM Helpline /
grievance number, or the beneficiary's name in either script with spelling slack.

Every kind of match is one look-up of an index built for it (migration 5ea4c4b10012): the
reference's number `cases.ref_seq`, `beneficiaries.mobile` (stored as 10 digits),
`beneficiaries.aadhaar_last4`, `cases.application_key` / `grievance_key` (letters and digits
only) and the words of names in `beneficiary_name_tokens` (key and skeleton, names.py). Each
is scoped by `caseflow.scope.visible` like the queue, and read at most a page of results deep,
so a search costs the same in a district of 20,000 cases as in a state of a million.

Ranking: the exact kinds first (reference, mobile), then Aadhaar last four and the government's
numbers, then names: every word's key matching (the same words in the same order first, then
by how close the spelling is), then names that match only by skeleton.

The text searched is never logged, put in a URL or recorded in the audit trail: the caller
keeps it in the session (views.search).
"""
import difflib
import re
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa

from caseflow.beneficiaries.models import Beneficiary, NameToken
from caseflow.beneficiaries.names import name_key, name_tokens
from caseflow.cases.models import Case, search_key
from caseflow.cases.queries import QueueRow, rows_by_id
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.identity import normalise_mobile
from caseflow.scope import areas_of, covers_every_state, visible

RESULT_LIMIT = 50
# The words of a name searched at most (more would only add index probes; names are short).
_MAX_WORDS = 4

# Kinds of match, in rank order.
REFERENCE, MOBILE, AADHAAR, NUMBER, NAME, SIMILAR_NAME = (
    "reference", "mobile", "aadhaar", "number", "name", "similar_name")

_FULL_REFERENCE = re.compile(r"([A-Za-z][A-Za-z0-9]{0,9})\s*/\s*(\d{4})\s*/\s*(\d{1,9})")
_PHONE_LIKE = re.compile(r"[\d\s+\-().]+")
# A full Aadhaar number typed in the box reaches search masked (views.search scrubs it first).
_MASKED_AADHAAR = re.compile(r"X{4}\s*X{4}\s*(\d{4})")


@dataclass
class Hit:
    row: QueueRow
    kind: str


@dataclass
class SearchResult:
    hits: list[Hit] = field(default_factory=list)
    more: bool = False  # more cases matched than are shown


def _ascii_digits(text: str) -> str:
    """The digits of `text` in any script, as ASCII ('९२' -> '92'); other characters dropped."""
    return "".join(str(unicodedata.digit(ch)) for ch in text if unicodedata.digit(ch, None) is not None)


def search(user, text: str, limit: int = RESULT_LIMIT) -> SearchResult:
    """The cases `user` may see that `text` finds, best first, at most `limit` (see module doc)."""
    text = unicodedata.normalize("NFC", text or "").strip()
    if not text:
        return SearchResult()
    ranked: dict[int, str] = {}  # case id -> kind, in rank order (dicts keep insertion order)
    more = False

    def add(ids, kind: str) -> None:
        nonlocal more
        for case_id in ids:
            if case_id not in ranked:
                if len(ranked) >= limit:
                    more = True
                    return
                ranked[case_id] = kind

    in_scope = visible(user, Case)
    masked = _MASKED_AADHAAR.fullmatch(text)
    if masked:
        add(_people_cases(user, Beneficiary.aadhaar_last4 == masked.group(1), limit), AADHAAR)
        return _result(ranked, more)
    phone_like = _PHONE_LIKE.fullmatch(text) is not None
    digits = _ascii_digits(text) if phone_like else ""
    full = _FULL_REFERENCE.fullmatch(text)
    if full:
        code, year, number = full.groups()
        add(_case_ids(sa.select(Case.id).where(Case.reference == f"{code.upper()}/{year}/{int(number):06d}",
                                               in_scope), limit), REFERENCE)
    if digits and len(digits) <= 9:
        # One case per district and year carries each number: newest first.
        add(_case_ids(sa.select(Case.id).where(Case.ref_seq == int(digits), in_scope)
                      .order_by(Case.id.desc()), limit), REFERENCE)
    if digits:
        mobile = _mobile(text)
        if mobile:
            add(_people_cases(user, Beneficiary.mobile == mobile, limit), MOBILE)
    if digits and len(digits) == 4:
        add(_people_cases(user, Beneficiary.aadhaar_last4 == digits, limit), AADHAAR)
    key = search_key(text)
    if key and any(ch.isdigit() for ch in key) and len(key) >= 3:
        add(_case_ids(sa.select(Case.id).where(sa.or_(Case.application_key == key, Case.grievance_key == key),
                                               in_scope).order_by(Case.id.desc()), limit), NUMBER)
    # Names have no digits: a text with any is a number of some kind.
    if not digits_in(text) and name_key(text):
        for kind, ids in _name_matches(user, text, limit + 1 - len(ranked)):
            add(ids, kind)
    return _result(ranked, more)


def _result(ranked: dict[int, str], more: bool) -> SearchResult:
    if not ranked:
        return SearchResult()
    rows = rows_by_id(list(ranked))
    return SearchResult(hits=[Hit(rows[i], kind) for i, kind in ranked.items() if i in rows], more=more)


def digits_in(text: str) -> bool:
    return any(unicodedata.digit(ch, None) is not None for ch in text)


def _mobile(text: str) -> str | None:
    try:
        return normalise_mobile(text)
    except Refused:
        return None


def _case_ids(query: sa.Select, limit: int) -> list[int]:
    return list(db.session.scalars(query.limit(limit + 1)))


def _people_cases(user, match: sa.ColumnElement[bool], limit: int) -> list[int]:
    """The cases in scope of the people `match` finds (an index on beneficiaries), newest first."""
    query = (sa.select(Case.id).join(Beneficiary, Beneficiary.id == Case.beneficiary_id)
             .where(match, visible(user, Case)).order_by(Case.id.desc()))
    return _case_ids(query, limit)


def _name_matches(user, text: str, limit: int) -> list[tuple[str, list[int]]]:
    """(kind, case ids) for names: every word matching by key, then by skeleton only."""
    words = name_tokens(text)[:_MAX_WORDS]
    if not words:
        return []
    wanted_key = name_key(text)
    found: list[tuple[str, list[int]]] = []
    seen: set[int] = set()
    for kind, column, values in ((NAME, NameToken.key, [k for k, _s in words]),
                                 (SIMILAR_NAME, NameToken.skeleton, [s for _k, s in words])):
        if limit <= 0 or not all(values):
            break
        people = [p for p in _people_by_words(user, column, values, limit + len(seen)) if p not in seen]
        seen.update(people)
        if not people:
            continue
        names = dict(db.session.execute(
            sa.select(Beneficiary.id, Beneficiary.name_key).where(Beneficiary.id.in_(people))).all())
        # Closest spelling first: the same words in the same order, then the most alike.
        people.sort(key=lambda p: (names.get(p) != wanted_key,
                                   -difflib.SequenceMatcher(None, names.get(p) or "", wanted_key).ratio(), -p))
        order = {p: i for i, p in enumerate(people)}
        cases = db.session.execute(
            sa.select(Case.id, Case.beneficiary_id).where(Case.beneficiary_id.in_(people), visible(user, Case))
        ).all()
        cases.sort(key=lambda c: (order[c.beneficiary_id], -c.id))
        ids = [c.id for c in cases]
        found.append((kind, ids))
        limit -= len(ids)
    return found


# Counting stops here: enough to tell a rare word from a common one, at the cost of a short index range.
_COUNT_CAP = 2000


def _word_count(column, value: str) -> int:
    """How many names have this word, up to _COUNT_CAP."""
    capped = sa.select(sa.literal(1)).where(column == value).limit(_COUNT_CAP).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(capped))


def _people_by_words(user, column, values: list[str], limit: int) -> list[int]:
    """Beneficiaries in scope with a name word equal to each of `values` (in any order), newest first.

    The rarest word drives: for every state its index entries are read newest first and the
    reading stops after `limit`; for a smaller scope the (word, area path) index gives that
    scope's entries (a few hundred), sorted. Each other word is one probe of the person's
    words. Driven by a common word
    ("Sunita") with a rare second one, it would read every "Sunita" before finding none."""
    if len(set(values)) > 1:
        values = sorted(values, key=lambda v: (_word_count(column, v), -len(v)))
    driver = sa.orm.aliased(NameToken)
    # Every state: no condition at all, so the database walks (word, id) newest first and stops
    # after a page; a path range over the whole state would invite it to sort every match.
    scope = sa.true() if covers_every_state(areas_of(user)) else visible(user, driver)
    query = sa.select(driver.beneficiary_id).where(getattr(driver, column.key) == values[0], scope)
    for value in values[1:]:
        other = sa.orm.aliased(NameToken)
        # The same word twice ("Ram Ram") needs a second word, not the same one again.
        query = query.where(sa.exists().where(other.beneficiary_id == driver.beneficiary_id,
                                              getattr(other, column.key) == value,
                                              other.position != driver.position if value == values[0] else sa.true()))
    # No DISTINCT: it would keep the database from stopping early; a name with the same word
    # twice comes back twice and is dropped here.
    query = query.order_by(driver.beneficiary_id.desc()).limit(limit)
    return list(dict.fromkeys(db.session.scalars(query)))
