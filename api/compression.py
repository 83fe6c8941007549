"""JSON answers over 1 KiB compressed (br when the client asks for it, else gzip), by
Flask-Compress, with ETags that stay right.

Flask-Compress gives a compressed answer's strong ETag a suffix naming the coding ("3"
becomes "3:gzip"), as a different representation must have a different strong tag. A
client then sends that tag back in If-Match or If-None-Match; the suffix is taken off
before the app reads those headers, so the version "3" still matches and a stale one
still does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from flask_compress import Compress

MIN_SIZE = 1024
_CODING_SUFFIX = re.compile(r':(?:br|gzip|deflate|zstd)"')
_CONDITIONAL_HEADERS = ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH")


def register(app: Flask) -> None:
    """Call first of all: Flask runs after_request functions last-registered first, so
    compression then happens after everything else, ETags included."""
    app.config.update(
        COMPRESS_MIMETYPES=["application/json"],
        COMPRESS_MIN_SIZE=MIN_SIZE,
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_LEVEL=6,
        COMPRESS_BR_LEVEL=4,
    )
    Compress(app)
    app.wsgi_app = _CodingBlindTags(app.wsgi_app)  # type: ignore[method-assign]


class _CodingBlindTags:
    """WSGI middleware: "3:gzip" in If-Match / If-None-Match reads as "3"."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        for name in _CONDITIONAL_HEADERS:
            if name in environ:
                environ[name] = _CODING_SUFFIX.sub('"', environ[name])
        return self.wsgi_app(environ, start_response)
