"""Where a notification leads: the web layer builds the link from its kind and target.

The inbox links on the portal's own pages; an e-mail needs the same link absolute.  Absolute
links are built on ``PORTAL_URL`` when it is set (always in production with mail: see
``config.py``), never on the Host header of the request that caused the e-mail, which its
sender chooses; without it (development) a request's own address is used, or
``SERVER_NAME`` in a command, and a command with neither sends the e-mail without a link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import url_for

from oer_portal.core.web import absolute_url
from oer_portal.notifications.models import NotificationKind, TargetType

#: The moderation issue's page of one review request is ``/moderation/reviews/<id>``; its
#: endpoint belongs to that feature, so the address is its blueprint's plus this.
REVIEW_PAGE = "reviews/{id}"


def _route(kind: str, target_type: str, target_id: int, params: Mapping[str, Any]
           ) -> tuple[str, dict[str, Any], str] | None:
    """The endpoint, its values and a path to append (the review page), or ``None`` when the
    notification leads nowhere (a report whose material was not named)."""
    if kind == NotificationKind.UPSTREAM_CHANGED and target_type == TargetType.MATERIAL:
        # The place to act: the remix's page of the original's changes (diff, pull, dismiss).
        return "remix.changes", {"material_id": target_id}, ""
    if target_type == TargetType.MATERIAL:
        return "materials.show", {"material_id": target_id}, ""
    if target_type == TargetType.REVIEW:
        return "moderation.queue", {}, REVIEW_PAGE.format(id=int(target_id))
    if target_type == TargetType.REPORT:
        material_id = params.get("material_id")
        if isinstance(material_id, int) and not isinstance(material_id, bool):
            return "materials.show", {"material_id": material_id}, ""
        return None
    if target_type == TargetType.PROPOSAL:
        material_id = params.get("material_id")
        if isinstance(material_id, int) and not isinstance(material_id, bool):
            return "proposals.show", {"material_id": material_id,
                                      "proposal_id": int(target_id)}, ""
        return None
    if target_type == TargetType.TEACHER_REQUEST:
        return "accounts.teacher_request", {}, ""
    return None


def notification_url(kind: str, target_type: str, target_id: int,
                     params: Mapping[str, Any], external: bool = False) -> str | None:
    """The link on the portal's own pages (the inbox), or ``external`` for an e-mail;
    ``None`` when it leads nowhere or no absolute address can be made."""
    route = _route(kind, target_type, target_id, params)
    if route is None:
        return None
    endpoint, values, suffix = route
    base = absolute_url(endpoint, **values) if external else url_for(endpoint, **values)
    return base + suffix if base is not None else None


def absolute_settings_url() -> str | None:
    """The e-mail settings on the profile page, for the footer of every e-mail."""
    base = absolute_url("accounts.profile")
    return base + "#email-settings" if base is not None else None
