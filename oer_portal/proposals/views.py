"""Change proposal pages: propose, the review page (diff, thread, accept, decline) and the
resolution page after a conflict.  Thin: the rules are the service's and the policy's."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.core.errors import ValidationError
from oer_portal.core.markdown import render_markdown
from oer_portal.core.markdown_limits import markdown_request
from oer_portal.core.numbers import parse_id
from oer_portal.licences import registry
from oer_portal.materials import service as materials
from oer_portal.materials.metadata import InvalidFields
from oer_portal.materials.web import after_save
from oer_portal.proposals import policy, service
from oer_portal.proposals.forms import (
    AcceptForm,
    CommentForm,
    DeclineForm,
    ProposalForm,
    ResolveForm,
    WithdrawProposalForm,
)
from oer_portal.proposals.models import ChangeProposal

bp = Blueprint("proposals", __name__)


def _show_errors(form: ProposalForm | DeclineForm, error: ValidationError) -> None:
    if isinstance(error, InvalidFields):
        for name, message in error.errors.items():
            getattr(form, name, form.submit).errors.append(message)
    else:
        getattr(form, "body", form.submit).errors.append(error.message)


def _page(material_id: int, proposal_id: int) -> str:
    return url_for("proposals.show", material_id=material_id, proposal_id=proposal_id)


@bp.route("/materials/<int:material_id>/propose", methods=["GET", "POST"])
@markdown_request()
@login_required
def propose(material_id: int) -> str | Response:
    """The editor, prefilled with the published version; the text is contributed under the
    material's licence, as the form says."""
    material = service.get_material(current_user, material_id)
    published = material.published_version
    form = ProposalForm()
    preview = None
    if request.method == "GET":
        form.title.data, form.description.data, form.body.data = (
            published.title, published.description, published.body)
    if request.method == "POST" and form.preview.data:
        # The editor's preview without JavaScript: only the text needs to be valid (the
        # why may still be empty); nothing is sent.
        if form.body.validate(form):
            preview = render_markdown(form.body.data or "")
    elif form.validate_on_submit():
        try:
            proposal = service.propose(current_user, material.id, form.title.data or "",
                                       form.description.data or "", form.body.data or "",
                                       form.summary.data or "")
        except ValidationError as error:
            _show_errors(form, error)
        else:
            flash(_("Your proposal has been sent to the authors."), "success")
            return redirect(_page(material.id, proposal.id))
    licence = registry.get(published.licence)
    return render_template("proposals/propose.html", form=form, material=material,
                           version=published, preview=preview,
                           licence_name=licence.name(str(get_locale() or "nl")) if licence
                           else published.licence)


def _render(proposal: ChangeProposal, *, decline_form: DeclineForm | None = None,
            comment_form: CommentForm | None = None, status: int = 200
            ) -> tuple[str, int]:
    mode = "inline" if request.args.get("view") == "inline" else "side"
    return render_template(
        "proposals/show.html", proposal=proposal, material=proposal.material,
        comparison=service.comparison(proposal), applies=service.applies(current_user, proposal),
        thread=service.thread(proposal), mode=mode,
        may_decide=policy.can_decide(current_user, proposal),
        may_comment=policy.can_comment(current_user, proposal),
        may_withdraw=policy.can_withdraw(current_user, proposal),
        accept_form=AcceptForm(), decline_form=decline_form or DeclineForm(),
        comment_form=comment_form or CommentForm(), withdraw_form=WithdrawProposalForm(),
    ), status


@bp.route("/materials/<int:material_id>/proposals/<int:proposal_id>")
@login_required
def show(material_id: int, proposal_id: int) -> tuple[str, int]:
    """The review page: the diff from the base, whether it still applies, the thread."""
    return _render(service.get(current_user, material_id, proposal_id))


@bp.route("/materials/<int:material_id>/proposals/<int:proposal_id>/accept",
          methods=["POST"])
@markdown_request()
@login_required
def accept(material_id: int, proposal_id: int) -> Response | tuple[str, int]:
    """Accept: the save path of any edit; a conflict shows the resolution page (409)."""
    proposal = service.get(current_user, material_id, proposal_id)
    resolving = ResolveForm()
    resolved = None
    if resolving.base_version_id.data:
        base_id = parse_id(resolving.base_version_id.data)
        if not resolving.validate_on_submit() or base_id is None:
            return _render_resolve(proposal, resolving, None, 400)
        resolved = (base_id, resolving.title.data or "",
                    resolving.description.data or "", resolving.body.data or "")
    elif not AcceptForm().validate_on_submit():
        return redirect(_page(material_id, proposal_id))
    try:
        result = service.accept(current_user, material_id, proposal_id, resolved)
    except materials.VersionConflict as error:
        return _render_resolve(proposal, None, error.details, 409)
    except InvalidFields as error:
        form = resolving if resolved else ResolveForm(formdata=None)
        for name, message in error.errors.items():
            getattr(form, name, form.title).errors.append(message)
        return _render_resolve(proposal, form, None, 400)
    flash(_("You accepted the proposal; the proposer will hear of it."), "success")
    return after_save(proposal.material, True, result.merged)


def _render_resolve(proposal: ChangeProposal, form: ResolveForm | None,
                    conflict: materials.ConflictDetails | None, status: int
                    ) -> tuple[str, int]:
    """The editor holds the current head's text; the proposal's text stays beside it (as
    the edit page does with one's own): the author settles it, no markers are stored."""
    head = proposal.material.latest_version
    if form is None:
        form = ResolveForm(formdata=None)
        form.base_version_id.data = str(head.id)
        form.title.data, form.description.data, form.body.data = (
            head.title, head.description, head.body)
    return render_template("proposals/resolve.html", proposal=proposal,
                           material=proposal.material, form=form, head=head,
                           conflict=conflict), status


@bp.route("/materials/<int:material_id>/proposals/<int:proposal_id>/decline",
          methods=["POST"])
@login_required
def decline(material_id: int, proposal_id: int) -> Response | tuple[str, int]:
    proposal = service.get(current_user, material_id, proposal_id)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            service.decline(current_user, material_id, proposal_id, form.reason.data or "")
        except ValidationError as error:
            _show_errors(form, error)
        else:
            flash(_("You declined the proposal; the proposer will read your reason."),
                  "success")
            return redirect(_page(material_id, proposal_id))
    return _render(proposal, decline_form=form, status=400)


@bp.route("/materials/<int:material_id>/proposals/<int:proposal_id>/comment",
          methods=["POST"])
@login_required
def comment(material_id: int, proposal_id: int) -> Response | tuple[str, int]:
    proposal = service.get(current_user, material_id, proposal_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            service.comment(current_user, material_id, proposal_id, form.body.data or "")
        except ValidationError as error:
            form.body.errors.append(error.message)
        else:
            return redirect(_page(material_id, proposal_id) + "#thread-title")
    return _render(proposal, comment_form=form, status=400)


@bp.route("/materials/<int:material_id>/proposals/<int:proposal_id>/withdraw",
          methods=["POST"])
@login_required
def withdraw(material_id: int, proposal_id: int) -> Response:
    if WithdrawProposalForm().validate_on_submit():
        service.withdraw(current_user, material_id, proposal_id)
        flash(_("You withdrew your proposal."), "success")
    return redirect(_page(material_id, proposal_id))
