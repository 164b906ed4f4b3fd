"""Import pages (/import): upload, a dry-run preview with every row problem, confirm, batches."""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional, Regexp

from tracker.dates import today
from tracker.errors import DomainError
from tracker.services import import_files, imports
from tracker.services.exports import XLSX
from tracker.web.common import current_actor
from tracker.web.validators import NoNationalId

bp = Blueprint("web_imports", __name__, url_prefix="/import")
_HASH = re.compile(r"^[0-9a-f]{64}$")


class UploadForm(FlaskForm):
    file = FileField(
        _l("Fil (CSV eller Excel)"),
        validators=[
            FileRequired(),
            FileAllowed(["csv", "xlsx", "txt"], _l("Bare CSV eller xlsx.")),
        ],
    )


class ConfirmForm(FlaskForm):
    file_hash = HiddenField(validators=[DataRequired(), Regexp(_HASH.pattern)])
    filename = HiddenField(validators=[DataRequired(), NoNationalId()])
    kind = HiddenField(validators=[DataRequired(), Regexp(r"^(csv|xlsx)$")])


class ExportForm(FlaskForm):
    class Meta:
        csrf = False  # a GET download that changes nothing

    READ_ONLY = True  # stores nothing

    fra = DateField(_l("Fra"), validators=[DataRequired()])
    til = DateField(_l("Til"), validators=[DataRequired()])
    sted = StringField(_l("Stedkode (valgfritt)"), validators=[Optional()])
    kommune = StringField(_l("Kommunenummer (valgfritt)"), validators=[Optional()])
    sprak = SelectField(
        _l("Overskrifter"),
        choices=[SelectChoice("nb", "Norsk"), SelectChoice("en", "English")],
        default="nb",
    )


def _folder() -> Path:
    """Where an uploaded file waits between the dry run and the confirmation."""
    folder = Path(current_app.config["IMPORT_UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stashed(user_id: int, file_hash: str, kind: str) -> Path:
    return _folder() / f"{user_id}-{file_hash}.{kind}"


def _prune_stale() -> None:
    """Delete checked files nobody confirmed within a day (a closed tab leaves one behind)."""
    cutoff = time.time() - current_app.config["IMPORT_STASH_MAX_AGE"]
    for path in _folder().glob("*-*.*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another worker pruned it first
            continue


def _confirmed_stash() -> tuple[Path, str] | None:
    """The checked file the posted ConfirmForm names and its name, if it is still waiting."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return None
    path = _stashed(current_actor().user_id, form.file_hash.data, form.kind.data)
    return (path, form.filename.data[:255]) if path.exists() else None


def _number(value: int | None) -> str:
    """1 234, the Norwegian way (a non-breaking space between thousands)."""
    return "" if value is None else f"{value:,}".replace(",", "\u00a0")


def _page(upload: UploadForm, **extra: object) -> str:
    export = extra.pop("export", None) or ExportForm(
        formdata=None, fra=date(today().year, 1, 1), til=today(), sprak="nb"
    )
    return render_template(
        "imports/index.html",
        form=upload,
        export=export,
        batches=imports.recent_batches(current_actor()),
        number=_number,
        **extra,
    )


@bp.url_value_preprocessor
def _allow_large_uploads(endpoint: str | None, values: dict | None) -> None:
    """Set before any before_request hook (CSRF, tracker.inputs) reads the form."""
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]


@bp.get("")
@login_required
def index():
    """The upload form, the downloads and the import batches."""
    return _page(UploadForm())


@bp.post("")
@login_required
def check():
    """Store the file and dry-run it: every row problem, or what would be imported."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(form), 400
    upload = form.file.data
    head = upload.stream.read(4)
    upload.stream.seek(0)
    kind = "xlsx" if head.startswith(b"PK") else "csv"
    result = imports.import_file(current_actor(), upload.stream, upload.filename, dry_run=True)
    confirm = None
    if result.ok and not result.already_imported:
        _prune_stale()
        upload.stream.seek(0)
        upload.save(_stashed(current_actor().user_id, result.file_hash, kind))
        confirm = ConfirmForm(
            formdata=None, file_hash=result.file_hash, filename=upload.filename, kind=kind
        )
    return _page(UploadForm(formdata=None), result=result, confirm=confirm), (
        200 if result.ok else 422
    )


@bp.post("/bekreft")
@login_required
def confirm():
    """Import the file checked a moment ago."""
    imports.require_importer(current_actor())  # refuse before looking for the file
    stash = _confirmed_stash()
    if stash is None:
        flash(_("Fant ikke filen som ble kontrollert. Last den opp på nytt."), "error")
        return redirect(url_for(".index"))
    path, filename = stash
    try:
        with path.open("rb") as stream:
            result = imports.import_file(current_actor(), stream, filename)
    except DomainError as exc:
        if exc.status == 403:
            raise
        path.unlink(missing_ok=True)  # the same file would be refused again
        flash(_("Importen ble avvist: %(detail)s", detail=exc.detail), "error")
        return redirect(url_for(".index"))
    path.unlink(missing_ok=True)
    if result.already_imported:
        flash(_("Filen er importert før. Ingenting ble endret."), "info")
    else:
        flash(
            _(
                "Importerte %(rows)s rader (%(skipped)s var importert før).",
                rows=_number(result.imported),
                skipped=_number(result.skipped),
            ),
            "success",
        )
    return redirect(url_for(".index"))


@bp.post("/avbryt")
@login_required
def cancel():
    """Drop the checked file instead of importing it."""
    imports.require_importer(current_actor())
    stash = _confirmed_stash()
    if stash is not None:
        stash[0].unlink(missing_ok=True)
    flash(_("Importen ble avbrutt. Ingenting ble lagret."), "info")
    return redirect(url_for(".index"))


@bp.get("/mal.<kind>")
@login_required
def template(kind: str):
    """The import template, CSV or xlsx, Norwegian headings unless ?sprak=en."""
    imports.require_importer(current_actor())  # coordinators and admins
    lang = "en" if request.args.get("sprak") == "en" else "nb"
    if kind == "csv":
        body, mimetype = import_files.template_csv(lang), "text/csv"
    elif kind == "xlsx":
        body, mimetype = import_files.template_xlsx(lang), XLSX
    else:
        return Response(status=404)
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="importmal.{kind}"'},
    )


@bp.get("/eksport.csv")
@login_required
def export():
    """Distribution of a period in the import format."""
    form = ExportForm(request.args)
    if not form.validate():
        return _page(UploadForm(formdata=None), export=form), 400
    chunks = import_files.export_csv(
        current_actor(),
        lang=form.sprak.data,
        date_from=form.fra.data,
        date_to=form.til.data,
        site=form.sted.data or None,
        municipality=form.kommune.data or None,
    )
    name = f"utdeling-{form.fra.data.isoformat()}-{form.til.data.isoformat()}.csv"
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
