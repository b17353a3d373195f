"""The material form: one form for lessons, files and links; choices come from the
vocabularies (data), labels and help texts in Dutch and English."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from oer_portal.materials.metadata import MAX_DESCRIPTION, MAX_TITLE


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MaterialForm(FlaskForm):
    base_version_id = HiddenField()
    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=MAX_TITLE)],
        description=_l("Short and clear, as a student would search for it."))
    description = TextAreaField(
        _l("Summary"), validators=[Length(max=MAX_DESCRIPTION)],
        description=_l("One or two sentences: what is it, and for whom? Shown in search "
                       "results."))
    link_url = URLField(
        _l("Web address"), validators=[Optional(), Length(max=2000)],
        description=_l("The address of the website or resource, starting with https://."))
    body = TextAreaField(
        _l("Lesson text"),
        description=_l("Written in Markdown: ## for a heading, * for a list, **bold**, "
                       "[text](https://…) for a link, | for tables."))
    files = MultipleFileField(
        _l("Add files"),
        description=_l("PDF, images, office and OpenDocument files, audio, video, ZIP, text "
                       "or CSV; at most 50 MB each."))
    keep_attachments = CheckboxListField(_l("Attached files"), coerce=int, choices=[])
    licence = RadioField(_l("Licence"), validators=[DataRequired()], choices=[])
    language = SelectField(_l("Language of the material"), validators=[DataRequired()],
                           choices=[])
    subjects = CheckboxListField(
        _l("Subjects"), choices=[],
        description=_l("Choose every subject the material is useful for."))
    levels = CheckboxListField(
        _l("Levels"), choices=[],
        description=_l("Choose the school types and levels it is written for."))
    resource_type = SelectField(_l("Type of material"), choices=[], validators=[Optional()])
    keywords = StringField(
        _l("Keywords"), validators=[Length(max=1000)],
        description=_l("Separate keywords with commas, e.g. photosynthesis, plants, light."))
    objectives = TextAreaField(
        _l("Learning objectives"), validators=[Length(max=4000)],
        description=_l("One per line: what can students do after this lesson?"))
    duration_minutes = IntegerField(
        _l("Duration in minutes"), validators=[Optional(), NumberRange(1, 10_000)],
        description=_l("How long the lesson takes in class, roughly."))
    age_min = IntegerField(_l("Youngest age"), validators=[Optional(), NumberRange(0, 120)])
    age_max = IntegerField(_l("Oldest age"), validators=[Optional(), NumberRange(0, 120)])
    summary = StringField(
        _l("What did you change?"), validators=[Length(max=500)],
        description=_l("A short note for the history, e.g. \"Added exercise 3\"."))
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save draft"))
    save_and_submit = SubmitField(_l("Save and submit for review"))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(), Length(max=2000)],
        description=_l("Shown on the material's page, where visitors will find a notice "
                       "instead of the material."))
    submit = SubmitField(_l("Withdraw material"))


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the author"),
                           validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Reject"))
