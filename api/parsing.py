"""Request bodies read strictly: bad JSON is a 400, a non-JSON body a 415, unstorable text a 422."""

from __future__ import annotations

import json
from typing import Any

import flask
from webargs import core
from webargs.flaskparser import FlaskParser, abort

MAX_NESTING = 32


class StrictParser(FlaskParser):
    """webargs' Flask parser, with the body rules of the API contract."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        has_body = bool(req.content_length) or req.headers.get("Transfer-Encoding") == "chunked"
        if not core.is_json(req.mimetype):
            if has_body:
                abort(415, message="Send the request body as JSON (Content-Type: application/json).")
            return core.missing
        return parse_json_body(req.get_data(cache=True))

    def load_querystring(self, req: flask.Request, schema: Any) -> Any:
        problems = {key: _text_problem(value) for key, value in req.args.items(multi=True)}
        problems = {key: [p] for key, p in problems.items() if p}
        if problems:
            abort(422, message="The query string is not valid.", messages={"query": problems})
        return super().load_querystring(req, schema)


def parse_json_body(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        abort(400, message="The request body is not valid UTF-8.")
    try:
        body = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        abort(400, message="The request body is nested too deeply.")
    except ValueError:
        abort(400, message="The request body is not valid JSON.")
    if _depth(body) > MAX_NESTING:
        abort(400, message="The request body is nested too deeply.")
    problems = _unstorable_text(body)
    if problems:
        abort(422, message="The request body holds text that cannot be stored.",
              messages={"json": problems})
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


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
