"""The editable fields of a version, their validation and the controlled vocabularies.

Services take a ``VersionFields`` (named fields, never a form or a request), so mass
assignment is impossible and every write path (form, import, revert, merge) is checked the
same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlsplit

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from oer_portal.core.errors import ValidationError
from oer_portal.core.markdown_limits import MAX_SOURCE_CHARS, describe, source_problem
from oer_portal.extensions import db
from oer_portal.licences import registry
from oer_portal.materials.models import MaterialKind, MaterialVersion, VocabularyTerm

MAX_TITLE = 300
MAX_DESCRIPTION = 2_000
MAX_BODY = MAX_SOURCE_CHARS
MAX_LIST_ITEMS = 30
MAX_ITEM_LENGTH = 300


#: Field names as people read them (the diff page and error summaries).
FIELD_LABELS = {
    "title": _l("Title"), "description": _l("Summary"), "body": _l("Lesson text"),
    "language": _l("Language"), "licence": _l("Licence"), "link_url": _l("Web address"),
    "subjects": _l("Subjects"), "levels": _l("Levels"), "keywords": _l("Keywords"),
    "objectives": _l("Learning objectives"), "resource_type": _l("Type of material"),
    "duration_minutes": _l("Duration in minutes"), "age_min": _l("Youngest age"),
    "age_max": _l("Oldest age"), "authors": _l("Authors"), "source_url": _l("Original source"),
    "attribution": _l("Attribution"),
}
#: Fields whose values are codes of a vocabulary.
VOCABULARY_OF = {"subjects": "subject", "levels": "level", "resource_type": "resource_type",
                 "language": "language"}


class InvalidFields(ValidationError):
    """Several fields are wrong; ``errors`` maps each field name to its message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


@dataclass(frozen=True)
class VersionFields:
    """Everything a teacher writes in one version (attachments are handled apart)."""

    title: str
    description: str = ""
    body: str = ""
    language: str = "nl"
    licence: str = registry.DEFAULT
    link_url: str | None = None
    subjects: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ()
    resource_type: str | None = None
    duration_minutes: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    #: Names of the original authors of imported work (portal users are credited by account).
    authors: tuple[str, ...] = ()
    source_url: str | None = None
    attribution: str | None = None
    #: Everything else an import brought along (kept, shown nowhere, exported again).
    extra: Mapping[str, Any] = field(default_factory=dict)

    META_FIELDS = ("subjects", "levels", "keywords", "objectives", "resource_type",
                   "duration_minutes", "age_min", "age_max", "authors", "source_url",
                   "attribution", "extra")

    def meta(self) -> dict[str, Any]:
        """The JSON stored in ``MaterialVersion.meta`` (lists as lists, empty values left out)."""
        data = asdict(self)
        out: dict[str, Any] = {}
        for name in self.META_FIELDS:
            value = data[name]
            if value in (None, (), [], {}, ""):
                continue
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    def comparable(self) -> dict[str, Any]:
        """Field name → value, for the field-by-field diff of two versions."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}

    @classmethod
    def of(cls, version: MaterialVersion, *, with_body: bool = True) -> VersionFields:
        """The version's fields; ``with_body=False`` leaves the body empty and unread (a
        list or a credit line needs the metadata only, and a version loaded for one may
        have its Markdown deferred)."""
        meta = dict(version.meta or {})
        kwargs: dict[str, Any] = {}
        for name in cls.META_FIELDS:
            if name in meta:
                value = meta[name]
                kwargs[name] = tuple(value) if isinstance(value, list) else value
        return cls(title=version.title, description=version.description,
                   body=version.body if with_body else "", language=version.language,
                   licence=version.licence, link_url=version.link_url, **kwargs)

    def with_body(self, body: str) -> VersionFields:
        return replace(self, body=body)


def _clean_list(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        value = " ".join(str(value).split())[:MAX_ITEM_LENGTH]
        if value and value.lower() not in (v.lower() for v in seen):
            seen[value] = None
    return tuple(seen)[:MAX_LIST_ITEMS]


def is_web_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def normalise_body(body: str) -> str:
    """The lesson text as ``validate`` keeps it (line ends as ``\\n``)."""
    return body.replace("\r\n", "\n").replace("\r", "\n")


def validate(fields_: VersionFields, kind: str) -> VersionFields:
    """Normalise and check ``fields_``; raises :class:`InvalidFields` naming each bad field."""
    f = replace(
        fields_,
        title=" ".join(fields_.title.split()),
        description=fields_.description.strip(),
        body=normalise_body(fields_.body),
        keywords=_clean_list(fields_.keywords),
        objectives=_clean_list(fields_.objectives),
        authors=_clean_list(fields_.authors),
        subjects=_clean_list(fields_.subjects),
        levels=_clean_list(fields_.levels),
        link_url=(fields_.link_url or "").strip() or None,
        source_url=(fields_.source_url or "").strip() or None,
        attribution=(fields_.attribution or "").strip() or None,
        resource_type=fields_.resource_type or None,
    )
    errors: dict[str, str] = {}
    if not f.title:
        errors["title"] = _("Give the material a title.")
    elif len(f.title) > MAX_TITLE:
        errors["title"] = _("A title has at most %(max)d characters.", max=MAX_TITLE)
    if len(f.description) > MAX_DESCRIPTION:
        errors["description"] = _("A description has at most %(max)d characters.",
                                  max=MAX_DESCRIPTION)
    body_problem = source_problem(f.body, MAX_BODY)
    if body_problem is not None:
        errors["body"] = describe(body_problem, MAX_BODY)
    if kind == MaterialKind.LINK and not (f.link_url and is_web_url(f.link_url)):
        errors["link_url"] = _("Give a web address that starts with http:// or https://.")
    if f.source_url and not is_web_url(f.source_url):
        errors["source_url"] = _("Give a web address that starts with http:// or https://.")
    licence = registry.get(f.licence)
    if licence is None:
        errors["licence"] = _("Choose one of the licences offered.")
    else:
        f = replace(f, licence=licence.spdx)
    known = vocabularies()
    if f.language not in known["language"]:
        errors["language"] = _("Choose a language from the list.")
    for name, vocabulary in (("subjects", "subject"), ("levels", "level")):
        unknown = [code for code in getattr(f, name) if code not in known[vocabulary]]
        if unknown:
            errors[name] = _("Unknown choice: %(codes)s.", codes=", ".join(unknown))
    if f.resource_type and f.resource_type not in known["resource_type"]:
        errors["resource_type"] = _("Choose a resource type from the list.")
    if f.duration_minutes is not None and not 1 <= f.duration_minutes <= 10_000:
        errors["duration_minutes"] = _("Give the duration in minutes (1 to 10000).")
    for name in ("age_min", "age_max"):
        value = getattr(f, name)
        if value is not None and not 0 <= value <= 120:
            errors[name] = _("Give an age between 0 and 120.")
    if f.age_min is not None and f.age_max is not None and f.age_min > f.age_max:
        errors["age_max"] = _("The highest age cannot be below the lowest.")
    if errors:
        raise InvalidFields(errors)
    return f


@dataclass(frozen=True)
class Term:
    """A vocabulary term as plain data (safe to keep across commits)."""

    code: str
    parent_code: str | None
    label_nl: str
    label_en: str

    def label(self, locale: str) -> str:
        return self.label_nl if locale == "nl" else self.label_en


def vocabularies() -> dict[str, dict[str, Term]]:
    """All controlled vocabularies, by name and code, in their display order (read once per
    request or command)."""
    if "vocabularies" not in g:
        g.vocabularies = _load_vocabularies()
    return g.vocabularies


def _term_key(name: str) -> str:
    """``Social studies``, ``social_studies`` and ``SOCIAL-STUDIES`` alike."""
    return re.sub(r"[\s_-]+", "-", name.strip().casefold())


def term_names(vocabulary: str) -> dict[str, str]:
    """Every name a term of ``vocabulary`` is known by → its code: the code, the Dutch and
    English labels, and a label without its explanation in brackets (``havo (senior
    general secondary)`` is also ``havo``).  Import and the search filters both accept
    these, so a value that works in one works in the other."""
    names: dict[str, str] = {}
    for code, term in vocabularies()[vocabulary].items():
        for name in (code, term.label_nl, term.label_en):
            names.setdefault(_term_key(name), code)
            names.setdefault(_term_key(name.split(" (")[0]), code)
    return names


def resolve_term(vocabulary: str, name: str) -> str | None:
    """The code of the term ``name`` names in ``vocabulary``, or ``None``."""
    return term_names(vocabulary).get(_term_key(name))


def _load_vocabularies() -> dict[str, dict[str, Term]]:
    result: dict[str, dict[str, Term]] = {
        "subject": {}, "level": {}, "resource_type": {}, "language": {}}
    rows = db.session.execute(
        select(VocabularyTerm.vocabulary, VocabularyTerm.code, VocabularyTerm.parent_code,
               VocabularyTerm.label_nl, VocabularyTerm.label_en)
        .order_by(VocabularyTerm.vocabulary, VocabularyTerm.position))
    for vocabulary, code, parent, nl, en in rows:
        result.setdefault(vocabulary, {})[code] = Term(code, parent, nl, en)
    return result
