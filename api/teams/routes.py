"""Teams across London's boroughs (admins make them), who is in each, and who is on duty."""

from flask.views import MethodView

from api.database import commit, db_session
from api.extensions import Blueprint, current_user
from api.teams.schemas import (
    DutySchema,
    DutyUpdateSchema,
    TeamCreateSchema,
    TeamSchema,
    TeamUpdateSchema,
    UserTeamsSchema,
)
from api.users.schemas import UserSchema
from youthapp.access import ADMIN, COORDINATOR, LEAD
from youthapp.clock import utcnow
from youthapp.services import teams

blp = Blueprint("teams", __name__, url_prefix="/api/v1", description="Teams and duty")


@blp.route("/teams")
class Teams(MethodView):
    @blp.roles_required(ADMIN, COORDINATOR, LEAD)
    @blp.response(200, TeamSchema(many=True))
    def get(self):
        """Every team, with the boroughs it covers."""
        return teams.list_teams(db_session(), current_user())

    @blp.roles_required(ADMIN)
    @blp.idempotent
    @blp.arguments(TeamCreateSchema)
    @blp.response(201, TeamSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Make a team for some boroughs: it takes them, and their young people and
        referrals, from the default team (409 if another team holds one)."""
        team = teams.create_team(db_session(), current_user(), data, now=utcnow())
        commit()
        return team


@blp.route("/teams/<uuid:team_id>")
class TeamById(MethodView):
    @blp.roles_required(ADMIN)
    @blp.arguments(TeamUpdateSchema)
    @blp.response(200, TeamSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, team_id):
        """Rename a team or change its boroughs; a borough let go goes back to the default
        team, with its young people and referrals."""
        team = teams.update_team(db_session(), current_user(), team_id, changes, now=utcnow())
        commit()
        return team


@blp.route("/users/<uuid:user_id>/teams")
class UserTeams(MethodView):
    @blp.roles_required(ADMIN)
    @blp.arguments(UserTeamsSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def put(self, data, user_id):
        """Put a coordinator or mentor in exactly these teams."""
        user = teams.set_user_teams(
            db_session(), current_user(), user_id, data["team_ids"], now=utcnow()
        )
        commit()
        return user


@blp.route("/me/duty")
class MyDuty(MethodView):
    @blp.roles_required(COORDINATOR)
    @blp.arguments(DutyUpdateSchema)
    @blp.response(200, DutySchema)
    def put(self, data):
        """Go on or off duty: on duty, you take your teams' urgent alerts (while nobody in a
        team is on duty, all its coordinators do)."""
        user = teams.set_duty(db_session(), current_user(), data["on_duty"], now=utcnow())
        commit()
        return teams.duty_of(db_session(), user)
