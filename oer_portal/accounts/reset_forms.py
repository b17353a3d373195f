"""Forms of the password reset: ask for a link, choose the new password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from oer_portal.accounts.forms import _password_checks


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail address"),
                       validators=[DataRequired(_l("Fill in your e-mail address.")),
                                   Length(max=254)],
                       description=_l("The address you log in with."))
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(
        _l("New password"), validators=_password_checks(_l("Choose a password.")))
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(_l("Repeat your password.")),
                    EqualTo("new_password", _l("The passwords do not match."))])
    submit = SubmitField(_l("Set new password"))
