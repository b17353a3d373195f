"""What another feature adds to one kind of material.

An arrangement's version owns an outline kept outside ``material_versions``; materials must
copy it when a revert (or a remix) writes a new version, check it before the version goes to
review and show it in the diff, and the remix feature merges it when a remix takes its
original's changes, without importing the arrangements feature (which builds on materials,
not the reverse).
The feature registers its hooks when it is imported; a kind without hooks does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from oer_portal.accounts.policy import Actor
from oer_portal.materials.models import MaterialVersion


def _nothing(*_args: object) -> None:
    return None


def _body(version: MaterialVersion) -> str:
    return version.body


#: Writes a kind's own content (beyond the version's fields) to a newly written version.
ContentWriter = Callable[[MaterialVersion], None]


def _no_content(*_args: object) -> ContentWriter | None:
    return _nothing


@dataclass(frozen=True)
class KindHooks:
    #: ``copy_content(source, target)``: a revert (or a remix) wrote ``target`` with
    #: ``source``'s fields.
    copy_content: Callable[[MaterialVersion, MaterialVersion], None] = _nothing
    #: ``check_submit(actor, version)``: raise ``ValidationError`` when ``actor`` may not
    #: send it to review.
    check_submit: Callable[[Actor, MaterialVersion], None] = _nothing
    #: ``diff_text(version)``: the text the diff page compares word by word.
    diff_text: Callable[[MaterialVersion], str] = _body
    #: ``merge_content(base, ours, theirs)``: the three-way merge of the kind's own content
    #: when a remix takes its original's changes (base: the original's version the remix is
    #: in step with, ours: the remix's head, theirs: the original's new version): a function
    #: that writes the merged content to the pull's new version, or ``None`` when both sides
    #: changed it differently (nothing is written).
    merge_content: Callable[[MaterialVersion, MaterialVersion, MaterialVersion],
                            ContentWriter | None] = _no_content


_HOOKS: dict[str, KindHooks] = {}


def register(kind: str, hooks: KindHooks) -> None:
    _HOOKS[kind] = hooks


def hooks_for(kind: str) -> KindHooks:
    return _HOOKS.get(kind, KindHooks())
