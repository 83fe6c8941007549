"""Sign in, token refresh, sign out, and the caller's own account and preferences."""

from flask.views import MethodView
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from api.auth.schemas import (
    AcceptedSchema,
    ActivationSchema,
    EndedSchema,
    LiveSignInSchema,
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
    client_platform,
    current_user,
    runtime,
)
from api.openapi import retry_after_header
from api.people.schemas import ContactPreferencesSchema
from api.tokens import token_pair
from api.views import Extended
from youthapp.access import YOUNG_PERSON
from youthapp.clock import utcnow
from youthapp.services import accounts, activation, auth, contact, lockdown, messages

LOST_PHONE_ANSWER = (
    "If the email and password are right, the account is now locked and its sign-ins have "
    "ended. Your coordinator will be in touch."
)

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
            platform=client_platform(),
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
            platform=client_platform(),
        )
        commit()
        return token_pair(issued)


@blp.route("/auth/lost-phone")
class LostPhone(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(202, AcceptedSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS", headers=retry_after_header())
    def post(self, credentials):
        """My phone is in the wrong hands: from any phone, with your email and password, your
        account is locked down (every sign-in ends, the phone stops getting messages, and
        your coordinator is asked to check on you). The answer is the same whatever the
        email and password."""
        lockdown.report_lost_phone(
            db_session(),
            runtime().hashing,
            runtime().login_policy,
            email=credentials["email"],
            password=credentials["password"],
            client_address=client_address(),
            now=utcnow(),
        )
        commit()
        return {"status": "received", "message": LOST_PHONE_ANSWER}


@blp.route("/me/contact-preferences")
class MyContactPreferences(MethodView):
    @blp.roles_required(YOUNG_PERSON)
    @blp.response(200, ContactPreferencesSchema)
    def get(self):
        """When, how and where you are happy to be contacted."""
        return contact.of(current_user())

    @blp.roles_required(YOUNG_PERSON)
    @blp.arguments(ContactPreferencesSchema)
    @blp.response(200, ContactPreferencesSchema)
    def put(self, data):
        """Set them: `windows` (messages that can wait, wait for the next one; help and
        safety messages never wait), `channels`, and `no_go_boroughs` (staff do not book
        you there)."""
        preferences = contact.set_mine(db_session(), current_user(), data, now=utcnow())
        commit()
        return preferences


@blp.route("/me/sessions")
class MySignIns(MethodView):
    @blp.login_required
    @blp.response(200, LiveSignInSchema(many=True))
    def get(self):
        """Where you are signed in, most recently used first."""
        return auth.my_sign_ins(db_session(), current_user(), get_jwt()["sid"], now=utcnow())


@blp.route("/me/sessions/<uuid:session_id>")
class MySignIn(MethodView):
    @blp.login_required
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, session_id):
        """Sign out one of your sign-ins (this one too, if you choose it)."""
        auth.end_my_sign_in(db_session(), current_user(), session_id, now=utcnow())
        commit()


@blp.route("/me/sessions/end-others")
class EndOtherSignIns(MethodView):
    @blp.login_required
    @blp.response(200, EndedSchema)
    def post(self):
        """Sign out everywhere but here."""
        ended = auth.end_other_sign_ins(
            db_session(), current_user(), get_jwt()["sid"], now=utcnow()
        )
        commit()
        return {"ended": ended}


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
        """Your own account, with how many messages wait to be read."""
        user = current_user()
        return Extended(user, unread_messages=messages.unread_count(db_session(), user))


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
