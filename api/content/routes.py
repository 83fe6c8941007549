"""Content for everyone, signed in or not: crisis contacts, help articles and services.

Help is never behind a login. The content is read once, when it is first needed; a broken
file makes these routes 503 (and says so in /readyz and the log) and stops nothing else,
and every answer can be cached by phones and shared caches: it carries
an ETag taken from the content's version and `Cache-Control: public`, and a repeated request
with `If-None-Match` is a 304. Query strings are strict here (elsewhere they are lenient,
for pagination's sake): a misspelt filter is a 422, never a silently unfiltered list.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from marshmallow import RAISE
from werkzeug.exceptions import ServiceUnavailable

from api.content.schemas import (
    ArticleArgsSchema,
    ArticleQueryArgsSchema,
    ArticleSchema,
    ArticleSummarySchema,
    CrisisContactSchema,
    CrisisQueryArgsSchema,
    ServiceQueryArgsSchema,
    SupportServiceSchema,
)
from api.etags import not_modified
from api.extensions import Blueprint
from youthapp.content import DEFAULT_LANGUAGE, ContentLibrary
from youthapp.errors import NotFound
from youthapp.runtime import ContentUnavailable

blp = Blueprint(
    "content",
    __name__,
    url_prefix="/api/v1/content",
    description="Crisis contacts, help articles and services: no sign-in needed",
)

# An hour fresh, then revalidated with the ETag (a 304 is cheap); if the service cannot be
# reached, a phone or cache may keep showing what it has for a week: crisis numbers must not
# vanish because a server is down.
CACHE_CONTROL = "public, max-age=3600, stale-if-error=604800"
CACHE_HEADERS = {
    "ETag": {"description": "The version of this answer", "schema": {"type": "string"}},
    "Cache-Control": {
        "description": "Public and cacheable: the same for everyone",
        "schema": {"type": "string", "example": CACHE_CONTROL},
    },
}


@blp.after_request
def _cacheable(response: Response) -> Response:
    # The content is the same for every caller, so even an answer to a signed-in request
    # may be stored by shared caches (the app otherwise marks those no-store).
    if response.status_code in (200, 304):
        response.headers["Cache-Control"] = CACHE_CONTROL
    else:
        response.headers["Cache-Control"] = "no-store"
    return response


def library() -> ContentLibrary:
    """The content; a broken content/ is 503 here and nowhere else."""
    try:
        return current_app.extensions["youthapp"].content()
    except ContentUnavailable:
        raise ServiceUnavailable(
            "The help content is being repaired. In danger, call 999.", retry_after=60
        ) from None


def cached(*key: Any) -> tuple[str, Response | None]:
    """This answer's ETag (from the content's version and what was asked), and a 304 when
    the caller already holds it."""
    digest = hashlib.sha256(repr((library().version, *key)).encode()).hexdigest()[:32]
    tag = f'"{digest}"'
    return tag, not_modified(tag)


@blp.route("/crisis")
class CrisisContacts(MethodView):
    @blp.arguments(CrisisQueryArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, CrisisContactSchema(many=True), headers=CACHE_HEADERS)
    @blp.alt_response(304, description="Not modified")
    def get(self, args):
        """Who to call or text for help now: 999 first, the programme's duty line next."""
        lang = args.get("lang", DEFAULT_LANGUAGE)
        tag, unchanged = cached("crisis", lang)
        return unchanged or (library().crisis(lang), {"ETag": tag})


@blp.route("/articles")
class Articles(MethodView):
    @blp.arguments(ArticleQueryArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, ArticleSummarySchema(many=True), headers=CACHE_HEADERS)
    @blp.alt_response(304, description="Not modified")
    def get(self, args):
        """Help articles in plain language, by domain, language (English fallback) and words."""
        lang = args.get("lang", DEFAULT_LANGUAGE)
        domain, q = args.get("domain"), (args.get("q") or "").strip()
        tag, unchanged = cached("articles", lang, domain, q)
        if unchanged:
            return unchanged
        return library().find_articles(lang=lang, domain=domain, q=q), {"ETag": tag}


@blp.route("/articles/<slug>")
class ArticleBySlug(MethodView):
    @blp.arguments(ArticleArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, ArticleSchema, headers=CACHE_HEADERS)
    @blp.alt_response(304, description="Not modified")
    def get(self, args, slug):
        """One article: its Markdown source and the HTML rendered from it (safe to show)."""
        lang = args.get("lang", DEFAULT_LANGUAGE)
        article = library().article(slug, lang)
        if article is None:
            raise NotFound("There is no article by that name.")
        tag, unchanged = cached("article", article.slug, article.lang)
        return unchanged or (article, {"ETag": tag})


@blp.route("/services")
class Services(MethodView):
    @blp.arguments(ServiceQueryArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, SupportServiceSchema(many=True), headers=CACHE_HEADERS)
    @blp.alt_response(304, description="Not modified")
    def get(self, args):
        """Services by support domain and borough: a borough's own first, then London-wide."""
        domain, borough = args.get("domain"), args.get("borough")
        tag, unchanged = cached("services", domain, borough)
        if unchanged:
            return unchanged
        return library().find_services(domain=domain, borough=borough), {"ETag": tag}
