"""The review's forms: a decision (from the review screen, the lesson page or the diff
page) and a comment or reply.  Templates write the fields out themselves
(``moderation/_decision.html``, ``_conversation.html``), so the same form can sit on pages
of other features; these classes parse what comes back and hold CSRF."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, TextAreaField

from oer_portal.core.numbers import parse_id
from oer_portal.moderation import checklist
from oer_portal.moderation.review import Decision

#: Where a form was sent from, so the answer returns there (a name, never an address).
BACK_TO = ("review", "material", "diff")


class ChecklistField(Field):
    """The ticked checklist points: every ``checklist`` value sent, unknown ones dropped."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = checklist.known(valuelist)


class DecisionForm(FlaskForm):
    decision = HiddenField()
    version_id = HiddenField()
    checklist = ChecklistField(default=())
    comment = TextAreaField()
    back = HiddenField()

    def chosen(self) -> Decision | None:
        try:
            return Decision(self.decision.data or "")
        except ValueError:
            return None

    def reviewed_version_id(self) -> int | None:
        raw = self.version_id.data or ""
        return parse_id(raw)


class CommentForm(FlaskForm):
    body = TextAreaField()
    parent_id = HiddenField()
    back = HiddenField()

    def parent(self) -> int | None:
        raw = self.parent_id.data or ""
        return parse_id(raw)


class TrustForm(FlaskForm):
    """Grant or revoke trust (``accounts.trust``): whom, and the moderator's note."""

    user_id = HiddenField()
    note = TextAreaField()
    #: The search the page showed, so the answer returns to it.
    find = HiddenField()

    def chosen_user(self) -> int | None:
        raw = self.user_id.data or ""
        return parse_id(raw)


class PostReviewForm(FlaskForm):
    """A moderator's look at a version published at once: the version they looked at and,
    with a request for changes, what to change."""

    version_id = HiddenField()
    comment = TextAreaField()

    def reviewed_version_id(self) -> int | None:
        raw = self.version_id.data or ""
        return parse_id(raw)
