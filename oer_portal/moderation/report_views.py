"""Reports on the web: the report page of a material (``/materials/<id>/report``), the
moderators' reports queue (``/moderation/reports``) and the decisions (dismiss, take
offline, put back).  Importing this registers the reports' panel on the material page.

The decisions are form posts from the queue or the material's page (CSRF is checked for
every post by ``CSRFProtect``); each answers with a redirect back and a flash that says
what happened, or why nothing did."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.core.errors import Conflict, ValidationError
from oer_portal.core.numbers import query_number
from oer_portal.extensions import limiter
from oer_portal.materials.web import material_url
from oer_portal.moderation import report_panels, reports  # noqa: F401 (registers the panel)
from oer_portal.moderation.report_forms import (
    DismissForm,
    ReinstateForm,
    ReportForm,
    UnpublishForm,
)

bp = Blueprint("reports", __name__)


def _per_user() -> str:
    """Count per account, not per address: a school shares one address among many pupils."""
    return f"report-user:{current_user.get_user_id()}"


@bp.route("/materials/<int:material_id>/report", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["REPORT_LIMIT"], key_func=_per_user,
               methods=["POST"])
def report(material_id: int) -> str | Response | tuple[str, int]:
    """The report form; a second report while the first is open is refused politely."""
    material = reports.reportable_material(current_user, material_id)
    form = ReportForm()
    refused = None
    already = reports.open_report_of(current_user.id, material.id) is not None
    if form.validate_on_submit():
        try:
            reports.file_report(current_user, material.id, form.category.data or "",
                                form.comment.data or "")
            flash(_("Thank you. The moderators will look at your report."), "success")
            return redirect(material_url(material), 303)
        except Conflict as error:
            refused = error.message
        except ValidationError as error:
            target = form.category if not form.category.data else form.comment
            target.errors = [*target.errors, error.message]
    status = 409 if refused else 400 if form.errors else 200
    return render_template("moderation/report.html", material=material, form=form,
                           title=material.published_version.title, refused=refused,
                           already=already), status


@bp.route("/moderation/reports")
@login_required
def queue() -> str:
    page = max(query_number("page", 1) or 1, 1)
    return render_template("moderation/reports.html",
                           queue=reports.queue(current_user, request.args.get("show", "open"),
                                               page),
                           dismiss_form=DismissForm(),
                           reinstate_form=ReinstateForm())


def _back(default_material_id: int | None = None) -> Response:
    """Back where the form was sent from: the queue, the material's page, or the
    post-review list."""
    back = request.form.get("back")
    if back == "material" and default_material_id is not None:
        return redirect(url_for("materials.show", material_id=default_material_id), 303)
    if back == "post_review":
        return redirect(url_for("moderation.trust.post_review_list"), 303)
    return redirect(url_for("reports.queue"), 303)


@bp.route("/moderation/reports/<int:report_id>/dismiss", methods=["POST"])
@login_required
def dismiss(report_id: int) -> Response:
    form = DismissForm()
    try:
        reports.dismiss(current_user, report_id, form.note.data or "")
        flash(_("Report dismissed: the material stays online and the reporter is told."),
              "success")
    except (Conflict, ValidationError) as error:
        flash(error.message, "error")
    return _back()


@bp.route("/moderation/materials/<int:material_id>/unpublish", methods=["POST"])
@login_required
def unpublish(material_id: int) -> Response:
    form = UnpublishForm()
    try:
        reports.unpublish(current_user, material_id, form.reason.data or "", form.report())
        flash(_("The material is offline; its page says why. Its authors and the "
                "reporters are told."), "success")
    except (Conflict, ValidationError) as error:
        flash(error.message, "error")
    return _back(material_id)


@bp.route("/moderation/materials/<int:material_id>/reinstate", methods=["POST"])
@login_required
def reinstate(material_id: int) -> Response:
    form = ReinstateForm()
    try:
        reports.reinstate(current_user, material_id, form.reason.data or "")
        flash(_("The material is back online."), "success")
    except (Conflict, ValidationError) as error:
        flash(error.message, "error")
    return _back(material_id)
