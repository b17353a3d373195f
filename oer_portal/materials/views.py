"""Material pages: read, write, history, diff, revert, submit, withdraw, files."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from oer_portal.accounts.policy import require as require_permission
from oer_portal.core.errors import DomainError, InvalidUpload, StorageFull, ValidationError
from oer_portal.core.markdown import render_markdown, with_scroll_boxes, without_refused_images
from oer_portal.core.markdown_limits import describe, markdown_request, source_problem
from oer_portal.core.numbers import parse_id, query_number
from oer_portal.core.page_cache import PageView, public_page
from oer_portal.core.storage import file_store
from oer_portal.extensions import limiter
from oer_portal.licences import registry
from oer_portal.materials import lifecycle, panels, policy, queries, service, usage
from oer_portal.materials.attachments import (
    AttachmentRef,
    Upload,
    hold,
    redeem,
    store_upload,
)
from oer_portal.materials.compare import compare_versions
from oer_portal.materials.derivation import THUMBNAIL_NAME
from oer_portal.materials.forms import (
    DeleteDraftForm,
    MaterialForm,
    WithdrawForm,
    fields_from,
    fill_form,
    fill_new,
    set_choices,
    show_errors,
)
from oer_portal.materials.metadata import (
    VersionFields,
    vocabularies,
)
from oer_portal.materials.models import (
    Material,
    MaterialKind,
    MaterialVersion,
    VersionAttachment,
)
from oer_portal.materials.uploads.allowlist import kind_of
from oer_portal.materials.web import PageLinks, after_save, material_url

bp = Blueprint("materials", __name__)

#: Attachments are never rendered by the browser as a page of ours.
FILE_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
INLINE_CATEGORIES = {"image"}


@bp.app_context_processor
def _helpers() -> dict[str, object]:
    return {"material_url": material_url, "licences": registry, "material_policy": policy,
            "file_kind": kind_of}


@bp.app_template_filter("lesson_html")
def _lesson_html(rendered: str) -> Markup:
    """Sanitised lesson HTML as a page shows it: code and tables in boxes that scroll, and
    no image that loads a page of ours (stored HTML from before that rule included)."""
    return with_scroll_boxes(without_refused_images(str(rendered)), _("Table"))


#: More held files than any honest form carries are ignored (each costs a lookup).
MAX_HELD_FILES = 50


def _kept_attachments(form: MaterialForm, version: MaterialVersion | None
                      ) -> list[AttachmentRef]:
    """The base version's attachments the user left ticked."""
    keep = set(form.keep_attachments.data or ())
    return [AttachmentRef(a.sha256, a.filename) for a in (version.attachments if version
                                                            else []) if a.id in keep]


def _carried_files(form: MaterialForm) -> list[AttachmentRef]:
    """The files this attempt brings: those held from an attempt that came back (each claim
    redeemed for this user) and the new uploads, stored at once, so that they survive if
    the form comes back again (``_hold_files``).  A refusal goes to the files field; the
    caller then saves nothing.  Called after validation, which would clear those errors."""
    refs: list[AttachmentRef] = []
    for claim in list(dict.fromkeys(form.held_files.data or ()))[:MAX_HELD_FILES]:
        try:
            refs.append(redeem(current_user.id, claim))
        except InvalidUpload as error:
            form.files.errors.append(error.message)
    for upload in request.files.getlist(form.files.name):
        if upload and upload.filename:
            try:
                refs.append(store_upload(Upload(upload.stream, upload.filename)))
            except (InvalidUpload, StorageFull) as error:
                form.files.errors.append(error.message)
    return list(dict.fromkeys(refs))


def _hold_files(form: MaterialForm, refs: list[AttachmentRef]) -> None:
    """Show ``refs`` as already attached in the form that comes back, ticked, each carried
    as a fresh claim for this user."""
    claims = [(hold(current_user.id, ref), ref.filename) for ref in refs]
    form.held_files.choices = claims
    form.held_files.data = [claim for claim, _name in claims]


@bp.route("/materials/new")
@login_required
def choose_kind() -> str:
    require_permission(policy.can_create(current_user))
    return render_template("materials/choose_kind.html")


@bp.route("/materials/new/<any(lesson, file, link):kind>", methods=["GET", "POST"])
@markdown_request(files=True)
@login_required
def create(kind: str) -> str | Response:
    """Write a new lesson, upload a file, or add a link."""
    require_permission(policy.can_create(current_user))
    form = MaterialForm()
    set_choices(form, None)
    if request.method == "GET":
        fill_new(form)
    preview = None
    valid = form.validate_on_submit()
    carried = _carried_files(form) if form.is_submitted() else []
    if valid and not form.files.errors:
        if form.preview.data:
            preview = render_markdown(form.body.data or "")
        else:
            try:
                material = service.create_material(
                    current_user, MaterialKind(kind), fields_from(form, None), carried,
                    summary=form.summary.data or "")
                submitting = bool(form.save_and_submit.data)
                if submitting:
                    lifecycle.submit_for_review(current_user, material)
                return after_save(material, submitting)
            except (ValidationError, StorageFull) as error:
                show_errors(form, error)
    _hold_files(form, carried)
    return render_template("materials/edit.html", form=form, kind=kind, material=None,
                           preview=preview)


@bp.route("/materials/<int:material_id>")
@bp.route("/materials/<int:material_id>-<slug>")
def show(material_id: int, slug: str | None = None) -> Response | tuple[str, int]:
    return public_page(("materials.show", material_id, slug),
                       lambda: _show(material_id, slug), served=_count_view)


def _show(material_id: int, slug: str | None) -> PageView:
    material = queries.material_for(current_user, material_id)
    if slug != material.slug:
        return PageView.redirect_to(material_url(material))
    version = queries.displayed_version(current_user, material)
    if version is None:
        return PageView("materials/tombstone.html", {"material": material}, 410)
    return _version_page(material, version, permalink=False)


@bp.route("/materials/<int:material_id>/v/<int:number>")
def show_version(material_id: int, number: int) -> Response | tuple[str, int]:
    """The permanent address of one version."""
    def work() -> PageView:
        material = queries.material_for(current_user, material_id)
        version = queries.version_for(current_user, material, number)
        return _version_page(material, version, permalink=True)

    return public_page(("materials.show_version", material_id, number), work,
                       served=_count_view)


def _count_view(page: PageView) -> None:
    """A view of the version the public sees now counts (``usage``), kept page or not."""
    material, version = page.context.get("material"), page.context.get("version")
    if version is not None and version.id == material.published_version_id:
        usage.used(current_user, material, usage.Use.VIEW)


def _version_page(material: Material, version: MaterialVersion, permalink: bool) -> PageView:
    """The page of one version: the material's own parts, then the panels other features
    registered (``panels.py``), which this module cannot import."""
    show_status = policy.can_see_unpublished(current_user, material)
    head = None
    pending = None
    if show_status:
        pending = lifecycle.pending_review(material.id)
        if material.latest_version_id != version.id:
            head = queries.version_alone(material.latest_version_id)
    locale = str(get_locale())
    return PageView("materials/show.html", dict(
        material=material, version=version, permalink=permalink,
        fields=VersionFields.of(version), body=Markup(version.body_html),  # noqa: S704 (sanitised)  # nosec B704
        vocab=vocabularies(), locale=locale, head=head, pending=pending,
        rejection=queries.latest_rejection(material.id) if show_status else None,
        can_edit=policy.can_edit(current_user, material),
        can_withdraw=policy.can_withdraw(current_user, material), show_status=show_status,
        co_authors=service.co_authors(material),
        can_manage_authors=policy.can_manage_authors(current_user, material),
        panels=panels.collect(panels.MaterialPage(current_user, material, version, permalink,
                                                  PageLinks(), locale))))


@bp.route("/materials/<int:material_id>/edit", methods=["GET", "POST"])
@markdown_request(files=True)
@login_required
def edit(material_id: int) -> str | Response:
    """Edit: a new version starting from the head; a stale save is merged or shown as a
    conflict, never overwritten."""
    material = queries.material_for(current_user, material_id)
    require_permission(policy.can_edit(current_user, material))
    if material.kind == MaterialKind.ARRANGEMENT:
        return redirect(url_for("arrangements.edit", material_id=material.id), 307)
    head = material.latest_version
    form = MaterialForm()
    base = head
    if request.method == "POST" and form.base_version_id.data:
        base = _version_of(material, form.base_version_id.data)
    set_choices(form, base, material)
    if request.method == "GET":
        fill_form(form, head)
    preview = conflict = None
    valid = form.validate_on_submit()
    carried = _carried_files(form) if form.is_submitted() else []
    if valid and not form.files.errors:
        if form.preview.data:
            preview = render_markdown(form.body.data or "")
        else:
            try:
                result = service.save_version(current_user, material.id, base.id,
                                              fields_from(form, base),
                                              _kept_attachments(form, base) + carried,
                                              form.summary.data or "")
                submitting = bool(form.save_and_submit.data)
                if submitting:
                    lifecycle.submit_for_review(current_user, material)
                return after_save(material, submitting, result.merged)
            except service.VersionConflict as error:
                conflict = error.details
                _show_conflict(form, conflict, material)
            except (ValidationError, StorageFull) as error:
                show_errors(form, error)
    # A conflict answers 409 and rolls back, so files new to the store are not kept; the
    # page says to add them again.
    _hold_files(form, [] if conflict else carried)
    return render_template("materials/edit.html", form=form, kind=material.kind,
                           material=material, preview=preview, conflict=conflict), \
        409 if conflict else 200


def _version_of(material: Material, raw_id: str) -> MaterialVersion:
    found = parse_id(raw_id)
    version = queries.own_version(material, found) if found is not None else None
    if version is None:
        # 400 with the reason (a hand-made form, or a number no version can have).
        raise DomainError(_("This edit started from an unknown version."))
    return version


def _show_conflict(form: MaterialForm, conflict: service.ConflictDetails,
                   material: Material) -> None:
    """The editor now holds the current text (the new base); the user's text stays beside."""
    head = conflict.head
    set_choices(form, head, material)
    form.base_version_id.data = str(head.id)
    form.body.raw_data = None
    form.body.data = head.body
    form.keep_attachments.data = [a.id for a in head.attachments]


@bp.route("/materials/<int:material_id>/authors", methods=["POST"])
@login_required
def authors(material_id: int) -> Response:
    """Add a co-author by e-mail address, or remove one."""
    material = queries.material_for(current_user, material_id)
    try:
        remove = parse_id(request.form.get("remove"))
        if remove:
            service.remove_co_author(current_user, material.id, remove)
            flash(_("Co-author removed."), "success")
        else:
            user = service.add_co_author(current_user, material.id, request.form.get("email", ""))
            flash(_("%(name)s can now edit this material too.", name=user.display_name),
                  "success")
    except ValidationError as error:
        flash(error.message, "error")
    return redirect(material_url(material))


@bp.route("/materials/<int:material_id>/history")
def history(material_id: int) -> str | tuple[str, int]:
    material = queries.material_for(current_user, material_id)
    if queries.displayed_version(current_user, material) is None:
        # Taken down: the history is the same tombstone as the page (410), not an empty list.
        return render_template("materials/tombstone.html", material=material), 410
    page = max(query_number("page", 1) or 1, 1)
    versions, has_next = queries.history(current_user, material, page)
    show_status = policy.can_see_unpublished(current_user, material)
    return render_template(
        "materials/history.html", material=material, versions=versions, page=page,
        has_next=has_next,
        states=queries.review_states(material.id) if show_status else {},
        can_edit=policy.can_edit(current_user, material), show_status=show_status)


@bp.route("/materials/<int:material_id>/diff")
def diff(material_id: int) -> str:
    """Compare any two versions the visitor may see: body word by word, metadata field by
    field, attachments added and removed."""
    material = queries.material_for(current_user, material_id)
    old_number = query_number("from")
    new_number = query_number("to")
    if not old_number or not new_number:
        abort(400)
    comparison = compare_versions(current_user,
                                  service.version_by_number(material.id, old_number),
                                  service.version_by_number(material.id, new_number))
    mode = "inline" if request.args.get("view") == "inline" else "side"
    return render_template("materials/diff.html", material=material, comparison=comparison,
                           mode=mode)


@bp.route("/materials/<int:material_id>/revert/<int:number>", methods=["POST"])
@login_required
def revert(material_id: int, number: int) -> Response:
    material = queries.material_for(current_user, material_id)
    base_id = parse_id(request.form.get("base_version_id"))
    try:
        result = service.revert(current_user, material.id, number, base_id or 0,
                                summary=_("Reverted to version %(number)d", number=number))
    except service.EditConflict:
        flash(_("Someone saved a newer version meanwhile. Look at the history again before "
                "reverting."), "error")
        return redirect(url_for("materials.history", material_id=material.id))
    flash(_("Version %(new)d restores version %(old)d. It is a draft until it is reviewed.",
            new=result.version.number, old=number), "success")
    if result.licence_not_restored:
        flash(_("Its licence %(old)s is no longer allowed by the original's licence, so the "
                "remix keeps %(licence)s.", old=registry.badge(result.licence_not_restored),
                licence=registry.badge(result.version.licence)), "info")
    return redirect(material_url(material))


@bp.route("/materials/<int:material_id>/submit", methods=["POST"])
@login_required
def submit(material_id: int) -> Response:
    material = queries.material_for(current_user, material_id)
    try:
        submitted = lifecycle.submit_for_review(current_user, material)
        if submitted.post_review:
            flash(_("Published at once: you are a trusted teacher. A moderator looks at it "
                    "afterwards."), "success")
        else:
            flash(_("Submitted for review. A moderator will look at it."), "success")
    except ValidationError as error:
        flash(error.message, "error")
    return redirect(material_url(material))


@bp.route("/materials/<int:material_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(material_id: int) -> str | Response:
    """Withdraw a published material (a tombstone says when and why), or delete a draft
    that was never published (it is simply gone)."""
    material = queries.material_for(current_user, material_id)
    require_permission(policy.can_withdraw(current_user, material))
    draft = material.published_version_id is None
    form = DeleteDraftForm() if draft else WithdrawForm()
    if form.validate_on_submit():
        lifecycle.withdraw(current_user, material, "" if draft else form.reason.data)
        if draft:
            flash(_("The draft has been deleted."), "success")
            return redirect(url_for("materials.dashboard"))
        flash(_("The material has been withdrawn."), "success")
        return redirect(material_url(material))
    return render_template("materials/withdraw.html", material=material, form=form,
                           draft=draft)


@bp.route("/materials/<int:material_id>/files/<int:attachment_id>/<path:filename>")
def download(material_id: int, attachment_id: int, filename: str) -> Response:
    """An attachment, only when its version is visible; never rendered as our page."""
    return _send_attachment(material_id,
                            queries.attachment_for(current_user, material_id, attachment_id))


@bp.route("/materials/<int:material_id>/attachments/<path:filename>")
def attachment_by_name(material_id: int, filename: str) -> Response:
    """The file of that name in the version the material page shows (``?v=N``: in version
    N): the address that stays the same from version to version, which a page's text
    links its files by (imported cartridges do)."""
    number = query_number("v")
    return _send_attachment(material_id, queries.attachment_named(
        current_user, material_id, filename, number))


def _send_attachment(material_id: int, attachment: VersionAttachment) -> Response:
    """The file's bytes as a download (images inline), counted as a download, with headers
    that keep the browser from treating it as a page of ours."""
    usage.used(current_user, queries.material_for(current_user, material_id), usage.Use.DOWNLOAD)
    stored = attachment.file
    inline = stored.category in INLINE_CATEGORIES
    response = send_file(file_store().path(stored.sha256), mimetype=stored.media_type,
                         as_attachment=not inline, download_name=attachment.filename,
                         conditional=True, max_age=0)
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@bp.route("/materials/<int:material_id>/files/<int:attachment_id>/thumbnail")
def thumbnail(material_id: int, attachment_id: int) -> Response:
    attachment = queries.attachment_for(current_user, material_id, attachment_id)
    if not attachment.file.has_thumbnail:
        abort(404)
    response = send_file(file_store().derived_path(attachment.sha256, THUMBNAIL_NAME),
                         mimetype="image/png", conditional=True, max_age=0)
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    return response


@bp.route("/materials/preview", methods=["POST"])
@markdown_request()
@login_required
@limiter.limit(lambda: current_app.config["PREVIEW_LIMIT"])
def preview() -> Response:
    """Server-side Markdown preview for the editor's live preview (same sanitiser as pages).
    The request is capped before its form is read, and the text checked before rendering:
    a text the editor would refuse to save is not rendered, its reason is shown instead."""
    require_permission(policy.can_create(current_user))
    body = request.form.get("body", "")
    problem = source_problem(body)
    if problem is not None:
        reason = Markup('<p class="preview-refused">%s</p>') % describe(problem)
        return Response(str(reason), status=422, mimetype="text/html")
    return Response(str(_lesson_html(render_markdown(body))), mimetype="text/html")


@bp.route("/my/materials")
@login_required
def dashboard() -> str:
    """A teacher's own materials: drafts, pending reviews, published."""
    return render_template("materials/dashboard.html",
                           rows=queries.owned_by(current_user),
                           can_create=policy.can_create(current_user),
                           panels=panels.dashboard(current_user))

