"""Liveness and readiness, for load balancers and operators; no authentication."""

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.errors import error_response
from api.extensions import Blueprint
from api.openapi import retry_after_header
from youthapp.migrations import is_up_to_date

blp = Blueprint("health", __name__, url_prefix="/", description="Is the service up and ready?")


class HealthSchema(Schema):
    status = fields.String(
        required=True,
        metadata={"example": "ok", "description": "ok, or degraded (see content)"},
    )
    content = fields.String(
        metadata={
            "description": "Only when the content cannot be served: why (which file and "
            "field). The rest of the service, urgent help included, works on"
        }
    )


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self):
        """The process is up."""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE", headers=retry_after_header())
    def get(self):
        """The database is reachable and fully migrated (and whether the content can be
        served)."""
        try:
            with current_app.extensions["youthapp"].engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                migrated = is_up_to_date(connection)
        except SQLAlchemyError:
            return error_response(503, "The database is unreachable.", headers={"Retry-After": "5"})
        if not migrated:
            return error_response(
                503,
                "The database is not migrated to the current version.",
                headers={"Retry-After": "30"},
            )
        problem = current_app.extensions["youthapp"].content_problem()
        if problem is not None:
            # Still ready: a broken article must not take urgent check-ins out of service.
            return {"status": "degraded", "content": problem}
        return {"status": "ok"}
