"""The file and caption fields that any form attaching evidence uses (the case page's own
"attach a file" form, the follow-up form, the delivery step).

The file field's validator reads the upload and runs it through caseflow.evidence.files, so a
refused file comes back as an error tied to the field, and the view gets `field.prepared`
(the bytes to keep) without reading the upload a second time.
"""
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms.validators import Optional, StopValidation

from caseflow.evidence import files
from caseflow.forms import Form, text_field

ACCEPT = "image/*,application/pdf"
AADHAAR_REMINDER = _l("A photo or a PDF. Upload only a masked Aadhaar copy: the first eight digits covered, "
                      "the last four visible.")


class EvidenceFileField(FileField):
    """A FileField whose validation prepares the file; `prepared` is None when none was sent."""

    prepared: files.Prepared | None = None

    def __init__(self, label=None, validators=None, *, required: bool = False, capture: bool = True, **kwargs):
        kwargs.setdefault("description", AADHAAR_REMINDER)
        render_kw = {"accept": ACCEPT, "data-evidence": "1", **kwargs.pop("render_kw", {})}
        if capture:
            # Straight to the rear camera: a receipt photographed where it is handed over. A phone
            # then offers no file chooser, so the case's own form leaves it out (PDFs, the gallery).
            render_kw["capture"] = "environment"
        super().__init__(label, validators=[*(validators or ()), self._prepare], render_kw=render_kw, **kwargs)
        self.required = required

    def _prepare(self, form, field):
        self.prepared = None
        if not isinstance(self.data, FileStorage) or not self.data:
            if self.required:
                raise StopValidation(_l("Choose a photo or a PDF to attach."))
            return
        try:
            data = files.read_limited(self.data.stream, current_app.config["EVIDENCE_MAX_BYTES"])
            self.prepared = files.prepare(data)
        except files.EvidenceRefused as exc:
            raise StopValidation(str(exc.messages[0])) from None


def file_field(label=None, *, required: bool = False, capture: bool = True) -> EvidenceFileField:
    return EvidenceFileField(label or _l("Photo or PDF"), required=required, capture=capture)


def caption_field():
    return text_field(_l("Caption (what the file shows)"), Optional(), max_length=300)


class EvidenceForm(Form):
    """The case page's form for a file that belongs to the case itself."""

    file = file_field(required=True, capture=False)
    caption = caption_field()
