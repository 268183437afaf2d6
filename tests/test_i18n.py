"""Every user-facing string has a Hindi translation, and pages switch language per user."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "caseflow/translations/hi/LC_MESSAGES/messages.po"


def _extract(tmp_path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def test_hindi_catalogue_is_complete(tmp_path):
    wanted = _extract(tmp_path)
    assert len(wanted) > 300, "extraction found too few strings: babel.cfg paths are off"
    with PO.open("rb") as f:
        catalogue = read_po(f)
    missing = sorted(
        msgid for msgid in wanted
        if not (m := catalogue.get(msgid)) or m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string))
    )
    assert not missing, f"{len(missing)} strings lack a Hindi translation, e.g. {missing[:10]}"


def test_placeholders_survive_translation():
    with PO.open("rb") as f:
        catalogue = read_po(f)
    import re

    for message in catalogue:
        if not message.id or not isinstance(message.id, str) or not message.string:
            continue
        wanted = sorted(re.findall(r"%\(\w+\)[sd]", message.id))
        assert sorted(re.findall(r"%\(\w+\)[sd]", message.string)) == wanted, message.id


def test_pages_follow_the_users_language(world, auth, client, app):
    from caseflow.auth.services import set_locale
    from caseflow.extensions import db

    with app.app_context():
        user = db.session.get(type(world.incharge), world.incharge.id)
        set_locale(user, "hi", actor=None)
        db.session.commit()
    auth.login(world.incharge)
    page = client.get("/queue").get_data(as_text=True)
    assert 'lang="hi"' in page and "मेरी कतार" in page
    client.post("/language", data={"lang": "en"})
    page = client.get("/queue").get_data(as_text=True)
    assert 'lang="en"' in page and "My queue" in page
