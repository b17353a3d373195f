"""Written review pages: the reviews of a material (sorted, paginated), writing, editing and
deleting one's own, voting one helpful, reporting one, and a moderator hiding one.

Addresses live under the material (``/materials/<id>/reviews/...``): ``/reviews`` belongs to
the moderators' review requests.  Each view checks that the review belongs to the material
in its address, so a hand-made address finds nothing rather than another material's review.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from oer_portal.accounts import policy as account_policy
from oer_portal.community import policy, reviews
from oer_portal.community.forms import HideReviewForm, ReviewForm
from oer_portal.community.models import WrittenReview
from oer_portal.core.errors import Conflict, DomainError, NotFound, ValidationError
from oer_portal.core.numbers import query_number
from oer_portal.extensions import db, limiter
from oer_portal.materials.models import Material
from oer_portal.materials.web import material_url
from oer_portal.moderation.report_forms import ReportForm

bp = Blueprint("written_reviews", __name__)

#: Writing, voting and reporting share one moderate limit per account.
DEFAULT_REVIEW_LIMIT = "30 per minute"


def _limit() -> str:
    return str(current_app.config.get("REVIEW_LIMIT", DEFAULT_REVIEW_LIMIT))


def _per_user() -> str:
    return f"review-user:{current_user.get_user_id()}"


def _locale() -> str:
    return str(get_locale() or "nl")


def _title(material: Material) -> str:
    version = material.published_version
    return version.title if version is not None else ""


def _review_of(material_id: int, review_id: int) -> WrittenReview:
    review = db.session.get(WrittenReview, review_id)
    if review is None or review.material_id != material_id:
        raise NotFound()
    return review


@bp.route("/materials/<int:material_id>/reviews")
def index(material_id: int) -> str:
    """All reviews, newest or most helpful first (``?sort=helpful``), ten a page."""
    material = reviews.shown_material(current_user, material_id)
    page = max(query_number("page", 1) or 1, 1)
    found = reviews.review_page(current_user, material.id,
                                request.args.get("sort", reviews.Sort.NEWEST), page)
    return render_template("community/reviews.html", material=material, reviews=found,
                           title=_title(material), levels=reviews.level_labels(_locale()),
                           moderator=account_policy.is_moderator(current_user))


def _form(review: WrittenReview | None = None, stars: int | None = None) -> ReviewForm:
    form = ReviewForm() if request.method == "POST" else ReviewForm(
        formdata=None, obj=review, stars=stars)
    form.class_level.choices = [("", _("Choose a level")),
                                *reviews.level_labels(_locale()).items()]
    return form


def _input(form: ReviewForm) -> reviews.ReviewInput:
    return reviews.ReviewInput(stars=request.form.get("stars", ""), title=form.title.data or "",
                               body=form.body.data or "",
                               used_in_class=bool(form.used_in_class.data),
                               class_level=form.class_level.data or None)


def _show_errors(form: ReviewForm, error: ValidationError) -> None:
    errors = getattr(error, "errors", {"body": error.message})
    for name, message in errors.items():
        form[name].errors = [*form[name].errors, message]


def _render_form(material: Material, form: ReviewForm, heading: str,
                 review_id: int | None = None, refused: str | None = None,
                 status: int = 200) -> tuple[str, int]:
    return render_template("community/review_form.html", material=material, form=form,
                           heading=heading, title=_title(material), review_id=review_id,
                           refused=refused,
                           may_mark_used=policy.may_mark_used_in_class(current_user)), status


@bp.route("/materials/<int:material_id>/reviews/new", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit, key_func=_per_user, methods=["POST"])
def write(material_id: int) -> Response | tuple[str, int]:
    """The form for a new review; someone who already wrote one is sent to edit it."""
    material = reviews.reviewable_material(current_user, material_id)
    mine = reviews.own_review(current_user, material.id)
    if mine is not None:
        flash(_("You have already reviewed this material: you can edit your review."), "info")
        return redirect(url_for(".edit", material_id=material.id, review_id=mine.id), 303)
    form = _form(stars=reviews.own_stars(current_user, material.id))
    if request.method == "POST" and form.validate():
        try:
            reviews.write_review(current_user, material.id, _input(form))
            flash(_("Thank you for your review."), "success")
            return redirect(material_url(material), 303)
        except Conflict as error:
            return _render_form(material, form, _("Write a review"), refused=error.message,
                                status=409)
        except ValidationError as error:
            _show_errors(form, error)
    status = 400 if form.errors else 200
    return _render_form(material, form, _("Write a review"), status=status)


@bp.route("/materials/<int:material_id>/reviews/<int:review_id>/edit",
          methods=["GET", "POST"])
@login_required
@limiter.limit(_limit, key_func=_per_user, methods=["POST"])
def edit(material_id: int, review_id: int) -> Response | tuple[str, int]:
    """The author edits their review (anyone else: 403, or 404 if they cannot see it)."""
    review = reviews.authors_review(current_user, _review_of(material_id, review_id).id)
    material = reviews.reviewable_material(current_user, review.material_id)
    form = _form(review, reviews.own_stars(current_user, material.id))
    if request.method == "POST" and form.validate():
        try:
            reviews.edit_review(current_user, review.id, _input(form))
            flash(_("Your review is saved."), "success")
            return redirect(material_url(material), 303)
        except ValidationError as error:
            _show_errors(form, error)
    status = 400 if form.errors else 200
    return _render_form(material, form, _("Edit your review"), review.id, status=status)


@bp.route("/materials/<int:material_id>/reviews/<int:review_id>/delete", methods=["POST"])
@login_required
def delete(material_id: int, review_id: int) -> Response | tuple[Any, int]:
    """The author deletes their review (the CSRF check is the app's, as for every POST)."""
    material = reviews.delete_review(current_user, _review_of(material_id, review_id).id)
    flash(_("Your review is deleted. Your rating stays until you remove it."), "success")
    return redirect(material_url(material), 303)


@bp.route("/materials/<int:material_id>/reviews/<int:review_id>/helpful", methods=["POST"])
@login_required
@limiter.limit(_limit, key_func=_per_user)
def helpful(material_id: int, review_id: int) -> Response:
    review = _review_of(material_id, review_id)
    counted = reviews.vote_helpful(current_user, review.id)
    flash(_("Thank you: your vote is counted.") if counted
          else _("You had already found this review helpful."), "success")
    return redirect(request.referrer if _same_site(request.referrer)
                    else url_for(".index", material_id=material_id), 303)


def _same_site(address: str | None) -> bool:
    """Only go back to one of our own pages (never an address a referrer header names)."""
    return bool(address) and address.startswith(request.host_url)  # type: ignore[union-attr]


@bp.route("/materials/<int:material_id>/reviews/<int:review_id>")
def show(material_id: int, review_id: int) -> str:
    """One review: the address a report names; moderators hide it here."""
    row = reviews.review_for(current_user, _review_of(material_id, review_id).id)
    material = reviews.shown_material(current_user, material_id)
    moderator = account_policy.is_moderator(current_user)
    return render_template("community/review.html", material=material, row=row,
                           title=_title(material), levels=reviews.level_labels(_locale()),
                           hide_form=HideReviewForm() if moderator and not row.hidden
                           else None)


@bp.route("/materials/<int:material_id>/reviews/<int:review_id>/hide", methods=["POST"])
@login_required
def hide(material_id: int, review_id: int) -> Response | tuple[str, int]:
    review = _review_of(material_id, review_id)
    account_policy.require(account_policy.is_moderator(current_user))
    form = HideReviewForm()
    if form.validate_on_submit():
        try:
            reviews.hide_review(current_user, review.id, form.reason.data or "")
            flash(_("The review is hidden. Its author sees why."), "success")
            return redirect(url_for(".show", material_id=material_id, review_id=review.id),
                            303)
        except DomainError as error:
            form.reason.errors = [*form.reason.errors, error.message]
    material = reviews.shown_material(current_user, material_id)
    row = reviews.review_for(current_user, review.id)
    return render_template("community/review.html", material=material, row=row,
                           title=_title(material), levels=reviews.level_labels(_locale()),
                           hide_form=form), 400


@bp.route("/materials/<int:material_id>/reviews/<int:review_id>/report",
          methods=["GET", "POST"])
@login_required
@limiter.limit(_limit, key_func=_per_user, methods=["POST"])
def report(material_id: int, review_id: int) -> Response | tuple[str, int]:
    """Report the review to the moderators (a report on its material naming the review)."""
    review = _review_of(material_id, review_id)
    row = reviews.review_for(current_user, review.id)
    material = reviews.shown_material(current_user, material_id)
    if row.hidden:
        raise NotFound()
    form = ReportForm()
    refused = _("You cannot report your own review.") if row.own else None
    if not refused and form.validate_on_submit():
        address = url_for(".show", material_id=material_id, review_id=review.id,
                          _external=True)
        try:
            reviews.report_review(current_user, review.id, form.category.data or "",
                                  form.comment.data or "", address)
            flash(_("Thank you. The moderators will look at your report."), "success")
            return redirect(material_url(material), 303)
        except Conflict as error:
            refused = error.message
        except ValidationError as error:
            target = form.category if not form.category.data else form.comment
            target.errors = [*target.errors, error.message]
    status = 409 if refused and request.method == "POST" else 400 if form.errors else 200
    return render_template("community/report_review.html", material=material, row=row,
                           form=form, title=_title(material), refused=refused), status
