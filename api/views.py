"""Seeing a record through another schema: a narrower one (fields outside it read as absent,
not null), or a wider one (the record with something worked out about it)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma


class Redacted:
    """`record` as `schema` allows: any attribute the schema does not name is missing, so
    the response schema leaves it out altogether. Used where one route serves staff and a
    young person, to give the young person their own view without staff-only fields."""

    def __init__(self, record: Any, schema: ma.Schema) -> None:
        self._record = record
        self._allowed = frozenset(field.attribute or name for name, field in schema.fields.items())

    def __getattr__(self, name: str) -> Any:
        if name in self._allowed:
            return getattr(self._record, name)
        raise AttributeError(name)


class Extended:
    """`record` with more attributes beside its own, for a response schema that shows a
    record together with something worked out about it."""

    def __init__(self, record: Any, **extra: Any) -> None:
        self._record = record
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._record, name)
