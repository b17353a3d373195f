"""The remix form: a licence among those the source allows, and optionally a new title."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from oer_portal.materials.metadata import MAX_TITLE


class RemixForm(FlaskForm):
    version = HiddenField()
    title = StringField(
        _l("Title of your remix"), validators=[DataRequired(), Length(max=MAX_TITLE)],
        description=_l("You can change it now or later, in the editor."))
    licence = RadioField(
        _l("Licence of your remix"), validators=[DataRequired()], choices=[],
        description=_l("Only the licences that the original's licence allows for adaptations "
                       "are offered."))
    submit = SubmitField(_l("Remix and start editing"))


class UpstreamForm(FlaskForm):
    """Dismiss or pull: carries the original's version the teacher looked at, so a newer one
    published meanwhile is never pulled or dismissed unseen."""

    source_version_id = HiddenField(validators=[DataRequired()])
