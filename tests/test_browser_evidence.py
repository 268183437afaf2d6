"""A photo attached from a 360 px phone: the page's script makes it smaller before it is sent.

The file chosen is a 4000 × 3000 camera JPEG with GPS EXIF, turned sideways by its
orientation tag; what reaches the server (seen on the wire) is a JPEG of at most 1600 px on its
long side, smaller than the original, and what is stored is upright, without EXIF, and shown as
a thumbnail on the case page. A second photo goes with a follow-up.
"""
import io
import re

import pytest
import sqlalchemy as sa
from flask import request, request_started
from PIL import Image
from playwright.sync_api import expect

from caseflow.evidence import storage
from caseflow.evidence.models import EvidenceFile, EvidenceKind
from caseflow.extensions import db
from tests.browser_support import OVERFLOW_TOLERANCE
from tests.conftest import World

pytestmark = pytest.mark.browser


def camera_photo(width: int = 4000, height: int = 3000) -> bytes:
    """A smooth camera-like picture (a gradient compresses as photos do), sideways (orientation 6)."""
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (gradient, gradient.rotate(90).resize((width, height)), gradient.transpose(0)))
    image.paste((255, 0, 0), (0, 0, width // 4, height))  # the left quarter: the top once upright
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (23.0, 15.0, 30.0), 3: "E", 4: (77.0, 24.0, 10.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def test_a_photo_is_made_smaller_in_the_browser_before_it_is_sent(app, phone, live_server):
    with app.app_context():
        w = World()
        case = w.case(status="submitted")
        db.session.commit()
        case_id, incharge = case.id, w.incharge.username
    original = camera_photo()
    page = phone.page
    sent: list[int] = []

    def note_upload(sender, **extra):  # what went over the wire: the upload's body, as the server got it
        if request.method == "POST" and request.path.endswith("/evidence"):
            sent.append(request.content_length)

    request_started.connect(note_upload, live_server.app)

    phone.login(incharge)
    page.goto(f"{phone.base_url}/cases/{case_id}")
    action = phone.action("attach")
    file_input = action.locator('input[type="file"]')
    assert file_input.get_attribute("accept") == "image/*,application/pdf"
    # The case's own form lets the phone offer its chooser (camera, gallery, files: PDFs too); the
    # follow-up's goes straight to the camera.
    assert file_input.get_attribute("capture") is None
    assert page.locator('input[name="fu-file"]').get_attribute("capture") == "environment"
    expect(action).to_contain_text("masked Aadhaar")
    file_input.set_input_files(files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": original}])
    expect(file_input).to_have_attribute("data-resized", "1")
    expect(action.locator(".evidence-status")).to_contain_text("KB →")
    action.get_by_label("Caption (what the file shows)").fill("Sanction order")
    phone.fits("the attach form")
    action.get_by_role("button", name="Attach").click()
    expect(page.get_by_role("status")).to_contain_text("File attached.")

    assert len(sent) == 1 and 10_000 < sent[0] < len(original) / 2, (sent, len(original))
    with live_server.app.app_context():
        [row] = db.session.scalars(sa.select(EvidenceFile).where(EvidenceFile.case_id == case_id)).all()
        stored = storage.load(row.sha256, row.media_type)
    assert max(row.width, row.height) <= 1600 and (row.width, row.height) == (1200, 1600)
    picture = Image.open(io.BytesIO(stored))
    assert dict(picture.getexif()) == {}
    red = picture.convert("RGB").getpixel((600, 100))
    assert red[0] > 200 and red[1] < 80, red  # upright: the red quarter is on top

    thumb = page.locator(f'ul.evidence img[src="/evidence/{row.id}/thumbnail"]')
    expect(thumb).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", thumb.element_handle()) > 0
    expect(page.locator("ol.timeline > li").first).to_contain_text("File attached")
    phone.fits("the case page with a photo")

    # A follow-up with a photo: the same script, the same form post.
    page.get_by_label("What they said").fill("Receipt handed over")
    page.get_by_label("Contacted by").select_option(label="Visit")
    followup_file = page.locator('input[name="fu-file"]')
    followup_file.set_input_files(files=[{"name": "receipt.jpg", "mimeType": "image/jpeg",
                                          "buffer": camera_photo(3000, 4000)}])
    expect(followup_file).to_have_attribute("data-resized", "1")
    page.get_by_role("button", name="Save follow-up").click()
    expect(page.get_by_role("status")).to_contain_text("Follow-up saved.")
    latest = page.locator("ol.timeline > li").first
    expect(latest).to_contain_text("Receipt handed over")
    expect(latest.get_by_test_id("timeline-file")).to_contain_text(re.compile("with a follow-up"))
    with live_server.app.app_context():
        rows = db.session.scalars(sa.select(EvidenceFile).where(EvidenceFile.case_id == case_id)
                                  .order_by(EvidenceFile.id)).all()
        assert [r.kind for r in rows] == [EvidenceKind.CASE, EvidenceKind.FOLLOW_UP]
        assert max(rows[1].width, rows[1].height) <= 1600
    assert phone.overflow() <= OVERFLOW_TOLERANCE
    phone.no_problems()
    request_started.disconnect(note_upload, live_server.app)
