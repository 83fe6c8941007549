"""Young people's records and mentor assignments, for coordinators and assigned mentors."""

from flask.views import MethodView

from api.database import commit, db_session
from api.extensions import Blueprint, current_user, runtime
from api.pagination import fetch_page
from api.people.schemas import (
    ActivationCodeSchema,
    AssignmentCreateSchema,
    AssignmentEndSchema,
    AssignmentSchema,
    ContactPreferencesSchema,
    ErasureResultSchema,
    ErasureSchema,
    HandoverSchema,
    LockdownResultSchema,
    LockdownSchema,
    StatusChangeSchema,
    YoungPersonQueryArgsSchema,
    YoungPersonSchema,
    YoungPersonUpdateSchema,
)
from api.views import Extended
from youthapp.access import COORDINATOR, MENTOR
from youthapp.clock import utcnow
from youthapp.services import (
    activation,
    auth,
    contact,
    handovers,
    lockdown,
    notifications,
    people,
    privacy,
)

blp = Blueprint(
    "young_people",
    __name__,
    url_prefix="/api/v1/young-people",
    description="Young people on the programme, and their mentors",
)


@blp.route("")
class YoungPeople(MethodView):
    @blp.roles_required(COORDINATOR, MENTOR)
    @blp.arguments(YoungPersonQueryArgsSchema, location="query")
    @blp.response(200, YoungPersonSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Young people: all for coordinators, those assigned to them for mentors."""
        actor = current_user()
        page = fetch_page(
            people.young_people_query(db_session(), actor, **filters),
            pagination_parameters,
            audit_as="young_person",
        )
        return page


@blp.route("/<uuid:young_person_id>")
class YoungPersonById(MethodView):
    @blp.case_route
    @blp.response(200, YoungPersonSchema)
    def get(self, young_person_id):
        """A young person's record, with how many sign-ins their account has and when one
        was last used."""
        session = db_session()
        young_person = people.view_young_person(session, current_user(), young_person_id)
        account = notifications.account_of(session, young_person.id)
        count, last = (
            auth.sign_ins_summary(session, account.id, now=utcnow()) if account else (0, None)
        )
        return Extended(
            young_person,
            sign_ins={"count": count, "last_used_at": last},
            contact_preferences=contact.of(account),
        )

    @blp.case_route
    @blp.arguments(YoungPersonUpdateSchema)
    @blp.response(200, YoungPersonSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    def patch(self, changes, young_person_id):
        """Change status (active, paused, exited), contact details or consents
        (coordinators)."""
        consents = changes.pop("consents", None)
        young_person = people.update_young_person(
            db_session(), current_user(), young_person_id, changes, now=utcnow()
        )
        if consents is not None:
            people.set_consents(
                db_session(), current_user(), young_person_id, consents, now=utcnow()
            )
        commit()
        return young_person


@blp.route("/<uuid:young_person_id>/activation-code")
class ActivationCode(MethodView):
    @blp.case_route
    @blp.idempotent
    @blp.response(201, ActivationCodeSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, young_person_id):
        """Issue a new activation code (coordinators); the old one stops working."""
        code, expires_at = activation.reissue_code(
            db_session(), current_user(), young_person_id, settings=runtime().settings, now=utcnow()
        )
        commit()
        return {"activation_code": code, "expires_at": expires_at}


@blp.route("/<uuid:young_person_id>/assignments")
class Assignments(MethodView):
    @blp.case_route
    @blp.response(200, AssignmentSchema(many=True))
    def get(self, young_person_id):
        """Every assignment of the young person, ended ones included."""
        assignments = people.list_assignments(db_session(), current_user(), young_person_id)
        return assignments

    @blp.case_route
    @blp.idempotent
    @blp.arguments(AssignmentCreateSchema)
    @blp.response(201, AssignmentSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data, young_person_id):
        """Assign a mentor (coordinators); the mentor's specialty comes with it."""
        assignment = people.assign_mentor(
            db_session(), current_user(), young_person_id, data["mentor_id"], now=utcnow()
        )
        commit()
        return assignment


@blp.route("/<uuid:young_person_id>/assignments/<uuid:assignment_id>")
class AssignmentById(MethodView):
    @blp.case_route
    @blp.response(204)
    @blp.alt_response(403, response="FORBIDDEN")
    def delete(self, young_person_id, assignment_id):
        """End an assignment without a handover (the same as .../end without a body)."""
        handovers.end_assignment(
            db_session(),
            current_user(),
            young_person_id,
            assignment_id,
            now=utcnow(),
            again_ok=True,
        )
        commit()


@blp.route("/<uuid:young_person_id>/assignments/<uuid:assignment_id>/end")
class EndAssignment(MethodView):
    @blp.case_route
    @blp.idempotent
    @blp.arguments(AssignmentEndSchema)
    @blp.response(200, HandoverSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data, young_person_id, assignment_id):
        """End an assignment (kept in history), handing the mentor's future appointments
        to another mentor or cancelling them; the young person is told either way."""
        handover = handovers.end_assignment(
            db_session(), current_user(), young_person_id, assignment_id, **data, now=utcnow()
        )
        commit()
        return handover


@blp.route("/<uuid:young_person_id>/handovers")
class Handovers(MethodView):
    @blp.case_route
    @blp.response(200, HandoverSchema(many=True))
    def get(self, young_person_id):
        """Every handover between the young person's mentors, oldest first."""
        found = handovers.handovers_of(db_session(), current_user(), young_person_id)
        return found


@blp.route("/<uuid:young_person_id>/status-history")
class StatusHistory(MethodView):
    @blp.case_route
    @blp.response(200, StatusChangeSchema(many=True))
    def get(self, young_person_id):
        """Every status of the young person's case and why, oldest first."""
        history = people.status_history(db_session(), current_user(), young_person_id)
        return history


@blp.route("/<uuid:young_person_id>/erasure")
class Erasure(MethodView):
    @blp.case_route
    @blp.idempotent
    @blp.arguments(ErasureSchema)
    @blp.response(200, ErasureResultSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    def post(self, data, young_person_id):
        """Erase a young person's records on request (coordinators); only anonymous facts
        for outcome reports and the audit trail remain, and their sign-ins end."""
        erased_at = privacy.erase_on_request(
            db_session(), current_user(), young_person_id, reason=data["reason"], now=utcnow()
        )
        commit()
        return {"young_person_id": young_person_id, "erased_at": erased_at}


@blp.route("/<uuid:young_person_id>/lockdown")
class Lockdown(MethodView):
    @blp.roles_required(COORDINATOR, MENTOR)
    @blp.idempotent
    @blp.arguments(LockdownSchema)
    @blp.response(200, LockdownResultSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data, young_person_id):
        """The young person's phone is in the wrong hands: every sign-in ends, every push
        device goes, the calendar link changes, and the account is locked until a coordinator
        issues a new activation code. Staff are alerted (`phone_compromised`)."""
        locked_at = lockdown.lock_down_by_staff(
            db_session(), current_user(), young_person_id, reason=data["reason"], now=utcnow()
        )
        commit()
        return {"young_person_id": young_person_id, "locked_down_at": locked_at}


@blp.route("/<uuid:young_person_id>/contact-preferences")
class ContactPreferences(MethodView):
    @blp.case_route
    @blp.response(200, ContactPreferencesSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, young_person_id):
        """When, how and where the young person may safely be contacted."""
        return contact.for_staff(db_session(), current_user(), young_person_id)
