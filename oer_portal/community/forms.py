"""The rating form: five radio buttons, so it works without JavaScript."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SubmitField
from wtforms.validators import InputRequired

from oer_portal.community.models import MAX_STARS, MIN_STARS


class RatingForm(FlaskForm):
    stars = RadioField(
        _l("Your rating"), id="rating-stars", coerce=int, validators=[InputRequired()],
        choices=[SelectChoice(n, lazy_ngettext("%(num)d star", "%(num)d stars", n))
                 for n in range(MIN_STARS, MAX_STARS + 1)])
    submit = SubmitField(_l("Save my rating"))
    #: Pressed instead of ``submit``: the stars are then ignored.
    remove = SubmitField(_l("Remove my rating"))
