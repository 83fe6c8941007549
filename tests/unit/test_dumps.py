"""A compiled dump gives exactly what marshmallow gives, or leaves the work to marshmallow."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace

import marshmallow as ma
import pytest
from marshmallow import fields, post_dump

from api.dumps import CompiledDump, compiled
from api.messages.schemas import MessageSchema
from api.plans.schemas import MyPlanSchema, PlanSchema
from api.views import Redacted

BST = timezone(timedelta(hours=1))


def marshmallows(schema: ma.Schema, obj, many: bool = False):
    return ma.Schema.dump(schema, obj, many=many)


def step(**overrides):
    return {
        "id": uuid.uuid4(),
        "goal_id": uuid.uuid4(),
        "title": "Call the council",
        "done": False,
        "due_date": date(2027, 1, 4),
        "done_at": None,
        "position": 0,
        "updated_at": datetime(2026, 12, 1, 9, 30, tzinfo=BST),
        "young_person_id": uuid.uuid4(),  # a column the schema does not show
        **overrides,
    }


def goal(**overrides):
    return {
        "id": uuid.uuid4(),
        "young_person_id": uuid.uuid4(),
        "domain": "housing",
        "title": "Somewhere safe to live",
        "description": "With the council — and “quotes”, ünïcode",
        "status": "in_progress",
        "target_date": None,
        "achieved_at": datetime(2026, 11, 30, 23, 59, 59, 123456, tzinfo=UTC),
        "position": 3,
        "staff_notes": "Not for the young person",
        "created_by_id": uuid.uuid4(),
        "created_at": datetime(2026, 11, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 12, 1, tzinfo=UTC),
        "steps": [step(), step(done=True, done_at=datetime(2026, 12, 1, tzinfo=UTC))],
        **overrides,
    }


@pytest.mark.parametrize("schema_class", [MyPlanSchema, PlanSchema])
def test_a_plan_of_rows_dumps_as_marshmallow_dumps_it(schema_class):
    schema = schema_class()
    plan = {
        "young_person_id": uuid.uuid4(),
        "goals": [goal(), goal(target_date=date(2027, 3, 1), steps=[]), goal(staff_notes=None)],
    }
    assert compiled(schema) is not None
    assert schema.dump(plan) == marshmallows(schema, plan)
    assert list(schema.dump(plan)["goals"][0]) == list(marshmallows(schema, plan)["goals"][0])


def test_objects_and_absent_attributes_dump_as_marshmallow_dumps_them():
    """Attributes an object lacks are left out (as a Redacted record's staff fields are);
    values of another type than the field's are converted by the field itself."""
    schema = PlanSchema()
    record = SimpleNamespace(**{k: v for k, v in goal().items() if k != "staff_notes"})
    record.position = 4.0  # a float where an integer is shown
    record.title = 12345  # not a str
    narrowed = Redacted(SimpleNamespace(**goal()), MyPlanSchema().fields["goals"].inner.schema)
    plan = SimpleNamespace(young_person_id=str(uuid.uuid4()), goals=[record, narrowed])
    ours, theirs = schema.dump(plan), marshmallows(schema, plan)
    assert ours == theirs
    assert "staff_notes" not in ours["goals"][0] and ours["goals"][0]["title"] == "12345"
    assert "staff_notes" not in ours["goals"][1]


def test_a_list_of_messages_dumps_as_marshmallow_dumps_it():
    schema = MessageSchema(many=True)
    messages = [
        SimpleNamespace(
            id=uuid.uuid4(),
            body="Are you safe?",
            sent_at=datetime(2026, 12, 1, 18, tzinfo=UTC),
            sender={"role": "mentor", "display_name": "Sam"},
            read_by_young_person_at=None,
            client_ref=None,
        )
        for _ in range(3)
    ]
    assert schema.dump(messages) == marshmallows(schema, messages, many=True)


def test_what_it_cannot_compile_is_left_to_marshmallow():
    class Hooked(CompiledDump):
        name = fields.String()

        @post_dump
        def shout(self, data, **kwargs):
            return {"name": data["name"].upper()}

    class Defaulted(CompiledDump):
        name = fields.String(dump_default="anonymous")

    class Tree(CompiledDump):
        name = fields.String()
        children = fields.List(fields.Nested(lambda: Tree()))

    assert compiled(Hooked()) is None
    assert Hooked().dump({"name": "sam"}) == {"name": "SAM"}
    assert compiled(Defaulted()) is None
    assert Defaulted().dump({}) == {"name": "anonymous"}
    tree = {"name": "a", "children": [{"name": "b", "children": []}]}
    assert Tree().dump(tree) == tree
