"""The web layer that material pages share with the features that build on them.

A material's address, where an editor goes after saving, and the addresses that panels
(``panels.py``) need as text.  Every editing view (lessons, files and links here,
arrangements in their own feature) uses these, so they live in neither feature's views.
"""

from __future__ import annotations

from flask import current_app, flash, has_request_context, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from oer_portal.accounts.models import User
from oer_portal.materials.models import Material
from oer_portal.materials.service import slugify


def material_url(material: Material, **values: object) -> str:
    return url_for("materials.show", material_id=material.id, slug=material.slug, **values)


def absolute_material_url(material: Material) -> str:
    """The material's full address, also outside a request (a command prints it): on
    ``PORTAL_URL`` there, which commands need to link anywhere."""
    if has_request_context():
        return material_url(material, _external=True)
    base = current_app.config.get("PORTAL_URL") or "http://localhost"
    with current_app.test_request_context(base_url=base):
        return material_url(material, _external=True)


def after_save(material: Material, submitted: bool, merged: bool = False) -> Response:
    """Say what a save did and show the material.

    ``merged``: someone else saved meanwhile and the edit was merged with theirs;
    ``submitted``: the view also sent the version to review (its own, explicit call of
    ``lifecycle.submit_for_review``), else it stays a draft.
    """
    if merged:
        flash(_("Someone else saved a newer version while you were editing. "
                "Your changes did not overlap and have been merged with theirs."), "info")
    if submitted and material.published_version_id == material.latest_version_id:
        # A trusted teacher's submission is published at once (``submit_for_review``).
        flash(_("Saved and published at once: you are a trusted teacher. A moderator looks "
                "at it afterwards."), "success")
    elif submitted:
        flash(_("Saved and submitted for review. A moderator will look at it."), "success")
    else:
        flash(_("Saved as a draft. Only you (and moderators) can see it."), "success")
    return redirect(material_url(material))


class PageLinks:
    """``panels.PageLinks`` for a request: absolute links for credits (they are copied to
    other sites), the material's page for links on ours."""

    def material(self, material: Material, number: int | None) -> str:
        if number is None:
            return url_for("materials.show", material_id=material.id, slug=material.slug,
                           _external=True)
        return url_for("materials.show_version", material_id=material.id, number=number,
                       _external=True)

    def profile(self, user: User) -> str:
        return url_for("lists.profile", user_id=user.id, slug=slugify(user.display_name),
                       _external=True)

    def page(self, material: Material) -> str:
        return material_url(material)
