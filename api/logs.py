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

import logging
import re
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


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_redaction()


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
