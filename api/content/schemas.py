"""Shapes of the content the app shows without a sign-in: crisis contacts, articles, services."""

import re
from typing import Any

from marshmallow import Schema, fields, validate

from api.fields import StrictSchema
from youthapp.content import (
    CHANNEL_KINDS,
    COSTS,
    COVERAGES,
    LANGUAGES,
    SUPPORT_DOMAINS,
    primary_language,
)
from youthapp.vocabulary import DOMAINS, LONDON_BOROUGHS, canonical_borough


class Language(fields.String):
    """A language tag such as "pl" or "pl-PL"; content not written in it comes in English."""

    PATTERN = r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$"
    default_error_messages = {"language": "Use a language code such as en or pl."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            metadata={
                "description": "Language wanted; anything not written in it comes in English. "
                f"Written so far in: {', '.join(LANGUAGES)}",
                "example": "pl",
                "pattern": self.PATTERN,
                "maxLength": 35,
            },
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        tag = super()._deserialize(value, attr, data, **kwargs)
        if len(tag) > 35 or not re.match(self.PATTERN, tag):
            raise self.make_error("language")
        return primary_language(tag)


class Borough(fields.String):
    """A London borough by name, in any capitalisation ("hackney", "Hammersmith & Fulham")."""

    default_error_messages = {"borough": "Not a London borough."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "metadata", {"description": "A London borough", "enum": list(LONDON_BOROUGHS)}
        )
        super().__init__(validate=validate.Length(max=60), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        borough = canonical_borough(super()._deserialize(value, attr, data, **kwargs))
        if borough is None:
            raise self.make_error("borough")
        return borough


class CrisisQueryArgsSchema(StrictSchema):
    lang = Language()


class ArticleQueryArgsSchema(StrictSchema):
    domain = fields.String(validate=validate.OneOf(DOMAINS))
    lang = Language()
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "Words to find in the title, summary or text (all of them)"},
    )


class ArticleArgsSchema(StrictSchema):
    lang = Language()


class ServiceQueryArgsSchema(StrictSchema):
    domain = fields.String(validate=validate.OneOf(SUPPORT_DOMAINS))
    borough = Borough(
        metadata={
            "description": "A London borough: its own services and those for all of London",
            "enum": list(LONDON_BOROUGHS),
        }
    )


class ContactChannelSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CHANNEL_KINDS))
    value = fields.String(
        required=True,
        metadata={"description": "The number, web address or email address, as written"},
    )
    href = fields.String(
        required=True,
        metadata={"description": "What to open on a tap", "example": "tel:08001111"},
    )
    label = fields.String(required=True)
    message = fields.String(
        allow_none=True, metadata={"description": "For a text: what to send", "example": "SHOUT"}
    )
    cost = fields.String(
        allow_none=True,
        validate=validate.OneOf(COSTS),
        metadata={"description": "For calls and texts; standard_rate is what a normal call costs"},
    )
    always_open = fields.Boolean(required=True)
    hours = fields.String(required=True)
    note = fields.String(allow_none=True)


class CrisisContactSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    summary = fields.String(required=True)
    audience = fields.String(allow_none=True)
    emergency = fields.Boolean(required=True, metadata={"description": "999 and 112"})
    lang = fields.String(required=True, metadata={"description": "The language of its words"})
    channels = fields.List(fields.Nested(ContactChannelSchema), required=True)
    from_configuration = fields.Boolean(
        required=True, metadata={"description": "The programme's own duty line"}
    )
    source_url = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Where the details were checked (none for the duty line)"},
    )
    other_sources = fields.List(
        fields.String(), required=True, metadata={"description": "Further official pages"}
    )
    last_reviewed = fields.Date(required=True, allow_none=True)


class ArticleSummarySchema(Schema):
    slug = fields.String(required=True)
    lang = fields.String(required=True, metadata={"description": "The language it is written in"})
    languages = fields.List(
        fields.String(), required=True, metadata={"description": "Languages it is written in"}
    )
    title = fields.String(required=True)
    summary = fields.String(required=True)
    domain = fields.String(required=True, validate=validate.OneOf(DOMAINS))
    reading_minutes = fields.Integer(required=True)
    source_url = fields.String(required=True)
    last_reviewed = fields.Date(required=True)


class ArticleSchema(ArticleSummarySchema):
    body_markdown = fields.String(required=True, metadata={"description": "The Markdown source"})
    body_html = fields.String(
        required=True, metadata={"description": "Rendered and sanitised: safe to display"}
    )


class SupportServiceSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    summary = fields.String(required=True)
    domains = fields.List(fields.String(validate=validate.OneOf(SUPPORT_DOMAINS)), required=True)
    coverage = fields.String(
        required=True,
        validate=validate.OneOf(COVERAGES),
        metadata={"description": "borough: only the boroughs listed; london; national"},
    )
    boroughs = fields.List(fields.String(), required=True)
    url = fields.String(required=True)
    phone = fields.String(allow_none=True)
    phone_cost = fields.String(allow_none=True, validate=validate.OneOf(COSTS))
    hours = fields.String(allow_none=True)
    age_min = fields.Integer(allow_none=True)
    age_max = fields.Integer(allow_none=True)
    source_url = fields.String(required=True)
    last_reviewed = fields.Date(required=True)
