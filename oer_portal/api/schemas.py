"""The shapes of the API's requests and answers (marshmallow), from which flask-smorest
generates the OpenAPI 3.1 document.  ``metadata["example"]`` gives each an example there.

Input schemas refuse unknown members (``unknown = RAISE``, documented as
``additionalProperties: false``), so a misspelt field is an error, never silently dropped.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from oer_portal.arrangements import structure
from oer_portal.core.numbers import MAX_ID
from oer_portal.materials import metadata
from oer_portal.search import filters as search_filters
from oer_portal.search import service as search_service

KINDS = ("lesson", "file", "link", "arrangement")
#: Kinds the API can create (every kind: a file's files come as uploads first).
WRITABLE_KINDS = ("lesson", "file", "link", "arrangement")
#: The most uploads one write attaches (the web's form holds no more either).
MAX_UPLOADS = 50


#: A path's id or number: the converter that answers 404 beyond ``MAX_ID`` (the app's
#: ``int`` is bounded by the same constant; said here too so the OpenAPI document shows it).
PATH_ID = f"int(max={MAX_ID})"


def _example(value: Any, **extra: Any) -> dict[str, Any]:
    return {"metadata": {"example": value, **extra}}


class Input(Schema):
    class Meta:
        unknown = RAISE


# -- Errors ---------------------------------------------------------------------------------


class InvalidItemSchema(Schema):
    parameter = fields.String(**_example("subject"))
    field = fields.String(**_example("title"))
    value = fields.String(**_example("astrologie"))
    message = fields.String(required=True, **_example("Unknown filter value: astrologie."))
    valid = fields.List(fields.String(), **_example(["biology", "history"]))


class ProblemSchema(Schema):
    """An RFC 9457 problem document."""

    type = fields.String(required=True, **_example(
        "https://oer.example.org/api/v1/docs#problem-not-found"))
    title = fields.String(required=True, **_example("Not found"))
    status = fields.Integer(required=True, **_example(404))
    detail = fields.String(required=True, **_example(
        "There is nothing here, or nothing you may see."))
    invalid = fields.List(fields.Nested(InvalidItemSchema))
    reason = fields.String(**_example("expired"))
    required_scope = fields.String(**_example("write"))
    current_etag = fields.String(metadata={
        "example": '"5be42c6c902e3a18d3cdcdeb14ca685e"',
        "description": "412: the material's ETag now (read it again to see what changed)."})


# -- Shared parts ---------------------------------------------------------------------------


class PersonSchema(Schema):
    id = fields.Integer(required=True, **_example(7))
    name = fields.String(required=True, **_example("Anna de Vries"))
    #: ``null`` for an anonymous author (an account deleted with that choice): no profile.
    url = fields.String(required=True, allow_none=True,
                        **_example("https://oer.example.org/people/7-anna"))


class LabelsSchema(Schema):
    nl = fields.String(required=True, **_example("Biologie"))
    en = fields.String(required=True, **_example("Biology"))


class AttachmentSchema(Schema):
    filename = fields.String(required=True, **_example("werkblad.pdf"))
    media_type = fields.String(required=True, **_example("application/pdf"))
    size = fields.Integer(required=True, **_example(48213))
    url = fields.String(required=True, **_example(
        "https://oer.example.org/materials/12/files/31/werkblad.pdf"))


class VersionSummarySchema(Schema):
    number = fields.Integer(required=True, **_example(3))
    title = fields.String(required=True, **_example("Breuken met pizzapunten"))
    created_at = fields.DateTime(required=True, **_example("2026-11-02T09:15:00+00:00"))
    summary = fields.String(required=True, **_example("Opgave 4 verduidelijkt"))
    merged = fields.Boolean(required=True, **_example(False))
    published = fields.Boolean(required=True, metadata={
        "example": True, "description": "Whether this version was ever published."})
    author = fields.Nested(PersonSchema, required=True)
    url = fields.String(required=True, **_example(
        "https://oer.example.org/api/v1/materials/12/versions/3"))


class VersionSchema(VersionSummarySchema):
    description = fields.String(required=True, **_example("Breuken oefenen met pizza."))
    body = fields.String(required=True, metadata={
        "example": "# Breuken\n\nEen pizza in acht punten…", "description": "Markdown."})
    language = fields.String(required=True, **_example("nl"))
    licence = fields.String(required=True, **_example("CC-BY-4.0"))
    link_url = fields.String(required=True, allow_none=True, **_example(None))
    subjects = fields.List(fields.String(), required=True, **_example(["mathematics"]))
    levels = fields.List(fields.String(), required=True, **_example(["primary"]))
    keywords = fields.List(fields.String(), required=True, **_example(["breuken"]))
    objectives = fields.List(fields.String(), required=True, **_example([]))
    resource_type = fields.String(required=True, allow_none=True, **_example("lesson_plan"))
    duration_minutes = fields.Integer(required=True, allow_none=True, **_example(45))
    age_min = fields.Integer(required=True, allow_none=True, **_example(9))
    age_max = fields.Integer(required=True, allow_none=True, **_example(11))
    authors = fields.List(fields.String(), required=True, metadata={
        "example": [], "description": "Names of the original authors of imported work."})
    source_url = fields.String(required=True, allow_none=True, **_example(None))
    attribution = fields.String(required=True, allow_none=True, **_example(None))
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    web_url = fields.String(required=True, **_example(
        "https://oer.example.org/materials/12/v/3"))


class DerivedFromSchema(Schema):
    material_id = fields.Integer(required=True, **_example(4))
    version = fields.Integer(required=True, **_example(2))


class MaterialSummarySchema(Schema):
    id = fields.Integer(required=True, **_example(12))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS), **_example("lesson"))
    title = fields.String(required=True, **_example("Breuken met pizzapunten"))
    description = fields.String(required=True, **_example("Breuken oefenen met pizza."))
    language = fields.String(required=True, **_example("nl"))
    licence = fields.String(required=True, **_example("CC-BY-4.0"))
    status = fields.String(required=True, validate=validate.OneOf(
        ("draft", "published", "withdrawn")), **_example("published"))
    published_at = fields.DateTime(required=True, allow_none=True,
                                   **_example("2026-11-02T09:20:00+00:00"))
    url = fields.String(required=True, **_example("https://oer.example.org/api/v1/materials/12"))
    web_url = fields.String(required=True, **_example(
        "https://oer.example.org/materials/12-breuken-met-pizzapunten"))


class MaterialSchema(MaterialSummarySchema):
    owner = fields.Nested(PersonSchema, required=True)
    co_authors = fields.List(fields.Nested(PersonSchema), required=True)
    updated_at = fields.DateTime(required=True, **_example("2026-11-03T10:00:00+00:00"))
    derived_from = fields.Nested(DerivedFromSchema, required=True, allow_none=True)
    published_version = fields.Nested(VersionSchema, required=True, allow_none=True, metadata={
        "description": "What everyone sees; null while nothing is published."})
    draft = fields.Nested(VersionSchema, required=True, allow_none=True, metadata={
        "description": "The newest version when it is not the published one: only for the "
                       "material's authors, moderators and admins (null for everyone else)."})
    pending_review = fields.Boolean(required=True, metadata={
        "example": False, "description": "A version waits for a moderator (authors only)."})


class MyMaterialSchema(MaterialSummarySchema):
    head_version = fields.Integer(required=True, **_example(4))
    pending_review = fields.Boolean(required=True, **_example(False))


class PageSchema(Schema):
    """Pagination: ``next`` and ``prev`` are absolute URLs (null at either end); the same
    links are in the ``Link`` header."""

    page = fields.Integer(required=True, **_example(1))
    per_page = fields.Integer(required=True, **_example(20))
    total = fields.Integer(allow_none=True, metadata={
        "example": 57, "description": "All matches, where that is cheap to count."})
    next = fields.String(required=True, allow_none=True, **_example(
        "https://oer.example.org/api/v1/materials?page=2"))
    prev = fields.String(required=True, allow_none=True, **_example(None))


class MaterialPageSchema(PageSchema):
    items = fields.List(fields.Nested(MaterialSummarySchema), required=True)


class MyMaterialPageSchema(PageSchema):
    items = fields.List(fields.Nested(MyMaterialSchema), required=True)


class VersionPageSchema(PageSchema):
    items = fields.List(fields.Nested(VersionSummarySchema), required=True)


# -- Query parameters -----------------------------------------------------------------------


class PageArgs(Input):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10_000), **_example(1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100), **_example(20))


class MaterialListArgs(PageArgs):
    kind = fields.String(validate=validate.OneOf(KINDS), **_example("lesson"))
    subject = fields.String(**_example("mathematics"))
    level = fields.String(**_example("primary"))
    language = fields.String(**_example("nl"))
    licence = fields.String(**_example("CC-BY-4.0"))


class VersionListArgs(Input):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10_000), **_example(1))


class DiffArgs(Input):
    from_ = fields.Integer(required=True, data_key="from", validate=validate.Range(1, MAX_ID),
                           **_example(1))
    to = fields.Integer(required=True, validate=validate.Range(1, MAX_ID), **_example(2))


class CreditsArgs(Input):
    format = fields.String(load_default="text", validate=validate.OneOf(
        ("text", "html", "markdown")), **_example("markdown"))
    version = fields.Integer(validate=validate.Range(1, MAX_ID), metadata={
        "example": 2, "description": "A version number (default: the shown version)."})


class RemixLicenceArgs(Input):
    source = fields.List(fields.String(), required=True, validate=validate.Length(1, 50),
                         metadata={"example": ["CC-BY-4.0", "CC-BY-SA-4.0"],
                                   "description": "SPDX ids of the sources (repeat)."})


class SearchArgs(Input):
    q = fields.String(metadata={"example": "breuken",
                                "description": "Words to find (the first 1000 characters)."})
    sort = fields.String(load_default="relevance", validate=validate.OneOf(
        search_service.SORTS), **_example("newest"))
    page = fields.Integer(load_default=1, metadata={
        "example": 1, "description": f"Counted from 1, at most {search_service.MAX_PAGE}."})
    per_page = fields.Integer(load_default=20, metadata={
        "example": 20, "description": f"At most {search_service.MAX_PER_PAGE}."})
    locals().update({facet: fields.List(fields.String(), metadata={
        "description": "Filter (repeat to OR); a vocabulary code or any label import "
                       "accepts.", "example": [example]})
        for facet, example in zip(search_filters.FACETS,
                                  ("biology", "havo", "CC-BY", "nl", "lesson", "true",
                                   "Wikiwijs"),
                                  strict=True)})
    collection = fields.List(fields.String(), metadata={
        "description": "Only records harvested from this collection (its name; repeat to "
                       "OR). An unknown name is refused.", "example": ["Wikiwijs"]})


# -- Search results (fields fixed by ARCHITECTURE.md section 8) ----------------------------


class RatingSchema(Schema):
    average = fields.Float(required=True, allow_none=True, **_example(4.5))
    count = fields.Integer(required=True, **_example(2))


class SearchHitSchema(Schema):
    """A material of this portal, or a record harvested from another collection (then
    ``collection`` names it, ``id`` is null, ``record_id`` is set, ``external_id`` is the
    record's OAI identifier at the source and ``url`` its home page there)."""

    id = fields.Integer(required=True, allow_none=True, metadata={
        "example": 12, "description": "The material's id; null for a harvested record."})
    record_id = fields.Integer(required=True, allow_none=True, metadata={
        "example": None, "description": "A harvested record's id; null for a material."})
    collection = fields.String(required=True, allow_none=True, metadata={
        "example": None, "description": "The collection a harvested record comes from; null "
                                        "for the portal's own materials."})
    external_id = fields.String(required=True, allow_none=True, metadata={
        "example": None, "description": "The id a material was imported with, or a harvested "
                                        "record's OAI identifier at its source."})
    title = fields.String(required=True, **_example("Breuken met pizzapunten"))
    url = fields.String(required=True, metadata={
        "example": "https://oer.example.org/materials/12-breuken-met-pizzapunten",
        "description": "The material's page here; a harvested record's home page at its "
                       "source."})
    licence = fields.String(required=True, **_example("CC-BY-4.0"))
    language = fields.String(required=True, **_example("nl"))
    kind = fields.String(required=True, **_example("lesson"))
    score = fields.Float(required=True, **_example(3.1416))
    highlights = fields.String(required=True, **_example("<mark>breuken</mark> met pizza"))
    published = fields.String(required=True, allow_none=True,
                              **_example("2026-11-02T09:20:00+00:00"))
    rating = fields.Nested(RatingSchema, required=True)


class FacetCountSchema(Schema):
    value = fields.String(required=True, **_example("biology"))
    count = fields.Integer(required=True, **_example(3))


class SearchResultSchema(Schema):
    total = fields.Integer(required=True, **_example(1))
    page = fields.Integer(required=True, **_example(1))
    per_page = fields.Integer(required=True, **_example(20))
    query = fields.String(required=True, **_example("breuken"))
    suggestion = fields.String(required=True, allow_none=True, **_example(None))
    fuzzy = fields.Boolean(required=True, **_example(False))
    results = fields.List(fields.Nested(SearchHitSchema), required=True)
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(
        FacetCountSchema)), required=True)
    next = fields.String(required=True, allow_none=True, **_example(None))
    prev = fields.String(required=True, allow_none=True, **_example(None))


# -- Diff, credits ------------------------------------------------------------------------


class FieldChangeSchema(Schema):
    field = fields.String(required=True, **_example("levels"))
    label = fields.String(required=True, **_example("Levels"))
    old = fields.String(required=True, **_example("primary"))
    new = fields.String(required=True, **_example("primary, vmbo"))
    added = fields.List(fields.String(), required=True, **_example(["vmbo"]))
    removed = fields.List(fields.String(), required=True, **_example([]))


class SegmentSchema(Schema):
    op = fields.String(required=True, validate=validate.OneOf(("equal", "delete", "insert")),
                       **_example("insert"))
    text = fields.String(required=True, **_example("acht "))


class DiffStatsSchema(Schema):
    words_added = fields.Integer(required=True, **_example(4))
    words_removed = fields.Integer(required=True, **_example(1))


class DiffSchema(Schema):
    material_id = fields.Integer(required=True, **_example(12))
    from_ = fields.Integer(required=True, data_key="from", **_example(1))
    to = fields.Integer(required=True, **_example(2))
    stats = fields.Nested(DiffStatsSchema, required=True)
    segments = fields.List(fields.Nested(SegmentSchema), required=True)
    fields_changed = fields.List(fields.Nested(FieldChangeSchema), required=True)
    files_added = fields.List(fields.String(), required=True, **_example(["kaart.png"]))
    files_removed = fields.List(fields.String(), required=True, **_example([]))


class CreditsSchema(Schema):
    material_id = fields.Integer(required=True, **_example(12))
    version = fields.Integer(required=True, **_example(3))
    format = fields.String(required=True, **_example("markdown"))
    credits = fields.String(required=True, **_example(
        "“Breuken met pizzapunten” door Anna de Vries, CC BY 4.0."))


# -- Licences, vocabularies ----------------------------------------------------------------


class LicenceSchema(Schema):
    spdx = fields.String(required=True, **_example("CC-BY-SA-4.0"))
    badge = fields.String(required=True, **_example("CC BY-SA"))
    name = fields.Nested(LabelsSchema, required=True)
    url = fields.String(required=True, **_example(
        "https://creativecommons.org/licenses/by-sa/4.0/"))
    elements = fields.List(fields.String(), required=True, **_example(["BY", "SA"]))
    offered = fields.Boolean(required=True, **_example(True))
    explanation = fields.Nested(LabelsSchema, required=True)


class RemixLicencesSchema(Schema):
    sources = fields.List(fields.String(), required=True, **_example(["CC-BY-SA-4.0"]))
    allowed = fields.List(fields.String(), required=True, **_example(["CC-BY-SA-4.0"]))
    suggested = fields.String(required=True, allow_none=True, **_example("CC-BY-SA-4.0"))
    refusal = fields.String(required=True, allow_none=True, metadata={
        "example": None, "description": "Why no licence is possible (a stable code)."})
    explanation = fields.String(required=True, **_example(
        "A remix of CC BY-SA must be licensed CC BY-SA."))


class TermSchema(Schema):
    code = fields.String(required=True, **_example("havo"))
    parent = fields.String(required=True, allow_none=True, **_example("secondary"))
    label = fields.Nested(LabelsSchema, required=True)


class VocabulariesSchema(Schema):
    subject = fields.List(fields.Nested(TermSchema), required=True)
    level = fields.List(fields.Nested(TermSchema), required=True)
    resource_type = fields.List(fields.Nested(TermSchema), required=True)
    language = fields.List(fields.Nested(TermSchema), required=True)
    kind = fields.List(fields.Nested(TermSchema), required=True)


# -- Arrangements --------------------------------------------------------------------------


class OutlineNodeSchema(Schema):
    number = fields.String(required=True, **_example("1.2"))
    kind = fields.String(required=True,
                         validate=validate.OneOf(("section", "page", "material", "link")),
                         **_example("material"))
    title = fields.String(required=True, **_example("Oefenen"))
    material_id = fields.Integer(required=True, allow_none=True, **_example(12))
    version = fields.Integer(required=True, allow_none=True, metadata={
        "example": 3, "description": "The included version the caller may see (null when "
                                     "it is not available to them)."})
    available = fields.Boolean(required=True, **_example(True))
    url = fields.String(allow_none=True, metadata={
        "example": "https://example.org/video", "description": "A link part's web address "
                                                              "elsewhere (null for other parts)."})
    children = fields.List(fields.Nested(lambda: OutlineNodeSchema()), required=True)


class ArrangementSchema(Schema):
    material = fields.Nested(MaterialSummarySchema, required=True)
    version = fields.Integer(required=True, **_example(2))
    outline = fields.List(fields.Nested(OutlineNodeSchema), required=True)


# -- Writes --------------------------------------------------------------------------------


class MaterialFieldsSchema(Input):
    """The fields of a version: the web form's, checked by the same validation."""

    title = fields.String(required=True, validate=validate.Length(max=metadata.MAX_TITLE),
                          **_example("Breuken met pizzapunten"))
    description = fields.String(load_default="", **_example("Breuken oefenen met pizza."))
    body = fields.String(load_default="", **_example("# Breuken\n\nEen pizza in acht punten."))
    language = fields.String(load_default="nl", **_example("nl"))
    licence = fields.String(load_default="CC-BY-4.0", **_example("CC-BY-4.0"))
    link_url = fields.String(load_default=None, allow_none=True, **_example(None))
    subjects = fields.List(fields.String(), load_default=list, **_example(["mathematics"]))
    levels = fields.List(fields.String(), load_default=list, **_example(["primary"]))
    keywords = fields.List(fields.String(), load_default=list, **_example(["breuken"]))
    objectives = fields.List(fields.String(), load_default=list, **_example([]))
    resource_type = fields.String(load_default=None, allow_none=True, **_example(None))
    duration_minutes = fields.Integer(load_default=None, allow_none=True, **_example(45))
    age_min = fields.Integer(load_default=None, allow_none=True, **_example(9))
    age_max = fields.Integer(load_default=None, allow_none=True, **_example(11))
    summary = fields.String(load_default="", validate=validate.Length(max=500),
                            **_example("Eerste versie"))
    uploads = fields.List(
        fields.String(validate=validate.Length(min=1, max=1000)), load_default=list,
        validate=validate.Length(max=MAX_UPLOADS), metadata={
            "example": [], "description": "Files to attach: the `upload` of each POST "
            "/uploads (yours, for six hours). A file material needs at least one; a new "
            "version keeps the files it had and adds these. Not for arrangements."})


class OutlinePartSchema(Input):
    """One part of an arrangement's outline, in reading order; ``depth`` places it under the
    section before it (0: at the top)."""

    kind = fields.String(required=True,
                         validate=validate.OneOf(("section", "page", "material", "link")),
                         **_example("material"))
    depth = fields.Integer(load_default=0, validate=validate.Range(0, structure.MAX_DEPTH),
                           **_example(1))
    title = fields.String(load_default="", validate=validate.Length(max=structure.MAX_TITLE),
                          metadata={"example": "Oefenen", "description": "A section's or "
                                    "page's title, a link's text; for a material a caption."})
    body = fields.String(load_default="", validate=validate.Length(max=structure.MAX_PAGE),
                         metadata={"example": "", "description": "A page's Markdown."})
    material_id = fields.Integer(load_default=None, allow_none=True,
                                 validate=validate.Range(1, MAX_ID), metadata={
                                     "example": 12, "description": "The included material "
                                     "(kind material): one you may see, not an arrangement."})
    version = fields.Integer(load_default=None, allow_none=True,
                             validate=validate.Range(1, MAX_ID), metadata={
                                 "example": None, "description": "Pin the included material "
                                 "to this version number (null: follow its newest published "
                                 "version)."})
    url = fields.String(load_default="", validate=validate.Length(max=structure.MAX_URL),
                        metadata={"example": "", "description": "A link part's web address "
                                                                "(http or https)."})


_OUTLINE = {"validate": validate.Length(max=structure.MAX_NODES)}


class VersionRequestSchema(MaterialFieldsSchema):
    outline = fields.List(fields.Nested(OutlinePartSchema), load_default=None, allow_none=True,
                          metadata={"example": None, "description": "An arrangement's new "
                                    "outline (null or absent: keep the current one). Only for "
                                    "arrangements."}, **_OUTLINE)


class CreateMaterialSchema(MaterialFieldsSchema):
    kind = fields.String(required=True, validate=validate.OneOf(WRITABLE_KINDS),
                         **_example("lesson"))
    outline = fields.List(fields.Nested(OutlinePartSchema), load_default=list, metadata={
        "example": [], "description": "An arrangement's parts: sections, pages, included "
                                      "materials and links (kind arrangement only)."},
        **_OUTLINE)


class RemixRequestSchema(Input):
    licence = fields.String(required=True, **_example("CC-BY-SA-4.0"))
    title = fields.String(load_default=None, allow_none=True,
                          validate=validate.Length(max=metadata.MAX_TITLE),
                          **_example("Breuken met taartpunten"))
    version = fields.Integer(load_default=None, allow_none=True,
                             validate=validate.Range(1, MAX_ID),
                             metadata={"example": None,
                                       "description": "Default: the published version."})


class UploadArgs(Input):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255),
                             metadata={"example": "werkblad-breuken.pdf", "description":
                                       "The file's name; its content decides its type "
                                       "and extension, as on the web."})


class UploadSchema(Schema):
    upload = fields.String(required=True, metadata={
        "example": "eyJ1c2VyIjoxLCJzaGEyNTYiOiIuLi4ifQ.ZzZ0aA.c2lnbmF0dXJl",
        "description": "Name it in `uploads` of POST /materials or POST "
                       "/materials/{material_id}/versions (only you can, for six hours)."})
    filename = fields.String(required=True, **_example("werkblad-breuken.pdf"))
    sha256 = fields.String(required=True, **_example("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
                                                     "2b0b822cd15d6c15b0f00a08"))


class SubmissionSchema(Schema):
    material_id = fields.Integer(required=True, **_example(12))
    version = fields.Integer(required=True, **_example(2))
    status = fields.String(required=True, validate=validate.OneOf(("pending", "published")),
                           **_example("pending"))
    post_review = fields.Boolean(required=True, metadata={
        "example": False, "description": "Published at once (a trusted teacher); a "
                                         "moderator looks afterwards."})
