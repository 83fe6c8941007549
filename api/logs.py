"""Logging, set up once: no log line carries a password, a token, a code or a note.

Every record is cleaned as it is made (a log record factory), so whatever handler writes it
- the app's, Werkzeug's or gunicorn's access log, a test's capture - only sees the cleaned
text. What is cleaned:

- the calendar feed's token, which is the whole key to a young person's appointments and
  sits in the path (/api/v1/calendar/<token>.ics), as access logs print it;
- every query string value (the API takes no secrets there, but a client may send one);
- bearer tokens and anything shaped like a JWT;
- the values of fields named like secrets or notes (password, *token, activation_code,
  note, staff_notes, reason, location...), as a body or a dict would show them inside a
  message or an exception;
- SQLAlchemy's "[parameters: ...]" in a database error, which would hold the row's values
  (the engine is also made with hide_parameters=True).

Tracebacks are rendered and cleaned in the same way, so an exception's message cannot carry
a request body into the log.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

REDACTED = "[redacted]"

_REDACTED_FIELDS = (
    r"password|passphrase|secret|authorization|activation_code|\w*token"
    r"|\w*notes?(?:_for_young_person)?|reason|location"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(/calendar/)[^/\s?#\"']+"), rf"\1{REDACTED}"),
    (re.compile(r"([?&][^=&\s\"'#?]*=)[^&\s\"'#]+"), rf"\1{REDACTED}"),
    (re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+"), rf"\1{REDACTED}"),
    (re.compile(r"\beyJ[\w-]*\.[\w-]+\.[\w-]*"), REDACTED),
    (
        re.compile(
            rf"""(?ix)
            (["']?\b(?:{_REDACTED_FIELDS})\b["']?\s*[:=]\s*)   # "password": , note=
            (?!\[redacted\])                                # (not already cleaned)
            ("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'              # its value: a string,
             |\{{[^{{}}]*\}}|\[[^\[\]]*\]                        # an object or a list,
             |[^\s,;&}}\])]+)                                  # or a bare word
            """
        ),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"\[parameters: .*?\](?=\s*(?:\n|\(|$))", re.DOTALL), f"[parameters: {REDACTED}]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def configure_logging(level: str, log_format: str = "text") -> None:
    """Text lines, or with `log_format` "json" one JSON object per line; either way each
    line carries the request id (`-` outside a request) and is cleaned of secrets."""
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
    )
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, _RequestId) for f in handler.filters):
            handler.addFilter(_RequestId())
        if log_format == "json":
            handler.setFormatter(JsonLines())
    install_redaction()


class _RequestId(logging.Filter):
    """Gives every record the id of the request (or scheduler sweep) it was made in."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current_request_id()
        return True


def _current_request_id() -> str:
    from flask import g, has_request_context

    if has_request_context():
        return str(g.get("request_id", "-"))
    from youthapp.audit import current_origin

    origin = current_origin.get()
    return (origin.request_id if origin is not None else None) or "-"


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, request id, message (and traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)

    converter = time.gmtime


def install_redaction() -> None:
    """Clean every log record of the process as it is made (once, however many apps)."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "redacts", False):
        return

    def make_clean_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        _clean(record)
        return record

    make_clean_record.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_clean_record)


_FORMATTER = logging.Formatter()


def _clean(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001, S110 - a malformed call is the handler's to report
        return
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, ()
    if record.exc_info and record.exc_info[1] is not None:
        # Formatters use exc_text when it is set, so the traceback is written as cleaned here.
        record.exc_text = redact(_FORMATTER.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
