"""Behaviour of the administrator pages, driven through the forms as world.admin.

Guards that users, the area tree, office kinds and offices, schemes and their ladders and the
holiday calendar change exactly as the forms say: refusals show a clear message and leave the
database untouched, disabling a user or resetting a password ends their sessions, new areas get
the right materialised path, and configuration changes reach the case pages and due dates.
A POST that saved nothing (an invalid form or a refused service call) answers 422.
Who may open these pages at all is tests/test_routes_matrix.py's job.
"""
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from caseflow.areas.models import Area, AreaKind, Office, OfficeKind, path_segment
from caseflow.areas.services import create_office_kind
from caseflow.auth.models import Role, User
from caseflow.cases.services import open_case, transition
from caseflow.db import today
from caseflow.extensions import db
from caseflow.holidays.models import Holiday
from caseflow.holidays.services import add_working_days
from caseflow.schemes.models import LadderLevel, Scheme
from caseflow.schemes.services import save_scheme, set_ladder
from tests.conftest import PASSWORD, Auth, step_data, text_of

NEW_PASSWORD = "a-brand-new-password"


@pytest.fixture
def admin(world, auth, client):
    assert auth.login(world.admin).status_code == 302
    return client


def _other_client(app, user, password=PASSWORD):
    other = app.test_client()
    assert Auth(other).login(user, password).status_code == 302
    return other


def _bounced_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _get(app, model, object_id):
    with app.app_context():
        return db.session.get(model, object_id)


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _ladder(app, scheme_id) -> list[tuple[int, int, int]]:
    with app.app_context():
        return db.session.execute(
            sa.select(LadderLevel.level, LadderLevel.office_kind_id, LadderLevel.time_limit_days)
            .where(LadderLevel.scheme_id == scheme_id).order_by(LadderLevel.level)
        ).all()


def _user_form(user, **changes) -> dict:
    data = {"display_name": user.display_name, "role": user.role.value, "areas": [a.id for a in user.areas],
            "locale": user.locale, "active": "y"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _ladder_form(*rows) -> dict:
    """rows: (kind id or 0, days or ""), padded with blank rows to the form's six."""
    rows = list(rows) + [(0, "")] * (6 - len(rows))
    data = {}
    for i, (kind_id, days) in enumerate(rows):
        data[f"rows-{i}-office_kind"], data[f"rows-{i}-days"] = kind_id, days
    return data


# ---------------------------------------------------------------- users


def test_new_incharge_signs_in_and_sees_only_their_areas(app, world, admin):
    with app.app_context():
        shr_case = world.case(status="submitted")
        raisen_person = world.person(name="Kamla Bai", settlement=world.other_village, actor=world.other_incharge)
        rsn_case = world.case(person=raisen_person, actor=world.other_incharge, status="submitted")
        db.session.commit()

    r = admin.post("/admin/users/new", data={
        "username": "Neha.R", "display_name": "Neha R", "role": "incharge", "areas": [world.other_district.id],
        "locale": "en", "password": PASSWORD, "confirm": PASSWORD,
    })
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/users")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "neha.r"))
        assert user.role is Role.INCHARGE and [a.id for a in user.areas] == [world.other_district.id]
    assert "neha.r" in text_of(admin.get("/admin/users"))

    queue = text_of(_other_client(app, "neha.r").get("/queue"))
    assert rsn_case.reference in queue
    assert shr_case.reference not in queue


def test_duplicate_username_is_refused_and_nothing_is_created(app, world, admin):
    before = _count(app, User)
    r = admin.post("/admin/users/new", data={
        "username": " InCharge ", "display_name": "Impostor", "role": "incharge", "areas": [world.district.id],
        "locale": "en", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
    })
    assert r.status_code == 422
    assert "That username is taken." in text_of(r)
    assert _count(app, User) == before
    assert _get(app, User, world.incharge.id).display_name == "In-charge Sehore"


def test_short_passwords_are_refused_on_create_and_reset(app, world, admin):
    before = _count(app, User)
    r = admin.post("/admin/users/new", data={
        "username": "shorty", "display_name": "Shorty", "role": "incharge", "areas": [world.district.id],
        "locale": "en", "password": "short", "confirm": "short",
    })
    assert r.status_code == 422 and "Field must be between 10 and 256 characters long." in text_of(r)
    assert _count(app, User) == before

    old_hash = _get(app, User, world.incharge.id).password_hash
    r = admin.post(f"/admin/users/{world.incharge.id}/password", data={"password": "short", "confirm": "short"})
    assert r.status_code == 422 and "Field must be between 10 and 256 characters long." in text_of(r)
    assert _get(app, User, world.incharge.id).password_hash == old_hash
    assert Auth(app.test_client()).login(world.incharge).status_code == 302


def test_editing_role_and_areas_saves_them_and_ends_the_users_sessions(app, world, admin):
    session = _other_client(app, world.other_incharge)
    assert session.get("/queue").status_code == 200

    r = admin.post(f"/admin/users/{world.other_incharge.id}",
                   data=_user_form(world.other_incharge, role="supervisor", display_name="Raisen Supervisor",
                                   areas=[world.state.id, world.district.id]))
    assert r.status_code == 302
    user = _get(app, User, world.other_incharge.id)
    assert user.role is Role.SUPERVISOR and user.display_name == "Raisen Supervisor"
    assert sorted(a.id for a in user.areas) == sorted([world.state.id, world.district.id])
    assert _bounced_to_login(session.get("/queue"))  # powers changed: sign in again


def test_disabling_a_user_ends_their_session_and_blocks_login(app, world, admin):
    session = _other_client(app, world.incharge)
    assert session.get("/queue").status_code == 200

    r = admin.post(f"/admin/users/{world.incharge.id}", data=_user_form(world.incharge, active=None))
    assert r.status_code == 302
    assert "disabled; its sessions have ended" in text_of(admin.get(r.headers["Location"]))
    assert _get(app, User, world.incharge.id).active is False
    assert _bounced_to_login(session.get("/queue"))
    assert Auth(app.test_client()).login(world.incharge).status_code == 401


def test_admin_cannot_disable_themselves_or_drop_their_role(app, world, admin):
    r = admin.post(f"/admin/users/{world.admin.id}", data=_user_form(world.admin, active=None))
    assert r.status_code == 422 and "You cannot disable your own account." in text_of(r)
    r = admin.post(f"/admin/users/{world.admin.id}",
                   data=_user_form(world.admin, role="supervisor", areas=[world.state.id]))
    assert r.status_code == 422 and "You cannot remove your own administrator role." in text_of(r)
    me = _get(app, User, world.admin.id)
    assert me.active and me.role is Role.ADMIN and me.areas == []
    assert admin.get("/admin/").status_code == 200


def test_password_reset_ends_old_sessions_and_only_the_new_password_works(app, world, admin):
    session = _other_client(app, world.incharge)
    assert session.get("/queue").status_code == 200

    r = admin.post(f"/admin/users/{world.incharge.id}/password",
                   data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/admin/users/{world.incharge.id}")
    assert _bounced_to_login(session.get("/queue"))
    assert Auth(app.test_client()).login(world.incharge).status_code == 401
    assert Auth(app.test_client()).login(world.incharge, NEW_PASSWORD).status_code == 302
    assert admin.get("/admin/").status_code == 200  # the administrator's own session is untouched


def test_a_panchayat_is_granted_from_its_users_page(app, world, admin):
    url = f"/admin/areas/{world.gp.id}/users"
    assert f'href="{url}"' in admin.get(f"/admin/areas/{world.gp.id}").get_data(as_text=True)
    assert "Nobody has this area directly" in text_of(admin.get(url))

    r = admin.post(url, data={"grant-username": "nobody"})
    assert r.status_code == 422 and "No account has that username." in text_of(r)
    r = admin.post(url, data={"grant-username": " Other "})
    assert r.status_code == 302 and r.headers["Location"].endswith(url)
    user = _get(app, User, world.other_incharge.id)
    assert sorted(a.id for a in user.areas) == sorted([world.other_district.id, world.gp.id])
    assert "other · District in-charge" in text_of(admin.get(url))

    assert admin.get(f"/admin/areas/{world.village.id}/users").status_code == 404  # nobody is scoped to a settlement


# ---------------------------------------------------------------- area tree


class _TreeDepths(HTMLParser):
    """Depth of <ul> nesting at each link to an area page."""

    def __init__(self):
        super().__init__()
        self.depth, self.links = 0, {}

    def handle_starttag(self, tag, attrs):
        if tag == "ul":
            self.depth += 1
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith("/admin/areas/"):
            self.links[int(href.rsplit("/", 1)[1])] = self.depth

    def handle_endtag(self, tag):
        if tag == "ul":
            self.depth -= 1


def _add_child(client, parent_id, kind, name, code=""):
    return client.post(f"/admin/areas/{parent_id}/children", data={
        "child-kind": kind, "child-name_en": name, "child-name_hi": name + " (hi)", "child-code": code,
    })


def _child(app, parent_id, name) -> Area | None:
    with app.app_context():
        return db.session.scalar(sa.select(Area).where(Area.parent_id == parent_id, Area.name_en == name))


def test_adding_district_block_panchayat_and_settlement(app, world, admin):
    r = _add_child(admin, world.state.id, "district", "Vidisha")
    assert r.status_code == 422 and "A district needs a code." in text_of(r)
    assert _child(app, world.state.id, "Vidisha") is None

    r = _add_child(admin, world.state.id, "district", "Vidisha", code="shr")
    assert r.status_code == 422 and "Another area already has that code." in text_of(r)

    parent = _get(app, Area, world.state.id)
    for kind, name, code in [("district", "Vidisha", "vds"), ("block", "Basoda", ""),
                             ("gram_panchayat", "Haidargarh", ""), ("settlement", "Haidargarh Tola", "")]:
        r = _add_child(admin, parent.id, kind, name, code)
        assert r.status_code == 302, text_of(r)
        child = _child(app, parent.id, name)
        assert child.kind is AreaKind(kind)
        assert child.path == parent.path + path_segment(child.id)
        parent = child
    assert _child(app, world.state.id, "Vidisha").code == "VDS"
    assert _child(app, world.state.id, "Vidisha").name_hi == "Vidisha (hi)"

    r = _add_child(admin, world.district.id, "block", "ashta")  # same name as a sibling, other case
    assert r.status_code == 422 and "An area of that name already exists here." in text_of(r)


def test_a_kind_not_allowed_under_the_parent_is_refused(app, world, admin):
    before = _count(app, Area)
    for parent, kind in [(world.district, "settlement"), (world.state, "block"), (world.block, "ward"),
                         (world.gp, "gram_panchayat")]:
        r = _add_child(admin, parent.id, kind, "Misplaced")
        assert r.status_code == 422
        assert "Not a valid choice" in text_of(r)
    assert _add_child(admin, world.village.id, "settlement", "Misplaced").status_code == 404
    assert _count(app, Area) == before


def test_tree_page_nests_areas_and_escapes_names(app, world, admin):
    r = admin.post(f"/admin/areas/{world.block.id}", data={
        "edit-name_en": "<b>Ashta</b> & Co", "edit-name_hi": "आष्टा नया", "edit-active": "y",
    })
    assert r.status_code == 302
    block = _get(app, Area, world.block.id)
    assert (block.name_en, block.name_hi, block.active) == ("<b>Ashta</b> & Co", "आष्टा नया", True)

    for url in ("/admin/areas", f"/admin/areas/{world.block.id}"):
        html = admin.get(url).get_data(as_text=True)
        assert "&lt;b&gt;Ashta&lt;/b&gt; &amp; Co" in html
        assert "<b>Ashta</b>" not in html

    tree = _TreeDepths()
    tree.feed(admin.get("/admin/areas").get_data(as_text=True))
    depth = tree.links
    assert depth[world.district.id] == depth[world.state.id] + 1
    assert depth[world.block.id] == depth[world.district.id] + 1
    assert depth[world.other_district.id] == depth[world.district.id]
    assert world.gp.id not in depth  # panchayats are shown one parent at a time, on the area page


def test_renaming_a_district_keeps_its_code_required(app, world, admin):
    r = admin.post(f"/admin/areas/{world.district.id}", data={
        "edit-name_en": "Sehore Renamed", "edit-name_hi": "सीहोर", "edit-code": "", "edit-active": "y",
    })
    assert r.status_code == 422 and "A district needs a code." in text_of(r)
    district = _get(app, Area, world.district.id)
    assert (district.name_en, district.code) == ("Sehore", "SHR")

    r = admin.post(f"/admin/areas/{world.district.id}", data={
        "edit-name_en": "Sehore Renamed", "edit-name_hi": "सीहोर", "edit-code": "seh", "edit-active": "y",
    })
    assert r.status_code == 302
    district = _get(app, Area, world.district.id)
    assert (district.name_en, district.code) == ("Sehore Renamed", "SEH")


# ---------------------------------------------------------------- office kinds and offices


def test_office_kinds_create_edit_and_duplicate_code(app, world, admin):
    r = admin.post("/admin/office-kinds", data={"code": "BDO", "name_en": "Block Development Officer",
                                                "name_hi": "खंड विकास अधिकारी"})
    assert r.status_code == 302
    with app.app_context():
        kind = db.session.scalar(sa.select(OfficeKind).where(OfficeKind.code == "bdo"))
    assert (kind.name_en, kind.elected) == ("Block Development Officer", False)

    before = _count(app, OfficeKind)
    r = admin.post("/admin/office-kinds", data={"code": "bdo", "name_en": "Another", "name_hi": "दूसरा"})
    assert r.status_code == 422 and "Another office kind already has that code." in text_of(r)
    assert _count(app, OfficeKind) == before

    r = admin.post(f"/admin/office-kinds/{kind.id}", data={"name_en": "BDO", "name_hi": "बीडीओ", "elected": "y"})
    assert r.status_code == 302
    kind = _get(app, OfficeKind, kind.id)
    assert (kind.code, kind.name_en, kind.name_hi, kind.elected) == ("bdo", "BDO", "बीडीओ", True)


def _office_form(kind_id, holder="", phone="", language="en") -> dict:
    return {"kind_id": kind_id, "holder_name": holder, "holder_phone": phone, "holder_email": "", "address": "",
            "language": language}


def test_office_holder_since_resets_only_when_the_holder_changes(app, world, admin):
    r = admin.post(f"/admin/areas/{world.block.id}/offices/new",
                   data=_office_form(world.kinds["sarpanch"].id, holder="Ram Prasad"))
    assert r.status_code == 302
    with app.app_context():
        office = db.session.scalar(sa.select(Office).where(Office.area_id == world.block.id,
                                                           Office.kind_id == world.kinds["sarpanch"].id))
        assert office.holder_name == "Ram Prasad"
        long_ago = datetime(2020, 1, 1)
        office.holder_since = long_ago
        db.session.commit()

    r = admin.post(f"/admin/offices/{office.id}", data=_office_form(office.kind_id, "Ram Prasad", "+91 98765 43210"))
    assert r.status_code == 302
    office = _get(app, Office, office.id)
    assert (office.holder_phone, office.holder_since) == ("+91 98765 43210", long_ago)

    r = admin.post(f"/admin/offices/{office.id}", data=_office_form(office.kind_id, "Shyam Lal", "+91 98765 43210"))
    assert r.status_code == 302
    office = _get(app, Office, office.id)
    assert office.holder_name == "Shyam Lal" and office.holder_since > long_ago + timedelta(days=365)


def test_second_office_of_a_kind_in_an_area_is_refused(app, world, admin):
    before = _count(app, Office)
    r = admin.post(f"/admin/areas/{world.gp.id}/offices/new",
                   data=_office_form(world.kinds["panchayat_secretary"].id, holder="Someone Else"))
    assert r.status_code == 422 and "This area already has an office of that kind." in text_of(r)
    assert _count(app, Office) == before

    r = admin.post(f"/admin/offices/{world.sarpanch.id}",
                   data=_office_form(world.kinds["panchayat_secretary"].id, holder="Mohan Lal"))
    assert r.status_code == 422 and "This area already has an office of that kind." in text_of(r)
    assert _get(app, Office, world.sarpanch.id).kind_id == world.kinds["sarpanch"].id


def test_adding_the_missing_office_clears_the_case_pages_configuration_problem(app, world, admin):
    with app.app_context():
        bdo = create_office_kind(code="bdo", name_en="Block Development Officer", name_hi="खंड विकास अधिकारी", actor=None)
        scheme = save_scheme(code="NSAP", name_en="Old-age pension", name_hi="वृद्धावस्था पेंशन",
                             department="Social Justice", proof_of_delivery="First pension credit", actor=None)
        set_ladder(scheme, [(bdo.id, 10), (world.kinds["collector"].id, 20)], actor=None)
        case = open_case(world.incharge, world.person(), scheme)
        for trigger in ("verify", "submit"):
            transition(case, world.incharge, trigger, step_data(trigger), expected_version=case.version)
        db.session.commit()
    caseworker = _other_client(app, world.incharge)

    page = caseworker.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="config-problem"' in page and "Block Development Officer" in page

    r = admin.post(f"/admin/areas/{world.block.id}/offices/new", data=_office_form(bdo.id, holder="V. Tiwari"))
    assert r.status_code == 302

    page = caseworker.get(f"/cases/{case.id}")
    assert 'data-testid="config-problem"' not in page.get_data(as_text=True)
    assert "Block Development Officer, Ashta (V. Tiwari)" in text_of(page)


# ---------------------------------------------------------------- schemes and ladders


def test_create_a_scheme_and_set_a_three_level_ladder(app, world, admin):
    r = admin.post("/admin/schemes/new", data={
        "code": "nsap", "name_en": "Old-age pension", "name_hi": "वृद्धावस्था पेंशन", "department": "Social Justice",
        "proof_of_delivery": "First pension credit", "documents_required": " Age proof \n\n Bank passbook ",
        "active": "y",
    })
    assert r.status_code == 302
    with app.app_context():
        scheme = db.session.scalar(sa.select(Scheme).where(Scheme.code == "NSAP"))
        assert scheme.active and scheme.documents == ["Age proof", "Bank passbook"]
    assert r.headers["Location"].endswith(f"/admin/schemes/{scheme.id}/ladder")
    assert "NSAP" in text_of(admin.get("/admin/"))  # an active scheme without a ladder is flagged

    k = world.kinds
    r = admin.post(f"/admin/schemes/{scheme.id}/ladder", data=_ladder_form(
        (k["panchayat_secretary"].id, 10), (0, ""), (k["janpad_ceo"].id, 20), (0, ""), (k["collector"].id, 30)))
    assert r.status_code == 302
    assert _ladder(app, scheme.id) == [(1, k["panchayat_secretary"].id, 10), (2, k["janpad_ceo"].id, 20),
                                       (3, k["collector"].id, 30)]
    assert "CEO, Janpad Panchayat · 20 working days" in text_of(admin.get("/admin/schemes"))
    assert "NSAP" not in text_of(admin.get("/admin/"))


@pytest.mark.parametrize("rows, message", [
    ([("panchayat_secretary", 10), ("collector", 20), ("panchayat_secretary", 30)],
     "This office kind is already an earlier level."),
    ([("panchayat_secretary", 0)], "Between 1 and 365 working days."),
    ([("panchayat_secretary", 10), ("collector", 366)], "Between 1 and 365 working days."),
    ([("panchayat_secretary", "")], "Give the time limit of this level."),
    ([(None, 10)], "Choose the office of this level."),
    ([], "A ladder needs at least one level."),
])
def test_invalid_ladders_are_refused_and_change_nothing(app, world, admin, rows, message):
    before = _ladder(app, world.scheme.id)
    data = _ladder_form(*[(world.kinds[kind].id if kind else 0, days) for kind, days in rows])
    r = admin.post(f"/admin/schemes/{world.scheme.id}/ladder", data=data)
    assert r.status_code == 422
    assert message in text_of(r)
    assert _ladder(app, world.scheme.id) == before


def test_ladder_cannot_be_shortened_below_a_level_where_cases_are(app, world, admin):
    with app.app_context():
        world.case(status="escalated")  # now at level 2
        db.session.commit()
    before = _ladder(app, world.scheme.id)
    k = world.kinds

    r = admin.post(f"/admin/schemes/{world.scheme.id}/ladder", data=_ladder_form((k["panchayat_secretary"].id, 15)))
    assert r.status_code == 422
    assert "Some cases of this scheme are at level 2; the ladder needs at least that many levels." in text_of(r)
    assert _ladder(app, world.scheme.id) == before

    r = admin.post(f"/admin/schemes/{world.scheme.id}/ladder",
                   data=_ladder_form((k["panchayat_secretary"].id, 15), (k["collector"].id, 25)))
    assert r.status_code == 302
    assert _ladder(app, world.scheme.id) == [(1, k["panchayat_secretary"].id, 15), (2, k["collector"].id, 25)]


# ---------------------------------------------------------------- holidays


def test_holidays_add_refuse_duplicate_and_delete(app, world, admin):
    data = {"day": "2026-10-02", "name_en": "Gandhi Jayanti", "name_hi": "गांधी जयंती"}
    r = admin.post("/admin/holidays", data=data)
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/holidays?year=2026")
    assert "Gandhi Jayanti" in text_of(admin.get("/admin/holidays?year=2026"))

    r = admin.post("/admin/holidays", data={**data, "name_en": "Again"})
    assert r.status_code == 422 and "That date is already a holiday." in text_of(r)
    assert _count(app, Holiday) == 1

    with app.app_context():
        holiday = db.session.scalar(sa.select(Holiday))
        assert (holiday.day, holiday.name_en) == (date(2026, 10, 2), "Gandhi Jayanti")
    # The list's Delete asks first: a page, no deletion, and a form that works without JavaScript.
    listed = admin.get("/admin/holidays?year=2026")
    assert f'href="/admin/holidays/{holiday.id}/delete"' in listed.get_data(as_text=True)
    r = admin.get(f"/admin/holidays/{holiday.id}/delete")
    assert r.status_code == 200
    assert "Delete the holiday Gandhi Jayanti on 02/10/2026?" in text_of(r)
    assert 'name="confirm" value="yes"' in r.get_data(as_text=True)
    assert _count(app, Holiday) == 1
    # A POST without the confirmation (an old page, a stray request) deletes nothing.
    r = admin.post(f"/admin/holidays/{holiday.id}/delete")
    assert r.status_code == 422 and "Nothing was deleted." in text_of(r)
    assert _count(app, Holiday) == 1
    r = admin.post(f"/admin/holidays/{holiday.id}/delete", data={"confirm": "yes"})
    assert r.status_code == 302
    assert _count(app, Holiday) == 0
    assert "No holidays in 2026." in text_of(admin.get("/admin/holidays?year=2026"))


def _next_weekday(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_a_holiday_in_the_submit_window_pushes_the_due_date_one_working_day(app, world, admin):
    with app.app_context():
        start = max(step_data("submit")["application_date"], today())
        days = world.scheme.level(1).time_limit_days
        baseline = add_working_days(start, days)
    holiday = _next_weekday(start + timedelta(days=3))  # a weekday inside the window
    assert start < holiday <= baseline

    r = admin.post("/admin/holidays", data={"day": holiday.isoformat(), "name_en": "Local fair", "name_hi": "मेला"})
    assert r.status_code == 302
    with app.app_context():
        case = world.case(status="submitted")
        assert case.due_date == _next_weekday(baseline)
