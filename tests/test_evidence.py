"""Evidence files through the case page, on real images (Pillow) and PDFs (pypdf).

What is stored is what the content says (not the name or Content-Type), stripped of EXIF with
the orientation kept, resized, capped in size and in pixels; stored once per content, served
only inside the viewer's scope with headers that keep it inert, listed in the timeline,
audited without the caption, masked by the Aadhaar rule; a scheme can require a proof file
for delivery; attaching never loses to a concurrent change of the case.
"""
import io
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from PIL import Image

from caseflow.audit.models import AuditEntry
from caseflow.cases.models import Case, CaseEvent, CaseStatus, Channel, EventKind
from caseflow.cases.services import log_follow_up, transition
from caseflow.evidence import storage
from caseflow.evidence.forms import AADHAAR_REMINDER
from caseflow.evidence.models import EvidenceFile, EvidenceKind, MediaType
from caseflow.extensions import db
from caseflow.machine import TransitionRefused
from caseflow.schemes.models import Scheme
from tests import evidence_support as make
from tests.conftest import Auth, World, step_data, text_of

FULL_AADHAAR = "2345 6789 0124"  # a valid Verhoeff number: the rule masks it


def attach(client, case_id: int, data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg",
           caption: str = ""):
    return client.post(f"/cases/{case_id}/evidence", data={
        "ev-file": (io.BytesIO(data), name, content_type), "ev-caption": caption},
        content_type="multipart/form-data")


def files_of(app, case_id: int) -> list[EvidenceFile]:
    with app.app_context():
        return db.session.scalars(sa.select(EvidenceFile).where(EvidenceFile.case_id == case_id)
                                  .order_by(EvidenceFile.id)).all()


def load(app, digest: str, media_type: MediaType = MediaType.JPEG) -> bytes:
    with app.app_context():
        return storage.load(digest, media_type)


def audit_count(app, action: str | None = None) -> int:
    with app.app_context():
        query = sa.select(sa.func.count(AuditEntry.seq))
        if action:
            query = query.where(AuditEntry.action == action)
        return db.session.scalar(query)


def get_case(app, case_id: int) -> Case:
    with app.app_context():
        return db.session.get(Case, case_id, populate_existing=True)


def stored_files(app) -> set[str]:
    root = Path(app.config["EVIDENCE_DIR"])
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def case(app, world):
    """A submitted case (detached: read its ids and attributes, not its relationships)."""
    with app.app_context():
        made = world.case(status="submitted")
        db.session.commit()
        return get_case(app, made.id)


def new_case(app, world, name: str = "Kamla Bai", status: str = "submitted") -> Case:
    with app.app_context():
        made = world.case(person=world.person(name=name), status=status)
        db.session.commit()
        return get_case(app, made.id)


def test_a_photo_loses_its_gps_and_keeps_its_orientation(app, world, case, client, auth):
    auth.login(world.incharge)
    original = make.photo_with_gps(300, 200, orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the GPS is really there
    response = attach(client, case.id, original, caption="Sanction order, page 1")
    assert response.status_code == 303, text_of(response)
    [row] = files_of(app, case.id)
    assert (row.kind, row.media_type, row.event_id, row.caption) == (
        EvidenceKind.CASE, MediaType.JPEG, None, "Sanction order, page 1")
    stored = load(app, row.sha256, row.media_type)
    assert len(stored) == row.size and storage.sha256(stored) == row.sha256
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {} and "exif" not in image.info
    assert b"PhoneModel" not in stored and b"GPS" not in stored
    # Upright: the orientation was applied to the pixels (red half on top), then dropped.
    assert image.size == (200, 300) == (row.width, row.height)
    red, blue = image.convert("RGB").getpixel((100, 60)), image.convert("RGB").getpixel((100, 240))
    assert red[0] > 200 and red[2] < 60 and blue[2] > 200 and blue[0] < 60

    served = client.get(f"/evidence/{row.id}")
    assert served.status_code == 200 and served.data == stored
    assert served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in served.headers["Cache-Control"]
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert "script-src" not in served.headers["Content-Security-Policy"]
    assert served.headers["Content-Disposition"] == f'inline; filename="evidence-{row.id}.jpg"'
    thumb = client.get(f"/evidence/{row.id}/thumbnail")
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.data)).size == (200, 300)
    assert storage.sha256(thumb.data) == row.thumb_sha256


def test_a_large_photo_is_brought_down_to_1600_px_by_the_server(app, world, case, client, auth):
    auth.login(world.incharge)
    assert attach(client, case.id, make.noisy_jpeg(3200, 2400)).status_code == 303
    [row] = files_of(app, case.id)
    assert (row.width, row.height) == (1600, 1200)
    assert Image.open(io.BytesIO(load(app, row.sha256, row.media_type))).size == (1600, 1200)
    with Image.open(io.BytesIO(load(app, row.thumb_sha256))) as thumb:
        assert max(thumb.size) == 320


def test_a_png_with_transparency_stays_a_png_and_webp_becomes_jpeg(app, world, case, client, auth):
    auth.login(world.incharge)
    assert attach(client, case.id, make.photo(fmt="PNG", colour=(0, 0, 0, 0)), "scan.png", "image/png").status_code == 303
    assert attach(client, case.id, make.photo(fmt="WEBP"), "x.webp", "image/webp").status_code == 303
    assert [f.media_type for f in files_of(app, case.id)] == [MediaType.PNG, MediaType.JPEG]


def test_a_pdf_is_kept_byte_for_byte_and_downloaded(app, world, case, client, auth):
    auth.login(world.incharge)
    document = make.pdf(pages=2)
    assert attach(client, case.id, document, "order.pdf", "application/pdf").status_code == 303
    [row] = files_of(app, case.id)
    assert (row.media_type, row.size, row.sha256, row.thumb_sha256) == (
        MediaType.PDF, len(document), storage.sha256(document), None)
    served = client.get(f"/evidence/{row.id}")
    assert served.data == document and served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert client.get(f"/evidence/{row.id}/thumbnail").status_code == 404


@pytest.mark.parametrize("data, name, content_type, message", [
    (b"This is just text pretending to be a photo.\n" * 20, "photo.jpg", "image/jpeg", "Only photos"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg", "image/svg+xml",
     "Only photos"),
    (b"<!doctype html><script>alert(1)</script>", "x.jpg", "image/jpeg", "Only photos"),
    (b"\xff\xd8\xff\xe0 a JPEG that stops here", "broken.jpg", "image/jpeg", "could not be read"),
    (b"%PDF-1.7\nnot really a pdf at all", "fake.pdf", "application/pdf", "PDF could not be read"),
    (make.heic_header(), "IMG_0001.HEIC", "image/heic", "HEIC photos cannot be read"),
    (b"", "empty.jpg", "image/jpeg", "The file is empty"),
], ids=["text named .jpg", "svg", "html named .jpg", "truncated jpeg", "fake pdf", "heic", "empty"])
def test_anything_but_a_readable_image_or_pdf_is_refused_and_nothing_is_stored(
        app, world, case, client, auth, data, name, content_type, message):
    auth.login(world.incharge)
    before, audit_before = stored_files(app), audit_count(app)
    response = attach(client, case.id, data, name, content_type)
    assert response.status_code == 422
    assert message in text_of(response)
    assert files_of(app, case.id) == [] and stored_files(app) == before
    assert audit_count(app) == audit_before


def test_an_oversize_file_is_refused_with_the_limit_in_the_message(app, world, case, client, auth, monkeypatch):
    auth.login(world.incharge)
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 100_000)
    before = stored_files(app)
    # Over the file limit, within the body's allowance: the form says so by the field.
    response = attach(client, case.id, make.noisy_jpeg(400, 400))
    assert response.status_code == 422 and "larger than 0.1 MB" in text_of(response)
    # Over the body limit too: the 413 page says the same.
    response = attach(client, case.id, make.noisy_jpeg(1500, 1500))
    assert response.status_code == 413 and "larger than 0.1 MB" in text_of(response)
    assert files_of(app, case.id) == [] and stored_files(app) == before


def test_an_ordinary_form_keeps_its_small_body_limit(app, world, client, auth):
    auth.login(world.incharge)
    big = "x" * (3 * 1024 * 1024)
    assert client.post("/queue/search", data={"q": big}).status_code == 413


@pytest.mark.parametrize("bomb", [make.png_bomb_header, make.png_bomb], ids=["header claims 10 Gpx", "36 Mpx of zeros"])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(app, world, case, client, auth, bomb):
    auth.login(world.incharge)
    data = bomb()
    assert len(data) < 200_000
    response = attach(client, case.id, data, "bomb.png", "image/png")
    assert response.status_code == 422 and "too many pixels" in text_of(response)
    assert files_of(app, case.id) == []


def test_the_same_file_twice_is_stored_once(app, world, client, auth):
    auth.login(world.incharge)
    first, second = new_case(app, world, "Sunita"), new_case(app, world, "Kamla Bai")
    photo = make.photo_with_gps()
    before = stored_files(app)
    for case in (first, second, first):
        assert attach(client, case.id, photo).status_code == 303
    rows = files_of(app, first.id) + files_of(app, second.id)
    assert len(rows) == 3 and len({r.sha256 for r in rows}) == 1
    added = stored_files(app) - before
    assert len(added) <= 2  # the photo and its thumbnail, once (none if an earlier test stored them)
    assert f"{rows[0].sha256[:2]}/{rows[0].sha256}.jpg" in stored_files(app)


def test_a_file_outside_the_viewers_areas_is_the_same_404_as_a_missing_one(app, world, case, client, auth):
    auth.login(world.incharge)
    assert attach(client, case.id, make.photo()).status_code == 303
    [row] = files_of(app, case.id)
    auth.logout()
    auth.login(world.other_incharge)
    outside, missing = client.get(f"/evidence/{row.id}"), client.get(f"/evidence/{row.id + 10_000}")
    assert outside.status_code == missing.status_code == 404
    assert outside.data == missing.data
    assert client.get(f"/evidence/{row.id}/thumbnail").status_code == 404
    assert attach(client, case.id, make.photo()).status_code == 404
    auth.logout()
    auth.login(world.admin)  # administrators see no cases, as on every case page
    assert client.get(f"/evidence/{row.id}").status_code == 403
    auth.logout()
    assert client.get(f"/evidence/{row.id}").status_code in (302, 401)
    auth.login(world.supervisor)  # the whole state
    assert client.get(f"/evidence/{row.id}").status_code == 200


def test_the_audit_trail_names_the_hash_not_the_caption(app, world, case, client, auth):
    auth.login(world.incharge)
    assert attach(client, case.id, make.photo(), caption="Ration card of Sunita").status_code == 303
    [row] = files_of(app, case.id)
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "evidence.attached")).one()
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.area_path) == (
        world.incharge.id, "evidence_files", str(row.id), case.area_path)
    assert entry.data == {"case_id": case.id, "event_id": None, "kind": "case", "media_type": "image/jpeg",
                          "sha256": row.sha256, "size": row.size, "caption_given": True}
    assert "Sunita" not in str(entry.data)


def test_files_are_in_the_timeline_and_on_the_case_page(app, world, case, client, auth):
    auth.login(world.incharge)
    assert attach(client, case.id, make.photo(), caption="Receipt").status_code == 303
    [row] = files_of(app, case.id)
    page = client.get(f"/cases/{case.id}")
    html = page.get_data(as_text=True)
    assert f'src="/evidence/{row.id}/thumbnail"' in html
    timeline = html.split("Timeline", 1)[1]
    assert "File attached" in timeline and f'href="/evidence/{row.id}"' in timeline and "Receipt" in timeline
    # Newest first: the file (attached last) is above the case's opening.
    assert timeline.index("File attached") < timeline.index("Case opened")


def test_a_follow_up_carries_its_photo_in_one_transaction(app, world, case, client, auth):
    auth.login(world.incharge)
    response = client.post(f"/cases/{case.id}/follow-up", data={
        "fu-version": case.version, "fu-office": 0, "fu-channel": "visit", "fu-response": "Receipt given",
        "fu-file": (io.BytesIO(make.photo()), "receipt.jpg"), "fu-caption": "Receipt"},
        content_type="multipart/form-data")
    assert response.status_code == 303, text_of(response)
    [row] = files_of(app, case.id)
    with app.app_context():
        event = db.session.get(CaseEvent, row.event_id)
    assert (row.kind, event.kind, event.case_id) == (EvidenceKind.FOLLOW_UP, EventKind.FOLLOW_UP, case.id)
    timeline = client.get(f"/cases/{case.id}").get_data(as_text=True).split("Timeline", 1)[1]
    assert "with a follow-up" in timeline


def test_a_follow_up_with_a_bad_file_saves_nothing(app, world, case, client, auth):
    auth.login(world.incharge)
    version = case.version
    response = client.post(f"/cases/{case.id}/follow-up", data={
        "fu-version": version, "fu-office": 0, "fu-channel": "visit", "fu-response": "Receipt given",
        "fu-file": (io.BytesIO(b"not an image"), "receipt.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Only photos" in text_of(response)
    assert get_case(app, case.id).version == version and files_of(app, case.id) == []


def test_a_stale_page_never_loses_a_file(app, world, case, client, auth):
    auth.login(world.incharge)
    seen = case.version
    with app.app_context():
        loaded = db.session.get(Case, case.id)
        log_follow_up(loaded, db.session.merge(world.supervisor), expected_version=seen, channel=Channel.PHONE,
                      response="Moved on")
        db.session.commit()
    assert get_case(app, case.id).version != seen
    # The case's own files carry no version: an old page still attaches.
    assert attach(client, case.id, make.photo(colour=(1, 2, 3))).status_code == 303
    # A follow-up from the old page is refused as stale, but its file is kept on the case.
    response = client.post(f"/cases/{case.id}/follow-up", data={
        "fu-version": seen, "fu-office": 0, "fu-channel": "visit", "fu-response": "Receipt given",
        "fu-file": (io.BytesIO(make.photo(colour=(4, 5, 6))), "receipt.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 409
    rows = files_of(app, case.id)
    assert [(r.kind, r.event_id) for r in rows] == [(EvidenceKind.CASE, None), (EvidenceKind.CASE, None)]
    assert "The file you sent was kept" in text_of(client.get(f"/cases/{case.id}"))
    with app.app_context():
        assert len([e for e in db.session.get(Case, case.id).events if e.kind is EventKind.FOLLOW_UP]) == 1


def _deliver(client, case, file: bytes | None = None):
    data = {"deliver-version": case.version, "deliver-proof_of_delivery": "First instalment credited",
            "deliver-delivered_on": "2026-03-01", "deliver-beneficiary_confirmed": "y"}
    if file is not None:
        data["deliver-proof_file"] = (io.BytesIO(file), "proof.pdf")
    return client.post(f"/cases/{case.id}/do/deliver", data=data, content_type="multipart/form-data")


def test_a_scheme_can_require_a_proof_file_for_delivery(app, world, client, auth):
    case = new_case(app, world, status="sanctioned")
    with app.app_context():
        db.session.get(Scheme, world.scheme.id).proof_file_required = True
        db.session.commit()
    auth.login(world.incharge)
    refused = _deliver(client, case)
    assert refused.status_code == 422 and "This scheme needs a proof file" in text_of(refused)
    assert get_case(app, case.id).status is CaseStatus.SANCTIONED
    # The rule is the machine's, so no caller can go round the page.
    with app.app_context(), pytest.raises(TransitionRefused):
        loaded = db.session.get(Case, case.id)
        transition(loaded, db.session.merge(world.incharge), "deliver", step_data("deliver"),
                   expected_version=loaded.version)
    done = _deliver(client, case, make.pdf())
    assert done.status_code == 303, text_of(done)
    assert get_case(app, case.id).status is CaseStatus.RESOLVED
    [row] = files_of(app, case.id)
    with app.app_context():
        event = db.session.get(CaseEvent, row.event_id)
    assert (row.kind, event.trigger, event.details.get("proof_file")) == (EvidenceKind.DELIVERY, "deliver", True)
    assert "proof of delivery" in text_of(client.get(f"/cases/{case.id}"))


def test_without_the_requirement_delivery_needs_no_file_but_takes_one(app, world, client, auth):
    plain, with_file = new_case(app, world, "Sunita", "sanctioned"), new_case(app, world, "Kamla", "sanctioned")
    auth.login(world.incharge)
    assert _deliver(client, plain).status_code == 303
    assert _deliver(client, with_file, make.photo()).status_code == 303
    assert files_of(app, plain.id) == [] and [f.kind for f in files_of(app, with_file.id)] == [EvidenceKind.DELIVERY]


def test_an_administrator_sets_the_requirement_in_the_scheme_form(app, world, client, auth):
    auth.login(world.admin)
    page = client.get(f"/admin/schemes/{world.scheme.id}").get_data(as_text=True)
    assert 'name="proof_file_required"' in page
    s = world.scheme
    response = client.post(f"/admin/schemes/{s.id}", data={
        "code": s.code, "name_en": s.name_en, "name_hi": s.name_hi, "department": s.department,
        "proof_of_delivery": s.proof_of_delivery, "documents_required": s.documents_required, "active": "y",
        "proof_file_required": "y"})
    assert response.status_code in (302, 303), text_of(response)
    with app.app_context():
        assert db.session.get(Scheme, s.id).proof_file_required is True


def test_the_caption_is_free_text_under_the_aadhaar_rule(app, world, case, client, auth):
    auth.login(world.incharge)
    assert attach(client, case.id, make.photo(), caption=f"Aadhaar {FULL_AADHAAR}").status_code == 303
    [row] = files_of(app, case.id)
    assert row.caption == "Aadhaar XXXX XXXX 0124"
    assert FULL_AADHAAR not in client.get(f"/cases/{case.id}").get_data(as_text=True)


@pytest.mark.parametrize("locale", ["en", "hi"])
def test_the_form_reminds_users_to_upload_only_masked_aadhaar_copies(app, world, case, client, auth, locale):
    with app.app_context():
        db.session.get(type(world.incharge), world.incharge.id).locale = locale
        db.session.commit()
    auth.login(world.incharge)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    with app.test_request_context(), force_locale(locale):
        reminder = str(AADHAAR_REMINDER)
    assert reminder in html
    assert 'accept="image/*,application/pdf"' in html and "capture=" in html
    assert html.count('enctype="multipart/form-data"') >= 2  # the follow-up and the case's own file


def test_two_uploads_to_one_case_at_once_both_land(app, committed_db):
    with app.app_context():
        world = World()
        case_id, incharge, supervisor = world.case(status="submitted").id, world.incharge, world.supervisor
        db.session.commit()
        users = [incharge.username, supervisor.username]
    clients = [app.test_client() for _ in users]
    for client, user in zip(clients, users, strict=True):
        Auth(client).login(user)
    barrier, results = threading.Barrier(2), [None, None]

    def upload(i):
        barrier.wait(timeout=30)
        results[i] = attach(clients[i], case_id, make.photo(colour=(i * 100, 50, 50))).status_code

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [303, 303]
    rows = files_of(app, case_id)
    assert len(rows) == 2 and len({r.sha256 for r in rows}) == 2
    assert audit_count(app, "evidence.attached") == 2


def test_only_caseworkers_attach(app, world, case):
    from caseflow.evidence import files, services
    from caseflow.exceptions import Refused

    with app.app_context():
        for who in (world.admin, world.other_incharge):
            with pytest.raises(Refused):
                services.attach(case, db.session.merge(who), files.prepare(make.photo()))
