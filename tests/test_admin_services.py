"""The administration services (areas, offices, office kinds, schemes and ladders, holidays,
accounts) enforce their own rules, whoever calls them, and take the acting user explicitly.

Guards that every rule the administrator pages rely on is refused by the service itself with
its domain error (a `Refused`), that a refused call leaves no pending change in the session and
no row or audit entry behind, and that the audit entry names the `actor` passed in, not the
signed-in user of the request. What the pages show is tests/test_admin.py's job.
"""
from datetime import date

import pytest
import sqlalchemy as sa
from flask_login import login_user

from caseflow.areas import services as areas
from caseflow.areas.models import AreaKind
from caseflow.audit.models import AuditEntry
from caseflow.auth import services as accounts
from caseflow.auth.models import Role
from caseflow.exceptions import Refused
from caseflow.extensions import db
from caseflow.holidays import services as holidays
from caseflow.schemes import services as schemes
from tests.conftest import PASSWORD


@pytest.fixture
def w(app, world):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield world


def _rows() -> dict:
    return {table.name: sorted((tuple(row) for row in db.session.execute(sa.select(table))), key=repr)
            for table in db.metadata.sorted_tables}


def refused(error: type[Refused], message: str, call) -> None:
    """`call` raises `error` with `message`, and nothing changed: in the session or in the database."""
    before = _rows()
    with pytest.raises(error) as caught:
        call()
    assert message in [str(m) for m in caught.value.messages]
    assert not (db.session.new or db.session.dirty or db.session.deleted)
    assert _rows() == before


# ---------------------------------------------------------------- areas


def test_create_area_refuses_a_misplaced_kind_a_clashing_name_and_a_missing_or_taken_code(w):
    state = w.state
    refused(areas.AreaError, "Only a state may be the root of the tree.",
            lambda: areas.create_area(kind=AreaKind.DISTRICT, name_en="Loose", name_hi="ढीला", code="LSE", actor=None))
    refused(areas.AreaError, "A block cannot sit under a state.",
            lambda: areas.create_area(kind=AreaKind.BLOCK, name_en="Odd", name_hi="अजीब", parent=state, actor=None))
    refused(areas.AreaError, "An area of that name already exists here.",
            lambda: areas.create_area(kind=AreaKind.DISTRICT, name_en="SEHORE", name_hi="सीहोर", parent=state,
                                      code="SH2", actor=None))
    refused(areas.AreaError, "A district needs a code.",
            lambda: areas.create_area(kind=AreaKind.DISTRICT, name_en="Vidisha", name_hi="विदिशा", parent=state,
                                      actor=None))
    refused(areas.AreaError, "Another area already has that code.",
            lambda: areas.create_area(kind=AreaKind.DISTRICT, name_en="Vidisha", name_hi="विदिशा", parent=state,
                                      code="RSN", actor=None))

    block = areas.create_area(kind=AreaKind.BLOCK, name_en="Sehore", name_hi="सीहोर", code="IGNORED",
                              parent=w.district, actor=None)
    assert block.code is None  # only districts keep a code; a sibling's name may repeat a level up


def test_rename_area_refuses_a_sibling_name_and_a_taken_or_empty_code(w):
    district = w.district
    rename = dict(name_hi="सीहोर", active=True, actor=None)
    refused(areas.AreaError, "An area of that name already exists here.",
            lambda: areas.rename_area(district, name_en="raisen", code="SHR", **rename))
    refused(areas.AreaError, "Another area already has that code.",
            lambda: areas.rename_area(district, name_en="Sehore", code="RSN", **rename))
    refused(areas.AreaError, "A district needs a code.",
            lambda: areas.rename_area(district, name_en="Sehore", code="", **rename))
    assert (district.name_en, district.code) == ("Sehore", "SHR")

    areas.rename_area(district, name_en="sehore", code="SEH", **rename)  # its own name, in another case
    assert (district.name_en, district.code) == ("sehore", "SEH")


def test_office_kinds_and_offices_refuse_duplicates(w):
    refused(areas.AreaError, "Another office kind already has that code.",
            lambda: areas.create_office_kind(code="collector", name_en="Collector 2", name_hi="कलेक्टर", actor=None))
    refused(areas.AreaError, "This area already has an office of that kind.",
            lambda: areas.save_office(area_id=w.gp.id, kind_id=w.kinds["sarpanch"].id, holder_name="Second",
                                      actor=None))
    sarpanch = w.sarpanch
    refused(areas.AreaError, "This area already has an office of that kind.",
            lambda: areas.save_office(sarpanch, kind_id=w.kinds["panchayat_secretary"].id, actor=None))
    assert sarpanch.kind_id == w.kinds["sarpanch"].id

    areas.save_office(sarpanch, holder_name="Mohan Lal", holder_phone="+91 98765 43210", actor=None)  # itself: fine
    assert sarpanch.holder_phone == "+91 98765 43210"


# ---------------------------------------------------------------- schemes and ladders


def test_save_scheme_refuses_a_taken_code(w):
    fields = dict(name_en="Again", name_hi="फिर", department="Rural", proof_of_delivery="Order")
    refused(schemes.SchemeError, "Another scheme already has that code.",
            lambda: schemes.save_scheme(code="PMAY-G", **fields, actor=None))
    other = schemes.save_scheme(code="NSAP", **fields, actor=None)
    refused(schemes.SchemeError, "Another scheme already has that code.",
            lambda: schemes.save_scheme(other, code="PMAY-G", actor=None))
    assert other.code == "NSAP"
    schemes.save_scheme(w.scheme, code="PMAY-G", active=False, actor=None)  # its own code


def test_set_ladder_refuses_what_would_break_routing(w):
    scheme = w.scheme
    k = {code: kind.id for code, kind in w.kinds.items()}
    refused(schemes.LadderError, "A ladder needs at least one level.", lambda: schemes.set_ladder(scheme, [], actor=None))
    refused(schemes.LadderError, "The same office kind appears twice in the ladder.",
            lambda: schemes.set_ladder(scheme, [(k["collector"], 10), (k["collector"], 20)], actor=None))
    refused(schemes.LadderError, "The ladder names an office kind that does not exist.",
            lambda: schemes.set_ladder(scheme, [(k["collector"], 10), (2**31 - 1, 20)], actor=None))
    refused(schemes.LadderError, "Every level needs a time limit of at least one working day.",
            lambda: schemes.set_ladder(scheme, [(k["collector"], 0)], actor=None))
    w.case(status="escalated")  # at level 2
    refused(schemes.LadderError,
            "Some cases of this scheme are at level 2; the ladder needs at least that many levels.",
            lambda: schemes.set_ladder(scheme, [(k["collector"], 10)], actor=None))
    assert [lv.office_kind_id for lv in scheme.levels] == [k["panchayat_secretary"], k["janpad_ceo"], k["collector"]]


# ---------------------------------------------------------------- holidays


def test_a_date_is_a_holiday_once(w):
    holidays.create_holiday(date(2026, 10, 2), "Gandhi Jayanti", "गांधी जयंती", actor=None)
    refused(holidays.HolidayError, "That date is already a holiday.",
            lambda: holidays.create_holiday(date(2026, 10, 2), "Again", "फिर", actor=None))


# ---------------------------------------------------------------- accounts


def test_accounts_refuse_a_taken_name_a_short_password_and_locking_oneself_out(w):
    admin, incharge = w.admin, w.incharge
    refused(accounts.AccountError, "That username is taken.",
            lambda: accounts.create_user(username=" InCharge ", display_name="Impostor", password=PASSWORD,
                                         role=Role.INCHARGE, areas=[w.district], actor=admin))
    refused(accounts.AccountError, "A password needs at least 10 characters.",
            lambda: accounts.set_password(incharge, "short", actor=admin))
    mine = dict(display_name="Admin", areas=[], locale="en")
    refused(accounts.AccountError, "You cannot disable your own account.",
            lambda: accounts.update_user(admin, **mine, role=Role.ADMIN, active=False, actor=admin))
    refused(accounts.AccountError, "You cannot remove your own administrator role.",
            lambda: accounts.update_user(admin, **mine, role=Role.SUPERVISOR, active=True, actor=admin))
    assert admin.active and admin.role is Role.ADMIN

    # Another administrator may do both; the command line (no actor) may too.
    accounts.update_user(incharge, display_name="In-charge", role=Role.INCHARGE, areas=[w.district], locale="en",
                         active=False, actor=admin)
    accounts.update_user(admin, **mine, role=Role.ADMIN, active=False, actor=None)
    assert not incharge.active and not admin.active


# ---------------------------------------------------------------- who acted


def test_the_audit_entry_names_the_actor_passed_not_the_signed_in_user(w):
    login_user(w.admin)
    supervisor = w.supervisor
    changes = [
        lambda actor: holidays.create_holiday(date(2026, 11, 14), "Children's Day", "बाल दिवस", actor=actor),
        lambda actor: areas.create_office_kind(code="patwari", name_en="Patwari", name_hi="पटवारी", actor=actor),
        lambda actor: schemes.save_scheme(w.scheme, active=False, actor=actor),
        lambda actor: accounts.add_area(w.incharge, w.block, actor=actor),
    ]
    for actor, change in zip([None, supervisor, None, supervisor], changes, strict=True):
        change(actor)
        db.session.flush()
        entry = db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
        assert entry.actor_id == (actor.id if actor else None), entry.action
