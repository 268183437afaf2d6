"""Queue search (caseflow.cases.search): each kind of match finds exactly its cases, in the
user's scope, ranked; the search keys follow every change; the queue page keeps its filters
and its place; the search text stays out of URLs and logs."""
import logging
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from caseflow.beneficiaries.models import Beneficiary, NameToken
from caseflow.cases.models import Case
from caseflow.cases.search import AADHAAR, MOBILE, NAME, NUMBER, REFERENCE, SIMILAR_NAME, search
from caseflow.cases.services import transition
from caseflow.extensions import db
from tests.conftest import step_data, text_of
from tests.scratch import BACKENDS, scratch_app
from tests.test_migrations import MIGRATIONS, migrate_up


def found(user, text) -> list[tuple[int, str]]:
    return [(hit.row.id, hit.kind) for hit in search(user, text).hits]


def ids(user, text) -> set[int]:
    return {hit.row.id for hit in search(user, text).hits}


@pytest.fixture
def cases(app, world):
    """Cases in both districts, with names in both scripts, mobiles, Aadhaar last fours and numbers."""
    with app.app_context():
        sunita = world.person(name="सुनीता देवी", mobile="98765 43210", aadhaar="0002")
        ramesh = world.person(name="Ramesh Kumar", mobile="9123456789")
        sonita = world.person(name="Sonita Bai")
        geeta = world.person(name="Geeta Verma", aadhaar="7777")
        far = world.person(name="Sunita Devi", settlement=world.other_village, actor=world.other_incharge,
                           mobile="9876543210")
        made = {
            "sunita": world.case(person=sunita),                       # SHR/…/000001
            "ramesh": world.case(person=ramesh, status="documented"),  # SHR/…/000002
            "sonita": world.case(person=sonita),                       # SHR/…/000003
            "geeta": world.case(person=geeta),                         # SHR/…/000004
            "far": world.case(person=far, actor=world.other_incharge),  # RSN/…/000001
        }
        transition(made["ramesh"], world.incharge, "submit",
                   {"application_ref": "MP-PMAY/2026/77881", "application_date": date(2026, 1, 5),
                    "grievance_ref": "CMH 2026 0012345"}, expected_version=made["ramesh"].version)
        db.session.commit()
        return {name: case.id for name, case in made.items()} | {
            "refs": {name: case.reference for name, case in made.items()}}


def test_a_reference_is_found_by_its_number_alone_in_every_district_the_user_sees(app, world, cases):
    with app.app_context():
        assert found(world.incharge, "1") == [(cases["sunita"], REFERENCE)]
        assert found(world.incharge, "000001") == [(cases["sunita"], REFERENCE)]
        assert found(world.incharge, " 0 0 0 0 0 3 ") == [(cases["sonita"], REFERENCE)]
        # The whole reference, in any case, with the number shortened.
        whole = cases["refs"]["ramesh"]
        code, year, _number = whole.split("/")
        assert found(world.incharge, whole.lower()) == [(cases["ramesh"], REFERENCE)]
        assert found(world.incharge, f"{code}/{year}/2") == [(cases["ramesh"], REFERENCE)]
        # One number per district: the state-wide supervisor sees both, each in-charge their own.
        assert ids(world.supervisor, "1") == {cases["sunita"], cases["far"]}
        assert ids(world.other_incharge, "000001") == {cases["far"]}
        assert ids(world.incharge, cases["refs"]["far"]) == set()
        assert found(world.incharge, "99") == []


def test_a_mobile_number_is_found_in_any_spelling(app, world, cases):
    with app.app_context():
        for spelling in ("9876543210", "+91 98765 43210", "+91-98765-43210", "098765 43210", "91 9876543210",
                         "(+91) 98765-43210", "९८७६५४३२१०"):
            assert found(world.incharge, spelling) == [(cases["sunita"], MOBILE)], spelling
        # The same number in the other district is another person, outside this scope.
        assert ids(world.supervisor, "98765 43210") == {cases["sunita"], cases["far"]}
        assert found(world.incharge, "9876543211") == []


def test_four_digits_are_a_reference_number_and_an_aadhaar_last_four(app, world, cases):
    with app.app_context():
        # "0002" is case number 2 (Ramesh) and Sunita's Aadhaar last four: both, the reference first.
        assert found(world.incharge, "0002") == [(cases["ramesh"], REFERENCE), (cases["sunita"], AADHAAR)]
        assert found(world.incharge, "7777") == [(cases["geeta"], AADHAAR)]
        assert found(world.other_incharge, "7777") == []
        # A whole Aadhaar number typed in the box is masked before it is searched (views.search):
        # the last four still find the person.
        assert found(world.incharge, "XXXX XXXX 7777") == [(cases["geeta"], AADHAAR)]


def test_application_and_grievance_numbers_are_found_whatever_the_punctuation(app, world, cases):
    with app.app_context():
        for text in ("MP-PMAY/2026/77881", "mp pmay 2026 77881", "MPPMAY202677881",
                     "CMH/2026/0012345", "cmh 2026 0012345", "CMH-2026-0012345"):
            assert found(world.incharge, text) == [(cases["ramesh"], NUMBER)], text
        assert found(world.incharge, "MP-PMAY/2026/7788") == []
        assert found(world.other_incharge, "CMH/2026/0012345") == []


def test_names_are_found_in_either_script_with_spelling_slack(app, world, cases):
    with app.app_context():
        for text in ("Sunita", "Suneeta", "सुनीता", "SUNITA devi", "Devi Sunita", "सुनीता देवी"):
            hits = found(world.incharge, text)
            assert hits[0] == (cases["sunita"], NAME), text
        # "Sonita" is only a similar name: after the exact ones, marked as such.
        assert found(world.incharge, "Sunita") == [(cases["sunita"], NAME), (cases["sonita"], SIMILAR_NAME)]
        assert found(world.incharge, "Sonita")[0] == (cases["sonita"], NAME)
        for text in ("Ramesh Kumar", "Kumar Ramesh", "रमेश कुमार", "Rmesh", "ramesh"):
            assert found(world.incharge, text) == [(cases["ramesh"], NAME)], text
        assert found(world.incharge, "Ramesh Verma") == []
        assert ids(world.incharge, "Geeta") == {cases["geeta"]}
        assert found(world.incharge, "Pushpa") == []


def test_names_are_scoped_like_the_queue(app, world, cases):
    with app.app_context():
        assert cases["far"] not in ids(world.incharge, "Sunita Devi")
        assert ids(world.other_incharge, "Sunita Devi") == {cases["far"]}
        assert ids(world.supervisor, "सुनीता देवी") == {cases["sunita"], cases["far"]}
        assert found(world.admin, "Sunita") == []


def test_the_exact_name_comes_before_the_same_words_in_another_order(app, world):
    with app.app_context():
        swapped = world.case(person=world.person(name="Kumar Ramesh"))
        exact = world.case(person=world.person(name="Ramesh Kumar"))
        db.session.flush()
        assert [i for i, _kind in found(world.incharge, "Ramesh Kumar")] == [exact.id, swapped.id]
        assert [i for i, _kind in found(world.incharge, "Kumar Ramesh")] == [swapped.id, exact.id]


def test_search_keys_follow_every_change(app, world, cases):
    with app.app_context():
        person = db.session.get(Beneficiary, db.session.get(Case, cases["geeta"]).beneficiary_id)
        person.name = "पुष्पा बाई"
        person.mobile = "7000000001"
        db.session.commit()
        assert found(world.incharge, "Geeta") == []
        assert found(world.incharge, "Pushpa") == [(cases["geeta"], NAME)]
        assert found(world.incharge, "70000 00001") == [(cases["geeta"], MOBILE)]
        words = db.session.execute(sa.select(NameToken.key, NameToken.skeleton, NameToken.area_path)
                                   .where(NameToken.beneficiary_id == person.id).order_by(NameToken.position)).all()
        assert words == [("pusp", "psp", person.area_path), ("bi", "b", person.area_path)]
        assert person.name_key == "pusp bi"

        case = db.session.get(Case, cases["sunita"])
        transition(case, world.incharge, "verify", step_data("verify"), expected_version=case.version)
        transition(case, world.incharge, "submit", {"application_ref": "UJJ/2026/55", "application_date": date(2026, 2, 1),
                                                    "grievance_ref": "CPGRAMS-99"}, expected_version=case.version)
        db.session.commit()
        assert found(world.incharge, "ujj 2026 55") == [(cases["sunita"], NUMBER)]
        assert found(world.incharge, "cpgrams99") == [(cases["sunita"], NUMBER)]
        assert db.session.get(Case, cases["sunita"]).ref_seq == 1


def test_more_matches_than_a_page_say_so(app, world):
    with app.app_context():
        for _ in range(4):
            world.case(person=world.person(name="Kamla Bai"))
        db.session.flush()
        result = search(world.incharge, "Kamla", limit=3)
        assert len(result.hits) == 3 and result.more
        assert not search(world.incharge, "Kamla", limit=4).more


# --- the page -------------------------------------------------------------------------------


def test_the_queue_page_shows_results_and_keeps_the_text_out_of_urls_and_logs(app, world, cases, client, auth,
                                                                               caplog):
    auth.login(world.incharge)
    with caplog.at_level(logging.DEBUG):
        posted = client.post("/queue/search", data={"q": "Suneeta"})
        assert posted.status_code == 302 and "Suneeta" not in posted.headers["Location"]
        page = client.get(posted.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="search-results"' in html
    assert cases["refs"]["sunita"] in html and cases["refs"]["sonita"] in html
    assert cases["refs"]["ramesh"] not in html
    assert "Similar name" in text_of(page)
    assert "Suneeta" not in caplog.text
    assert all("Suneeta" not in href for href in re.findall(r'href="([^"]*)"', html))
    cleared = client.post("/queue/search", data={"q": "x", "clear": "1"}, follow_redirects=True)
    assert 'data-testid="search-results"' not in cleared.get_data(as_text=True)


def test_filters_stay_put_across_visits(app, world, cases, client, auth):
    auth.login(world.incharge)
    chosen = client.get(f"/queue?status=documented&scheme={world.scheme.id}&settlement=&overdue=")
    assert cases["refs"]["ramesh"] not in chosen.get_data(as_text=True)  # submitted since
    again = client.get("/queue")  # the navigation's link, no filters in it
    html = again.get_data(as_text=True)
    assert '<option value="documented" selected>' in html
    assert f'<option value="{world.scheme.id}" selected>' in html
    summary = re.search(r'data-testid="current-filters">(.*?)</span>', html, re.S).group(1)
    assert "Documented" in summary and world.scheme.code in summary
    # A search and its clearing keep them too.
    client.post("/queue/search", data={"q": "x", "clear": "1"})
    assert '<option value="documented" selected>' in client.get("/queue").get_data(as_text=True)
    reset = client.get("/queue?status=open").get_data(as_text=True)
    assert '<option value="open" selected>' in reset
    assert '<option value="open" selected>' in client.get("/queue").get_data(as_text=True)


def test_back_to_the_queue_returns_to_the_same_page(app, world, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "QUEUE_PAGE_SIZE", 2)
    with app.app_context():
        made = [world.case(person=world.person(name=f"Person {n}")) for n in range(5)]
        db.session.commit()
        refs = [c.reference for c in made]
    auth.login(world.incharge)
    first = client.get("/queue?status=open").get_data(as_text=True)
    next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(next_url).get_data(as_text=True)
    on_second = [r for r in refs if r in second]
    assert len(on_second) == 2 and not set(on_second) & {r for r in refs if r in first}
    case_id = re.search(r'href="/cases/(\d+)"', second).group(1)
    shown = client.get(f"/cases/{case_id}").get_data(as_text=True)
    back = re.search(r'href="([^"]*)" data-testid="back-to-queue"', shown).group(1).replace("&amp;", "&")
    assert "after=" in back
    # After an action on the case too.
    with app.app_context():
        version = db.session.get(Case, int(case_id)).version
    client.post(f"/cases/{case_id}/do/verify", data={"verify-version": version})
    shown = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert re.search(r'href="([^"]*)" data-testid="back-to-queue"', shown).group(1).replace("&amp;", "&") == back
    returned = client.get(back).get_data(as_text=True)
    assert [r for r in refs if r in returned] == on_second
    # The navigation's "My queue" starts again at the first page, filters kept.
    assert [r for r in refs if r in client.get("/queue").get_data(as_text=True)] == [r for r in refs if r in first]


# --- the migration's backfill ---------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def empty_app(request, tmp_path):
    """An app on a brand-new, empty database of each kind (tests/scratch.py)."""
    with scratch_app(request.param, tmp_path, "search_migration") as application:
        yield application


def test_the_migration_fills_the_search_keys_of_existing_rows(empty_app):
    """Rows stored before 5ea4c4b10012 get their reference number, number keys and name words
    (SQLite and PostgreSQL, whose backfill is SQL of its own)."""
    with empty_app.app_context():
        upgrade(directory=str(MIGRATIONS), revision="a0e1a7b10010")
        now = datetime(2026, 11, 1)
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO areas (id, kind, name_en, name_hi, path, active) VALUES "
                                 "(1, 'state', 'S', 'स', '0000001', :yes)"), {"yes": True})
            conn.execute(sa.text("INSERT INTO areas (id, parent_id, kind, name_en, name_hi, path, active, code) VALUES "
                                 "(2, 1, 'district', 'D', 'ड', '00000010000002', :yes, 'DVG')"), {"yes": True})
            conn.execute(sa.text("INSERT INTO users (id, username, display_name, password_hash, role, active, locale, "
                                 "session_version, created_at, password_changed_at) "
                                 "VALUES (1, 'incharge', 'In-charge', 'x', 'incharge', :yes, 'hi', 1, :now, :now)"),
                         {"yes": True, "now": now})
            conn.execute(sa.text("INSERT INTO schemes (id, code, name_en, name_hi, department, proof_of_delivery, "
                                 "documents_required, active) VALUES (1, 'PMAYG', 'H', 'ह', 'RD', 'p', 'd', :yes)"),
                         {"yes": True})
            for i, name in enumerate(["सुनीता देवी", "Ramesh  Kumar", "Laxmi"], 1):
                conn.execute(sa.text(
                    "INSERT INTO beneficiaries (id, name, name_key, gender, settlement_id, area_path, "
                    "preferred_language, lawful_basis, consent_recorded_by_id, consent_recorded_at, created_at) "
                    "VALUES (:id, :name, 'x', 'female', 2, '00000010000002', 'hi', 'written_consent', 1, :now, :now)"),
                    {"id": i, "name": name, "now": now})
            for i, (ref, app, grievance) in enumerate([("DVG/2026/000092", "MP-PMAY/2026/77881", None),
                                                       ("DVG/2025/000092", None, "cmh 2026 0012345"),
                                                       ("DVG/2026/1234567", None, None)], 1):
                conn.execute(sa.text(
                    "INSERT INTO cases (id, reference, beneficiary_id, scheme_id, area_id, area_path, district_id, "
                    "status, level, beneficiary_confirmed, created_by_id, created_at, updated_at, version, "
                    "application_ref, grievance_ref) VALUES (:id, :ref, :id, 1, 2, '00000010000002', 2, "
                    "'identified', 0, :no, 1, :now, :now, 1, :app, :grv)"),
                    {"id": i, "ref": ref, "no": False, "now": now, "app": app, "grv": grievance})
        db.engine.dispose()

    migrate_up(empty_app)
    with empty_app.app_context(), db.engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT id, ref_seq, application_key, grievance_key FROM cases ORDER BY id")).all()
        words = conn.execute(sa.text("SELECT beneficiary_id, position, key, skeleton, area_path "
                                     "FROM beneficiary_name_tokens ORDER BY beneficiary_id, position")).all()
    assert [tuple(row) for row in keys] == [(1, 92, "MPPMAY202677881", None), (2, 92, None, "CMH20260012345"),
                                            (3, 1234567, None, None)]
    assert [tuple(row) for row in words] == [
        (1, 0, "sunit", "snt", "00000010000002"), (1, 1, "devi", "dv", "00000010000002"),
        (2, 0, "rmes", "rms", "00000010000002"), (2, 1, "kumr", "kmr", "00000010000002"),
        (3, 0, "lksmi", "lksm", "00000010000002")]
