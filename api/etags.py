"""ETags from version columns: `If-Match` to change (428 without, 412 stale), `If-None-Match`
for 304, all without loading more than the version."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from webargs.flaskparser import abort

IF_MATCH_PARAMETER = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The ETag of the version you are changing (from its last GET)",
    "schema": {"type": "string"},
}
ETAG_HEADER = {
    "ETag": {"description": "The version of this resource", "schema": {"type": "string"}}
}


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_tags() -> set[str]:
    """The tags the client sent in If-Match, unquoted; 428 when it sent none."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        abort(428, message="Send If-Match with the ETag you last read, so no change is lost.")
    tags = set()
    for raw in header.split(","):
        tag = raw.strip()
        tag = tag[2:] if tag.startswith("W/") else tag
        tags.add(tag.strip('"'))
    return tags


def optional_if_match_tags() -> set[str]:
    return if_match_tags() if request.headers.get("If-Match", "").strip() else set()


def not_modified(tag: str) -> Response | None:
    """A 304 when the client already holds the representation tagged `tag` (quoted).

    The one reading of If-None-Match (Werkzeug's parser, as for every other answer): as RFC
    9110 says, weak comparison, so W/"3" is "3", and `*` matches whatever is there."""
    offered = request.if_none_match
    if offered.star_tag or offered.contains_weak(tag.strip('"')):
        return Response(status=304, headers={"ETag": tag})
    return None


def with_etag(body: Any, version: int) -> tuple[Any, dict[str, str]]:
    """A handler's answer carrying the version's ETag."""
    return body, {"ETag": etag(version)}


def versioned(body: Any, version: int) -> Response | tuple[Any, dict[str, str]]:
    """A GET's answer: 304 when the client holds this version, else the body with its ETag."""
    return not_modified(etag(version)) or with_etag(body, version)
