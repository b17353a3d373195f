"""The reports' part of the material page, as plain data: the link to report it (anyone but
its authors, on what the public sees), and for moderators the forms to take it offline or
put it back.

``materials`` cannot import this feature, so this registers with ``materials.panels`` when
imported (``moderation/report_views.py`` imports it with its blueprint).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from oer_portal.extensions import db
from oer_portal.materials import panels
from oer_portal.materials import policy as material_policy
from oer_portal.materials.panels import MaterialPage, Panel, Slot
from oer_portal.moderation import reports
from oer_portal.moderation.models import Report, ReportStatus


@dataclass(frozen=True)
class ReportPanel:
    material_id: int
    #: The link "report this material" (anonymous visitors too: the form asks them to log in).
    may_report: bool
    #: The reader's own report of it is open: they are told so instead of the link.
    reported: bool
    #: A moderator may take it offline here.
    may_unpublish: bool
    #: A moderator may put it back online here.
    may_reinstate: bool
    #: Moderators (not its authors): the material's open reports.
    open_reports: int


def material_page_panel(page: MaterialPage) -> ReportPanel | None:
    actor, material = page.actor, page.material
    moderates = material_policy.can_moderate(actor, material)
    public = reports.is_reportable(material) and page.shows_public_version
    may_report = public and not material_policy.is_author(actor, material)
    may_unpublish = material_policy.can_unpublish(actor, material)
    may_reinstate = material_policy.can_reinstate(actor, material)
    if not (may_report or may_unpublish or may_reinstate):
        return None
    reported = False
    if may_report and getattr(actor, "is_authenticated", False):
        reported = reports.open_report_of(actor.id, material.id) is not None  # type: ignore[attr-defined]
    open_reports = 0
    if moderates:
        open_reports = db.session.scalar(select(func.count(Report.id)).where(
            Report.material_id == material.id, Report.status == ReportStatus.OPEN)) or 0
    return ReportPanel(material.id, may_report, reported, may_unpublish, may_reinstate,
                       open_reports)


panels.register(Panel.REPORT, material_page_panel, {Slot.ASIDE: "moderation/_report_panel.html"})
