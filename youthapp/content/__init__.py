"""Content authored as files under content/ (crisis contacts, help articles, the services
directory): read once, checked against the format in content/README.md, rendered to safe HTML.

`model` is what the files hold, `formats` the schema of each file, `loader` reads and checks
them, `markdown` renders articles, `duty_line` adds the programme's own number."""

from youthapp.content.duty_line import duty_line_contact
from youthapp.content.loader import load_content
from youthapp.content.markdown import render_markdown
from youthapp.content.model import (
    CHANNEL_KINDS,
    COSTS,
    COVERAGES,
    DEFAULT_LANGUAGE,
    DUTY_LINE_ID,
    LANGUAGES,
    SUPPORT_DOMAINS,
    Article,
    Channel,
    ContentError,
    ContentLibrary,
    CrisisContact,
    DutyLine,
    Service,
    primary_language,
)

__all__ = [
    "CHANNEL_KINDS",
    "COSTS",
    "COVERAGES",
    "DEFAULT_LANGUAGE",
    "DUTY_LINE_ID",
    "LANGUAGES",
    "SUPPORT_DOMAINS",
    "Article",
    "Channel",
    "ContentError",
    "ContentLibrary",
    "CrisisContact",
    "DutyLine",
    "Service",
    "duty_line_contact",
    "load_content",
    "primary_language",
    "render_markdown",
]
