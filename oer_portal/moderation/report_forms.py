"""The reports' forms: filing a report, and a moderator's decisions (dismiss, take offline,
put back).  The service (``reports.py``) holds every rule, lengths and required texts
included, and says what is wrong in its own words; these parse what comes back and label
the fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SubmitField, TextAreaField

from oer_portal.core.numbers import parse_id
from oer_portal.moderation.reports import CATEGORY_LABELS


class ReportForm(FlaskForm):
    #: Any value comes back to the service, which says what is wrong in its own words.
    category = RadioField(_l("What is wrong with it?"),
                          choices=[SelectChoice(code.value, label)
                                   for code, label in CATEGORY_LABELS.items()],
                          validate_choice=False)
    comment = TextAreaField(
        _l("Explain"),
        description=_l("Required for copyright and for something else: what is wrong, and "
                       "for copyright whose work it is and where it comes from. Only the "
                       "moderators read this; the authors never learn who reported."))
    submit = SubmitField(_l("Send report"))


class DismissForm(FlaskForm):
    note = TextAreaField(_l("Note to the reporter (optional)"))


class UnpublishForm(FlaskForm):
    reason = TextAreaField(_l("Public reason"))
    report_id = HiddenField()

    def report(self) -> int | None:
        raw = self.report_id.data or ""
        return parse_id(raw)


class ReinstateForm(FlaskForm):
    reason = TextAreaField(_l("Why it goes back online"))
