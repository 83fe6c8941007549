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
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from marshmallow import RAISE, Schema
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
from youthapp.content.model import fold
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


# Each answer is serialised once per content version and request (language, filters,
# words), and its bytes kept: the crisis contacts are what a phone asks for most, and
# marshmallow and JSON cost far more than sending stored bytes. Keys are normalised (a
# language tag to its language, search words folded), and only the most recently used
# ANSWERS_KEPT answers are kept, so odd queries cannot grow memory without limit.
ANSWERS_KEPT = 256


@dataclass(frozen=True)
class Answer:
    body: bytes
    etag: str  # quoted


class Answers:
    """The serialised answers, least recently used dropped first beyond `size`."""

    def __init__(self, size: int = ANSWERS_KEPT) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[Any, ...], Answer] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, key: tuple[Any, ...], make: Callable[[], bytes]) -> Answer:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
                return found
        # Outside the lock: two threads may both make a new answer, the same bytes.
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
        answer = Answer(make(), f'"{digest}"')
        with self._lock:
            self._kept[key] = answer
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return answer


answers = Answers()


def answer(schema: Schema, key: tuple[Any, ...], find: Callable[[], Any]) -> Response:
    """The answer to `key` (what was asked, after the content's version): a 304 when the
    caller holds it already, else the stored bytes (made with `schema` from `find()` the
    first time), with its ETag."""
    content = library()
    stored = answers.get(
        (content.version, *key),
        lambda: current_app.json.response(schema.dump(find())).get_data(),
    )
    unchanged = not_modified(stored.etag)
    if unchanged is not None:
        return unchanged
    return Response(stored.body, mimetype="application/json", headers={"ETag": stored.etag})


_CRISIS = CrisisContactSchema(many=True)
_ARTICLES = ArticleSummarySchema(many=True)
_ARTICLE = ArticleSchema()
_SERVICES = SupportServiceSchema(many=True)


@blp.route("/crisis")
class CrisisContacts(MethodView):
    @blp.arguments(CrisisQueryArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, CrisisContactSchema(many=True), headers=CACHE_HEADERS)
    @blp.alt_response(304, description="Not modified")
    def get(self, args):
        """Who to call or text for help now: 999 first, the programme's duty line next."""
        lang = args.get("lang", DEFAULT_LANGUAGE)
        return answer(_CRISIS, ("crisis", lang), lambda: library().crisis(lang))


@blp.route("/articles")
class Articles(MethodView):
    @blp.arguments(ArticleQueryArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, ArticleSummarySchema(many=True), headers=CACHE_HEADERS)
    @blp.alt_response(304, description="Not modified")
    def get(self, args):
        """Help articles in plain language, by domain, language (English fallback) and words."""
        lang = args.get("lang", DEFAULT_LANGUAGE)
        # The answer depends on the words as matched: folded (case and accents), one space.
        domain, q = args.get("domain"), " ".join(fold(args.get("q") or "").split())
        return answer(
            _ARTICLES,
            ("articles", lang, domain, q),
            lambda: library().find_articles(lang=lang, domain=domain, q=q),
        )


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
        # Keyed by the article found (an unknown language is English): at most one answer
        # per article and language it is written in.
        return answer(_ARTICLE, ("article", article.slug, article.lang), lambda: article)


@blp.route("/services")
class Services(MethodView):
    @blp.arguments(ServiceQueryArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, SupportServiceSchema(many=True), headers=CACHE_HEADERS)
    @blp.alt_response(304, description="Not modified")
    def get(self, args):
        """Services by support domain and borough: a borough's own first, then London-wide."""
        domain, borough = args.get("domain"), args.get("borough")
        return answer(
            _SERVICES,
            ("services", domain, borough),
            lambda: library().find_services(domain=domain, borough=borough),
        )
