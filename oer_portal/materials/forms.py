"""The material form: one form for lessons, files, links and arrangements; choices come from
the vocabularies (data), labels and help texts in Dutch and English.  The helpers below fill
it from a version and read ``VersionFields`` back, for every view that edits a material."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _
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
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation
from wtforms.validators import ValidationError as WtfValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from oer_portal.core.errors import InvalidUpload, StorageFull, ValidationError
from oer_portal.core.markdown import refused_image_sources
from oer_portal.core.markdown_limits import describe, source_problem
from oer_portal.licences import registry
from oer_portal.materials import licensing
from oer_portal.materials.metadata import (
    MAX_DESCRIPTION,
    MAX_TITLE,
    InvalidFields,
    VersionFields,
    vocabularies,
)
from oer_portal.materials.models import Material, MaterialVersion


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _known_licence(_form: FlaskForm, field: RadioField) -> None:
    if field.data and registry.get(field.data) is None:
        raise WtfValidationError(_("Choose one of the licences offered."))


def within_markdown_limits(_form: FlaskForm, field: TextAreaField) -> None:
    """A text over the limits (``core/markdown_limits.py``) stops the checks here: the next
    one, the preview and the save all render it."""
    problem = source_problem((field.data or "").replace("\r\n", "\n"))
    if problem is not None:
        raise StopValidation(describe(problem))


def no_images_of_pages(_form: FlaskForm, field: TextAreaField) -> None:
    """The editor refuses an image that points at a page of ours (not one of our files):
    the page would drop it, and the teacher should know why their picture is missing.
    Only the editor asks: an import or a revert keeps the text as it is (every page drops
    such an image's source when it shows the lesson).  A text over the limits is refused
    first, unrendered: every form that checks images checks the limits too."""
    within_markdown_limits(_form, field)
    refused = refused_image_sources(field.data or "")
    if refused:
        raise WtfValidationError(_(
            "An image in the text points at a page of this portal, not at a file: %(sources)s. "
            "A page cannot be shown as an image (and every reader's browser would open it). "
            "Attach the image to the material and use the address of the file "
            "(/materials/…/files/…), or the full address of an image on another site "
            "(https://…).", sources=", ".join(source[:80] for source in refused[:3])))


class MaterialForm(FlaskForm):
    base_version_id = HiddenField()
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Fill in a title.")), Length(max=MAX_TITLE)],
        description=_l("Short and clear, as a student would search for it."))
    description = TextAreaField(
        _l("Summary"), validators=[Length(max=MAX_DESCRIPTION)],
        description=_l("One or two sentences: what is it, and for whom? Shown in search "
                       "results."))
    link_url = URLField(
        _l("Web address"), validators=[Optional(), Length(max=2000)],
        description=_l("The address of the website or resource, starting with https://."))
    body = TextAreaField(
        _l("Lesson text"), validators=[no_images_of_pages],
        description=_l("Written in Markdown: ## for a heading, * for a list, **bold**, "
                       "[text](https://…) for a link, | for tables."))
    files = MultipleFileField(
        _l("Add files"),
        description=_l("PDF, images, office and OpenDocument files, audio, video, ZIP, text "
                       "or CSV; at most 50 MB each."))
    keep_attachments = CheckboxListField(_l("Attached files"), coerce=int, choices=[])
    #: Files added in an attempt that came back with an error, as signed claims
    #: (``attachments.hold``); the view redeems each one and sets the choices itself.
    held_files = CheckboxListField(_l("Attached files"), choices=[], validate_choice=False)
    #: Checked against the licences the portal knows, not against the choices: the service
    #: refuses a licence a remix's sources do not allow with the engine's reason, which
    #: "Not a valid choice" would hide.
    licence = RadioField(_l("Licence"),
                         validators=[DataRequired(_l("Choose a licence.")), _known_licence],
                         choices=[], validate_choice=False)
    language = SelectField(_l("Language of the material"),
                           validators=[DataRequired(_l("Choose the language of the material."))],
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
        _l("Reason"), validators=[DataRequired(message=_l("Say why you withdraw it.")),
                                  Length(max=2000)],
        description=_l("Shown on the material's page, where visitors will find a notice "
                       "instead of the material."))
    submit = SubmitField(_l("Withdraw material"))


class DeleteDraftForm(FlaskForm):
    """Withdrawing a draft nobody has seen: no tombstone, so no reason to give."""

    submit = SubmitField(_l("Delete draft"))


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the author"),
                           validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Reject"))


def set_choices(form: MaterialForm, version: MaterialVersion | None,
                material: Material | None = None) -> None:
    """The vocabularies' terms, the attached files, and the licences: for a remix only those
    its sources allow, with the reason in the licence's help text (the service refuses any
    other, so a tampered form gets the same answer)."""
    locale = str(get_locale())
    vocab = vocabularies()

    def options(name: str) -> list[tuple[str, str]]:
        return [(code, term.label(locale)) for code, term in vocab[name].items()]

    form.language.choices = options("language")
    form.subjects.choices = options("subject")
    form.levels.choices = options("level")
    form.resource_type.choices = [("", _("— choose —")), *options("resource_type")]
    sources = licensing.sources_of(material) if material is not None else ()
    rule = licensing.adaptation_for(material) if sources else None
    form.licence.choices = [(lic.spdx, lic.name(locale))
                            for lic in (rule.allowed if rule else registry.OFFERED)]
    if rule is not None:
        form.licence.description = " ".join((*(
            _("This is a remix of “%(title)s” (%(licence)s).", title=source.title,
              licence=registry.badge(source.licence)) for source in sources),
            rule.explanation(locale)))
    elif version is not None and version.licence not in {c[0] for c in form.licence.choices}:
        known = registry.get(version.licence)
        form.licence.choices.append((version.licence, known.name(locale) if known
                                     else version.licence))
    form.keep_attachments.choices = [(a.id, a.filename) for a in
                                     (version.attachments if version else [])]


def fill_new(form: MaterialForm) -> None:
    """A new material starts in the visitor's language, under the default licence."""
    form.language.data = str(get_locale())
    form.licence.data = registry.DEFAULT


def fill_form(form: MaterialForm, version: MaterialVersion) -> None:
    """Put a version's values in a fresh (GET) form."""
    fields = VersionFields.of(version)
    form.base_version_id.data = str(version.id)
    form.title.data, form.description.data, form.body.data = (
        fields.title, fields.description, fields.body)
    form.link_url.data = fields.link_url
    form.language.data, form.licence.data = fields.language, fields.licence
    form.subjects.data, form.levels.data = list(fields.subjects), list(fields.levels)
    form.resource_type.data = fields.resource_type or ""
    form.keywords.data = ", ".join(fields.keywords)
    form.objectives.data = "\n".join(fields.objectives)
    form.duration_minutes.data = fields.duration_minutes
    form.age_min.data, form.age_max.data = fields.age_min, fields.age_max
    form.keep_attachments.data = [a.id for a in version.attachments]


def fields_from(form: MaterialForm, kept_from: MaterialVersion | None) -> VersionFields:
    base = VersionFields.of(kept_from) if kept_from else None
    return VersionFields(
        title=form.title.data or "", description=form.description.data or "",
        body=form.body.data or "", language=form.language.data, licence=form.licence.data,
        link_url=form.link_url.data or None,
        subjects=tuple(form.subjects.data or ()), levels=tuple(form.levels.data or ()),
        keywords=tuple(k for k in (form.keywords.data or "").split(",")),
        objectives=tuple((form.objectives.data or "").splitlines()),
        resource_type=form.resource_type.data or None,
        duration_minutes=form.duration_minutes.data,
        age_min=form.age_min.data, age_max=form.age_max.data,
        # Imported provenance is not on the form and must survive an edit.
        authors=base.authors if base else (), source_url=base.source_url if base else None,
        attribution=base.attribution if base else None, extra=base.extra if base else {},
    )


def show_errors(form: MaterialForm, error: ValidationError | StorageFull) -> None:
    """Show the refusal in the form, which keeps everything the user typed."""
    if isinstance(error, InvalidFields):
        for name, message in error.errors.items():
            getattr(form, name, form.title).errors.append(message)
    elif isinstance(error, InvalidUpload | StorageFull):
        form.files.errors.append(error.message)
    else:
        form.title.errors.append(error.message)
