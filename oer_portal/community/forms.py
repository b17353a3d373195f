"""The rating and review forms: radio buttons for the stars, so they work without
JavaScript."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired

from oer_portal.community.models import MAX_REVIEW_BODY, MAX_STARS, MIN_STARS


class RatingForm(FlaskForm):
    stars = RadioField(
        _l("Your rating"), id="rating-stars", coerce=int, validators=[InputRequired()],
        choices=[SelectChoice(n, lazy_ngettext("%(num)d star", "%(num)d stars", n))
                 for n in range(MIN_STARS, MAX_STARS + 1)])
    submit = SubmitField(_l("Save my rating"))
    #: Pressed instead of ``submit``: the stars are then ignored.
    remove = SubmitField(_l("Remove my rating"))


class ReviewForm(FlaskForm):
    """A written review with its stars.  The service validates (``reviews.clean``); the form
    only carries the fields, so the rules live in one place."""

    stars = RadioField(
        _l("Your rating"), id="review-stars", coerce=int, validate_choice=False,
        choices=[SelectChoice(n, lazy_ngettext("%(num)d star", "%(num)d stars", n))
                 for n in range(MIN_STARS, MAX_STARS + 1)])
    title = StringField(_l("Title (optional)"), id="review-title")
    body = TextAreaField(
        _l("Your review"), id="review-body",
        description=_l("Plain text, at most %(n)d characters.", n=MAX_REVIEW_BODY))
    used_in_class = BooleanField(_l("I used this material in my class"), id="review-used")
    #: Choices: the level vocabulary, filled in by the view in the visitor's language.
    class_level = SelectField(_l("Level of that class"), id="review-level",
                              validate_choice=False)
    submit = SubmitField(_l("Save my review"))


class HideReviewForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for hiding"), id="hide-reason",
        description=_l("The author sees this reason with their hidden review."))
    submit = SubmitField(_l("Hide this review"))
