"""Referrals: referrers submit and follow them; coordinators decide."""

from flask import jsonify
from flask.views import MethodView

from api.database import commit, db_session
from api.extensions import Blueprint, current_user, runtime
from api.pagination import fetch_page
from api.referrals.schemas import (
    DecisionSchema,
    EnrolmentSchema,
    ReferralCreateSchema,
    ReferralDetailSchema,
    ReferralQueryArgsSchema,
    ReferralSchema,
    ReferralStatusSchema,
)
from api.views import Extended, Redacted
from youthapp.access import COORDINATOR, REFERRER
from youthapp.clock import utcnow
from youthapp.models import Referral, User
from youthapp.services import referrals

blp = Blueprint(
    "referrals",
    __name__,
    url_prefix="/api/v1/referrals",
    description="Referrals into the programme",
)

_REFERRAL = ReferralSchema()


_STATUS_ONLY = ReferralStatusSchema()


def shown_to(actor: User, referral: Referral) -> Referral | Redacted:
    """A referrer follows only the status of their referral; a coordinator or lead reads it all."""
    return Redacted(referral, _STATUS_ONLY) if actor.role == REFERRER else referral


@blp.route("")
class Referrals(MethodView):
    @blp.roles_required(REFERRER)
    @blp.idempotent
    @blp.arguments(ReferralCreateSchema)
    @blp.response(201, ReferralStatusSchema)
    def post(self, data):
        """Refer a young person (their consent must have been obtained)."""
        referral = referrals.submit_referral(
            db_session(), current_user(), data, settings=runtime().settings, now=utcnow()
        )
        commit()
        return referral

    @blp.roles_required(REFERRER, COORDINATOR)
    @blp.arguments(ReferralQueryArgsSchema, location="query")
    @blp.response(200, ReferralSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Referrals: a referrer's own (status only), or all for coordinators; newest first."""
        actor = current_user()
        page = fetch_page(
            referrals.referrals_query(actor, **filters), pagination_parameters, audit_as="referral"
        )
        return [shown_to(actor, referral) for referral in page]


@blp.route("/<uuid:referral_id>")
class ReferralById(MethodView):
    @blp.roles_required(REFERRER, COORDINATOR)
    @blp.response(200, ReferralDetailSchema)
    def get(self, referral_id):
        """One referral: for coordinators with possible duplicates, for its referrer the
        status fields only."""
        actor = current_user()
        referral = referrals.get_referral(db_session(), actor, referral_id)
        if actor.role == REFERRER:
            return shown_to(actor, referral)
        return Extended(
            referral, possible_duplicates=referrals.possible_duplicates(db_session(), referral)
        )


@blp.route("/<uuid:referral_id>/withdraw")
class WithdrawReferral(MethodView):
    @blp.roles_required(REFERRER, COORDINATOR)
    @blp.idempotent
    @blp.response(200, ReferralStatusSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, referral_id):
        """Withdraw your referral while it is still submitted."""
        referral = referrals.withdraw_referral(
            db_session(), current_user(), referral_id, now=utcnow()
        )
        commit()
        return referral


@blp.route("/<uuid:referral_id>/decision")
class DecideReferral(MethodView):
    @blp.roles_required(REFERRER, COORDINATOR)
    @blp.idempotent
    @blp.arguments(DecisionSchema)
    @blp.response(201, EnrolmentSchema, description="Accepted: the young person is enrolled")
    @blp.alt_response(200, schema=ReferralSchema, description="Declined", success=True)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, decision, referral_id):
        """Accept (enrol, with an activation code) or decline a referral, once."""
        outcome = referrals.decide_referral(
            db_session(),
            current_user(),
            referral_id,
            decision=decision["decision"],
            consents=decision.get("consents"),
            link_to_young_person_id=decision.get("link_to_young_person_id"),
            reason=decision.get("reason"),
            settings=runtime().settings,
            now=utcnow(),
        )
        commit()
        if isinstance(outcome, Referral):
            return jsonify(_REFERRAL.dump(outcome))
        return {
            "young_person_id": outcome.young_person.id,
            "activation_code": outcome.activation_code,
            "activation_code_expires_at": outcome.young_person.activation_code_expires_at,
            "referral": outcome.referral,
        }
