"""Forms of the escalation domain."""
from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired

from caseflow.cases.forms import VersionedForm
from caseflow.forms import textarea_field


class SendBackForm(VersionedForm):
    reason = textarea_field(_l("Reason"), DataRequired(), max_length=2000,
                            description=_l("Why the level below should decide this case. The case gets a fresh "
                                           "time limit there."))
