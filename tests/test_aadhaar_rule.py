"""The Aadhaar rule (caseflow.identity) and the one layer that applies it (caseflow.textguard).

The rule: twelve digits of any script, any run of separators between them, not part of a
longer run of digits, first digit 2–9, a valid Verhoeff check digit. Free text is masked to
`XXXX XXXX 1234`; a reference field keeps its value, or refuses one holding such a number.
The layer: every ORM flush, whatever wrote the string (no form here: direct ORM writes).
"""
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from caseflow.areas.models import Office, OfficeKind
from caseflow.audit.models import AuditEntry
from caseflow.audit.services import record, verify
from caseflow.auth.models import User
from caseflow.cases.models import Case, CaseEvent, EventKind
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.identity import (
    IdentityError,
    aadhaar_last4,
    holds_aadhaar,
    is_aadhaar_digits,
    mask_aadhaar,
    verhoeff_digit,
    verhoeff_valid,
)
from caseflow.letters.models import Letter
from caseflow.textguard import masked_json
from tests.audit_guard import take_violations


def valid_number(first11: str = "48291736540") -> str:
    """A Verhoeff-valid 12-digit number starting with `first11`."""
    return first11 + verhoeff_digit(first11)


def fresh(obj):
    """The world's object as this test's session holds it (the fixture's copies are detached)."""
    return db.session.get(type(obj), obj.id)


NUMBER = valid_number()  # 482917365409
LAST4 = NUMBER[-4:]
MASKED = f"XXXX XXXX {LAST4}"
# The same check digit rule, with the last digit wrong: a legitimate 12-digit reference.
NOT_VERHOEFF = NUMBER[:-1] + str((int(NUMBER[-1]) + 1) % 10)
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def grouped(number: str, sep: str) -> str:
    return sep.join((number[:4], number[4:8], number[8:]))


# Every spelling the rule must see through; the leak test pushes the same through every form.
SPELLINGS = {
    "bare": NUMBER,
    "space": grouped(NUMBER, " "),
    "no-break space": grouped(NUMBER, "\u00a0"),
    "two spaces": grouped(NUMBER, "  "),
    "hyphen": grouped(NUMBER, "-"),
    "en dash": grouped(NUMBER, "\u2013"),
    "em dash": grouped(NUMBER, "\u2014"),
    "minus sign": grouped(NUMBER, "\u2212"),
    "slash": grouped(NUMBER, "/"),
    "underscore": grouped(NUMBER, "_"),
    "dot": grouped(NUMBER, "."),
    "dots and spaces": grouped(NUMBER, " . "),
    "thin space": grouped(NUMBER, "\u2009"),
    "ideographic space": grouped(NUMBER, "\u3000"),
    "zero-width space": grouped(NUMBER, "\u200b"),
    "line break": grouped(NUMBER, "\n"),
    "every digit apart": "-".join(NUMBER),
    "3-3-3-3": " ".join(NUMBER[i:i + 3] for i in range(0, 12, 3)),
    "devanagari": NUMBER.translate(DEVANAGARI),
    "devanagari grouped": grouped(NUMBER.translate(DEVANAGARI), " "),
    "mixed scripts": NUMBER[:6].translate(DEVANAGARI) + NUMBER[6:],
    "bengali": NUMBER.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")),
    "fullwidth": NUMBER.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
}


# --- Verhoeff ------------------------------------------------------------------------------


def test_verhoeff_known_values():
    assert verhoeff_digit("236") == "3" and verhoeff_valid("2363")
    assert not verhoeff_valid("2364")
    assert verhoeff_valid(NUMBER) and not verhoeff_valid(NOT_VERHOEFF)


def test_verhoeff_catches_every_single_digit_error_and_adjacent_swap():
    for i in range(12):
        for d in "0123456789":
            if d != NUMBER[i]:
                assert not verhoeff_valid(NUMBER[:i] + d + NUMBER[i + 1:])
    for i in range(11):
        if NUMBER[i] != NUMBER[i + 1]:
            assert not verhoeff_valid(NUMBER[:i] + NUMBER[i + 1] + NUMBER[i] + NUMBER[i + 2:])


def test_first_digit_0_or_1_is_never_an_aadhaar_number():
    for first in "01":
        number = valid_number(first + NUMBER[1:11])
        assert verhoeff_valid(number) and not is_aadhaar_digits(number)
        assert mask_aadhaar(f"ref {number}") == f"ref {number}"
    assert is_aadhaar_digits(NUMBER)


# --- free text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_every_spelling_is_masked_in_free_text(spelling):
    text = f"Sunita Devi, Aadhaar {spelling}, village Rampur"
    assert holds_aadhaar(text)
    assert mask_aadhaar(text) == f"Sunita Devi, Aadhaar {MASKED}, village Rampur"
    assert mask_aadhaar(spelling) == MASKED


def test_superscript_and_circled_digits_are_read_after_nfkc():
    assert NUMBER[:2] == "48"
    assert mask_aadhaar("⁴⁸" + NUMBER[2:]) == MASKED
    assert mask_aadhaar("④⑧" + NUMBER[2:]) == MASKED


def test_masking_every_number_in_a_text_and_overlapping_windows():
    other = valid_number("23456789012")
    assert mask_aadhaar(f"{NUMBER} and {grouped(other, '-')}") == f"{MASKED} and XXXX XXXX {other[-4:]}"
    # Four groups of four: whichever window of three is a number goes, and nothing is left
    # that reads as one.
    for text in (f"{grouped(NUMBER, ' ')} 7777", f"7777 {grouped(NUMBER, ' ')}"):
        masked = mask_aadhaar(text)
        assert not holds_aadhaar(masked) and NUMBER[:8] not in masked.replace(" ", "")


def test_digits_inside_a_longer_run_are_not_a_number():
    for text in (f"1{NUMBER}", f"{NUMBER}7", f"ACC 9{NUMBER}3", f"{NUMBER}{NUMBER}"):
        assert mask_aadhaar(text) == text and not holds_aadhaar(text)
    # Letters are not digits: a number glued to a word is still found.
    assert mask_aadhaar(f"UID{NUMBER}") == f"UID{MASKED}"


def test_real_references_survive_unchanged():
    for text in ("CMH-18112026-7788", NOT_VERHOEFF, grouped(NOT_VERHOEFF, " "), "SHR/2026/000123",
                 "Sanction no. 4829/2026 dated 12.11.2026", "+91 98765 43210", "9876543210", "2026-11-29 10:30",
                 "सचिव ने कहा कि आवेदन जनपद भेजा गया है", "", "   "):
        assert mask_aadhaar(text) == text, text
        assert not holds_aadhaar(text), text
    assert mask_aadhaar(None) is None


def test_clean_text_is_returned_as_the_same_object():
    text = "no number here, only 2026 and 15 days"
    assert mask_aadhaar(text) is text


# --- the dedicated Aadhaar field ----------------------------------------------------------------


def test_aadhaar_last4_accepts_four_digits_or_a_valid_number_in_any_spelling():
    assert aadhaar_last4(LAST4) == LAST4
    assert aadhaar_last4(LAST4.translate(DEVANAGARI)) == LAST4
    for spelling in SPELLINGS.values():
        assert aadhaar_last4(spelling) == LAST4, spelling
    assert aadhaar_last4("XXXX XXXX " + LAST4) == LAST4
    assert aadhaar_last4("") is None and aadhaar_last4(None) is None


def test_aadhaar_last4_refuses_other_lengths_and_numbers_that_fail_the_rule():
    for raw in ("123", "12345", NOT_VERHOEFF, valid_number("1" + NUMBER[1:11])):
        with pytest.raises(IdentityError):
            aadhaar_last4(raw)


# --- the layer: every flush --------------------------------------------------------------------


def test_a_direct_orm_write_of_free_text_is_masked(app, world):
    with app.app_context():
        case = world.case(status="identified")
        event = CaseEvent(case=case, kind=EventKind.CREATED,
                          actor_id=world.incharge.id, note=f"Said her number is {SPELLINGS['en dash']}",
                          details={"said": [f"{SPELLINGS['devanagari']}"], f"k {NUMBER}": {"n": NUMBER, "x": 3}})
        db.session.add(event)
        fresh(world.secretary).holder_name = f"Suresh {SPELLINGS['no-break space']}"
        fresh(world.incharge).display_name = f"In-charge {SPELLINGS['slash']}"
        db.session.flush()
        row = db.session.execute(sa.select(CaseEvent.note, CaseEvent.details).where(CaseEvent.id == event.id)).one()
        assert row.note == f"Said her number is {MASKED}"
        assert row.details == {"said": [MASKED], f"k {MASKED}": {"n": MASKED, "x": 3}}
        assert db.session.scalar(sa.select(Office.holder_name).where(Office.id == world.secretary.id)) \
            == f"Suresh {MASKED}"
        assert db.session.scalar(sa.select(User.display_name).where(User.id == world.incharge.id)) \
            == f"In-charge {MASKED}"


@pytest.mark.parametrize("model, attribute", [
    (Case, "application_ref"), (Case, "grievance_ref"), (Case, "sanction_ref"),
])
def test_a_reference_column_holding_a_number_is_refused(app, world, model, attribute):
    with app.app_context():
        case = world.case(status="identified")
        db.session.flush()
        setattr(case, attribute, f"CMH-{SPELLINGS['underscore']}")
        with pytest.raises(Refused) as refused:
            db.session.flush()
        with force_locale("en"):
            message = str(refused.value.messages[0])
            label = str(getattr(Case, attribute).property.columns[0].info["reference"])
        assert message.startswith(label) and "must not hold a full Aadhaar number" in message
        assert NUMBER[:8] not in str(refused.value)
        setattr(case, attribute, "CMH-18112026-7788")
        db.session.flush()
        assert db.session.scalar(sa.select(getattr(Case, attribute)).where(Case.id == case.id)) == "CMH-18112026-7788"
        setattr(case, attribute, NOT_VERHOEFF)
        db.session.flush()
        assert db.session.scalar(sa.select(getattr(Case, attribute)).where(Case.id == case.id)) == NOT_VERHOEFF


def test_references_caseflow_makes_are_never_refused(app, world):
    """A district coded D23 numbers its cases D23/<year>/<sequence>: twelve digits that pass the
    check one time in ten. Refusing them would stop case work in that district, so the numbers
    caseflow makes itself are machine values."""
    first11 = "23" + "2026" + "00004"
    reference = f"D{first11[:2]}/{first11[2:6]}/{first11[6:]}{verhoeff_digit(first11)}"
    assert holds_aadhaar(reference)
    with app.app_context():
        case = world.case(status="identified")
        db.session.flush()
        case.reference = reference
        db.session.flush()
        assert db.session.scalar(sa.select(Case.reference).where(Case.id == case.id)) == reference


def test_other_references_refuse_a_number(app, world):
    with app.app_context():
        for obj, attribute in ((world.secretary, "holder_phone"), (world.secretary, "holder_email"),
                               (world.kinds["sarpanch"], "code"), (world.scheme, "code"),
                               (world.incharge, "username"), (world.district, "code")):
            obj = fresh(obj)
            before = getattr(obj, attribute)
            setattr(obj, attribute, grouped(NUMBER, "") if attribute != "holder_email" else f"{NUMBER}@mail.in")
            with pytest.raises(IdentityError):
                db.session.flush()
            setattr(obj, attribute, before)
        db.session.flush()


def test_a_new_office_kind_code_must_start_with_a_letter(app, world):
    from caseflow.areas.services import create_office_kind
    with app.app_context():
        with pytest.raises(Refused):
            create_office_kind(code=NOT_VERHOEFF, name_en="Kind", name_hi="प्रकार", actor=None)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OfficeKind).where(
            OfficeKind.code == NOT_VERHOEFF)) == 0


def test_a_letter_addressee_is_masked(app, world):
    with app.app_context():
        from tests.letters_support import case_with_history
        case_with_history(world)
        letter = db.session.scalars(sa.select(Letter)).first()
        assert letter is not None
        letter.addressee_holder = f"Suresh {SPELLINGS['thin space']}"
        db.session.flush()
        assert db.session.scalar(sa.select(Letter.addressee_holder).where(Letter.id == letter.id)) \
            == f"Suresh {MASKED}"


def test_audit_data_is_masked_before_it_is_hashed(app, world):
    with app.app_context():
        entry = record("test.masked", actor=None, data={"note": f"typed {SPELLINGS['two spaces']}", "n": [NUMBER]})
        db.session.flush()
        stored = db.session.scalar(sa.select(AuditEntry.data).where(AuditEntry.seq == entry.seq))
        assert stored == {"note": f"typed {MASKED}", "n": [MASKED]}
        assert verify().ok
        # The suite's audit guard rightly notices free text in a payload; here it is the point.
        assert take_violations()


def test_masked_json_keeps_clean_structures_as_they_are():
    value = {"a": ["b", 1, None, {"c": "d"}], "n": 2.5}
    assert masked_json(value) is value
    assert masked_json({"a": (NUMBER,)}) == {"a": (MASKED,)}


def test_unchanged_columns_of_a_dirty_row_are_not_looked_at(app, world):
    """A row stored before the rule is not refused for an unrelated edit."""
    with app.app_context():
        case = world.case(status="identified")
        db.session.flush()
        db.session.execute(sa.update(Case).where(Case.id == case.id).values(grievance_ref=NUMBER))
        db.session.refresh(case)
        case.application_ref = "APP-1"
        db.session.flush()
        assert db.session.scalar(sa.select(Case.application_ref).where(Case.id == case.id)) == "APP-1"


# --- refusals reach the user as a form, never a 500 ---------------------------------------------


def test_a_refusal_at_flush_is_the_normal_422_form(app, world):
    """`commit` (the request's one commit) turns the flush's refusal into the form and its message."""
    from flask import get_flashed_messages
    from werkzeug.exceptions import HTTPException

    from caseflow.web import commit

    with app.test_request_context("/", method="POST"), force_locale("en"):
        case = world.case(status="identified")
        db.session.flush()

        def write():
            case.sanction_ref = SPELLINGS["hyphen"]

        with pytest.raises(HTTPException) as ended:
            commit(write, refused=lambda: ("the form again", 422), back="/")
        assert ended.value.response.status_code == 422
        [message] = get_flashed_messages()
        assert message.startswith("Sanction order number must not hold a full Aadhaar number")
        assert NUMBER[:8] not in message


@pytest.mark.parametrize("url, data, field", [
    ("/admin/office-kinds", {"code": f"k{NUMBER}", "name_en": "Kind", "name_hi": "प्रकार"}, "code"),
    ("/admin/schemes/new", {"code": f"A{NUMBER}", "name_en": "S", "name_hi": "स", "department": "D",
                            "proof_of_delivery": "P"}, "code"),
])
def test_a_code_holding_a_number_comes_back_with_the_message(app, world, client, auth, url, data, field):
    auth.login(world.admin)
    response = client.post(url, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This is a full Aadhaar number" in page and NUMBER not in page and NUMBER[:8] not in page


def test_phone_boxes_refuse_twelve_bare_digits(app, world, client, auth):
    auth.login(world.admin)
    office = f"/admin/offices/{world.secretary.id}"
    base = {"kind_id": str(world.kinds["panchayat_secretary"].id), "holder_name": "Suresh Verma", "language": "hi"}
    for phone in (grouped(NUMBER, " "), grouped(NOT_VERHOEFF, " "), f"+{grouped(NUMBER, ' ')}"):
        response = client.post(office, data={**base, "holder_phone": phone})
        assert response.status_code == 422, phone
        assert NUMBER[:8] not in response.get_data(as_text=True)
    for phone in ("0755 2551234", "98765 43210", "+91 98765 43210"):
        assert client.post(office, data={**base, "holder_phone": phone}).status_code in (302, 303), phone


def test_the_command_line_refuses_a_username_that_is_a_number(app, world):
    from caseflow.auth.models import User

    with app.app_context():
        db.session.commit()
        result = app.test_cli_runner().invoke(args=[
            "caseflow", "create-user", "--username", grouped(NUMBER, "-"), "--name", f"Meena {NUMBER}",
            "--role", "admin", "--password", "a-long-password-for-meena"])
        assert result.exit_code == 1, result.output + repr(result.exception)
        assert "Username must not hold a full Aadhaar number" in result.output and NUMBER[:8] not in result.output
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.username.like("%5409"))) == 0


def test_characters_that_nfkc_turns_into_several_digits():
    """'⒛' is '20.' after NFKC: seven characters can hold twelve digits."""
    number = valid_number("20202020203")
    short = "⒛" * 5 + number[10:]
    assert len(short) == 7 and holds_aadhaar(short)
    assert mask_aadhaar(short) == f"XXXX XXXX {number[-4:]}"


# Columns that hold what caseflow computes (paths of ids, hashes, keys, identifiers): masking
# one would corrupt it (a SHA-256 in hex, or an area path "/2/1523/45678/901/", can hold twelve
# digits that pass the check one time in ten). The names say what they are.
_COMPUTED = re.compile(r"(^|_)(path|hash|key|token|trigger|action|object_type|object_id|host|locale|language)$")


def test_computed_columns_are_machine_values():
    from caseflow.extensions import db as _db
    from caseflow.textguard import _plan

    unmarked = []
    for mapper in _db.Model.registry.mappers:
        for key, kind, _label in _plan(mapper):
            column = mapper.columns[key]
            if kind == 0 and _COMPUTED.search(column.name) and not column.name.startswith("name_"):
                unmarked.append(f"{mapper.local_table.name}.{column.name}")
    assert not unmarked, f"mark these info=MACHINE (or rename them): {sorted(unmarked)}"


def test_a_session_token_hash_with_twelve_digits_is_stored_as_it_is(app, world):
    """The flake this caught: a token whose SHA-256 held a Verhoeff-valid run was masked at
    flush, and its session could never be found again."""
    from caseflow.auth.models import UserSession
    from caseflow.db import utcnow

    digits = NUMBER + "abcdef" + "0" * 46
    with app.app_context():
        db.session.add(UserSession(token_hash=digits, user_id=world.incharge.id, created_at=utcnow(),
                                   last_seen_at=utcnow(), expires_at=utcnow()))
        db.session.flush()
        assert db.session.scalar(sa.select(UserSession.token_hash).where(UserSession.token_hash == digits)) == digits


def test_rows_written_in_bulk_pass_the_same_guard(app, world):
    """The sweep writes events and letters with insert_many (COPY / one prepared INSERT), not the
    ORM: the guard runs there too, and leaves machine values alone."""
    from caseflow.db import utcnow
    from caseflow.sequences import insert_many

    with app.app_context():
        case = world.case(status="identified")
        db.session.flush()
        path = "/2/1523/45678/90" + NUMBER[-1]
        rows = [{"case_id": case.id, "at": utcnow(), "kind": EventKind.ASSIGNMENT, "note": f"spoke {NUMBER}", "trigger": path,
                 "details": {"said": [f"x {NUMBER}"]}}]
        insert_many(CaseEvent.__table__, rows)
        stored = db.session.execute(sa.select(CaseEvent.note, CaseEvent.trigger, CaseEvent.details)
                                    .where(CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.ASSIGNMENT)).one()
        assert stored.note == f"spoke {MASKED}" and stored.details == {"said": [f"x {MASKED}"]}
        assert stored.trigger == path
        with pytest.raises(Refused):
            insert_many(Case.__table__, [{"sanction_ref": NUMBER}])
