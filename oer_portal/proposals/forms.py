"""The forms of change proposals: the slim editor (title, summary, text and why), the
resolution after a conflict, a comment and the reason to decline."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from oer_portal.materials.forms import no_images_of_pages
from oer_portal.materials.metadata import MAX_DESCRIPTION, MAX_TITLE
from oer_portal.proposals.service import MAX_COMMENT, MAX_REASON


class ProposalForm(FlaskForm):
    """What a proposer may change: the other details stay the authors' business."""

    title = StringField(_l("Title"), validators=[DataRequired(_l("Fill in a title.")),
                                                 Length(max=MAX_TITLE)])
    description = TextAreaField(_l("Summary"), validators=[Length(max=MAX_DESCRIPTION)])
    body = TextAreaField(
        _l("Lesson text"), validators=[no_images_of_pages],
        description=_l("Written in Markdown: ## for a heading, * for a list, **bold**, "
                       "[text](https://…) for a link, | for tables."))
    summary = StringField(
        _l("Why do you propose this change?"),
        validators=[DataRequired(_l("Say briefly why you propose this change.")),
                    Length(max=500)],
        description=_l("The authors read this first, e.g. \"The answer to exercise 2 is 3/4, "
                       "not 2/3\"."))
    submit = SubmitField(_l("Send proposal"))
    #: As in the material editor: the text rendered as the page would show it, nothing sent.
    preview = SubmitField(_l("Preview"))


class ResolveForm(FlaskForm):
    """The author's settled text after a conflict, starting from the head it shows."""

    base_version_id = HiddenField()
    title = StringField(_l("Title"), validators=[DataRequired(_l("Fill in a title.")),
                                                 Length(max=MAX_TITLE)])
    description = TextAreaField(_l("Summary"), validators=[Length(max=MAX_DESCRIPTION)])
    body = TextAreaField(_l("Lesson text"), validators=[no_images_of_pages])
    submit = SubmitField(_l("Accept with this text"))


class AcceptForm(FlaskForm):
    submit = SubmitField(_l("Accept and submit for review"))


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Say why you decline the proposal.")),
                                  Length(max=MAX_REASON)],
        description=_l("The proposer reads this."))
    submit = SubmitField(_l("Decline"))


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(_l("Write a comment first.")),
                                                    Length(max=MAX_COMMENT)])
    submit = SubmitField(_l("Post comment"))


class WithdrawProposalForm(FlaskForm):
    submit = SubmitField(_l("Withdraw my proposal"))
