"""Markdown to HTML that is safe to show in the app."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# CommonMark with tables. Raw HTML in an article is shown as text, never passed through;
# the sanitiser below is the second line of defence, not the only one.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MARKDOWN.enable("table")
_ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# tel: and sms: so that an article can offer a number to tap.
_URL_SCHEMES = {"https", "http", "mailto", "tel", "sms"}


def render_markdown(source: str) -> str:
    """Markdown as HTML that is safe to show in the app: no scripts, styles or handlers."""
    return nh3.clean(
        _MARKDOWN.render(source),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
