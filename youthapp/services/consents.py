"""Consent that grows up with the young person: who gave it at referral, and its review on
the 16th and 18th birthdays.

Under 16, consent comes from a parent or carer, unless the young person was assessed as
competent to give it themselves (Gillick). On the 16th and the 18th birthday, in the young
person's own zone, every consent is marked for review and the young person and their
team's coordinators are told. Nothing that keeps the young person safe is switched off by a
review; only reporting consent that a parent gave lapses at 16, until the young person gives
their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from youthapp import access, audit
from youthapp.clock import DEFAULT_ZONE
from youthapp.errors import InvalidInput
from youthapp.models import User, YoungPerson
from youthapp.services import notifications

CONSENT_GIVERS = ("young_person", "parent_or_carer")
REVIEW_AGES = (16, 18)
# The first age at which a young person consents for themselves without an assessment.
OWN_CONSENT_AGE = 16


def age_on(born: date, day: date) -> int:
    """Age in whole years on `day`. Someone born on 29 February has their birthday on
    1 March in a year without one."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def reviewed_age(age: int) -> int:
    """The last review birthday at or before `age` (0 before the first)."""
    return max((threshold for threshold in REVIEW_AGES if age >= threshold), default=0)


def given_at_referral(
    consent: Mapping[str, Any] | None, date_of_birth: date, today: date
) -> tuple[str, bool | None]:
    """(given_by, competence_assessed) for a referral, or InvalidInput when a young person
    under 16 consented alone without a competence assessment. Not said: under 16 the
    consent the referrer obtained is a parent's or carer's, from 16 the young person's."""
    under_16 = age_on(date_of_birth, today) < OWN_CONSENT_AGE
    given_by = (consent or {}).get("given_by") or (
        "parent_or_carer" if under_16 else "young_person"
    )
    assessed = (consent or {}).get("competence_assessed")
    if under_16 and given_by == "young_person" and not assessed:
        raise InvalidInput(
            "Under 16, consent comes from a parent or carer unless competence was assessed.",
            errors={"consent": ["Set given_by: parent_or_carer, or competence_assessed: true."]},
        )
    return given_by, assessed


def review_birthdays(session: Session, *, now: datetime, batch_size: int = 500) -> int:
    """Mark consents for review for everyone whose 16th or 18th birthday has come, in their
    own zone, since the last review: once each (catching up after a scheduler outage).
    Returns how many were marked."""
    # No zone is more than 14 hours ahead of UTC: no one else can have had the birthday yet.
    latest_today = (now + timedelta(hours=14)).date()
    due = or_(
        *(
            and_(
                YoungPerson.consent_reviewed_age < age,
                YoungPerson.date_of_birth <= _years_before(latest_today, age),
            )
            for age in REVIEW_AGES
        )
    )
    rows = session.execute(
        select(YoungPerson, User.timezone)
        .outerjoin(User, and_(User.young_person_id == YoungPerson.id, User.is_active.is_(True)))
        .where(due, YoungPerson.status != "exited", YoungPerson.erased_at.is_(None))
        .order_by(YoungPerson.date_of_birth)
        .limit(batch_size)
        .with_for_update(of=YoungPerson, skip_locked=True)
    ).all()
    marked = 0
    for young_person, zone in rows:
        today = now.astimezone(ZoneInfo(zone or DEFAULT_ZONE)).date()
        reached = reviewed_age(age_on(young_person.date_of_birth, today))
        if reached <= young_person.consent_reviewed_age:
            continue  # not yet in their own zone
        _mark_for_review(session, young_person, reached, now)
        marked += 1
    session.flush()
    return marked


def _mark_for_review(session: Session, young_person: YoungPerson, age: int, now: datetime) -> None:
    young_person.consent_reviewed_age = age
    young_person.consent_review_due_since = now
    if age >= OWN_CONSENT_AGE and young_person.reporting_consent_by == "parent_or_carer":
        young_person.consent_reporting = False
        young_person.reporting_consent_by = None
    audit.record(
        session,
        None,
        "consents.review_due",
        young_person_id=young_person.id,
        subject=("young_person", young_person.id),
        details={"count": age},
        now=now,
    )
    data = {"young_person_id": str(young_person.id), "age": age}
    account = notifications.account_of(session, young_person.id)
    if account is not None:
        notifications.notify(
            session,
            account,
            "consent_review",
            now=now,
            subject_id=young_person.id,
            data={"age": age},
            dedupe_key=f"consent_review:{young_person.id}:{age}",
        )
    for coordinator in session.scalars(access.told_of_consent_review(young_person.team_id)):
        notifications.notify(
            session,
            coordinator,
            "consent_review",
            now=now,
            subject_id=young_person.id,
            data=data,
            template="consent_review_due",
            dedupe_key=f"consent_review:{young_person.id}:{age}:{coordinator.id}",
        )


def _years_before(day: date, years: int) -> date:
    """The latest date of birth of someone `years` old on `day`."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, in a year without one
        return day.replace(year=day.year - years, day=28)
