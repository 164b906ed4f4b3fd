"""Submissions under /rapporter/innsendinger: list, detail, download, submit and reopen."""

from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from tracker.errors import DomainError
from tracker.services import exports, submissions
from tracker.web.common import current_actor
from tracker.web.validators import NoNationalId

bp = Blueprint("web_submissions", __name__, url_prefix="/rapporter/innsendinger")


class SubmitForm(FlaskForm):
    """The report page's "Send inn / lås perioden": the period and filters it shows."""

    fra = DateField(_l("Fra"), validators=[DataRequired()])
    til = DateField(_l("Til"), validators=[DataRequired()])
    sted = HiddenField(validators=[Optional(), Regexp(r"^[A-Za-z0-9][A-Za-z0-9_\-]{1,31}$")])
    kommune = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{4}$")])
    merknad = TextAreaField(
        _l("Merknad til innsendingen"), validators=[Optional(), Length(max=2000), NoNationalId()]
    )
    ekstern = BooleanField(_l("Til ekstern bruk (skjul små tall om personer)"), default=True)
    sprak = SelectField(
        _l("Språk i regnearket"),
        choices=[SelectChoice("nb", "Norsk bokmål"), SelectChoice("en", "English")],
        default="nb",
    )


class ReopenForm(FlaskForm):
    grunn = TextAreaField(
        _l("Hvorfor gjenåpnes perioden?"),
        validators=[DataRequired(), Length(max=2000), NoNationalId()],
    )


@bp.get("/")
@login_required
def index():
    """Every submission the user may see, newest first."""
    site = request.args.get("sted") or None
    rows = submissions.list_submissions(current_actor(), site=site)
    return render_template("submissions/index.html", rows=rows)


@bp.post("/")
@login_required
def create():
    """Submit the period the report page showed; then show the kept submission."""
    form = SubmitForm()
    if not form.validate_on_submit():
        flash(_("Innsendingen mangler periode eller har ugyldige felt."), "error")
        return redirect(url_for("web_reports.index")), 303
    try:
        sub = submissions.submit(
            current_actor(),
            date_from=form.fra.data,
            date_to=form.til.data,
            sites=[form.sted.data] if form.sted.data else [],
            municipality=form.kommune.data or None,
            note=form.merknad.data or None,
            external=bool(form.ekstern.data),
            lang=form.sprak.data or "nb",
        )
    except DomainError as exc:
        if exc.status == 403:
            raise
        flash(exc.detail, "error")
        return redirect(request.referrer or url_for("web_reports.index")), 303
    flash(_("Innsending %(id)s er lagret, og perioden er låst.", id=sub.id), "success")
    return redirect(url_for("web_submissions.detail", submission_id=sub.id)), 303


@bp.get("/<int:submission_id>")
@login_required
def detail(submission_id: int):
    actor = current_actor()
    sub = submissions.get_submission(actor, submission_id)
    return render_template(
        "submissions/detail.html",
        sub=sub,
        form=ReopenForm(),
        may_reopen=sub.reopened_at is None and submissions.may_reopen(actor, sub),
    )


@bp.post("/<int:submission_id>/gjenapne")
@login_required
def reopen(submission_id: int):
    """Reopen with a reason; the page shows why if it cannot be done."""
    actor = current_actor()
    form = ReopenForm()
    if not form.validate_on_submit():
        sub = submissions.get_submission(actor, submission_id)
        page = render_template("submissions/detail.html", sub=sub, form=form, may_reopen=True)
        return page, 422
    try:
        submissions.reopen(actor, submission_id, reason=form.grunn.data)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.detail, "error")
        return redirect(url_for("web_submissions.detail", submission_id=submission_id)), 303
    flash(_("Perioden er gjenåpnet."), "success")
    return redirect(url_for("web_submissions.detail", submission_id=submission_id)), 303


@bp.get("/<int:submission_id>/sammendrag.xlsx")
@login_required
def download(submission_id: int):
    """The workbook exactly as it was submitted."""
    kept = submissions.kept_workbook(current_actor(), submission_id)
    return send_file(
        io.BytesIO(kept.content),
        mimetype=exports.XLSX,
        as_attachment=True,
        download_name=kept.filename,
        max_age=0,
    )
