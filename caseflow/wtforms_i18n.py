"""WTForms' built-in validation messages, translated through caseflow's own catalogue.

WTForms ships no Hindi catalogue, so `caseflow.forms.Form` hands WTForms these
translations instead of Flask-WTF's; the messages are listed below so that extraction
puts them into caseflow's catalogue.
"""
from flask import has_app_context
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l


class BabelTranslations:
    """The gettext interface WTForms expects, answering from caseflow's catalogue.

    WTForms formats the placeholders itself, so these return the bare translated template.
    """

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string) if has_app_context() else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if not has_app_context():
            return singular if n == 1 else plural
        return get_translations().ungettext(singular, plural, n)


translations = BabelTranslations()

# WTForms' messages, for extraction only (the strings must match WTForms' exactly).
MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Date must be at least %(min)s."),
    _l("Date must be at most %(max)s."),
    _l("Date must be between %(min)s and %(max)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Field must be equal to %(other_name)s."),
    _l("Invalid email address."),
    _l("Invalid input."),
    _l("Invalid value, must be one of: %(values)s."),
)


def _plural_messages(ngettext):  # never called: marks WTForms' plural messages for extraction
    ngettext("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", 1)
    ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 1)
    ngettext("Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long.", 1)
