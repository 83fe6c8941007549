"""What content/ holds, once read and checked: crisis contacts, articles, services."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from youthapp.vocabulary import DOMAINS

DEFAULT_LANGUAGE = "en"
# Languages content may be written in (ISO 639-1): English and languages widely spoken in
# London. Adding one here is all it takes to accept a new content/articles/<lang>/ folder.
LANGUAGES = (
    "en",
    "ar",
    "bn",
    "es",
    "fr",
    "gu",
    "lt",
    "pa",
    "pl",
    "pt",
    "ro",
    "so",
    "ta",
    "tr",
    "ur",
)
# The support domains the programme's mentors cover; services are listed under these.
SUPPORT_DOMAINS = ("mental_health", "substance_misuse", "housing", "employment")
CHANNEL_KINDS = ("phone", "text", "web", "email")
COSTS = ("free", "standard_rate")
COVERAGES = ("borough", "london", "national")
# The order a borough's services are listed in: local first, then London, then national.
_COVERAGE_RANK = {coverage: rank for rank, coverage in enumerate(COVERAGES)}
DUTY_LINE_ID = "programme-duty-line"


class ContentError(ValueError):
    """Content files that break the format: every problem, each naming its file and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "The content files are not valid (see content/README.md):\n"
            + "\n".join(f"  {problem}" for problem in problems)
        )


@dataclass(frozen=True)
class Channel:
    """One way to reach a contact: a number to call or text, a web page or an email address."""

    kind: str
    value: str
    label: str
    hours: str
    always_open: bool
    cost: str | None = None
    message: str | None = None
    note: str | None = None

    @property
    def href(self) -> str:
        """What a phone opens when the channel is tapped."""
        digits = self.value.replace(" ", "")
        if self.kind == "phone":
            return f"tel:{digits}"
        if self.kind == "text":
            return f"sms:{digits}" + (f"?body={self.message}" if self.message else "")
        if self.kind == "email":
            return f"mailto:{self.value}"
        return self.value


@dataclass(frozen=True)
class CrisisContact:
    id: str
    name: str
    summary: str
    order: int
    emergency: bool
    channels: tuple[Channel, ...]
    source_url: str | None
    last_reviewed: date | None
    audience: str | None = None
    other_sources: tuple[str, ...] = ()
    lang: str = DEFAULT_LANGUAGE
    from_configuration: bool = False
    translations: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def in_language(self, lang: str) -> CrisisContact:
        """The contact's words in `lang` where they were translated; numbers never change."""
        words = self.translations.get(lang)
        if not words:
            return self
        channels = tuple(
            replace(channel, **{key: value for key, value in texts.items() if value})
            for channel, texts in zip(
                self.channels, words.get("channels") or [{}] * len(self.channels), strict=True
            )
        )
        return replace(
            self,
            name=words.get("name") or self.name,
            summary=words.get("summary") or self.summary,
            audience=words.get("audience") or self.audience,
            channels=channels,
            lang=lang,
        )


@dataclass(frozen=True)
class Article:
    slug: str
    lang: str
    title: str
    summary: str
    domain: str
    reading_minutes: int
    source_url: str
    last_reviewed: date
    body_markdown: str
    body_html: str
    languages: tuple[str, ...] = ()
    search_text: str = field(default="", repr=False)


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    summary: str
    domains: tuple[str, ...]
    coverage: str
    boroughs: tuple[str, ...]
    url: str
    source_url: str
    last_reviewed: date
    phone: str | None = None
    phone_cost: str | None = None
    hours: str | None = None
    age_min: int | None = None
    age_max: int | None = None


@dataclass(frozen=True)
class DutyLine:
    """The programme's own duty line, from configuration (DUTY_LINE_PHONE, DUTY_LINE_HOURS)."""

    phone: str
    hours: str = ""


@dataclass(frozen=True)
class ContentLibrary:
    """Everything under content/, checked; `version` changes whenever any of it does."""

    crisis_contacts: tuple[CrisisContact, ...]
    articles: dict[str, dict[str, Article]]  # slug -> language -> article
    services: tuple[Service, ...]
    version: str

    def crisis(self, lang: str = DEFAULT_LANGUAGE) -> list[CrisisContact]:
        return [contact.in_language(lang) for contact in self.crisis_contacts]

    def article(self, slug: str, lang: str = DEFAULT_LANGUAGE) -> Article | None:
        versions = self.articles.get(slug)
        if not versions:
            return None
        return versions.get(lang) or versions[DEFAULT_LANGUAGE]

    def find_articles(
        self, *, lang: str = DEFAULT_LANGUAGE, domain: str | None = None, q: str | None = None
    ) -> list[Article]:
        """Articles in `lang` (English where not translated), by domain, matching every word
        of `q` in the title, summary or text; title matches first."""
        chosen = [self.article(slug, lang) for slug in self.articles]
        found = [a for a in chosen if a is not None and (domain is None or a.domain == domain)]
        terms = fold(q or "").split()
        if terms:
            found = [a for a in found if all(term in a.search_text for term in terms)]

        def order(article: Article) -> tuple[Any, ...]:
            in_title = all(term in fold(article.title) for term in terms)
            return (not in_title, DOMAINS.index(article.domain), fold(article.title))

        return sorted(found, key=order)

    def find_services(
        self, *, domain: str | None = None, borough: str | None = None
    ) -> list[Service]:
        """Services in a domain; for a borough, its own services and those for all of London."""
        found = [
            service
            for service in self.services
            if (domain is None or domain in service.domains)
            and (borough is None or service.coverage != "borough" or borough in service.boroughs)
        ]
        return sorted(found, key=lambda s: (_COVERAGE_RANK[s.coverage], fold(s.name)))


def fold(text: str) -> str:
    """Text for matching: case and accents ignored ("Mieszkanie" finds "mieszkanie")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def primary_language(tag: str | None) -> str:
    """The language of a tag such as "pl-PL" or "pt_BR", if content may be written in it;
    English otherwise."""
    primary = re.split(r"[-_]", (tag or "").strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE
