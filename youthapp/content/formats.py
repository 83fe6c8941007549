"""The format of each content file (content/README.md), as marshmallow schemas that name
the field at fault."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import marshmallow as ma
from marshmallow import fields, post_load, validate, validates_schema

from youthapp.content.model import CHANNEL_KINDS, COSTS, COVERAGES, LANGUAGES, SUPPORT_DOMAINS
from youthapp.vocabulary import DOMAINS, canonical_borough

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PHONE = re.compile(r"^[0-9][0-9 ]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


def _text(max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(
        validate=[
            validate.Length(min=1, max=max_length),
            validate.Regexp(r"\S", error="Must not be blank."),
        ],
        **kwargs,
    )


class _ReviewDate(fields.Field[date]):
    """A date written as YYYY-MM-DD, such as 2026-11-25."""

    default_error_messages = {"invalid": "Not a date: write it as YYYY-MM-DD, e.g. 2026-11-25."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not _DATE.match(value):
            raise self.make_error("invalid")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.make_error("invalid") from None


class _HttpsUrl(fields.Url):
    default_error_messages = {"invalid": "Not a web address starting https://"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(schemes={"https"}, require_tld=True, **kwargs)


class _PhoneNumber(fields.Field[str]):
    """A UK number as dialled from a UK phone, in quotes so YAML keeps it as written."""

    default_error_messages = {
        "quotes": 'Write the number in quotes, like "0800 1111", so that it is kept as written.',
        "invalid": "Not a phone number: use digits and spaces only (3 to 11 digits).",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("quotes")
        number = " ".join(value.split())
        if not _PHONE.match(number) or not 3 <= len(number.replace(" ", "")) <= 11:
            raise self.make_error("invalid")
        return number


class _ChannelSchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(CHANNEL_KINDS))
    value = fields.Raw(required=True)
    label = _text(60, required=True)
    hours = _text(200, required=True)
    always_open = fields.Boolean(required=True)
    cost = fields.String(validate=validate.OneOf(COSTS))
    message = _text(20)
    note = _text(300)

    _VALUE_FIELDS = {
        "phone": _PhoneNumber(),
        "text": _PhoneNumber(),
        "web": _HttpsUrl(),
        "email": fields.Email(),
    }

    @validates_schema
    def _fits_its_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind = data.get("kind")
        if kind not in self._VALUE_FIELDS:
            return
        try:
            self._VALUE_FIELDS[kind].deserialize(data.get("value"))
        except ma.ValidationError as error:
            raise ma.ValidationError(error.messages, "value") from None
        if kind in ("phone", "text") and "cost" not in data:
            raise ma.ValidationError("Say whether it is free or standard_rate.", "cost")
        if kind in ("web", "email") and "cost" in data:
            raise ma.ValidationError("Only phone numbers and texts have a cost.", "cost")
        if kind != "text" and "message" in data:
            raise ma.ValidationError("Only a text channel has a message to send.", "message")

    @post_load
    def _tidy(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**data, "value": self._VALUE_FIELDS[data["kind"]].deserialize(data["value"])}


class _ChannelWordsSchema(_Strict):
    label = _text(60)
    hours = _text(200)
    note = _text(300)


class _CrisisWordsSchema(_Strict):
    name = _text(80)
    summary = _text(500)
    audience = _text(80)
    channels = fields.List(fields.Nested(_ChannelWordsSchema))


class _CrisisContactSchema(_Strict):
    id = fields.String(required=True, validate=validate.Regexp(SLUG, error="Use a-z, 0-9, -."))
    name = _text(80, required=True)
    summary = _text(500, required=True)
    audience = _text(80)
    order = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    emergency = fields.Boolean(load_default=False)
    channels = fields.List(
        fields.Nested(_ChannelSchema), required=True, validate=validate.Length(min=1)
    )
    source_url = _HttpsUrl(required=True)
    other_sources = fields.List(_HttpsUrl())
    last_reviewed = _ReviewDate(required=True)
    translations = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES[1:])),
        values=fields.Nested(_CrisisWordsSchema),
    )

    @validates_schema
    def _translations_match(self, data: dict[str, Any], **kwargs: Any) -> None:
        count = len(data.get("channels") or [])
        for lang, words in (data.get("translations") or {}).items():
            given = words.get("channels")
            if given is not None and len(given) != count:
                raise ma.ValidationError(
                    f"Translate all {count} channels, in the same order, or none.",
                    f"translations.{lang}.channels",
                )


class _ArticleSchema(_Strict):
    title = _text(120, required=True)
    summary = _text(300, required=True)
    domain = fields.String(required=True, validate=validate.OneOf(DOMAINS))
    reading_minutes = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=30)
    )
    source_url = _HttpsUrl(required=True)
    last_reviewed = _ReviewDate(required=True)


class _ServiceSchema(_Strict):
    id = fields.String(required=True, validate=validate.Regexp(SLUG, error="Use a-z, 0-9, -."))
    name = _text(100, required=True)
    summary = _text(600, required=True)
    domains = fields.List(
        fields.String(validate=validate.OneOf(SUPPORT_DOMAINS)),
        required=True,
        validate=validate.Length(min=1),
    )
    coverage = fields.String(required=True, validate=validate.OneOf(COVERAGES))
    boroughs = fields.List(fields.String())
    url = _HttpsUrl(required=True)
    phone = _PhoneNumber()
    phone_cost = fields.String(validate=validate.OneOf(COSTS))
    hours = _text(200)
    age_min = fields.Integer(strict=True, validate=validate.Range(min=0, max=30))
    age_max = fields.Integer(strict=True, validate=validate.Range(min=0, max=30))
    source_url = _HttpsUrl(required=True)
    last_reviewed = _ReviewDate(required=True)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        boroughs = data.get("boroughs")
        if data.get("coverage") == "borough":
            if not boroughs:
                raise ma.ValidationError("Name the boroughs it serves.", "boroughs")
            unknown = [name for name in boroughs if canonical_borough(name) is None]
            if unknown:
                raise ma.ValidationError(f"Not a London borough: {', '.join(unknown)}.", "boroughs")
        elif boroughs:
            raise ma.ValidationError("Only coverage: borough lists boroughs.", "boroughs")
        if "phone" in data and "phone_cost" not in data:
            raise ma.ValidationError(
                "Say whether the number is free or standard_rate.", "phone_cost"
            )
        if "phone_cost" in data and "phone" not in data:
            raise ma.ValidationError("There is no phone number to cost.", "phone_cost")
        if data.get("age_min", 0) > data.get("age_max", 30):
            raise ma.ValidationError("age_min is above age_max.", "age_min")

    @post_load
    def _tidy(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        boroughs = tuple(canonical_borough(name) for name in data.get("boroughs") or ())
        return {**data, "domains": tuple(data["domains"]), "boroughs": boroughs}


CRISIS_CONTACT = _CrisisContactSchema()
ARTICLE = _ArticleSchema()
SERVICE = _ServiceSchema()
SERVICES_FILE_FIELDS = {"services"}
