"""Sign in, token refresh, sign out, and the caller's own account and preferences."""

from flask.views import MethodView
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from api.auth.schemas import (
    ActivationSchema,
    LoginSchema,
    MeSchema,
    PreferencesSchema,
    PreferencesUpdateSchema,
    TokenPairSchema,
)
from api.database import commit, db_session
from api.extensions import (
    BEARER_SECURITY,
    Blueprint,
    client_address,
    current_user,
    runtime,
)
from api.openapi import retry_after_header
from api.tokens import token_pair
from youthapp.clock import utcnow
from youthapp.services import accounts, activation, auth

blp = Blueprint(
    "auth", __name__, url_prefix="/api/v1", description="Sign-in, tokens, and your own account"
)


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS", headers=retry_after_header())
    def post(self, credentials):
        """Sign in with email and password."""
        issued = auth.login(
            db_session(),
            runtime().hashing,
            runtime().login_policy,
            email=credentials["email"],
            password=credentials["password"],
            client_address=client_address(),
            now=utcnow(),
            session_lifetime=runtime().session_lifetime,
        )
        commit()
        return token_pair(issued)


@blp.route("/auth/activate")
class Activate(MethodView):
    @blp.arguments(ActivationSchema)
    @blp.response(201, TokenPairSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(410, response="GONE")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS", headers=retry_after_header())
    def post(self, data):
        """A young person turns their activation code into an account, and is signed in."""
        issued = activation.activate(
            db_session(),
            runtime().hashing,
            runtime().login_policy,
            runtime().settings,
            activation_code=data["activation_code"],
            email=data["email"],
            password=data["password"],
            client_address=client_address(),
            now=utcnow(),
            session_lifetime=runtime().session_lifetime,
        )
        commit()
        return token_pair(issued)


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.doc(security=BEARER_SECURITY)
    def post(self):
        """Swap the refresh token (sent as the bearer token) for a new pair.

        The refresh token is spent by this call. Using one twice ends the whole sign-in.
        """
        verify_jwt_in_request(refresh=True)
        claims = get_jwt()
        issued = auth.rotate_refresh_token(
            db_session(),
            jti=claims["jti"],
            session_id=claims.get("sid"),
            now=utcnow(),
            lifetime=runtime().session_lifetime,
        )
        commit()
        return token_pair(issued)


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.login_required
    @blp.response(204)
    def post(self):
        """Sign out: this access token and every refresh token of its sign-in stop working."""
        auth.logout(db_session(), current_user(), get_jwt()["sid"], now=utcnow())
        commit()


@blp.route("/me")
class Me(MethodView):
    @blp.login_required
    @blp.response(200, MeSchema)
    def get(self):
        """Your own account."""
        return current_user()


@blp.route("/me/preferences")
class MyPreferences(MethodView):
    @blp.login_required
    @blp.response(200, PreferencesSchema)
    def get(self):
        """Your app preferences."""
        return current_user().preferences

    @blp.login_required
    @blp.arguments(PreferencesUpdateSchema)
    @blp.response(200, PreferencesSchema)
    def put(self, changes):
        """Change your preferences; any left out keep their current values."""
        user = accounts.update_preferences(db_session(), current_user(), changes)
        commit()
        return user.preferences
