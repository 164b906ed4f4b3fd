"""Import pages (/import): upload, a dry-run preview with every row problem, confirm, batches.

Nothing waits on this host's disk between the check and the confirmation (DESIGN.md,
invariant 13): the check page carries a signed token with the file's SHA-256, who checked it
and when, and the confirmation sends the file again; the service refuses a different file.
"""

from __future__ import annotations

from datetime import date

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
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional, Regexp

from tracker.dates import today
from tracker.errors import DomainError, ValidationError
from tracker.services import import_files, imports
from tracker.services.exports import XLSX
from tracker.web.common import current_actor

bp = Blueprint("web_imports", __name__, url_prefix="/import")
FILE_TYPES = FileAllowed(["csv", "xlsx", "txt"], _l("Bare CSV eller xlsx."))
ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(FlaskForm):
    file = FileField(_l("Fil (CSV eller Excel)"), validators=[FileRequired(), FILE_TYPES])


class ConfirmForm(FlaskForm):
    """The confirmation: the signed check token and the same file, selected again."""

    check = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_.\-]+$")])
    file = FileField(
        _l("Velg den samme filen en gang til"), validators=[FileRequired(), FILE_TYPES]
    )


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


def _checks() -> URLSafeTimedSerializer:
    """Signs check tokens with the app's SECRET_KEY, which every host shares."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="import-check")


def _check_token(file_hash: str, user_id: int) -> str:
    """What the check found: the file's SHA-256 and who checked it (the time is signed in)."""
    return _checks().dumps({"sha256": file_hash, "user": user_id})


def _checked_hash(token: str, user_id: int) -> str | None:
    """The SHA-256 a valid, fresh check token of this user names; flashes why not otherwise."""
    try:
        data = _checks().loads(token, max_age=current_app.config["IMPORT_CHECK_MAX_AGE"])
    except SignatureExpired:
        flash(_("Kontrollen er for gammel. Kontroller filen på nytt før du importerer."), "error")
        return None
    except BadSignature:
        data = None
    if not isinstance(data, dict) or data.get("user") != user_id or "sha256" not in data:
        flash(_("Fant ikke kontrollen av filen. Kontroller filen på nytt."), "error")
        return None
    return str(data["sha256"])


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
        accept=ACCEPT,
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
    """Dry-run the file: every row problem, or what would be imported and a confirm form."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(form), 400
    upload = form.file.data
    actor = current_actor()
    try:
        result = imports.import_file(actor, upload.stream, upload.filename, dry_run=True)
    except ValidationError as exc:  # the file itself: unreadable, too large, hostile
        flash(_("Importen ble avvist: %(detail)s", detail=exc.detail), "error")
        return _page(UploadForm(formdata=None)), exc.status
    confirm = None
    if result.ok and not result.already_imported:
        confirm = ConfirmForm(formdata=None, check=_check_token(result.file_hash, actor.user_id))
    return _page(UploadForm(formdata=None), result=result, confirm=confirm), (
        200 if result.ok else 422
    )


@bp.post("/bekreft")
@login_required
def confirm():
    """Import the file checked a moment ago, sent again; a different file is refused."""
    actor = current_actor()
    imports.require_importer(actor)  # refuse before reading the file
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Velg den samme filen som ble kontrollert, og bekreft på nytt."), "error")
        return redirect(url_for(".index"))
    expected = _checked_hash(form.check.data, actor.user_id)
    if expected is None:
        return redirect(url_for(".index"))
    upload = form.file.data
    try:
        result = imports.import_file(
            actor, upload.stream, upload.filename, expected_sha256=expected
        )
    except imports.ImportFileChanged:
        flash(
            _(
                "Filen du valgte er ikke den samme som ble kontrollert. Ingenting ble "
                "importert. Kontroller filen du vil importere."
            ),
            "error",
        )
        return redirect(url_for(".index"))
    except DomainError as exc:
        if exc.status == 403:
            raise
        flash(_("Importen ble avvist: %(detail)s", detail=exc.detail), "error")
        return redirect(url_for(".index"))
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
