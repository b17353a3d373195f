"""Comparing two versions of one material: the history's diff page, the remix's page of the
original's changes, the review screen and a change proposal's page all show this.

The reader's language is flask_babel's current locale, not an argument: the field names are
gettext strings and an arrangement's outline text is worded by its hook through gettext too,
so only the babel locale keeps names, vocabulary labels and text in one language.  To compare
for another reader (a notification, say), wrap the call in ``flask_babel.force_locale``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import get_locale
from markupsafe import Markup

from oer_portal.accounts.policy import Actor
from oer_portal.core.errors import NotFound
from oer_portal.materials import policy, queries
from oer_portal.materials.diff import (
    DiffStats,
    Gap,
    Segment,
    SideBySideRow,
    metadata_changes,
    render_inline,
    side_by_side,
    stats,
    word_diff,
)
from oer_portal.materials.hooks import hooks_for
from oer_portal.materials.metadata import FIELD_LABELS, VOCABULARY_OF, VersionFields, vocabularies
from oer_portal.materials.models import MaterialVersion

#: How a field without a value reads.
NO_VALUE = "—"


@dataclass(frozen=True)
class FieldDifference:
    """One metadata field that differs, as people read it: vocabulary codes as labels in the
    current language, lists joined.  For a list, ``added`` and ``removed`` name the items
    (both empty when only the order changed: ``old`` and ``new`` show that)."""

    field: str
    label: str
    old: str
    new: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comparison:
    """Everything a page shows of the change from ``old`` to ``new``."""

    old: MaterialVersion
    new: MaterialVersion
    #: The compared text (the body, or what the kind's ``diff_text`` hook makes of a version).
    old_text: str
    new_text: str
    #: The word diff of the text: kept, deleted and inserted runs.
    segments: tuple[Segment, ...]
    stats: DiffStats
    fields: tuple[FieldDifference, ...]
    #: Names of the attachments only the new (added) or only the old version (removed) has; a
    #: renamed or replaced file is both.
    files_added: tuple[str, ...]
    files_removed: tuple[str, ...]

    @property
    def details_changed(self) -> bool:
        return bool(self.fields or self.files_added or self.files_removed)

    def inline(self) -> Markup:
        """The new text with deletions and insertions marked (escaped HTML)."""
        return render_inline(self.segments)

    def side_by_side(self, context: int | None = 3) -> list[SideBySideRow | Gap]:
        """Rows of old and new lines beside each other, long unchanged stretches folded.
        Worked out on demand: the inline view does not need it."""
        return side_by_side(self.old_text, self.new_text, context)


def compare_versions(actor: Actor, a: MaterialVersion, b: MaterialVersion) -> Comparison:
    """The change from version ``a`` to version ``b`` of one material.

    Either version that ``actor`` may not see is not found, as on every other page: a
    visitor sees only versions that were published, authors and staff see them all.
    """
    if a.material_id != b.material_id:
        raise ValueError("compare_versions compares two versions of one material")
    material = a.material
    published = queries.published_ids(material.id)
    if not all(policy.can_view_version(actor, material, version, published)
               for version in (a, b)):
        raise NotFound()
    return compare_unchecked(a, b)


def compare_unchecked(a: MaterialVersion, b: MaterialVersion) -> Comparison:
    """The change from ``a`` to ``b`` for a caller that decided who may see both itself.

    ``b`` may be an unsaved ``MaterialVersion`` (a change proposal's text, which is never a
    version): it needs its fields and ``material_id`` only, and no attachments of its own.
    """
    if a.material_id != b.material_id:
        raise ValueError("compare_unchecked compares two versions of one material")
    material = a.material
    text_of = hooks_for(material.kind).diff_text
    old_text, new_text = text_of(a), text_of(b)
    segments = tuple(word_diff(old_text, new_text))
    old_files = {(file.sha256, file.filename) for file in a.attachments}
    new_files = {(file.sha256, file.filename) for file in b.attachments}
    return Comparison(
        old=a, new=b, old_text=old_text, new_text=new_text,
        segments=segments, stats=stats(segments),
        fields=tuple(_field_differences(a, b)),
        files_added=tuple(sorted(name for _sha, name in new_files - old_files)),
        files_removed=tuple(sorted(name for _sha, name in old_files - new_files)))


def _field_differences(a: MaterialVersion, b: MaterialVersion) -> Iterable[FieldDifference]:
    old = {k: v for k, v in VersionFields.of(a).comparable().items() if k != "body"}
    new = {k: v for k, v in VersionFields.of(b).comparable().items() if k != "body"}
    for change in metadata_changes(old, new):
        yield FieldDifference(
            field=change.field, label=field_label(change.field),
            old=readable_value(change.field, change.old),
            new=readable_value(change.field, change.new),
            added=tuple(readable_value(change.field, item) for item in change.added),
            removed=tuple(readable_value(change.field, item) for item in change.removed))


def field_label(field: str) -> str:
    """A field's name in the current language (its code for a field without a label)."""
    return str(FIELD_LABELS.get(field, field))


def readable_value(field: str, value: object) -> str:
    """A field's value as people read it: vocabulary codes as their labels in the current
    language, lists joined with commas, ``NO_VALUE`` for none.  The pull's message about a
    field both sides changed uses it too, so a value reads there as it does in a comparison."""
    if value in (None, "") or (isinstance(value, list | tuple) and not value):
        return NO_VALUE
    if isinstance(value, list | tuple):
        return ", ".join(readable_value(field, item) for item in value)
    terms = vocabularies().get(VOCABULARY_OF.get(field, ""), {})
    term = terms.get(value) if isinstance(value, str) else None
    return term.label(str(get_locale() or "nl")) if term else str(value)
