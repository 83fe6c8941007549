"""The console's pages. Each page calls the services the API calls, through the same scope
rule, so what a member of staff may see or do here is exactly what they may through the API;
each staff read is audited by the same service calls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from flask import Blueprint, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import func, select

from api.database import commit, db_session, finish_session
from api.errors import status_for
from api.extensions import client_address, runtime
from console import charts, sessions
from console.csrf import csrf
from console.sessions import signed_in, user
from youthapp import access, audit
from youthapp.clock import utcnow
from youthapp.errors import DomainError, InvalidInput, PreconditionFailed
from youthapp.models import (
    APPOINTMENT_MODES,
    GOAL_STATUSES,
    Alert,
    Appointment,
    CheckIn,
    User,
)
from youthapp.services import (
    accounts,
    alerts,
    appointments,
    auth,
    checkins,
    contact,
    messages,
    people,
    plans,
    referrals,
    reports,
    teams,
)
from youthapp.vocabulary import DOMAINS

blp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

STAFF = (access.COORDINATOR, access.MENTOR)
# No inline script or style anywhere: everything the pages run comes from /console/static.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
GOAL_FIELDS = ("title", "description", "status")


@blp.context_processor
def _vocabulary() -> dict[str, Any]:
    return {
        "DOMAINS": DOMAINS,
        "GOAL_STATUSES": GOAL_STATUSES,
        "APPOINTMENT_MODES": APPOINTMENT_MODES,
    }


@blp.before_request
def _protect_forms() -> None:
    if request.method == "POST":
        csrf.protect()


@blp.after_request
def _headers(response: Any) -> Any:
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> Any:
    finish_session(commit=False)
    return render_template(
        "error.html",
        status=400,
        message="The form had expired or was "
        "not sent from this console. Go back, reload the page and try again.",
    ), 400


@blp.errorhandler(DomainError)
def _refused(error: DomainError) -> Any:
    finish_session(commit=error.keep_changes)
    status = status_for(error)
    if status == 401:
        return redirect(url_for("console.login"))
    return render_template("error.html", status=status, message=error.message), status


# --- signing in --------------------------------------------------------------------------


@blp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        if sessions.current() is not None:
            return redirect(url_for("console.home"))
        return render_template("login.html", next=_safe_next())
    try:
        issued = auth.login(
            db_session(),
            runtime().hashing,
            runtime().login_policy,
            email=request.form.get("email", ""),
            password=request.form.get("password", ""),
            client_address=client_address(),
            now=utcnow(),
            session_lifetime=runtime().session_lifetime,
            platform="web",
        )
    except DomainError as error:
        finish_session(commit=error.keep_changes)
        status = status_for(error)
        return render_template("login.html", error=error.message, next=_safe_next()), status
    if issued.user.role not in sessions.CONSOLE_ROLES:
        auth.end_session(db_session(), issued.session_id, now=utcnow(), reason="not_console")
        commit()
        message = "The console is for staff. Young people and referrers use the app."
        return render_template("error.html", status=403, message=message), 403
    commit()
    sessions.start(issued)
    return redirect(_safe_next() or url_for("console.home"))


@blp.route("/logout", methods=["POST"])
def logout() -> Any:
    sessions.end("logout")
    return redirect(url_for("console.login"))


@blp.route("/")
@signed_in()
def home() -> Any:
    if user().role == access.ADMIN:
        return redirect(url_for("console.staff_accounts"))
    if user().role == access.LEAD:
        return redirect(url_for("console.outcome_report"))
    return redirect(url_for("console.duty"))


# --- the duty board ------------------------------------------------------------------------


@blp.route("/duty")
@signed_in(*STAFF)
def duty() -> Any:
    return render_template("duty.html", alerts=_open_alerts())


@blp.route("/duty/alerts")
@signed_in(*STAFF)
def duty_alerts() -> Any:
    """The board's list alone, fetched by the page every few seconds."""
    return render_template("_alerts.html", alerts=_open_alerts())


def _open_alerts() -> list[Alert]:
    query = (
        alerts.alerts_query(user())
        .where(Alert.status != "resolved")
        .order_by(None)
        .order_by(Alert.urgent.desc(), Alert.created_at, Alert.id)
        .limit(100)
    )
    found = list(db_session().scalars(query))
    audit.staff_listed(db_session(), user(), "alert", found)
    return found


@blp.route("/alerts/<uuid:alert_id>/acknowledge", methods=["POST"])
@signed_in(access.COORDINATOR, access.MENTOR)
def acknowledge(alert_id: uuid.UUID) -> Any:
    alerts.acknowledge(db_session(), user(), alert_id, now=utcnow())
    commit()
    return redirect(url_for("console.duty"))


@blp.route("/alerts/<uuid:alert_id>/resolve", methods=["POST"])
@signed_in(access.COORDINATOR, access.MENTOR)
def resolve(alert_id: uuid.UUID) -> Any:
    alerts.resolve(db_session(), user(), alert_id, note=request.form.get("note", ""), now=utcnow())
    commit()
    return redirect(url_for("console.duty"))


# --- referrals ------------------------------------------------------------------------------


@blp.route("/referrals")
@signed_in(access.COORDINATOR)
def referral_list() -> Any:
    found = list(
        db_session().scalars(referrals.referrals_query(user(), status="submitted").limit(100))
    )
    return render_template("referrals.html", referrals=found)


@blp.route("/referrals/<uuid:referral_id>")
@signed_in(access.COORDINATOR)
def referral(referral_id: uuid.UUID) -> Any:
    found = referrals.get_referral(db_session(), user(), referral_id)
    duplicates = referrals.possible_duplicates(db_session(), found)
    mentors = _mentors()
    return render_template("referral.html", referral=found, duplicates=duplicates, mentors=mentors)


@blp.route("/referrals/<uuid:referral_id>/decision", methods=["POST"])
@signed_in(access.COORDINATOR)
def decide(referral_id: uuid.UUID) -> Any:
    form = request.form
    link = form.get("link_to_young_person_id") or None
    result = referrals.decide_referral(
        db_session(),
        user(),
        referral_id,
        decision=form.get("decision", ""),
        reason=form.get("reason") or None,
        settings=runtime().settings,
        now=utcnow(),
        link_to_young_person_id=uuid.UUID(link) if link else None,
    )
    young_person = getattr(result, "young_person", None)
    mentor_id = form.get("mentor_id")
    if young_person is not None and mentor_id:
        people.assign_mentor(
            db_session(), user(), young_person.id, uuid.UUID(mentor_id), now=utcnow()
        )
    commit()
    if young_person is None:
        return redirect(url_for("console.referral_list"))
    code = getattr(result, "activation_code", None)
    return render_template("enrolled.html", young_person=young_person, code=code)


# --- the caseload and a young person's record --------------------------------------------------


@blp.route("/caseload")
@signed_in(*STAFF)
def caseload() -> Any:
    session = db_session()
    people_page = list(
        session.scalars(
            people.young_people_query(session, user(), status="active").limit(50)
        ).unique()
    )
    ids = [person.id for person in people_page]
    audit.staff_listed(session, user(), "young_person", people_page)
    now = utcnow()
    since = now - timedelta(days=90)
    moods: dict[uuid.UUID, list[tuple[datetime, int]]] = {person_id: [] for person_id in ids}
    for person_id, at, mood in session.execute(
        select(CheckIn.young_person_id, CheckIn.created_at, CheckIn.mood)
        .where(CheckIn.young_person_id.in_(ids), CheckIn.created_at >= since)
        .order_by(CheckIn.created_at)
    ):
        moods[person_id].append((at, mood))
    next_at = dict(
        session.execute(
            select(Appointment.young_person_id, func.min(Appointment.starts_at))
            .where(
                Appointment.young_person_id.in_(ids),
                Appointment.status == "scheduled",
                Appointment.starts_at >= now,
            )
            .group_by(Appointment.young_person_id)
        ).all()
    )
    open_alerts = dict(
        session.execute(
            select(Alert.young_person_id, func.count())
            .where(Alert.young_person_id.in_(ids), Alert.status != "resolved")
            .group_by(Alert.young_person_id)
        ).all()
    )
    rows = [
        {
            "person": person,
            "next": next_at.get(person.id),
            "last": moods[person.id][-1][0] if moods[person.id] else None,
            "alerts": open_alerts.get(person.id, 0),
            "chart": charts.mood_line(moods[person.id], since=since, until=now),
        }
        for person in people_page
    ]
    return render_template("caseload.html", rows=rows)


@blp.route("/young-people/<uuid:young_person_id>")
@signed_in(*STAFF)
def record(young_person_id: uuid.UUID) -> Any:
    session = db_session()
    actor = user()
    person = people.view_young_person(session, actor, young_person_id)
    plans.audit_staff_plan_read(session, actor, person.id)
    goals = plans.load_goals(session, person.id)
    _, safety = plans.safety_plan_for(session, actor, person.id)
    booked = list(
        session.scalars(
            appointments.appointments_query(actor, young_person_id=person.id)
            .order_by(None)
            .order_by(Appointment.starts_at.desc())
            .limit(20)
        ).unique()
    )
    audit.staff_listed(session, actor, "appointment", booked)
    check_ins = list(
        session.scalars(checkins.staff_check_ins_query(session, actor, person.id).limit(20))
    )
    thread = list(session.scalars(messages.thread_query(session, actor, person.id).limit(30)))
    preferences = contact.for_staff(session, actor, person.id)
    history = people.status_history(session, actor, person.id)
    return render_template(
        "record.html",
        person=person,
        goals=goals,
        safety=safety,
        appointments=booked,
        check_ins=check_ins,
        thread=list(reversed(thread)),
        preferences=preferences,
        history=history,
        now=utcnow(),
    )


@blp.route("/young-people/<uuid:young_person_id>/goals", methods=["POST"])
@signed_in(*STAFF)
def add_goal(young_person_id: uuid.UUID) -> Any:
    form = request.form
    plans.create_goal(
        db_session(),
        user(),
        young_person_id,
        {
            "domain": form.get("domain", ""),
            "title": form.get("title", "").strip(),
            "description": form.get("description", ""),
        },
        now=utcnow(),
    )
    commit()
    return redirect(url_for("console.record", young_person_id=young_person_id) + "#plan")


@blp.route("/goals/<uuid:goal_id>", methods=["POST"])
@signed_in(*STAFF)
def edit_goal(goal_id: uuid.UUID) -> Any:
    form = request.form
    wanted = {name: form.get(name, "") for name in GOAL_FIELDS if name in form}
    try:
        goal = plans.update_goal(
            db_session(), user(), goal_id, wanted, if_match={form.get("version", "")}, now=utcnow()
        )
    except PreconditionFailed:
        finish_session(commit=False)
        current = plans.view_goal(db_session(), user(), goal_id)
        differences = [
            {"field": name, "theirs": getattr(current, name), "yours": value}
            for name, value in wanted.items()
            if getattr(current, name) != value
        ]
        return render_template(
            "conflict.html", goal=current, differences=differences, wanted=wanted
        ), 409
    commit()
    return redirect(url_for("console.record", young_person_id=goal.young_person_id) + "#plan")


@blp.route("/goals/<uuid:goal_id>/steps", methods=["POST"])
@signed_in(*STAFF)
def add_step(goal_id: uuid.UUID) -> Any:
    step = plans.create_step(
        db_session(),
        user(),
        goal_id,
        {"title": request.form.get("title", "").strip()},
        now=utcnow(),
    )
    commit()
    return redirect(url_for("console.record", young_person_id=step.young_person_id) + "#plan")


@blp.route("/steps/<uuid:step_id>", methods=["POST"])
@signed_in(*STAFF)
def edit_step(step_id: uuid.UUID) -> Any:
    form = request.form
    step = plans.update_step(
        db_session(),
        user(),
        step_id,
        {"done": form.get("done") == "on"},
        if_match={form.get("version", "")},
        now=utcnow(),
    )
    commit()
    return redirect(url_for("console.record", young_person_id=step.young_person_id) + "#plan")


@blp.route("/young-people/<uuid:young_person_id>/appointments", methods=["POST"])
@signed_in(*STAFF)
def book(young_person_id: uuid.UUID) -> Any:
    form = request.form
    starts = _local_time(form.get("starts_at", ""))
    appointments.book(
        db_session(),
        user(),
        {
            "young_person_id": young_person_id,
            "mentor_id": uuid.UUID(form.get("mentor_id") or str(user().id)),
            "starts_at": starts,
            "duration_minutes": int(form.get("duration_minutes") or 60),
            "mode": form.get("mode", "in_person"),
            "location": form.get("location") or None,
            "borough": form.get("borough") or None,
            "override_reason": form.get("override_reason") or None,
        },
        now=utcnow(),
    )
    commit()
    return redirect(url_for("console.record", young_person_id=young_person_id) + "#appointments")


@blp.route("/appointments/<uuid:appointment_id>/cancel", methods=["POST"])
@signed_in(*STAFF)
def cancel(appointment_id: uuid.UUID) -> Any:
    appointment = appointments.cancel(
        db_session(), user(), appointment_id, reason=request.form.get("reason", ""), now=utcnow()
    )
    commit()
    return redirect(url_for("console.record", young_person_id=appointment.young_person_id))


@blp.route("/appointments/<uuid:appointment_id>/attendance", methods=["POST"])
@signed_in(*STAFF)
def attendance(appointment_id: uuid.UUID) -> Any:
    appointment = appointments.record_attendance(
        db_session(),
        user(),
        appointment_id,
        attended=request.form.get("attended") == "yes",
        now=utcnow(),
    )
    commit()
    return redirect(url_for("console.record", young_person_id=appointment.young_person_id))


@blp.route("/young-people/<uuid:young_person_id>/messages", methods=["POST"])
@signed_in(*STAFF)
def send_message(young_person_id: uuid.UUID) -> Any:
    messages.send_as_staff(
        db_session(),
        user(),
        young_person_id,
        body=request.form.get("body", "").strip(),
        now=utcnow(),
    )
    commit()
    return redirect(url_for("console.record", young_person_id=young_person_id) + "#messages")


@blp.route("/young-people/<uuid:young_person_id>/status", methods=["POST"])
@signed_in(access.COORDINATOR)
def change_status(young_person_id: uuid.UUID) -> Any:
    form = request.form
    changes: dict[str, Any] = {}
    if form.get("status"):
        changes["status"] = form["status"]
        changes["status_reason"] = form.get("status_reason") or None
    if form.get("borough"):
        changes["borough"] = form["borough"]
    people.update_young_person(db_session(), user(), young_person_id, changes, now=utcnow())
    commit()
    return redirect(url_for("console.record", young_person_id=young_person_id))


# --- admins, leads and coordinators ----------------------------------------------------------


@blp.route("/admin/staff")
@signed_in(access.ADMIN)
def staff_accounts() -> Any:
    found = list(db_session().scalars(accounts.list_staff_users(user()).limit(200)))
    return render_template("staff.html", users=found, teams=teams.list_teams(db_session(), user()))


@blp.route("/admin/audit")
@signed_in(access.ADMIN)
def audit_log() -> Any:
    events = list(db_session().scalars(audit.events_query().limit(200)))
    return render_template("audit.html", events=events)


@blp.route("/reports")
@signed_in(access.COORDINATOR)
def outcome_report() -> Any:
    report = reports.outcomes(db_session(), user(), since=None, until=None, now=utcnow())
    rows = list(reports.figures(report))
    return render_template("reports.html", report=report, rows=rows, chart=charts.bars(rows))


# --- helpers ---------------------------------------------------------------------------------


def _mentors() -> list[User]:
    return list(
        db_session().scalars(
            select(User)
            .where(User.role == access.MENTOR, User.is_active.is_(True))
            .order_by(User.display_name)
            .limit(200)
        )
    )


def _local_time(text: str) -> datetime:
    """A datetime-local input's value, in the programme's zone."""
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("Give a date and time.") from None
    return naive.replace(tzinfo=ZoneInfo(runtime().settings.default_timezone)).astimezone(UTC)


def _safe_next() -> str | None:
    """Where to go after signing in: only a console page of this site."""
    target = request.values.get("next") or ""
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/console/"):
        return None
    return target
