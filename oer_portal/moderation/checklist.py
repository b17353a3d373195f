"""What a moderator looks at before deciding.

The points ticked are kept with the decision (``ReviewMessage.checklist``): an approval then
records what the moderator vouched for, and a request for changes or a rejection shows the
author which points were not met.  Ticking is not required to decide: some points do not
apply to every material (a text without images), and a required tick soon becomes a reflex
rather than a check; the queue's one-click approval keeps working too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class ChecklistPoint:
    code: str
    label: str


_POINTS = (
    ("rights", _l("Rights and licence are plausible: the authors may share this under its "
                  "licence")),
    ("metadata", _l("The details are complete: title, summary, subjects, levels, language")),
    ("level", _l("It suits the level it states")),
    ("alt_text", _l("Images have alt text (or there are none)")),
    ("privacy", _l("It holds no personal data of pupils")),
)
#: The points' codes, in the order shown; what a decision form may send.
CODES = tuple(code for code, _label in _POINTS)


def points() -> tuple[ChecklistPoint, ...]:
    """The checklist in the reader's language."""
    return tuple(ChecklistPoint(code, str(label)) for code, label in _POINTS)


def known(codes: Iterable[str]) -> list[str]:
    """The known codes among ``codes``, in the checklist's order (a tampered form's others
    are dropped)."""
    wanted = set(codes)
    return [code for code in CODES if code in wanted]


def labels(codes: Iterable[str], ticked: bool = True) -> tuple[str, ...]:
    """The labels of the points ``codes`` names (``ticked``) or of all the others."""
    wanted = set(codes)
    return tuple(str(label) for code, label in _POINTS if (code in wanted) == ticked)
