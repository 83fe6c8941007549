"""Answers dumped fast: a response schema that mixes in `CompiledDump` gives exactly what
marshmallow's own `dump` gives, from a plan of its fields worked out once per schema.

marshmallow spends most of a large answer on its generic machinery, not on formatting: for
each of the plan's five hundred values it looks up an accessor, checks for defaults and
dispatches through `Field.serialize`. The plan here reads each value straight from the
row or object, passes the values that already have their JSON type (a str for a String, an
int for an Integer, a bool for a Boolean) through untouched, and hands everything else to
the field's own `_serialize`, so formats, `None` and custom fields stay marshmallow's.
A schema with pre- or post-dump hooks, and a field with a dump default, a dotted attribute
or a `Method`/`Function` source, fall back to marshmallow (tests/unit/test_dumps.py checks
the two agree).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import marshmallow as ma
from marshmallow import fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import missing

Dumper = Callable[[Any], dict[str, Any]]
_lock = threading.RLock()  # compiling a schema compiles its nested schemas too
_compiling: set[type] = set()  # schema classes being compiled: one nested in itself falls back


class CompiledDump(ma.Schema):
    """Mix in first: `class PlanSchema(CompiledDump, Schema)` or as the base."""

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        many = self.many if many is None else bool(many)
        dumper = compiled(self)
        if dumper is None:
            return super().dump(obj, many=many)
        return [dumper(item) for item in obj] if many else dumper(obj)


def compiled(schema: ma.Schema) -> Dumper | None:
    """The schema's dumper (made on first use and kept on the instance), or None when only
    marshmallow itself can dump it."""
    dumper = schema.__dict__.get("_compiled_dumper", missing)
    if dumper is missing:
        with _lock:
            if type(schema) in _compiling:
                return None
            _compiling.add(type(schema))
            try:
                dumper = _compile(schema)
            finally:
                _compiling.discard(type(schema))
            schema.__dict__["_compiled_dumper"] = dumper
    return dumper


def _compile(schema: ma.Schema) -> Dumper | None:
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]:
        return None
    plan: list[tuple[str, str, Callable[[Any, Any], Any]]] = []
    for name, field in schema.dump_fields.items():
        attribute = field.attribute or name
        if (
            "." in attribute
            or field.dump_default is not missing
            or isinstance(field, fields.Method | fields.Function)
            or not field._CHECK_ATTRIBUTE
        ):
            return None
        convert = _converter(field)
        if convert is None:
            return None
        plan.append((field.data_key or name, attribute, convert))

    def dump(obj: Any) -> dict[str, Any]:
        answer: dict[str, Any] = {}
        by_key = isinstance(obj, Mapping)
        for key, attribute, convert in plan:
            if by_key:
                try:
                    value = obj[attribute]
                except KeyError:
                    value = getattr(obj, attribute, missing)
            else:
                value = getattr(obj, attribute, missing)
            if value is not missing:
                answer[key] = convert(value, obj)
        return answer

    return dump


def _converter(field: fields.Field) -> Callable[[Any, Any], Any] | None:
    """How to turn one value into JSON for `field`: fast where the value already is what
    marshmallow would make of it, the field's own `_serialize` otherwise."""
    kind = type(field)

    def own(value: Any, obj: Any) -> Any:
        return field._serialize(value, None, obj)

    if kind is fields.String:
        return lambda value, obj: value if type(value) is str else own(value, obj)
    if kind is fields.UUID:
        return lambda value, obj: str(value) if type(value) is uuid.UUID else own(value, obj)
    if kind is fields.Integer and not field.as_string:  # type: ignore[attr-defined]
        return lambda value, obj: value if type(value) is int else own(value, obj)
    if kind is fields.Boolean:
        return lambda value, obj: value if value is True or value is False else own(value, obj)
    if kind is fields.List and type(field.inner) is fields.Nested:  # type: ignore[attr-defined]
        inner = compiled(field.inner.schema)  # type: ignore[attr-defined]
        if inner is None or field.inner.many:  # type: ignore[attr-defined]
            return None
        return lambda value, obj: None if value is None else [inner(item) for item in value]
    if kind is fields.Nested:
        nested = compiled(field.schema)  # type: ignore[attr-defined]
        if nested is None:
            return None
        if field.many:  # type: ignore[attr-defined]
            return lambda value, obj: None if value is None else [nested(item) for item in value]
        return lambda value, obj: None if value is None else nested(value)
    if kind is fields.List:
        return None if isinstance(field.inner, fields.Nested) else own  # type: ignore[attr-defined]
    return own
