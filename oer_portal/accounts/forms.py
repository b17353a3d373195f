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
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, StopValidation, ValidationError

from oer_portal.accounts.models import Role
from oer_portal.accounts.service import (
    MAX_DISPLAY_NAME_LENGTH,
    MAX_MOTIVATION_LENGTH,
    MAX_PASSWORD_LENGTH,
    MAX_SCHOOL_LENGTH,
)
from oer_portal.accounts.tokens import LIFETIMES_DAYS
from oer_portal.accounts.tokens import MAX_NAME_LENGTH as MAX_TOKEN_NAME
from oer_portal.core.i18n import LANGUAGE_NAMES
from oer_portal.notifications.messages import WORDINGS


def _min_password_length(_form: FlaskForm, field: PasswordField) -> None:
    minimum = current_app.config["MIN_PASSWORD_LENGTH"]
    if len(field.data or "") < minimum:
        raise ValidationError(_l("Use at least %(min)d characters.", min=minimum))


class _MinPasswordLength:
    """The configured minimum, read when a help text is shown rather than at import."""

    def __str__(self) -> str:
        return str(current_app.config["MIN_PASSWORD_LENGTH"])


def _password_checks(required: object) -> list[object]:
    return [DataRequired(required), _min_password_length, Length(max=MAX_PASSWORD_LENGTH)]


def _display_name_field() -> StringField:
    return StringField(
        _l("Display name"),
        validators=[DataRequired(_l("Fill in a display name.")),
                    Length(max=MAX_DISPLAY_NAME_LENGTH)],
        description=_l("Shown on your profile and in the credits of what you publish."),
    )


def _for_teachers_only(form: FlaskForm, field: StringField) -> None:
    """The teacher fields of registration count only with "I am a teacher" ticked; text in
    them without the tick is a slip (a request nobody sent), so it is pointed out."""
    if form.is_teacher.data:
        return
    if (field.data or "").strip():
        raise StopValidation(_l("Tick “I am a teacher” to send this, or leave it empty."))
    raise StopValidation()


def _school_field(*checks: object) -> StringField:
    return StringField(
        _l("School or institution"),
        validators=[*checks, DataRequired(_l("Fill in your school or institution.")),
                    Length(max=MAX_SCHOOL_LENGTH)],
        description=_l("Where you teach or train teachers."),
    )


def _motivation_field(*checks: object) -> TextAreaField:
    return TextAreaField(
        _l("Why do you want the teacher role?"),
        validators=[*checks, DataRequired(_l("Tell us why you want the teacher role.")),
                    Length(max=MAX_MOTIVATION_LENGTH)],
        description=_l("Tell the administrators what you teach and what you want to publish."),
    )


class RegisterForm(FlaskForm):
    display_name = _display_name_field()
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Fill in your e-mail address.")),
                    Email(_l("Fill in an e-mail address like name@school.nl."),
                          check_deliverability=False),
                    Length(max=254)],
        description=_l("Only used to log in; never shown to others."),
    )
    password = PasswordField(
        _l("Password"), validators=_password_checks(_l("Choose a password.")),
        description=_l("At least %(min)s characters. A sentence you can remember works well.",
                       min=_MinPasswordLength()),
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(_l("Repeat your password.")),
                    EqualTo("password", _l("The passwords do not match."))],
    )
    #: The teacher-role request is part of registering: one form, one page load.
    is_teacher = BooleanField(
        _l("I am a teacher"),
        description=_l("Teachers write and share lesson materials. An administrator checks "
                       "each request; until then your account is a student account."),
    )
    school = _school_field(_for_teachers_only)
    motivation = _motivation_field(_for_teachers_only)
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
        _l("New password"), validators=_password_checks(_l("Choose a password.")),
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


class EmailSettingsForm(FlaskForm):
    """Which kinds of notification are also e-mailed: a box per kind, ticked ones on (an
    unticked box sends nothing, so every box is part of the answer)."""

    emailed = SelectMultipleField(
        _l("Send me an e-mail when"),
        choices=[SelectChoice(kind.value, _l(wording.setting))
                 for kind, wording in WORDINGS.items()],
    )
    save = SubmitField(_l("Save e-mail settings"))


class TeacherRequestForm(FlaskForm):
    school = _school_field()
    motivation = _motivation_field()
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


class TokenForm(FlaskForm):
    """A new personal access token: a name to recognise it by, what it may do, how long."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the token a name.")), Length(max=MAX_TOKEN_NAME)],
        description=_l("So you can tell your tokens apart, e.g. the program that uses it."),
    )
    scope = RadioField(
        _l("What may it do?"),
        choices=[SelectChoice("read", _l("Read: what you may see, including your own drafts")),
                 SelectChoice("write", _l("Read and write: also create materials, save "
                                          "versions, remix and submit for review as you"))],
        default="read", validators=[DataRequired()],
    )
    lifetime = RadioField(
        _l("Valid for"),
        choices=[SelectChoice(str(days), _l("%(days)d days", days=days))
                 for days in LIFETIMES_DAYS],
        default="30", validators=[DataRequired()],
    )
    submit = SubmitField(_l("Create token"))


class ResendConfirmationForm(FlaskForm):
    """"Send the confirmation link again" (issue 16): the same answer for every address."""

    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Fill in your e-mail address.")), Length(max=254)],
        id="resend-email",  # the login page shows this form beside the login form
    )
    submit = SubmitField(_l("Send the link again"), id="resend-submit")


class ConfirmAddressForm(FlaskForm):
    """The button on the page a confirmation link opens: opening the link changes nothing
    (mail scanners open links too); pressing it confirms."""

    submit = SubmitField(_l("Confirm my e-mail address"))
