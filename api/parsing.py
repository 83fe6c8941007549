"""Request bodies read strictly: bad JSON is a 400, a non-JSON body a 415, unstorable text a 422."""

from __future__ import annotations

import json
import math
from typing import Any

import flask
import marshmallow as ma
from webargs import core
from webargs.flaskparser import FlaskParser, abort

MAX_NESTING = 32


class StrictParser(FlaskParser):
    """webargs' Flask parser, with the body rules of the API contract."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        has_body = bool(req.content_length) or req.headers.get("Transfer-Encoding") == "chunked"
        if not core.is_json(req.mimetype):
            if has_body:
                abort(
                    415, message="Send the request body as JSON (Content-Type: application/json)."
                )
            return core.missing
        raw = req.get_data(cache=True)
        limit = req.max_content_length
        if req.content_length is None and limit is not None and len(raw) >= limit:
            # A streamed (chunked) body is cut off at the limit rather than refused, and
            # the cut-off part may even parse: refuse it as too large instead.
            abort(413, message=f"The request body is larger than the limit of {limit // 1024} KiB.")
        return parse_json_body(raw)

    def load_querystring(self, req: flask.Request, schema: Any) -> Any:
        problems: dict[str, list[str]] = {}
        for key, value in req.args.items(multi=True):
            key_problem = _text_problem(key)
            if key_problem:
                problems.setdefault("_schema", [key_problem])
            elif value_problem := _text_problem(value):
                problems.setdefault(key, [value_problem])
        if problems:
            abort(422, message="The query string is not valid.", messages={"query": problems})
        return super().load_querystring(req, schema)

    def pre_load(
        self, location_data: Any, *, schema: ma.Schema, req: flask.Request, location: str
    ) -> Any:
        # marshmallow reads "yes", "off", 1 and 0 as booleans and "12" as a number, which
        # suits query strings; in a JSON body a wrong type is a mistake to report, never
        # a guess (`{"is_active": "false"}` must not switch anything on or off).
        if location == "json":
            return _refuse_loose_types(schema, location_data)
        return location_data


def parse_json_body(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        abort(400, message="The request body is not valid UTF-8.")
    try:
        body = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        abort(400, message="The request body is nested too deeply.")
    except _NumberOutOfRange:
        abort(400, message="The request body holds a number too large to use.")
    except ValueError:
        abort(400, message="The request body is not valid JSON.")
    if _depth(body) > MAX_NESTING:
        abort(400, message="The request body is nested too deeply.")
    problems = _unstorable_text(body)
    if problems:
        abort(
            422,
            message="The request body holds text that cannot be stored.",
            messages={"json": problems},
        )
    return body


class _NumberOutOfRange(ValueError):
    """A JSON number such as 1e400 that only a float infinity could hold."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NumberOutOfRange(text)
    return value


def _depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        children: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                children.extend(item.values())
            elif isinstance(item, list):
                children.extend(item)
        level = children
    return depth - 1


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "Must not contain NUL characters."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Must not contain unpaired surrogate characters."
    return None


def _unstorable_text(body: Any) -> dict[str, list[str]]:
    """Strings a database cannot hold, keyed by the top-level field they sit under."""
    problems: dict[str, list[str]] = {}

    def walk(value: Any, field: str) -> None:
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem and field not in problems:
                problems[field] = [problem]
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key, field)
                walk(item, field)
        elif isinstance(value, list):
            for item in value:
                walk(item, field)

    if isinstance(body, dict):
        for key, value in body.items():
            walk(key, "_schema")
            walk(value, key if _text_problem(key) is None else "_schema")
    else:
        walk(body, "_schema")
    return problems


class _WrongJSONType:
    """Stands in for a JSON value of the wrong type, which every field refuses as invalid.

    Substituting it (rather than raising at once) lets the schema report the wrong type
    together with every other problem of the body, in its own words.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<wrong JSON type>"


_WRONG_TYPE = _WrongJSONType()


def _refuse_loose_types(schema: ma.Schema, data: Any) -> Any:
    if schema.many and isinstance(data, list):
        return [_refuse_loose_types(schema, item) for item in data]
    if not isinstance(data, dict):
        return data
    fields_by_key = {field.data_key or name: field for name, field in schema.load_fields.items()}
    return {
        key: _strict_value(fields_by_key[key], value) if key in fields_by_key else value
        for key, value in data.items()
    }


def _strict_value(field: ma.fields.Field, value: Any) -> Any:
    if value is None:
        return value  # allow_none decides
    if isinstance(field, ma.fields.Boolean):
        return value if isinstance(value, bool) else _WRONG_TYPE
    if isinstance(field, ma.fields.Integer | ma.fields.Float):
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        # A whole number is never a fraction cut short: mood 4.9 is not 4 (30.0 is 30).
        fraction = isinstance(field, ma.fields.Integer) and isinstance(value, float)
        if fraction and not value.is_integer():
            return _WRONG_TYPE
        return value if is_number else _WRONG_TYPE
    if isinstance(field, ma.fields.Pluck):
        return value
    if isinstance(field, ma.fields.Nested):
        if field.many:
            if not isinstance(value, list):
                return value
            return [_refuse_loose_types(field.schema, item) for item in value]
        return _refuse_loose_types(field.schema, value)
    if isinstance(field, ma.fields.List) and isinstance(value, list):
        return [_strict_value(field.inner, item) for item in value]
    if (
        isinstance(field, ma.fields.Tuple)
        and isinstance(value, list)
        and len(value) == len(field.tuple_fields)
    ):
        return [
            _strict_value(inner, item)
            for inner, item in zip(field.tuple_fields, value, strict=True)
        ]
    if (
        isinstance(field, ma.fields.Dict)
        and field.value_field is not None
        and isinstance(value, dict)
    ):
        return {key: _strict_value(field.value_field, item) for key, item in value.items()}
    return value
