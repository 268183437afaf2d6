"""A form sent back with errors (422) ties each error to its field for screen readers
(aria-invalid, aria-describedby naming the error's id) and gives the first field in error the
focus (autofocus, once a page), in the `field` macro and in the hand-written fields alike; a page
without errors carries none of it, and no script."""
import re

import pytest


@pytest.fixture
def admin(world, auth, client):
    assert auth.login(world.admin).status_code == 302
    return client


def _controls(html: str) -> dict[str, str]:
    """Each form control's tag by its name."""
    return {m.group(2): m.group(0) for m in re.finditer(r'<(input|select|textarea)[^>]*\bname="([^"]+)"[^>]*>', html)}


def test_errors_are_tied_to_their_fields_and_the_first_takes_the_focus(admin):
    r = admin.post("/admin/holidays", data={"name_en": "Only English"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    controls = _controls(html)
    for name in ("day", "name_hi"):
        tag = controls[name]
        assert 'aria-invalid="true"' in tag
        described = re.search(r'aria-describedby="([^"]+)"', tag).group(1)
        for error_id in described.split():
            assert re.search(rf'<small class="error" id="{error_id}">[^<]+</small>', html)
    assert "aria-invalid" not in controls["name_en"] and "aria-describedby" not in controls["name_en"]
    assert html.count("autofocus") == 1 and "autofocus" in controls["day"]
    assert re.search(r'<script src="/static/forms\.js\?v=[0-9a-f]{10}" defer></script>', html)


def test_an_error_summary_at_the_top_links_to_each_field_in_error(admin):
    r = admin.post("/admin/users/new", data={})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary" role="alert">(.*?)</div>', html, re.S).group(1)
    targets = re.findall(r'<a href="#([^"]+)">', summary)
    assert "username" in targets and len(targets) == len(set(targets))
    for target in targets:  # each link leads to a control in error
        control = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{target}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in control
    assert html.index("error-summary") < html.index('name="username"')
    assert "error-summary" not in admin.get("/admin/users/new").get_data(as_text=True)


def test_a_hand_written_field_in_error_is_tied_too(admin, world):
    r = admin.post(f"/admin/schemes/{world.scheme.id}/ladder", data={"rows-0-office_kind": "", "rows-0-days": "0"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    tag = _controls(html)["rows-0-days"]
    assert 'aria-invalid="true"' in tag and 'aria-describedby="rows-0-days-error-1"' in tag
    assert 'id="rows-0-days-error-1"' in html


def test_a_page_without_errors_has_no_error_wiring_and_no_script(admin):
    html = admin.get("/admin/holidays").get_data(as_text=True)
    assert "aria-invalid" not in html and "autofocus" not in html and "<script" not in html
