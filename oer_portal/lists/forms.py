"""The list form: a name, a description, and whether anyone with the link may see it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from oer_portal.lists.models import DESCRIPTION_MAX, NAME_MAX


class ListForm(FlaskForm):
    name = StringField(_l("Name"), id="list-name",
                       validators=[DataRequired(), Length(max=NAME_MAX)])
    description = TextAreaField(_l("Description (optional)"), id="list-description",
                                validators=[Length(max=DESCRIPTION_MAX)])
    public = BooleanField(
        _l("Public: anyone with the link can see this list"), id="list-public",
        description=_l("A public list is also shown on your profile if you are a teacher. "
                       "Lists are private unless you choose this."))
    submit = SubmitField(_l("Save list"))


class FavouritesForm(FlaskForm):
    """The favourites keep their name; only the description and visibility change."""

    description = TextAreaField(_l("Description (optional)"), id="list-description",
                                validators=[Length(max=DESCRIPTION_MAX)])
    public = BooleanField(
        _l("Public: anyone with the link can see this list"), id="list-public",
        description=_l("A public list is also shown on your profile if you are a teacher. "
                       "Lists are private unless you choose this."))
    submit = SubmitField(_l("Save list"))
