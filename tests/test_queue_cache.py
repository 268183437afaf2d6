"""The queue's per-worker caches (caseflow.cases.cached): kept while their change mark stays,
rebuilt when the data under them changes, whoever changes it."""
import sqlalchemy as sa
from flask import g

from caseflow.areas.models import Area, AreaKind
from caseflow.areas.services import create_area
from caseflow.auth.models import User
from caseflow.cases import cached
from caseflow.extensions import db
from caseflow.marks import ChangeMark


def _next_request():
    g.pop("_change_marks", None)  # a new request reads the marks again


def _options(user, selected=None, locale="en"):
    _next_request()
    return str(cached.settlement_options(user, locale, selected))


def test_settlement_options_follow_every_change_of_the_areas(app, world):
    with app.app_context():
        incharge = db.session.get(User, world.incharge.id)
        first = _options(incharge)
        assert "Rampur Khurd" in first and "Sultanpur Tola" not in first  # the other district's
        assert _options(incharge) == first
        mark = db.session.scalar(sa.select(ChangeMark.n).where(ChangeMark.name == "areas"))
        create_area(kind=AreaKind.SETTLEMENT, name_en="Bhopal <Tola>", name_hi="भोपाल टोला", parent=db.session.get(Area, world.gp.id), actor=None)
        assert db.session.scalar(sa.select(ChangeMark.n).where(ChangeMark.name == "areas")) > mark
        assert "Bhopal &lt;Tola&gt;" in _options(incharge)
        # A rename straight in the database, bypassing the services, is seen too.
        db.session.execute(sa.update(Area).where(Area.id == world.village.id).values(name_en="Rampur Kalan"))
        renamed = _options(incharge)
        assert "Rampur Kalan" in renamed and "Rampur Khurd" not in renamed
        assert "रामपुर खुर्द" in _options(incharge, locale="hi")


def test_the_chosen_settlement_is_selected_and_only_it(app, world):
    with app.app_context():
        supervisor = db.session.get(User, world.supervisor.id)
        html = _options(supervisor, selected=world.other_village.id)
        assert f'<option value="{world.other_village.id}" selected>' in html
        assert html.count(" selected") == 1
        assert " selected" not in _options(supervisor)


def test_a_users_areas_follow_every_change_of_who_works_where(app, world):
    from caseflow.auth import services as auth_services
    from caseflow.auth.models import user_areas

    with app.app_context():
        token = auth_services.start_session(db.session.get(User, world.incharge.id))

        def areas_loaded():
            db.session.expunge_all()  # a new request starts with an empty session
            _next_request()
            return [a.id for a in auth_services.load_session_user(token).areas]

        assert areas_loaded() == [world.district.id]
        assert areas_loaded() == [world.district.id]  # from the worker's cache, as objects of this session
        # Widening a scope keeps the session: the next request must see the new area at once,
        # even when the row is written straight into the database.
        db.session.execute(sa.insert(user_areas).values(user_id=world.incharge.id, area_id=world.other_district.id))
        assert sorted(areas_loaded()) == sorted([world.district.id, world.other_district.id])
        db.session.execute(sa.delete(user_areas).where(user_areas.c.area_id == world.district.id))
        assert areas_loaded() == [world.other_district.id]
        # A renamed area is renamed in the cached copy too.
        db.session.execute(sa.update(Area).where(Area.id == world.other_district.id).values(name_en="Raisen Nagar"))
        db.session.expunge_all()
        _next_request()
        assert auth_services.load_session_user(token).areas[0].name_en == "Raisen Nagar"


def test_without_its_mark_row_nothing_is_cached_and_the_next_change_writes_it(app, world):
    with app.app_context():
        incharge = db.session.get(User, world.incharge.id)
        db.session.execute(sa.delete(ChangeMark))  # a table emptied by hand
        assert "Rampur Khurd" in _options(incharge)
        db.session.execute(sa.update(Area).where(Area.id == world.village.id).values(name_en="Rampur Kalan"))
        assert "Rampur Kalan" in _options(incharge)
        assert db.session.scalar(sa.select(ChangeMark.n).where(ChangeMark.name == "areas")) is not None
        db.session.execute(sa.delete(ChangeMark))
        db.session.execute(sa.update(Area).where(Area.id == world.village.id).values(name_en="Rampur Bada"))
        assert "Rampur Bada" in _options(incharge)
