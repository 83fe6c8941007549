"""Content through HTTP, signed out: help is one tap away, cacheable, and never behind a login."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask

from api import create_app
from youthapp import migrations
from youthapp.config import DEFAULT_CONTENT_PATH, settings_for_tests
from youthapp.vocabulary import LONDON_BOROUGHS

CONTENT = "/api/v1/content"
CRISIS = f"{CONTENT}/crisis"
ARTICLES = f"{CONTENT}/articles"
SERVICES = f"{CONTENT}/services"
ENDPOINTS = [CRISIS, ARTICLES, f"{ARTICLES}/stop-and-search-your-rights", SERVICES]


@pytest.fixture
def build_app(database_url: str, tmp_path: Path) -> Iterator:
    """Another app, with its own settings (its own content folder, a duty line, ...)."""
    apps: list[Flask] = []

    def build(**overrides) -> Flask:
        settings = settings_for_tests(database_url, tmp_path / "instance")
        app = create_app(settings.with_overrides(**overrides))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["youthapp"].engine.dispose()


class ElementsOf(HTMLParser):
    """The elements of an HTML fragment, as a browser would build them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def channels(contact: dict) -> dict[str, dict]:
    return {channel["value"]: channel for channel in contact["channels"]}


# --- crisis contacts -------------------------------------------------------------------------


def test_crisis_contacts_need_no_sign_in_and_hold_every_service_a_young_person_needs(client):
    response = client.get(CRISIS)
    assert response.status_code == 200
    contacts = {contact["id"]: contact for contact in response.get_json()}

    emergency = response.get_json()[0]
    assert emergency["id"] == "emergency-services" and emergency["emergency"] is True
    assert set(channels(emergency)) == {"999", "112"}
    assert "55" in emergency["summary"]  # how to call when it is not safe to speak

    expected = {
        "nhs-111": ("111", "tel:111"),
        "childline": ("0800 1111", "tel:08001111"),
        "samaritans": ("116 123", "tel:116123"),
        "shout": ("85258", "sms:85258?body=SHOUT"),
        "crimestoppers": ("0800 555 111", "tel:0800555111"),
        "frank": ("0300 123 6600", "tel:03001236600"),
        "shelter": ("0808 800 4444", "tel:08088004444"),
        "the-mix": ("0808 808 4994", "tel:08088084994"),
    }
    for contact_id, (number, href) in expected.items():
        channel = channels(contacts[contact_id])[number]
        assert channel["href"] == href, contact_id
        assert channel["hours"], contact_id
        assert channel["cost"] in ("free", "standard_rate"), contact_id
    assert channels(contacts["frank"])["82111"]["kind"] == "text"
    assert channels(contacts["fearless"])["https://www.fearless.org/"]["kind"] == "web"
    assert channels(contacts["samaritans"])["116 123"]["always_open"] is True
    assert channels(contacts["frank"])["0300 123 6600"]["cost"] == "standard_rate"

    for contact in contacts.values():
        assert contact["source_url"].startswith("https://"), contact["id"]
        assert contact["last_reviewed"] == "2026-11-25", contact["id"]
        assert contact["lang"] == "en"


def test_the_duty_line_is_listed_after_999_only_when_configured(client, build_app):
    assert "programme-duty-line" not in {c["id"] for c in client.get(CRISIS).get_json()}

    app = build_app(duty_line_phone="020 7946 0000", duty_line_hours="Every day, 8am to 10pm")
    contacts = app.test_client().get(CRISIS).get_json()
    duty_line = contacts[1]
    assert duty_line["id"] == "programme-duty-line"
    assert duty_line["from_configuration"] is True
    assert duty_line["channels"][0]["value"] == "020 7946 0000"
    assert duty_line["channels"][0]["href"] == "tel:02079460000"
    assert duty_line["channels"][0]["hours"] == "Every day, 8am to 10pm"


def test_crisis_contacts_in_polish_keep_every_number(client):
    english = client.get(CRISIS).get_json()
    polish = client.get(CRISIS, query_string={"lang": "pl-PL"}).get_json()
    assert [c["id"] for c in polish] == [c["id"] for c in english]
    assert polish[0]["lang"] == "pl"
    assert polish[0]["channels"][0]["label"] == "Zadzwoń pod 999"
    for en, pl in zip(english, polish, strict=True):
        assert [ch["href"] for ch in pl["channels"]] == [ch["href"] for ch in en["channels"]]


def test_a_language_not_written_yet_falls_back_to_english(client):
    contacts = client.get(CRISIS, query_string={"lang": "fr"}).get_json()
    assert {contact["lang"] for contact in contacts} == {"en"}
    assert contacts == client.get(CRISIS).get_json()


def test_a_bearer_token_of_any_kind_does_not_stand_between_anyone_and_help(client):
    response = client.get(CRISIS, headers={"Authorization": "Bearer expired-or-nonsense"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public")


# --- articles --------------------------------------------------------------------------------


def test_there_are_articles_for_every_support_domain_and_for_staying_safe(client):
    articles = client.get(ARTICLES).get_json()
    for domain in ("mental_health", "substance_misuse", "housing", "employment", "safety"):
        in_domain = [a for a in articles if a["domain"] == domain]
        assert len(in_domain) >= 2, domain
    for article in articles:
        assert article["lang"] == "en"
        assert 1 <= article["reading_minutes"] <= 30
        assert article["source_url"].startswith("https://")
        assert "body_html" not in article  # the list is light; the detail has the text


def test_articles_by_domain(client):
    articles = client.get(ARTICLES, query_string={"domain": "housing"}).get_json()
    assert articles and {a["domain"] for a in articles} == {"housing"}
    assert client.get(ARTICLES, query_string={"domain": "education"}).get_json() == []


def test_an_article_has_its_markdown_and_rendered_html(client):
    response = client.get(f"{ARTICLES}/stop-and-search-your-rights")
    assert response.status_code == 200
    article = response.get_json()
    assert article["title"] == "Your rights if you're stopped and searched"
    assert "## What the officer must tell you" in article["body_markdown"]
    assert "<h2>What the officer must tell you</h2>" in article["body_html"]
    assert "<strong>" not in article["body_markdown"]


def test_an_unknown_article_is_404_in_the_one_error_shape(client):
    response = client.get(f"{ARTICLES}/no-such-article")
    assert response.status_code == 404
    assert response.get_json() == {
        "code": 404,
        "status": "Not Found",
        "message": "There is no article by that name.",
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_search_finds_words_in_titles_and_text(client):
    def found(q: str, **args: str) -> list[str]:
        return [a["slug"] for a in client.get(ARTICLES, query_string={"q": q, **args}).get_json()]

    assert found("stopped SEARCHED") == ["stop-and-search-your-rights"]
    # "appropriate adult" is only in the text of the article, not its title.
    assert found("appropriate adult") == ["stop-and-search-your-rights"]
    assert "nowhere-to-stay-tonight" in found("council", domain="housing")
    assert found("zebra crossing") == []


def test_articles_in_polish_with_english_for_the_rest(client):
    articles = {a["slug"]: a for a in client.get(ARTICLES, query_string={"lang": "pl"}).get_json()}
    held = articles["if-someone-asks-you-to-hold-something"]
    assert held["lang"] == "pl"
    assert held["title"].startswith("Gdy ktoś prosi cię")
    assert held["languages"] == ["en", "pl"]
    assert articles["stop-and-search-your-rights"]["lang"] == "en"

    detail = client.get(f"{ARTICLES}/nowhere-to-stay-tonight", query_string={"lang": "pl"})
    assert detail.get_json()["lang"] == "pl"
    assert "<h2>Co musi zrobić urząd</h2>" in detail.get_json()["body_html"]
    untranslated = client.get(f"{ARTICLES}/stop-and-search-your-rights?lang=pl").get_json()
    assert untranslated["lang"] == "en"


def test_article_html_is_sanitised(build_app, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_PATH, content)
    (content / "articles" / "en" / "tricky.md").write_text(
        "---\ntitle: Tricky\nsummary: A test.\ndomain: safety\nreading_minutes: 1\n"
        "source_url: https://www.gov.uk/\nlast_reviewed: 2026-11-25\n---\n"
        'Hello.\n\n<script>alert(\'stolen\')</script>\n\n<a href="#" onclick="steal()">x</a>\n\n'
        "[bad](javascript:alert(1)) [Call Childline](tel:08001111)\n",
        encoding="utf-8",
    )
    client = build_app(content_path=content).test_client()
    html = client.get(f"{ARTICLES}/tricky").get_json()["body_html"]
    elements = ElementsOf()
    elements.feed(html)
    assert "script" not in {tag for tag, _ in elements.found}
    attributes = {name: value for _, attrs in elements.found for name, value in attrs}
    assert not [name for name in attributes if name.startswith("on")]
    assert ("a", [("href", "tel:08001111"), ("rel", "noopener noreferrer")]) in elements.found
    assert not [v for _, attrs in elements.found for n, v in attrs if "javascript" in (v or "")]
    # What was not allowed through is shown as harmless text.
    assert "&lt;script&gt;" in html


# --- services --------------------------------------------------------------------------------


def test_services_by_domain_and_borough_put_the_borough_first(client):
    response = client.get(SERVICES, query_string={"domain": "housing", "borough": "hackney"})
    assert response.status_code == 200
    services = response.get_json()
    assert services[0]["name"] == "Hackney Council — housing options"
    assert services[0]["boroughs"] == ["Hackney"]
    assert all(s["coverage"] != "borough" or s["boroughs"] == ["Hackney"] for s in services)
    assert {"housing"} <= {d for s in services for d in s["domains"]}
    assert all("housing" in s["domains"] for s in services)
    assert "shelter" in {s["id"] for s in services}


def test_every_borough_has_local_housing_help(client):
    for borough in LONDON_BOROUGHS:
        services = client.get(SERVICES, query_string={"domain": "housing", "borough": borough})
        local = [s for s in services.get_json() if s["coverage"] == "borough"]
        assert local and all(borough in s["boroughs"] for s in local), borough


def test_a_borough_may_be_written_loosely(client):
    loose = client.get(SERVICES, query_string={"borough": "hammersmith & fulham"}).get_json()
    exact = client.get(SERVICES, query_string={"borough": "Hammersmith and Fulham"}).get_json()
    assert loose == exact
    assert any(s["boroughs"] == ["Hammersmith and Fulham"] for s in loose)


def test_each_support_domain_has_services(client):
    for domain in ("mental_health", "substance_misuse", "housing", "employment"):
        services = client.get(SERVICES, query_string={"domain": domain}).get_json()
        assert services, domain
        for service in services:
            assert service["url"].startswith("https://"), service["id"]
            assert service["source_url"].startswith("https://"), service["id"]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"borough": "Brighton"}, "borough"), ({"domain": "safety"}, "domain")],
)
def test_a_filter_that_cannot_match_is_422(client, query, field):
    response = client.get(SERVICES, query_string=query)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["query"]


# --- caching and strictness ------------------------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_answer_can_be_cached_and_revalidated(client, path):
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=3600, stale-if-error=604800"
    etag = first.headers["ETag"]

    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"].startswith("public")

    stale = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200


def test_each_language_and_filter_has_its_own_etag(client):
    english = client.get(CRISIS).headers["ETag"]
    polish = client.get(CRISIS, query_string={"lang": "pl"}).headers["ETag"]
    assert english != polish
    housing = client.get(SERVICES, query_string={"domain": "housing"}).headers["ETag"]
    assert housing != client.get(SERVICES).headers["ETag"]
    # Asking for Polish while holding the English answer gets the Polish one, not a 304.
    polish_with_english_tag = client.get(
        CRISIS, query_string={"lang": "pl"}, headers={"If-None-Match": english}
    )
    assert polish_with_english_tag.status_code == 200


@pytest.mark.parametrize("path", ENDPOINTS)
def test_an_unknown_query_parameter_is_422(client, path):
    response = client.get(path, query_string={"langauge": "pl"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"query": {"langauge": ["Unknown field."]}}


def test_a_malformed_language_is_422(client):
    response = client.get(ARTICLES, query_string={"lang": "<script>"})
    assert response.status_code == 422
    assert "lang" in response.get_json()["errors"]["query"]


def test_content_is_never_rate_limited(build_app):
    client = build_app(rate_limit_default="2/minute").test_client()
    assert {client.get(CRISIS).status_code for _ in range(5)} == {200}
    # The limit itself is in force elsewhere.
    assert 429 in {client.get("/api/v1/me").status_code for _ in range(5)}


def test_a_broken_content_file_stops_only_what_serves_content(build_app, tmp_path, caplog):
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_PATH, content)
    childline = content / "crisis" / "childline.yaml"
    childline.write_text(childline.read_text().replace('"0800 1111"', '"0800 11x1"'))
    with caplog.at_level(logging.ERROR):
        app = build_app(content_path=content)
    assert any("childline.yaml" in record.getMessage() for record in caplog.records)
    migrations.upgrade(app.extensions["youthapp"].engine)
    client = app.test_client()
    broken = client.get(CRISIS)
    assert broken.status_code == 503 and broken.headers["Retry-After"]
    assert "999" in broken.get_json()["message"]
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "degraded"
    assert "content/crisis/childline.yaml: channels[0].value" in ready.get_json()["content"]
    assert client.get("/healthz").status_code == 200


# --- stored answers ----------------------------------------------------------------------------


@pytest.fixture
def answers(monkeypatch):
    """The routes' store of serialised answers, fresh for the test."""
    from api.content import routes

    fresh = routes.Answers()
    monkeypatch.setattr(routes, "answers", fresh)
    return fresh


def test_an_answer_is_serialised_once_and_sent_as_stored(client, answers, monkeypatch):
    from api.content import routes

    dumped = []
    dump = routes._CRISIS.dump
    monkeypatch.setattr(routes._CRISIS, "dump", lambda obj: dumped.append(1) or dump(obj))
    first = client.get(CRISIS)
    again = client.get(CRISIS, query_string={"lang": "en-GB"})  # the same language
    assert first.data == again.data and first.headers["ETag"] == again.headers["ETag"]
    assert len(dumped) == 1 and len(answers) == 1
    # Byte for byte what the schema and Flask's JSON make of the content.
    app = client.application
    with app.app_context():
        expected = app.json.response(dump(app.extensions["youthapp"].content().crisis("en")))
    assert first.data == expected.get_data()
    assert first.mimetype == "application/json"
    assert first.headers["Content-Length"] == str(len(first.data))
    unchanged = client.get(CRISIS, headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and len(dumped) == 1


def test_searches_that_match_alike_share_one_answer(client, answers):
    loose = client.get(ARTICLES, query_string={"q": "  Stopped   SEARCHED "})
    tight = client.get(ARTICLES, query_string={"q": "stopped searched"})
    assert loose.data == tight.data and loose.headers["ETag"] == tight.headers["ETag"]
    assert len(answers) == 1


def test_odd_queries_cannot_grow_the_store_without_limit(client, answers):
    answers.size = 5
    for n in range(12):
        assert client.get(ARTICLES, query_string={"q": f"word{n}"}).status_code == 200
    assert len(answers) == 5
    # The most recently used stay; an unknown article is never stored.
    assert client.get(f"{ARTICLES}/no-such-article").status_code == 404
    assert len(answers) == 5


def test_the_store_drops_the_least_recently_used_first():
    from api.content.routes import Answers

    store = Answers(size=2)
    made = []

    def make(key):
        return lambda: made.append(key) or key.encode()

    store.get(("a",), make("a"))
    store.get(("b",), make("b"))
    store.get(("a",), make("a"))  # used again: now the most recent
    store.get(("c",), make("c"))  # drops b
    store.get(("a",), make("a"))
    store.get(("b",), make("b"))
    assert made == ["a", "b", "c", "b"]
    assert store.get(("c",), make("c")).body == b"c" and made[-1] == "c"  # c had gone
