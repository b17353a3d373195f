"""The privacy page's two forms: download my data, delete my account."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectChoice, SubmitField
from wtforms.validators import DataRequired, Length

from oer_portal.accounts.service import MAX_PASSWORD_LENGTH
from oer_portal.privacy.erasure import Credit


class ExportForm(FlaskForm):
    """Only the CSRF token: the download is a POST, so no other site can start it."""

    submit = SubmitField(_l("Download my data"))


class DeleteAccountForm(FlaskForm):
    credit = RadioField(
        _l("How should your published materials credit you?"),
        choices=[SelectChoice(Credit.NAME.value, _l("By my display name")),
                 SelectChoice(Credit.ANONYMOUS.value, _l('As "anonymous author"'))],
        validators=[DataRequired(_l("Choose how your published materials credit you."))],
    )
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Fill in your password to confirm.")),
                    Length(max=MAX_PASSWORD_LENGTH)],
        description=_l("To confirm that it is you who deletes this account."),
    )
    submit = SubmitField(_l("Delete my account for good"))
