"""The reports' forms: filing a report, and a moderator's decisions (dismiss, take offline,
put back).  The service (``reports.py``) holds the rules; these parse what comes back, hold
CSRF and label the fields for the report page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import Length

from oer_portal.moderation.reports import CATEGORY_LABELS, MAX_COMMENT


class ReportForm(FlaskForm):
    category = RadioField(_l("What is wrong with it?"),
                          choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
                          validate_choice=False)
    #: Its length is the service's rule (``reports.MAX_COMMENT``), said in its words.
    comment = TextAreaField(
        _l("Explain"),
        description=_l("Required for copyright and for something else: what is wrong, and "
                       "for copyright whose work it is and where it comes from. Only the "
                       "moderators read this; the authors never learn who reported."))
    submit = SubmitField(_l("Send report"))


class DismissForm(FlaskForm):
    note = TextAreaField(_l("Note to the reporter (optional)"),
                         validators=[Length(max=MAX_COMMENT)])


class UnpublishForm(FlaskForm):
    reason = TextAreaField(_l("Public reason"), validators=[Length(max=MAX_COMMENT)])
    report_id = HiddenField()

    def report(self) -> int | None:
        raw = self.report_id.data or ""
        return int(raw) if raw.isdigit() else None


class ReinstateForm(FlaskForm):
    reason = TextAreaField(_l("Why it goes back online"), validators=[Length(max=MAX_COMMENT)])
