"""Security headers on every answer: nothing sniffed, framed, referred or kept in a cache."""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Response, request

# A JSON API loads nothing and may be framed by no one.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

# Swagger UI and ReDoc are served by the app itself (api/docs_assets/): their scripts and
# styles, the OpenAPI document they fetch, ReDoc's search worker (a blob:) and Swagger UI's
# icons (data: images); nothing from a third party. Inline scripts are allowed by hash
# only; inline styles are needed by both (ReDoc writes its styles at run time).
_DOCS_POLICY = (
    "default-src 'none'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Browsers ignore it over plain http (RFC 6797, 8.1), and behind a proxy that ends TLS
    # the app cannot always tell which it was: so it is always sent.
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Permissions-Policy": (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=()"
    ),
    "Cross-Origin-Resource-Policy": "same-origin",
}


_DEFAULTS = [(name.lower(), name, value) for name, value in HEADERS.items()]


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    # Each header unless the route set its own: the names present are read once (one
    # setdefault per header scanned the list each time, a tenth of a cheap answer's cost).
    present = {name.lower() for name, _ in headers}
    for lower, name, value in _DEFAULTS:
        if lower not in present:
            headers.add(name, value)
    if request.blueprint == "api-docs" and response.mimetype == "text/html":
        headers["Content-Security-Policy"] = _docs_policy(response)
    elif "content-security-policy" not in present:
        headers.add("Content-Security-Policy", API_POLICY)
    if "cache-control" not in present and request.headers.get("Authorization"):
        # Records of vulnerable young people must not linger in shared caches.
        headers.add("Cache-Control", "no-store")
    return response


def _docs_policy(response: Response) -> str:
    page = response.get_data(as_text=True)
    scripts = ["'self'"] + [
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    ]
    return _DOCS_POLICY.format(scripts=" ".join(scripts))
