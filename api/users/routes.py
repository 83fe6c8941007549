"""Staff accounts, managed by admins."""

from flask.views import MethodView

from api.database import commit, db_session
from api.extensions import Blueprint, current_user, runtime
from api.pagination import fetch_page
from api.users.schemas import UserCreateSchema, UserQueryArgsSchema, UserSchema, UserUpdateSchema
from youthapp.access import ADMIN
from youthapp.clock import utcnow
from youthapp.services import accounts

blp = Blueprint(
    "users", __name__, url_prefix="/api/v1/users", description="Staff accounts (admins)"
)


@blp.route("")
class Users(MethodView):
    @blp.roles_required(ADMIN)
    @blp.arguments(UserQueryArgsSchema, location="query")
    @blp.response(200, UserSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List staff accounts."""
        query = accounts.list_staff_users(current_user(), **filters)
        return fetch_page(query, pagination_parameters)

    @blp.roles_required(ADMIN)
    @blp.idempotent
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Create a staff account."""
        user = accounts.create_staff_user(
            db_session(),
            runtime().hashing,
            current_user(),
            data,
            default_timezone=runtime().settings.default_timezone,
            two_person=runtime().settings.admin_case_access == "two_person",
            now=utcnow(),
        )
        commit()
        return user


@blp.route("/<uuid:user_id>")
class UserById(MethodView):
    @blp.roles_required(ADMIN)
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One staff account."""
        return accounts.get_staff_user(db_session(), current_user(), user_id)

    @blp.roles_required(ADMIN)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, user_id):
        """Change a staff account; deactivating it ends its sessions at once."""
        user = accounts.update_staff_user(
            db_session(),
            runtime().hashing,
            current_user(),
            user_id,
            changes,
            utcnow(),
            two_person=runtime().settings.admin_case_access == "two_person",
        )
        commit()
        return user


@blp.route("/<uuid:user_id>/approve")
class ApproveUser(MethodView):
    @blp.roles_required(ADMIN)
    @blp.idempotent
    @blp.response(200, UserSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, user_id):
        """Approve an account another admin made or reset (ADMIN_CASE_ACCESS=two_person)."""
        user = accounts.approve_staff_user(db_session(), current_user(), user_id, now=utcnow())
        commit()
        return user
