"""Content authored as files under content/ (crisis contacts, help articles, the services
directory): read once, checked against the format in content/README.md, rendered to safe HTML."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import marshmallow as ma
import nh3
import yaml
from markdown_it import MarkdownIt
from marshmallow import fields, post_load, validate, validates_schema

from youthapp.vocabulary import DOMAINS, canonical_borough

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

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PHONE = re.compile(r"^[0-9][0-9 ]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ContentError(ValueError):
    """Content files that break the format: every problem, each naming its file and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "The content files are not valid (see content/README.md):\n"
            + "\n".join(f"  {problem}" for problem in problems)
        )


# --- what the files hold -------------------------------------------------------------------


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
        terms = _fold(q or "").split()
        if terms:
            found = [a for a in found if all(term in a.search_text for term in terms)]

        def order(article: Article) -> tuple[Any, ...]:
            in_title = all(term in _fold(article.title) for term in terms)
            return (not in_title, DOMAINS.index(article.domain), _fold(article.title))

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
        return sorted(found, key=lambda s: (_COVERAGE_RANK[s.coverage], _fold(s.name)))


# --- reading the files -----------------------------------------------------------------------


def load_content(root: Path, *, duty_line: DutyLine | None = None) -> ContentLibrary:
    """Read and check every file under `root`; ContentError lists each problem found."""
    root = Path(root).resolve()
    problems: list[str] = []
    if not root.is_dir():
        raise ContentError([f"{root}: the content folder is missing"])
    for folder in ("crisis", "articles", "services"):
        if not (root / folder).is_dir():
            problems.append(f"{_shown(root, root / folder)}: the folder is missing")
    if problems:
        raise ContentError(problems)

    reader = _Reader(root, problems)
    contacts = _load_crisis_contacts(reader)
    articles = _load_articles(reader)
    services = _load_services(reader)
    if problems:
        raise ContentError(problems)

    if duty_line is not None:
        contacts.append(duty_line_contact(duty_line))
    contacts.sort(key=lambda contact: (contact.order, contact.id))
    fingerprint = hashlib.sha256(reader.fingerprint.digest())
    if duty_line is not None:
        fingerprint.update(f"\0duty-line\0{duty_line.phone}\0{duty_line.hours}".encode())
    return ContentLibrary(
        crisis_contacts=tuple(contacts),
        articles=articles,
        services=tuple(services),
        version=fingerprint.hexdigest()[:32],
    )


class _Reader:
    """Reads files once, collecting problems as "file: field: message" lines."""

    def __init__(self, root: Path, problems: list[str]) -> None:
        self.root = root
        self.problems = problems
        self.fingerprint = hashlib.sha256()

    def problem(self, path: Path, where: str | None, message: str) -> None:
        shown = _shown(self.root, path)
        self.problems.append(f"{shown}: {where}: {message}" if where else f"{shown}: {message}")

    def files(self, folder: Path, suffix: str, what: str) -> list[Path]:
        """The `suffix` files of `folder`; any other file there is a problem, not skipped."""
        found = []
        for path in sorted(folder.iterdir()):
            if path.name.startswith("."):
                continue
            if path.is_file() and path.suffix == suffix:
                found.append(path)
            else:
                self.problem(path, None, f"not read: {what} are {suffix} files")
        return found

    def text(self, path: Path) -> str | None:
        raw = path.read_bytes()
        self.fingerprint.update(str(path.relative_to(self.root)).encode() + b"\0" + raw + b"\0")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            self.problem(path, None, f"not UTF-8 text (byte {error.start})")
            return None
        return text.removeprefix("\ufeff").replace("\r\n", "\n")

    def yaml(self, path: Path, text: str) -> Any:
        try:
            return yaml.load(text, Loader=_ContentLoader)  # noqa: S506 (a SafeLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else None
            problem = getattr(error, "problem", None) or str(error)
            self.problem(path, where, f"not valid YAML: {problem}")
            return None

    def check(self, path: Path, schema: ma.Schema, data: Any, prefix: str = "") -> Any:
        if not isinstance(data, dict):
            self.problem(path, prefix or None, "expected a set of `field: value` lines")
            return None
        try:
            return schema.load(data)
        except ma.ValidationError as error:
            for where, message in _flatten(error.messages, prefix):
                self.problem(path, where, message)
            return None


class _ContentLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader, except that dates stay text (the schema checks them and names the
    field, where the parser would fail without one) and a key given twice is an error
    (YAML would silently keep the second, say, of two phone numbers)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the field {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_ContentLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _shown(root: Path, path: Path) -> str:
    return str(path.relative_to(root.parent))


def _flatten(messages: Any, where: str = "") -> Iterable[tuple[str, str]]:
    """marshmallow's nested messages as ("channels[0].value", "message") pairs."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                inner = where
            elif isinstance(key, int):
                inner = f"{where}[{key}]"
            else:
                inner = f"{where}.{key}" if where else str(key)
            yield from _flatten(value, inner)
    elif isinstance(messages, list):
        for message in messages:
            yield from _flatten(message, where)
    else:
        yield where or "(file)", str(messages)


# --- the schema of each file ---------------------------------------------------------------


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


def _text(max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(
        validate=[
            validate.Length(min=1, max=max_length),
            validate.Regexp(r"\S", error="Must not be blank."),
        ],
        **kwargs,
    )


class _ReviewDate(fields.Field):
    """A date written as YYYY-MM-DD, such as 2026-11-25."""

    default_error_messages = {"invalid": "Not a date: write it as YYYY-MM-DD, e.g. 2026-11-25."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not _DATE.match(value):
            raise self.make_error("invalid")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.make_error("invalid") from None


class _HttpsUrl(fields.Url):
    default_error_messages = {"invalid": "Not a web address starting https://"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(schemes={"https"}, require_tld=True, **kwargs)


class _PhoneNumber(fields.Field):
    """A UK number as dialled from a UK phone, in quotes so YAML keeps it as written."""

    default_error_messages = {
        "quotes": 'Write the number in quotes, like "0800 1111", so that it is kept as written.',
        "invalid": "Not a phone number: use digits and spaces only (3 to 11 digits).",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("quotes")
        number = " ".join(value.split())
        if not _PHONE.match(number) or not 3 <= len(number.replace(" ", "")) <= 11:
            raise self.make_error("invalid")
        return number


class _ChannelSchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(CHANNEL_KINDS))
    value = fields.Raw(required=True)
    label = _text(60, required=True)
    hours = _text(200, required=True)
    always_open = fields.Boolean(required=True)
    cost = fields.String(validate=validate.OneOf(COSTS))
    message = _text(20)
    note = _text(300)

    _VALUE_FIELDS = {
        "phone": _PhoneNumber(),
        "text": _PhoneNumber(),
        "web": _HttpsUrl(),
        "email": fields.Email(),
    }

    @validates_schema
    def _fits_its_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind = data.get("kind")
        if kind not in self._VALUE_FIELDS:
            return
        try:
            self._VALUE_FIELDS[kind].deserialize(data.get("value"))
        except ma.ValidationError as error:
            raise ma.ValidationError(error.messages, "value") from None
        if kind in ("phone", "text") and "cost" not in data:
            raise ma.ValidationError("Say whether it is free or standard_rate.", "cost")
        if kind in ("web", "email") and "cost" in data:
            raise ma.ValidationError("Only phone numbers and texts have a cost.", "cost")
        if kind != "text" and "message" in data:
            raise ma.ValidationError("Only a text channel has a message to send.", "message")

    @post_load
    def _tidy(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**data, "value": self._VALUE_FIELDS[data["kind"]].deserialize(data["value"])}


class _ChannelWordsSchema(_Strict):
    label = _text(60)
    hours = _text(200)
    note = _text(300)


class _CrisisWordsSchema(_Strict):
    name = _text(80)
    summary = _text(500)
    audience = _text(80)
    channels = fields.List(fields.Nested(_ChannelWordsSchema))


class _CrisisContactSchema(_Strict):
    id = fields.String(required=True, validate=validate.Regexp(_SLUG, error="Use a-z, 0-9, -."))
    name = _text(80, required=True)
    summary = _text(500, required=True)
    audience = _text(80)
    order = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    emergency = fields.Boolean(load_default=False)
    channels = fields.List(
        fields.Nested(_ChannelSchema), required=True, validate=validate.Length(min=1)
    )
    source_url = _HttpsUrl(required=True)
    other_sources = fields.List(_HttpsUrl())
    last_reviewed = _ReviewDate(required=True)
    translations = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES[1:])),
        values=fields.Nested(_CrisisWordsSchema),
    )

    @validates_schema
    def _translations_match(self, data: dict[str, Any], **kwargs: Any) -> None:
        count = len(data.get("channels") or [])
        for lang, words in (data.get("translations") or {}).items():
            given = words.get("channels")
            if given is not None and len(given) != count:
                raise ma.ValidationError(
                    f"Translate all {count} channels, in the same order, or none.",
                    f"translations.{lang}.channels",
                )


class _ArticleSchema(_Strict):
    title = _text(120, required=True)
    summary = _text(300, required=True)
    domain = fields.String(required=True, validate=validate.OneOf(DOMAINS))
    reading_minutes = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=30)
    )
    source_url = _HttpsUrl(required=True)
    last_reviewed = _ReviewDate(required=True)


class _ServiceSchema(_Strict):
    id = fields.String(required=True, validate=validate.Regexp(_SLUG, error="Use a-z, 0-9, -."))
    name = _text(100, required=True)
    summary = _text(600, required=True)
    domains = fields.List(
        fields.String(validate=validate.OneOf(SUPPORT_DOMAINS)),
        required=True,
        validate=validate.Length(min=1),
    )
    coverage = fields.String(required=True, validate=validate.OneOf(COVERAGES))
    boroughs = fields.List(fields.String())
    url = _HttpsUrl(required=True)
    phone = _PhoneNumber()
    phone_cost = fields.String(validate=validate.OneOf(COSTS))
    hours = _text(200)
    age_min = fields.Integer(strict=True, validate=validate.Range(min=0, max=30))
    age_max = fields.Integer(strict=True, validate=validate.Range(min=0, max=30))
    source_url = _HttpsUrl(required=True)
    last_reviewed = _ReviewDate(required=True)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        boroughs = data.get("boroughs")
        if data.get("coverage") == "borough":
            if not boroughs:
                raise ma.ValidationError("Name the boroughs it serves.", "boroughs")
            unknown = [name for name in boroughs if canonical_borough(name) is None]
            if unknown:
                raise ma.ValidationError(f"Not a London borough: {', '.join(unknown)}.", "boroughs")
        elif boroughs:
            raise ma.ValidationError("Only coverage: borough lists boroughs.", "boroughs")
        if "phone" in data and "phone_cost" not in data:
            raise ma.ValidationError(
                "Say whether the number is free or standard_rate.", "phone_cost"
            )
        if "phone_cost" in data and "phone" not in data:
            raise ma.ValidationError("There is no phone number to cost.", "phone_cost")
        if data.get("age_min", 0) > data.get("age_max", 30):
            raise ma.ValidationError("age_min is above age_max.", "age_min")

    @post_load
    def _tidy(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        boroughs = tuple(canonical_borough(name) for name in data.get("boroughs") or ())
        return {**data, "domains": tuple(data["domains"]), "boroughs": boroughs}


_CRISIS = _CrisisContactSchema()
_ARTICLE = _ArticleSchema()
_SERVICES_FILE = {"services"}
_SERVICE = _ServiceSchema()


def _load_crisis_contacts(reader: _Reader) -> list[CrisisContact]:
    contacts: list[CrisisContact] = []
    for path in reader.files(reader.root / "crisis", ".yaml", "crisis contacts"):
        text = reader.text(path)
        data = reader.check(path, _CRISIS, reader.yaml(path, text)) if text is not None else None
        if data is None:
            continue
        if data["id"] != path.stem:
            reader.problem(path, "id", f"must match the file name ({path.stem!r})")
            continue
        channels = tuple(Channel(**channel) for channel in data.pop("channels"))
        other_sources = tuple(data.pop("other_sources", ()))
        contacts.append(CrisisContact(channels=channels, other_sources=other_sources, **data))
    return contacts


def _load_articles(reader: _Reader) -> dict[str, dict[str, Article]]:
    articles: dict[str, dict[str, Article]] = {}
    folder = reader.root / "articles"
    for language_folder in sorted(folder.iterdir()):
        if language_folder.name.startswith("."):
            continue
        if not language_folder.is_dir() or language_folder.name not in LANGUAGES:
            reader.problem(
                language_folder,
                None,
                "not read: articles go in a language folder such as articles/en/ "
                f"(known languages: {', '.join(LANGUAGES)})",
            )
            continue
        lang = language_folder.name
        for path in reader.files(language_folder, ".md", "articles"):
            article = _load_article(reader, path, lang)
            if article is not None:
                articles.setdefault(article.slug, {})[lang] = article

    for slug, versions in articles.items():
        original = versions.get(DEFAULT_LANGUAGE)
        for lang, article in versions.items():
            path = folder / lang / f"{slug}.md"
            if original is None:
                reader.problem(path, None, f"a translation needs the English articles/en/{slug}.md")
            elif article.domain != original.domain:
                reader.problem(path, "domain", f"must be the English article's ({original.domain})")
        languages = tuple(sorted(versions, key=LANGUAGES.index))
        for lang in versions:
            versions[lang] = replace(versions[lang], languages=languages)
    return articles


def _load_article(reader: _Reader, path: Path, lang: str) -> Article | None:
    if not _SLUG.match(path.stem):
        reader.problem(path, None, "the file name is the slug: use a-z, 0-9 and - only")
        return None
    text = reader.text(path)
    if text is None:
        return None
    match = re.match(r"^---\n(.*?\n)---\n(.*)$", text, re.DOTALL)
    if not match:
        reader.problem(path, None, "must start with front matter between two lines of ---")
        return None
    data = reader.check(path, _ARTICLE, reader.yaml(path, match.group(1)))
    body = match.group(2).strip()
    if not body:
        reader.problem(path, "body", "the article has no text after its front matter")
        return None
    if data is None:
        return None
    body_html = render_markdown(body)
    plain = html.unescape(nh3.clean(body_html, tags=set()))
    return Article(
        slug=path.stem,
        lang=lang,
        body_markdown=body + "\n",
        body_html=body_html,
        search_text=_fold(" ".join((data["title"], data["summary"], plain))),
        **data,
    )


def _load_services(reader: _Reader) -> list[Service]:
    services: list[Service] = []
    seen: dict[str, Path] = {}
    for path in reader.files(reader.root / "services", ".yaml", "services"):
        text = reader.text(path)
        document = reader.yaml(path, text) if text is not None else None
        if document is None:
            continue
        if not isinstance(document, dict) or set(document) != _SERVICES_FILE:
            reader.problem(path, None, "expected one field, `services:`, holding a list")
            continue
        entries = document["services"]
        if not isinstance(entries, list) or not entries:
            reader.problem(path, "services", "expected a list of services")
            continue
        for index, entry in enumerate(entries):
            data = reader.check(path, _SERVICE, entry, prefix=f"services[{index}]")
            if data is None:
                continue
            if data["id"] in seen:
                reader.problem(
                    path,
                    f"services[{index}].id",
                    f"{data['id']!r} is already used in {_shown(reader.root, seen[data['id']])}",
                )
                continue
            seen[data["id"]] = path
            services.append(Service(**data))
    return services


# --- the programme's duty line -------------------------------------------------------------

_DUTY_LINE_WORDS = {
    "en": {
        "name": "Your programme's duty line",
        "summary": (
            "Talk to the programme's duty worker when something is worrying you or you need "
            "your mentor and cannot reach them. If you are in danger right now, call 999."
        ),
        "label": "Call the duty line",
        "hours_unknown": "Ask your mentor when the duty line is answered.",
    },
    "pl": {
        "name": "Dyżurny telefon programu",
        "summary": (
            "Zadzwoń do dyżurnego pracownika programu, gdy coś cię martwi albo nie możesz "
            "skontaktować się ze swoim mentorem. Jeśli grozi ci niebezpieczeństwo teraz, "
            "dzwoń pod 999."
        ),
        "label": "Zadzwoń na dyżur",
        "hours_unknown": "Zapytaj mentora, w jakich godzinach działa dyżur.",
    },
}


def duty_line_contact(duty_line: DutyLine) -> CrisisContact:
    """The programme's duty line as a crisis contact, listed right after 999."""
    english = _DUTY_LINE_WORDS[DEFAULT_LANGUAGE]
    digits = duty_line.phone.replace(" ", "")
    channel = Channel(
        kind="phone",
        value=duty_line.phone,
        label=english["label"],
        hours=duty_line.hours or english["hours_unknown"],
        always_open=False,
        # Ofcom: 080 numbers and 116 numbers are free from landlines and mobiles.
        cost="free" if digits.startswith(("080", "116")) else "standard_rate",
    )
    translations = {
        lang: {
            "name": words["name"],
            "summary": words["summary"],
            "channels": [
                {"label": words["label"], "hours": duty_line.hours or words["hours_unknown"]}
            ],
        }
        for lang, words in _DUTY_LINE_WORDS.items()
        if lang != DEFAULT_LANGUAGE
    }
    return CrisisContact(
        id=DUTY_LINE_ID,
        name=english["name"],
        summary=english["summary"],
        order=15,
        emergency=False,
        channels=(channel,),
        source_url=None,
        last_reviewed=None,
        from_configuration=True,
        translations=translations,
    )


# --- Markdown to safe HTML -----------------------------------------------------------------

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


def _fold(text: str) -> str:
    """Text for matching: case and accents ignored ("Mieszkanie" finds "mieszkanie")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def primary_language(tag: str | None) -> str:
    """The language of a tag such as "pl-PL" or "pt_BR", if content may be written in it;
    English otherwise."""
    primary = re.split(r"[-_]", (tag or "").strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE
