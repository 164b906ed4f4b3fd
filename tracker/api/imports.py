"""/api/v1/imports: upload historical distribution (CSV, xlsx), the template, the export."""

from __future__ import annotations

from datetime import date

from flask import Response, current_app, request, stream_with_context
from flask.views import MethodView

from tracker.api.common import SQLPage, actor, make_blueprint
from tracker.dates import today
from tracker.schemas.imports import (
    ExportQuery,
    ImportBatchOut,
    ImportFileIn,
    ImportFormIn,
    ImportResultOut,
    LangQuery,
)
from tracker.services import import_files, imports
from tracker.services.exports import XLSX

blp = make_blueprint("imports", __name__, "/imports", "Import historical distribution.", files=True)
CSV = "text/csv; charset=utf-8"


@blp.url_value_preprocessor
def _allow_large_uploads(endpoint: str | None, values: dict | None) -> None:
    """Import files are larger than the app's default request limit.

    Set before any before_request hook (tracker.inputs) reads the form.
    """
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@blp.route("")
class Imports(MethodView):
    @blp.response(200, ImportBatchOut(many=True))
    @blp.paginate(SQLPage)
    def get(self):
        """Import batches, newest first (admins see all, coordinators their own)."""
        return imports.list_batches(actor())

    @blp.arguments(ImportFileIn, location="files")
    @blp.arguments(ImportFormIn, location="form")
    @blp.response(201, ImportResultOut)
    @blp.alt_response(
        200, schema=ImportResultOut, description="A dry run, or a file already imported."
    )
    @blp.alt_response(409, description="Not the file that was checked, or an edited file.")
    def post(self, files, form):
        """Import a file (multipart field `file`); `dry_run=true` checks and reports only.

        Send the file again with `expected_sha256` (the dry run's `file_hash`) to import
        exactly the file that was checked; nothing is kept on the server in between.
        """
        upload = files["file"]
        result = imports.import_file(
            actor(),
            upload.stream,
            upload.filename or "upload",
            dry_run=form["dry_run"],
            expected_sha256=form.get("expected_sha256"),
        )
        return result, 200 if result.dry_run or result.already_imported else 201


@blp.route("/template.csv")
@blp.arguments(LangQuery, location="query")
@blp.response(200, description="The import template as CSV.")
def template_csv(args):
    """The import template as CSV (nb: ';' and Norwegian headings; en: ',')."""
    imports.require_importer(actor())  # templates are for those who may import
    return Response(
        import_files.template_csv(args["lang"]),
        mimetype=CSV,
        headers=_attachment(f"importmal-{args['lang']}.csv"),
    )


@blp.route("/template.xlsx")
@blp.arguments(LangQuery, location="query")
@blp.response(200, description="The import template as an Excel workbook.")
def template_xlsx(args):
    """The import template as an Excel workbook, with a sheet explaining the columns."""
    imports.require_importer(actor())  # templates are for those who may import
    return Response(
        import_files.template_xlsx(args["lang"]),
        mimetype=XLSX,
        headers=_attachment(f"importmal-{args['lang']}.xlsx"),
    )


@blp.route("/export.csv")
@blp.arguments(ExportQuery, location="query")
@blp.response(200, description="Distribution in the import format.")
def export_csv(args):
    """Distribution of a period in the import format (sites you coordinate), streamed."""
    date_from = args.get("date_from") or date(2000, 1, 1)
    date_to = args.get("date_to") or today()
    chunks = import_files.export_csv(
        actor(),
        lang=args["lang"],
        date_from=date_from,
        date_to=date_to,
        site=args.get("site"),
        municipality=args.get("municipality"),
    )
    name = f"utdeling-{date_from.isoformat()}-{date_to.isoformat()}.csv"
    return Response(stream_with_context(chunks), mimetype=CSV, headers=_attachment(name))
