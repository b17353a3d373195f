"""Account forms; labels and help texts are translatable and shown above each field."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from oer_portal.accounts.models import Role
from oer_portal.accounts.service import MAX_DISPLAY_NAME_LENGTH, MAX_PASSWORD_LENGTH
from oer_portal.core.i18n import LANGUAGE_NAMES


def _min_password_length(_form: FlaskForm, field: PasswordField) -> None:
    minimum = current_app.config["MIN_PASSWORD_LENGTH"]
    if len(field.data or "") < minimum:
        raise ValidationError(_l("Use at least %(min)d characters.", min=minimum))


class _MinPasswordLength:
    """The configured minimum, read when a help text is shown rather than at import."""

    def __str__(self) -> str:
        return str(current_app.config["MIN_PASSWORD_LENGTH"])


_password_checks = [DataRequired(), _min_password_length, Length(max=MAX_PASSWORD_LENGTH)]


def _display_name_field() -> StringField:
    return StringField(
        _l("Display name"),
        validators=[DataRequired(), Length(max=MAX_DISPLAY_NAME_LENGTH)],
        description=_l("Shown on your profile and in the credits of what you publish."),
    )


class RegisterForm(FlaskForm):
    display_name = _display_name_field()
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        description=_l("Only used to log in; never shown to others."),
    )
    password = PasswordField(
        _l("Password"), validators=_password_checks,
        description=_l("At least %(min)s characters. A sentence you can remember works well.",
                       min=_MinPasswordLength()),
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Create account"))


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    remember = BooleanField(_l("Stay logged in on this device"))
    submit = SubmitField(_l("Log in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=_password_checks,
        description=_l("You stay logged in here; every other device is logged out."),
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("new_password", _l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Change password"))


class ProfileForm(FlaskForm):
    display_name = _display_name_field()
    locale = RadioField(
        _l("Interface language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Save profile"))


class TeacherRequestForm(FlaskForm):
    school = StringField(
        _l("School or institution"), validators=[DataRequired(), Length(max=200)],
        description=_l("Where you teach or train teachers."),
    )
    motivation = TextAreaField(
        _l("Why do you want the teacher role?"),
        validators=[DataRequired(), Length(max=4000)],
        description=_l("Tell the administrators what you teach and what you want to publish."),
    )
    submit = SubmitField(_l("Send request"))


class RoleChangeForm(FlaskForm):
    role = RadioField(choices=[SelectChoice(role.value) for role in Role],
                      validators=[DataRequired()])
    action = RadioField(choices=[SelectChoice("grant"), SelectChoice("revoke")],
                        validators=[DataRequired()])


class DecisionForm(FlaskForm):
    note = TextAreaField(
        _l("Note to the applicant (optional)"), validators=[Length(max=2000)],
    )
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))
