"""Bad input and logs (caseflow/inputs.py): the refusals say what was wrong, the audit chain keeps
no free text, and the logs keep no personal data. The fuzz tests (test_fuzz_routes.py) drive
every route; these pin down each guarantee on its own.
"""
import importlib
import logging
import pkgutil
import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask import request
from flask_wtf import FlaskForm

import caseflow
from caseflow import create_app
from caseflow.audit.models import AuditEntry
from caseflow.audit.services import canonical
from caseflow.audit.web import OMITTED
from caseflow.extensions import db
from caseflow.forms import Form
from caseflow.holidays.models import Holiday
from caseflow.inputs import DB_INT_MAX, LOG_FILTER, db_int
from tests import audit_guard
from tests.conftest import Auth, text_of
from tests.conftest import test_config as config_for
from tests.test_routes_matrix import _bias_report

PERSONAL = ["Sunita Devi", "9876543210", "Rampur Khurd ward 4"]


def _last_entry(app) -> AuditEntry:
    with app.app_context():
        return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()


# --- the audit chain holds no free text --------------------------------------------------------


def test_a_refusal_entry_keeps_the_ids_and_leaves_typed_text_out(app, world, client, auth):
    with app.app_context():
        report = _bias_report(world, world.incharge, world.village)
        db.session.commit()
        report_id = report.id
    auth.login(world.incharge)
    response = client.post(f"/bias/reports/{report_id}/do/Aadhaar 4829 1736 5402 of Sunita Devi", data={})
    assert response.status_code == 403
    entry = _last_entry(app)
    assert entry.action == "access.refused"
    assert entry.data == {"status": 403, "endpoint": "bias.review", "method": "POST",
                          "args": {"report_id": report_id, "step": OMITTED}}
    stored = canonical(entry).decode()
    assert "4829" not in stored and "Sunita" not in stored


def test_a_refusal_entry_keeps_a_choice_from_a_fixed_list(app, world, client, auth):
    with app.app_context():
        case = world.case()
        db.session.commit()
        case_id = case.id
    auth.login(world.incharge)
    assert client.get(f"/audit/cases/{case_id}").status_code == 403  # supervisors only
    assert _last_entry(app).data["args"] == {"object_type": "cases", "object_id": case_id}


def test_an_administrators_code_is_not_copied_into_the_chain(app, world, client, auth):
    auth.login(world.admin)
    response = client.post("/admin/office-kinds", data={"code": "patwari", "name_en": "Patwari", "name_hi": "पटवारी"})
    assert response.status_code == 302
    entry = _last_entry(app)
    assert entry.action == "office_kind.created" and "patwari" not in canonical(entry).decode()


def test_the_guards_vocabulary_comes_from_the_code_not_from_data(app, world):
    """tests/audit_guard.py checks every entry the suite writes against this vocabulary."""
    with app.app_context():
        words = audit_guard.vocabulary()
    assert {"verify", "cases.show", "incharge", "case_id", "access.refused", "throttled", "display_name"} <= words
    assert not {"Sunita Devi", "PMAY-G", "patwari", "482917365402", "Rampur", "Admin"} & words


# --- no input yields a 500: each guarantee on its own --------------------------------------------


@pytest.mark.parametrize("raw", ["1", "0", "-7", str(DB_INT_MAX), f"-{DB_INT_MAX + 1}"])
def test_db_int_takes_database_integers(raw):
    assert db_int(raw) == int(raw)


@pytest.mark.parametrize("raw", [str(DB_INT_MAX + 1), str(2**64), "1_000", "٣", "１", "1e3", "", "0x10", None, True])
def test_db_int_refuses_everything_else(raw):
    with pytest.raises(ValueError):
        db_int(raw)


def test_ids_beyond_the_database_range_are_the_ordinary_404(app, world, client, auth):
    auth.login(world.incharge)
    missing = client.get("/cases/2147483647")
    for huge in ("2147483648", "482917365402", str(2**64 + 1), "٣"):
        response = client.get(f"/cases/{huge}")
        assert response.status_code == 404
        assert response.get_data() == missing.get_data()


def test_integer_filters_beyond_the_range_are_not_applied(app, world, client, auth):
    auth.login(world.incharge)
    plain = text_of(client.get("/queue"))
    assert text_of(client.get(f"/queue?scheme={2**40}&settlement=99999999999999999999")) == plain


def test_a_nul_byte_is_refused_with_a_message_before_anything_is_written(app, world, client, auth):
    auth.login(world.incharge)
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    response = client.post("/beneficiaries/new", data={
        "name": "Geeta\x00 Kumari", "gender": "female", "settlement": world.village.id, "preferred_language": "hi",
        "lawful_basis": "written_consent", "consent_given": "y"})
    assert response.status_code == 400
    assert "NUL" in text_of(response)
    assert client.get("/queue?status=open\x00").status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


def test_a_bad_search_kept_in_the_session_does_not_break_the_queue(app, world, client, auth):
    auth.login(world.incharge)
    assert client.post("/queue/search", data={"q": "Sunita\x00"}).status_code == 400
    with client.session_transaction() as session:
        session["queue_search"] = "Sunita\x00"  # as an older server kept it
    assert client.get("/queue").status_code == 200
    with client.session_transaction() as session:
        assert "queue_search" not in session


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"])
def test_dates_out_of_range_are_refused_by_forms(app, world, client, auth, day):
    auth.login(world.admin)
    response = client.post("/admin/holidays", data={"day": day, "name_en": "Far away", "name_hi": "दूर"})
    assert response.status_code == 422
    assert "between 01/01/1900 and 31/12/2199" in text_of(response)
    with app.app_context():
        assert db.session.scalar(sa.select(Holiday).where(Holiday.name_en == "Far away")) is None


@pytest.mark.parametrize(("day", "left_out"), [("0001-01-01", True), ("9999-12-31", True), ("2026-02-30", True),
                                               ("10000-01-01", True), ("1899-12-31", False), ("2999-01-01", False)])
def test_date_filters_the_arithmetic_cannot_take_are_left_out_with_a_message(app, world, client, auth, day,
                                                                             left_out):
    auth.login(world.incharge)
    for url in (f"/letters?from={day}&to={day}", f"/letters/batch?from={day}"):
        response = client.get(url)
        assert response.status_code == 200
        assert ("was left out" in text_of(response)) == left_out


@pytest.mark.parametrize("size", [2 * 1024 * 1024 + 1, 20 * 1024 * 1024])
def test_a_body_over_the_limit_gets_the_413_page(app, world, client, auth, size):
    auth.login(world.incharge)
    response = client.post("/language", data={"lang": "x" * size})
    assert response.status_code == 413
    assert "too large" in text_of(response)


def test_a_unique_value_taken_meanwhile_is_a_422_not_a_500(app, world, client, auth, monkeypatch):
    """The service checks the code is free, then another save takes it before this one commits:
    the check is made to miss (the race's window), and the database's refusal must be answered."""
    from caseflow.areas import services as area_services

    auth.login(world.admin)
    monkeypatch.setattr(area_services, "_exists", lambda *conditions: False)
    response = client.post("/admin/office-kinds", data={"code": "sarpanch", "name_en": "Sarpanch 2", "name_hi": "स"})
    assert response.status_code == 422
    assert "clashes with something saved at the same moment" in text_of(response)


def test_every_form_is_a_caseflow_form():
    """caseflow.forms.Form refuses dates and integers out of range: a form outside it would not."""
    for info in pkgutil.walk_packages(caseflow.__path__, "caseflow."):
        importlib.import_module(info.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    outside = sorted(f"{c.__module__}.{c.__name__}" for c in subclasses(FlaskForm)
                     if c.__module__.startswith("caseflow.") and not issubclass(c, Form))
    assert outside == []


# --- logs hold no personal data ----------------------------------------------------------------


@pytest.fixture
def failing_app(app, database_url):
    """An app with a route that fails the way real code can: a database error, then a message
    quoting what was typed; exceptions are handled (and logged) as in production."""
    extra = create_app(config_for(database_url, PROPAGATE_EXCEPTIONS=False))

    @extra.post("/_test/boom")
    def boom():
        name = request.form["name"]
        try:
            with db.session.begin_nested():
                for _ in range(2):  # the second breaks the unique day
                    db.session.execute(sa.insert(Holiday).values(day=date(2031, 1, 1), name_en=name, name_hi=name))
        except sa.exc.IntegrityError as exc:
            raise RuntimeError(f"could not save {name} for {request.args['mobile']}") from exc
        return "not reached"

    return extra


def test_a_500_logs_no_sql_parameters_form_values_or_query_strings(failing_app, world, caplog):
    caplog.set_level(logging.INFO)
    response = failing_app.test_client().post("/_test/boom?mobile=9876543210",
                                              data={"name": "Sunita Devi", "address": "Rampur Khurd ward 4"})
    assert response.status_code == 500
    logged = caplog.text
    assert "Exception on /_test/boom [POST]" in logged
    assert "Traceback" in logged and "RuntimeError (message withheld)" in logged
    assert "IntegrityError (message withheld)" in logged and "INSERT INTO holidays" in logged  # still useful
    for text in PERSONAL:
        assert text not in logged


def test_the_engine_hides_parameters_from_error_messages(app, world):
    with app.app_context():
        with pytest.raises(sa.exc.IntegrityError) as caught:
            with db.session.begin_nested():
                db.session.execute(sa.insert(Holiday).values(day=date(2031, 1, 1), name_en="Sunita Devi", name_hi="x"))
                db.session.execute(sa.insert(Holiday).values(day=date(2031, 1, 1), name_en="Sunita Devi", name_hi="x"))
        assert "Sunita" not in str(caught.value)


def test_the_development_servers_request_lines_lose_their_query_strings():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - [%s] "%s" %s %s',
                               ("127.0.0.1", "29/Nov/2026 10:00:00", "GET /queue?name=Sunita+Devi&m=9876543210 HTTP/1.1",
                                "200", "-"), None)
    assert LOG_FILTER.filter(record)
    assert re.fullmatch(r'127\.0\.0\.1 - - \[.*\] "GET /queue HTTP/1\.1" 200 -', record.getMessage())


def test_requests_log_no_form_values(app, world, client, caplog):
    caplog.set_level(logging.DEBUG)
    Auth(client).login("incharge")
    client.post("/login", data={"username": "Sunita Devi", "password": "9876543210"})
    for text in PERSONAL:
        assert text not in caplog.text
