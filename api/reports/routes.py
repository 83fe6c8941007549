"""The programme's outcome figures for coordinators, as JSON or as a CSV download."""

from flask import Response, request
from flask.views import MethodView
from marshmallow import RAISE

from api.database import db_session
from api.etags import ETAG_HEADER
from api.extensions import Blueprint, current_user
from api.reports.schemas import OutcomeQueryArgsSchema, OutcomeReportSchema
from youthapp.access import COORDINATOR, LEAD
from youthapp.clock import utcnow
from youthapp.services import reports

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/v1/reports",
    description="Programme outcome figures, small numbers suppressed (coordinators)",
)

JSON, CSV = "application/json", "text/csv"
_CSV_BODY = {
    "schema": {
        "type": "string",
        "description": "The same figures, one row each: `figure,breakdown,value`; a "
        "suppressed value is `[c]`, a rate or median with nothing to measure `[z]`",
    }
}


@blp.route("/outcomes")
class Outcomes(MethodView):
    @blp.roles_required(COORDINATOR, LEAD)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.arguments(OutcomeQueryArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, OutcomeReportSchema, headers=ETAG_HEADER)
    @blp.doc(responses={200: {"content": {CSV: _CSV_BODY}}})
    @blp.alt_response(304, description="Not modified")
    def get(self, query):
        """Outcome figures over a period (default the last 90 days) for your teams, or one
        of them; a lead's for the whole programme or any team. Counts of 1 to 4 are
        suppressed, within each team and across teams. CSV with `?format=csv` or
        `Accept: text/csv`."""
        export_format = query.get("format") or _format_asked_for()
        report = reports.outcomes(
            db_session(),
            current_user(),
            since=query.get("since"),
            until=query.get("until"),
            team_id=query.get("team_id"),
            now=utcnow(),
            export_format=export_format,
        )
        if export_format == "csv":
            return _csv_download(report)
        return report, {"Vary": "Accept"}


def _format_asked_for() -> str:
    best = request.accept_mimetypes.best_match((JSON, CSV), default=JSON)
    return "csv" if best == CSV else "json"


def _csv_download(report: reports.OutcomeReport) -> Response:
    response = Response(
        reports.as_csv(report),
        mimetype=CSV,
        headers={
            "Content-Disposition": 'attachment; filename="outcomes.csv"',
            "Vary": "Accept",
        },
    )
    response.add_etag()
    return response.make_conditional(request)
