"""Reading content/: every file read once and checked, each problem named by file and
field, the whole library fingerprinted so that clients can cache it."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import marshmallow as ma
import nh3
import yaml

from youthapp.content import formats
from youthapp.content.duty_line import duty_line_contact
from youthapp.content.markdown import render_markdown
from youthapp.content.model import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Article,
    Channel,
    ContentError,
    ContentLibrary,
    CrisisContact,
    DutyLine,
    Service,
    fold,
)


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


def _load_crisis_contacts(reader: _Reader) -> list[CrisisContact]:
    contacts: list[CrisisContact] = []
    for path in reader.files(reader.root / "crisis", ".yaml", "crisis contacts"):
        text = reader.text(path)
        data = (
            reader.check(path, formats.CRISIS_CONTACT, reader.yaml(path, text))
            if text is not None
            else None
        )
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
    if not formats.SLUG.match(path.stem):
        reader.problem(path, None, "the file name is the slug: use a-z, 0-9 and - only")
        return None
    text = reader.text(path)
    if text is None:
        return None
    match = re.match(r"^---\n(.*?\n)---\n(.*)$", text, re.DOTALL)
    if not match:
        reader.problem(path, None, "must start with front matter between two lines of ---")
        return None
    data = reader.check(path, formats.ARTICLE, reader.yaml(path, match.group(1)))
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
        search_text=fold(" ".join((data["title"], data["summary"], plain))),
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
        if not isinstance(document, dict) or set(document) != formats.SERVICES_FILE_FIELDS:
            reader.problem(path, None, "expected one field, `services:`, holding a list")
            continue
        entries = document["services"]
        if not isinstance(entries, list) or not entries:
            reader.problem(path, "services", "expected a list of services")
            continue
        for index, entry in enumerate(entries):
            data = reader.check(path, formats.SERVICE, entry, prefix=f"services[{index}]")
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
