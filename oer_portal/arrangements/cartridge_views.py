"""The upload form that imports a Common Cartridge as a new arrangement draft."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.accounts.policy import require as require_permission
from oer_portal.arrangements import cartridge_import
from oer_portal.arrangements.forms import CartridgeForm
from oer_portal.core.errors import StorageFull, ValidationError
from oer_portal.licences import registry
from oer_portal.materials import policy

bp = Blueprint("cartridges", __name__)

#: Skipped parts named one by one in the flash messages; the rest are counted.
_SHOWN_SKIPPED = 8


@bp.route("/materials/new/cartridge", methods=["GET", "POST"])
@login_required
def import_cartridge() -> tuple[str, int] | Response:
    """Upload a ``.imscc``: it becomes an arrangement draft, opened in the builder with what
    was imported and left out; a refused archive comes back with the reason and nothing
    made."""
    require_permission(policy.can_create(current_user))
    form = CartridgeForm()
    locale = str(get_locale())
    form.licence.choices = [(lic.spdx, lic.name(locale)) for lic in registry.OFFERED]
    if request.method == "GET":
        form.licence.data = registry.DEFAULT
    if form.validate_on_submit():
        try:
            result = cartridge_import.import_cartridge(
                current_user, form.cartridge.data.stream, portal_url=request.url_root,
                default_licence=form.licence.data)
        except (ValidationError, StorageFull) as error:
            form.cartridge.errors.append(error.message)
        else:
            _flash_result(result)
            return redirect(url_for("arrangements.edit", material_id=result.material.id))
    status = 400 if form.is_submitted() else 200
    return render_template("arrangements/import_cartridge.html", form=form), status


def _flash_result(result: cartridge_import.ImportResult) -> None:
    flash(result.summary(), "success")
    for skipped in result.skipped[:_SHOWN_SKIPPED]:
        flash(_("Left out: %(what)s", what=skipped), "warning")
    if len(result.skipped) > _SHOWN_SKIPPED:
        flash(_("%(n)d more parts or files were left out.",
                n=len(result.skipped) - _SHOWN_SKIPPED), "warning")
    for note in result.notes:
        flash(note, "info")
