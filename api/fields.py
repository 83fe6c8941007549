"""Marshmallow fields with the API's rules: aware times out in UTC `Z`, text that can be stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from youthapp.clock import is_time_zone

# ASCII digits only, and the whole string: the same rule as the pattern in the document.
_WALL_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


class AwareDateTime(fields.AwareDateTime):
    """ISO 8601 with an offset in (naive times are refused), UTC with `Z` out."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", default_timezone=None, **kwargs)

    def _serialize(
        self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        if value is None:
            return None
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # e.g. 9999-12-31T23:59-23:59 is past the calendar in UTC
            raise self.make_error("invalid", obj_type=self.OBJ_TYPE) from None


class WallClockTime(fields.Field):
    """A local wall-clock time as "HH:MM" (24-hour), such as a check-in at 18:00."""

    default_error_messages = {"invalid": 'Use a 24-hour time such as "18:00".'}

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": _WALL_CLOCK.pattern, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(
        self, value: time | None, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> time:
        match = _WALL_CLOCK.fullmatch(value) if isinstance(value, str) else None
        if not match:
            raise self.make_error("invalid")
        return time(int(match.group(1)), int(match.group(2)))


class Timezone(fields.String):
    """An IANA time zone name such as "Europe/London"."""

    default_error_messages = {"invalid_zone": "Not a known time zone (e.g. Europe/London)."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        name = super()._deserialize(value, attr, data, **kwargs)
        if not is_time_zone(name):
            raise self.make_error("invalid_zone")
        return name


def Text(max_length: int, *, min_length: int = 0, **kwargs: Any) -> fields.String:  # noqa: N802
    """Free text with a stated maximum length (and blank refused when min_length > 0)."""
    validators = [validate.Length(min=min_length, max=max_length)]
    if min_length:
        # Anchored at both ends, so that it reads the same to a tool that matches the whole
        # string as to JSON Schema, which searches (an unanchored "\s*\S" is rewritten by
        # some tools into "whitespace, then one character").
        validators.append(validate.Regexp(r"^\s*\S[\s\S]*$", error="Must not be blank."))
    return fields.String(validate=validators, **kwargs)


def Email(**kwargs: Any) -> fields.Email:  # noqa: N802
    return fields.Email(validate=validate.Length(max=254), **kwargs)


PHONE = validate.Regexp(
    r"^\+?[0-9][0-9 ()-]{6,24}$", error="Use a phone number such as 07700 900123."
)


class StrictSchema(ma.Schema):
    """Request bodies: an unknown field is an error, never silently dropped."""

    class Meta:
        unknown = ma.RAISE
