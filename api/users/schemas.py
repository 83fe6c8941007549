"""Shapes of staff accounts as admins create, list and change them."""

from marshmallow import Schema, fields, validate

from api.fields import AwareDateTime, Email, StrictSchema, Text
from youthapp.models import MENTOR_SPECIALTIES, REFERRER_TYPES, ROLES, STAFF_ROLES
from youthapp.services.passwords import MAX_LENGTH, MIN_LENGTH

# The full policy (a deny list, not the email address) is the service's; the schema states
# the length so that the OpenAPI document does not promise more than the service accepts.
PASSWORD = {
    "validate": validate.Length(max=MAX_LENGTH),
    "load_only": True,
    "metadata": {
        "description": f"{MIN_LENGTH} to {MAX_LENGTH} characters; not a common "
        "password, nor the email address"
    },
}


class UserSchema(Schema):
    id = fields.UUID(required=True)
    email = fields.Email(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = fields.String(required=True)
    is_active = fields.Boolean(required=True)
    specialty = fields.String(allow_none=True, validate=validate.OneOf(MENTOR_SPECIALTIES))
    referrer_type = fields.String(allow_none=True, validate=validate.OneOf(REFERRER_TYPES))
    organisation = fields.String(allow_none=True)
    last_login_at = AwareDateTime(allow_none=True)
    awaiting_approval_since = AwareDateTime(
        allow_none=True,
        metadata={
            "description": "ADMIN_CASE_ACCESS=two_person: the account cannot sign in until a "
            "second admin approves it (POST /users/{user_id}/approve)"
        },
    )
    team_ids = fields.List(
        fields.UUID(),
        required=True,
        metadata={"description": "The teams of a coordinator or mentor (none for other roles)"},
    )
    on_duty = fields.Boolean(required=True)
    created_at = AwareDateTime(required=True)
    updated_at = AwareDateTime(required=True)


class UserCreateSchema(StrictSchema):
    email = Email(required=True)
    password = fields.String(required=True, **PASSWORD)
    display_name = Text(100, min_length=1, required=True)
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    specialty = fields.String(
        allow_none=True,
        validate=validate.OneOf(MENTOR_SPECIALTIES),
        metadata={"description": "Required for mentors, refused otherwise"},
    )
    referrer_type = fields.String(
        allow_none=True,
        validate=validate.OneOf(REFERRER_TYPES),
        metadata={"description": "Required for referrers, refused otherwise"},
    )
    organisation = Text(
        200,
        min_length=1,
        allow_none=True,
        metadata={"description": "Required for referrers, refused otherwise"},
    )
    team_ids = fields.List(
        fields.UUID(),
        validate=validate.Length(min=1, max=50),
        metadata={
            "description": "Coordinators and mentors only; without it they join the default team"
        },
    )


class UserUpdateSchema(StrictSchema):
    display_name = Text(100, min_length=1)
    is_active = fields.Boolean(metadata={"description": "false cuts the user off at once"})
    specialty = fields.String(allow_none=True, validate=validate.OneOf(MENTOR_SPECIALTIES))
    referrer_type = fields.String(allow_none=True, validate=validate.OneOf(REFERRER_TYPES))
    organisation = Text(200, min_length=1, allow_none=True)
    password = fields.String(**PASSWORD)


class UserQueryArgsSchema(StrictSchema):
    role = fields.String(validate=validate.OneOf(STAFF_ROLES))
    is_active = fields.Boolean()
