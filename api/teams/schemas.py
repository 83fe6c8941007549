"""Shapes of teams, team membership and duty."""

from marshmallow import Schema, fields, validate

from api.fields import AwareDateTime, StrictSchema, Text
from youthapp.vocabulary import LONDON_BOROUGHS

_BOROUGHS = {
    "metadata": {
        "description": "London boroughs (the 32 and the City of London), each held by one team "
        "at most besides the default one",
        "items": {"enum": list(LONDON_BOROUGHS)},
    }
}


class TeamSchema(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    boroughs = fields.List(
        fields.String(validate=validate.OneOf(LONDON_BOROUGHS)),
        required=True,
        metadata={"description": "The default team lists every borough no other team holds"},
    )
    is_default = fields.Boolean(
        required=True,
        metadata={"description": 'The team "London": every borough no other team holds'},
    )
    created_at = AwareDateTime(required=True)
    updated_at = AwareDateTime(required=True)


class TeamCreateSchema(StrictSchema):
    name = Text(100, min_length=1, required=True)
    boroughs = fields.List(
        fields.String(validate=validate.Length(max=60)),
        required=True,
        validate=validate.Length(max=40),
        **_BOROUGHS,
    )


class TeamUpdateSchema(StrictSchema):
    name = Text(100, min_length=1)
    boroughs = fields.List(
        fields.String(validate=validate.Length(max=60)),
        validate=validate.Length(max=40),
        **_BOROUGHS,
    )


class UserTeamsSchema(StrictSchema):
    team_ids = fields.List(
        fields.UUID(),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "Every team the coordinator or mentor is in (at least one)"},
    )


class DutyUpdateSchema(StrictSchema):
    on_duty = fields.Boolean(required=True)


class DutySchema(Schema):
    on_duty = fields.Boolean(required=True)
    on_duty_since = AwareDateTime(allow_none=True)
    team_ids = fields.List(fields.UUID(), required=True)
