"""The remix form (a licence among those the source allows, and optionally a new title), the
upstream actions, and the resolution page of a pull both sides changed."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from oer_portal.core.numbers import IdNumber, parse_id
from oer_portal.materials.compare import field_label
from oer_portal.materials.merge import Choice, Passage, Resolution, both_lines
from oer_portal.materials.metadata import MAX_TITLE
from oer_portal.remix.upstream import FieldConflict, PendingPull, PullVersions


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

    source_version_id = HiddenField(validators=[DataRequired(), IdNumber()])


#: What a teacher can keep of a passage both the remix and the original changed.
PASSAGE_CHOICES = [
    SelectChoice(Choice.MINE.value, _l("Keep yours")),
    SelectChoice(Choice.THEIRS.value, _l("Keep the original's")),
    SelectChoice(Choice.BOTH.value, _l("Keep both: yours first, then the original's")),
    SelectChoice(Choice.OWN.value, _l("Use the text in the box below")),
]

#: What a teacher can keep of a field both changed, for a single value and for a list
#: (whose "both" is the remix's items and then the original's new ones).
FIELD_CHOICES = {False: (Choice.MINE, Choice.THEIRS),
                 True: (Choice.MINE, Choice.THEIRS, Choice.BOTH)}
FIELD_CHOICE_LABELS = {Choice.MINE: _l("Keep yours"), Choice.THEIRS: _l("Take the original's"),
                       Choice.BOTH: _l("Keep both")}


class PullResolutionForm(FlaskForm):
    """The resolution page of a pull: a choice for every conflicting passage and field.

    The three hidden ids name the versions the page was worked out from; they never change,
    so the service works the same merge out again from them, and refuses the form when the
    remix or the original moved on meanwhile.  The passage and field choices are added per
    pull by :func:`resolution_form`.
    """

    base_version_id = HiddenField(validators=[DataRequired()])
    ours_version_id = HiddenField(validators=[DataRequired()])
    theirs_version_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Save as a new draft"))

    passages: tuple[Passage, ...] = ()
    field_conflicts: tuple[FieldConflict, ...] = ()

    def passage_choice(self, passage: Passage) -> Field:
        return self[f"passage_{passage.number}"]

    def passage_text(self, passage: Passage) -> Field:
        return self[f"passage_{passage.number}_text"]

    def field_choice(self, conflict: FieldConflict) -> Field:
        return self[f"field_{conflict.field}"]

    def fill(self, versions: PullVersions) -> None:
        """A fresh page: the versions it shows, and in every text box both sides' text to
        start one's own from."""
        self.base_version_id.data = str(versions.base_id)
        self.ours_version_id.data = str(versions.ours_id)
        self.theirs_version_id.data = str(versions.theirs_id)
        for passage in self.passages:
            self.passage_text(passage).data = "\n".join(both_lines(passage.region,
                                                                   mine_first=True))

    def versions(self) -> PullVersions | None:
        """The versions the page was worked out from (``None``: not ids at all)."""
        ids = (self.base_version_id.data, self.ours_version_id.data,
               self.theirs_version_id.data)
        numbers = [parse_id(raw) if isinstance(raw, str) else None for raw in ids]
        if any(number is None for number in numbers):
            return None
        return PullVersions(*numbers)  # type: ignore[arg-type]

    def validate(self, extra_validators: Any = None) -> bool:
        """Besides a choice everywhere: a passage whose text box was changed must be
        resolved with that text, so nothing a teacher typed is dropped unseen."""
        valid = super().validate(extra_validators)
        for passage in self.passages:
            choice, text = self.passage_choice(passage), self.passage_text(passage)
            if choice.data == Choice.OWN.value or choice.errors:
                continue
            typed = Resolution(Choice.OWN, text.data or "").lines_for(passage.region, True)
            if typed and typed != both_lines(passage.region, mine_first=True):
                choice.errors = [*choice.errors, _(
                    "You changed the text in the box but chose “%(choice)s”. Choose “%(own)s” "
                    "to keep your text, or empty the box.",
                    choice=next(c.label for c in PASSAGE_CHOICES if c.value == choice.data),
                    own=PASSAGE_CHOICES[3].label)]
                valid = False
        return valid

    def resolutions(self) -> list[Resolution]:
        return [Resolution(Choice(self.passage_choice(passage).data),
                           self.passage_text(passage).data or "")
                for passage in self.passages]

    def field_choices(self) -> dict[str, Choice]:
        return {conflict.field: Choice(self.field_choice(conflict).data)
                for conflict in self.field_conflicts}


def resolution_form(pending: PendingPull) -> PullResolutionForm:
    """The form for ``pending``: per passage a choice and a text box, per field a choice
    (both sides' items too for a list field)."""

    class Form(PullResolutionForm):
        passages = pending.passages()
        field_conflicts = pending.merge.field_conflicts

    required = InputRequired(message=_l("Choose what to keep."))
    for passage in Form.passages:
        setattr(Form, f"passage_{passage.number}", RadioField(
            _l("Passage %(n)d", n=passage.number), choices=PASSAGE_CHOICES,
            validators=[required]))
        setattr(Form, f"passage_{passage.number}_text", TextAreaField(
            _l("Your text for passage %(n)d", n=passage.number),
            description=_l("It starts as both texts, yours first. Change it as you like.")))
    for conflict in Form.field_conflicts:
        setattr(Form, f"field_{conflict.field}", RadioField(
            field_label(conflict.field), validators=[required],
            choices=[SelectChoice(choice.value, FIELD_CHOICE_LABELS[choice])
                     for choice in FIELD_CHOICES[conflict.is_list]]))
    return Form()
