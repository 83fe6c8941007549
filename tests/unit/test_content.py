"""The content loader: the shipped content/ is valid, and a broken file is refused with a
message naming the file and the field, so that nobody ships a crisis number that is wrong."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from youthapp.config import DEFAULT_CONTENT_PATH, ConfigurationError, load_settings
from youthapp.content import (
    DUTY_LINE_ID,
    ContentError,
    DutyLine,
    load_content,
    primary_language,
    render_markdown,
)
from youthapp.vocabulary import LONDON_BOROUGHS

CRISIS = """\
id: childline
name: Childline
summary: Free, private help for anyone under 19.
order: 30
channels:
  - kind: phone
    value: "0800 1111"
    label: Call Childline
    cost: free
    always_open: true
    hours: 24 hours a day
source_url: https://www.childline.org.uk/
last_reviewed: 2026-11-25
"""

ARTICLE = """\
---
title: Your rights if you're stopped and searched
summary: What the police can and can't do.
domain: safety
reading_minutes: 3
source_url: https://www.gov.uk/police-powers-to-stop-and-search-your-rights
last_reviewed: 2026-11-25
---
Stay calm. You can ask for a **record** of the search.
"""

SERVICES = """\
services:
  - id: shelter
    name: Shelter
    summary: Housing advice.
    domains: [housing]
    coverage: national
    url: https://england.shelter.org.uk/
    phone: "0808 800 4444"
    phone_cost: free
    source_url: https://england.shelter.org.uk/
    last_reviewed: 2026-11-25
  - id: housing-options-hackney
    name: Hackney Council — housing options
    summary: The council's homelessness team.
    domains: [housing]
    coverage: borough
    boroughs: [hackney]
    url: https://www.hackney.gov.uk/
    source_url: https://www.hackney.gov.uk/
    last_reviewed: 2026-11-25
"""


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A small valid content folder for each test to break in its own way."""
    root = tmp_path / "content"
    write(root, "crisis/childline.yaml", CRISIS)
    write(root, "articles/en/stop-and-search.md", ARTICLE)
    write(root, "services/london.yaml", SERVICES)
    return root


def refused(root: Path) -> str:
    with pytest.raises(ContentError) as raised:
        load_content(root)
    return str(raised.value)


# --- the shipped content ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return load_content(DEFAULT_CONTENT_PATH)


def test_the_shipped_content_loads(shipped):
    assert len(shipped.crisis_contacts) >= 10
    assert len(shipped.services) >= 30
    for slug, versions in shipped.articles.items():
        assert "en" in versions, slug


def test_every_shipped_item_says_where_it_was_checked_and_when(shipped):
    items = [*shipped.crisis_contacts, *shipped.services]
    items += [article for versions in shipped.articles.values() for article in versions.values()]
    for item in items:
        assert item.source_url.startswith("https://"), item
        assert isinstance(item.last_reviewed, date), item


def test_the_shipped_crisis_numbers_are_the_real_ones(shipped):
    numbers = {
        contact.id: {channel.value for channel in contact.channels}
        for contact in shipped.crisis_contacts
    }
    assert numbers["emergency-services"] == {"999", "112"}
    assert "111" in numbers["nhs-111"]
    assert "0800 1111" in numbers["childline"]
    assert "116 123" in numbers["samaritans"]
    assert numbers["shout"] == {"85258"}
    assert "0800 555 111" in numbers["crimestoppers"]
    assert {"0300 123 6600", "82111"} <= numbers["frank"]
    assert "0808 800 4444" in numbers["shelter"]
    assert "0808 808 4994" in numbers["the-mix"]
    assert "https://www.fearless.org/" in numbers["fearless"]


def test_a_shipped_translation_changes_words_never_numbers(shipped):
    for english, polish in zip(shipped.crisis("en"), shipped.crisis("pl"), strict=True):
        assert polish.id == english.id
        assert [c.value for c in polish.channels] == [c.value for c in english.channels]
        assert [c.href for c in polish.channels] == [c.href for c in english.channels]
    assert shipped.crisis("pl")[0].summary.startswith("Dzwoń pod 999")


def test_there_is_a_housing_service_for_every_borough(shipped):
    for borough in LONDON_BOROUGHS:
        local = [
            s
            for s in shipped.find_services(domain="housing", borough=borough)
            if s.coverage == "borough"
        ]
        assert local, borough
        assert all(borough in service.boroughs for service in local)


# --- broken files are refused, naming the file and the field ---------------------------------


def test_the_small_test_content_loads(content):
    library = load_content(content)
    assert [c.id for c in library.crisis()] == ["childline"]
    assert library.article("stop-and-search").domain == "safety"
    assert {s.id for s in library.services} == {"shelter", "housing-options-hackney"}
    assert library.find_services(borough="Hackney")[0].boroughs == ("Hackney",)


def test_a_missing_source_url_names_the_file_and_the_field(content):
    write(
        content,
        "crisis/childline.yaml",
        CRISIS.replace("source_url: https://www.childline.org.uk/\n", ""),
    )
    message = refused(content)
    assert "content/crisis/childline.yaml: source_url: Missing data for required field." in message


@pytest.mark.parametrize("bad", ["2026-13-45", "25/11/2026", "2026-02-30", "last week"])
def test_a_bad_review_date_names_the_file_and_the_field(content, bad):
    write(content, "articles/en/stop-and-search.md", ARTICLE.replace("2026-11-25", bad))
    message = refused(content)
    assert "content/articles/en/stop-and-search.md: last_reviewed: Not a date" in message


def test_an_unknown_domain_names_the_file_and_the_field(content):
    write(
        content,
        "articles/en/stop-and-search.md",
        ARTICLE.replace("domain: safety", "domain: crime"),
    )
    message = refused(content)
    assert "content/articles/en/stop-and-search.md: domain: Must be one of:" in message


def test_bad_yaml_names_the_file_and_the_line(content):
    write(content, "crisis/childline.yaml", CRISIS.replace("name: Childline", "name: [Childline"))
    message = refused(content)
    assert "content/crisis/childline.yaml: line" in message
    assert "not valid YAML" in message


def test_a_phone_number_without_quotes_is_refused(content):
    # Unquoted, YAML reads 0300 as the octal number 192: the number must stay as written.
    write(content, "crisis/childline.yaml", CRISIS.replace('value: "0800 1111"', "value: 0300"))
    message = refused(content)
    assert "content/crisis/childline.yaml: channels[0].value: Write the number in quotes" in message


def test_a_field_given_twice_is_refused(content):
    twice = CRISIS.replace(
        '    value: "0800 1111"\n', '    value: "0800 1111"\n    value: "0800 2222"\n'
    )
    write(content, "crisis/childline.yaml", twice)
    assert "the field 'value' is given twice" in refused(content)


def test_a_misspelt_field_is_refused_not_ignored(content):
    write(content, "crisis/childline.yaml", CRISIS.replace("source_url:", "source_ulr:"))
    message = refused(content)
    assert "content/crisis/childline.yaml: source_ulr: Unknown field." in message
    assert "content/crisis/childline.yaml: source_url: Missing data" in message


def test_a_borough_outside_london_is_refused(content):
    write(content, "services/london.yaml", SERVICES.replace("[hackney]", "[Hackney, Brighton]"))
    message = refused(content)
    assert (
        "content/services/london.yaml: services[1].boroughs: Not a London borough: Brighton."
        in message
    )


def test_a_phone_and_text_channel_must_say_what_it_costs(content):
    write(content, "crisis/childline.yaml", CRISIS.replace("    cost: free\n", ""))
    assert "content/crisis/childline.yaml: channels[0].cost:" in refused(content)


def test_a_file_in_the_wrong_format_is_not_silently_skipped(content):
    write(content, "crisis/samaritans.yml", CRISIS.replace("childline", "samaritans"))
    assert "content/crisis/samaritans.yml: not read: crisis contacts are .yaml files" in refused(
        content
    )


def test_an_id_must_match_its_file_name(content):
    write(content, "crisis/samaritans.yaml", CRISIS)
    assert "content/crisis/samaritans.yaml: id: must match the file name" in refused(content)


def test_an_article_needs_front_matter_and_text(content):
    write(content, "articles/en/no-front-matter.md", "Just text.\n")
    write(
        content,
        "articles/en/no-text.md",
        ARTICLE.split("---\n")[0] + "---\n" + ARTICLE.split("---\n")[1] + "---\n",
    )
    message = refused(content)
    assert "content/articles/en/no-front-matter.md: must start with front matter" in message
    assert "content/articles/en/no-text.md: body: the article has no text" in message


def test_a_translation_needs_its_english_article(content):
    write(content, "articles/pl/only-in-polish.md", ARTICLE)
    assert "content/articles/pl/only-in-polish.md: a translation needs the English" in refused(
        content
    )


def test_a_translation_must_translate_every_channel_or_none(content):
    translated = CRISIS + "translations:\n  pl:\n    channels: []\n"
    write(content, "crisis/childline.yaml", translated)
    message = refused(content)
    assert (
        "content/crisis/childline.yaml: translations.pl.channels: Translate all 1 channels"
        in message
    )


def test_every_broken_file_is_listed_at_once(content):
    write(content, "crisis/childline.yaml", CRISIS.replace("order: 30\n", ""))
    write(
        content, "services/london.yaml", SERVICES.replace("coverage: national", "coverage: europe")
    )
    message = refused(content)
    assert "content/crisis/childline.yaml: order:" in message
    assert "content/services/london.yaml: services[0].coverage:" in message


def test_a_missing_content_folder_is_refused(tmp_path):
    assert "the content folder is missing" in refused(tmp_path / "nowhere")
    (tmp_path / "content" / "crisis").mkdir(parents=True)
    message = refused(tmp_path / "content")
    assert "content/articles: the folder is missing" in message


# --- rendering, languages and the duty line --------------------------------------------------


def test_markdown_is_rendered_to_html_without_anything_that_could_run():
    html = render_markdown(
        "## Help\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1)) [Call Childline](tel:08001111) "
        "[Shelter](https://england.shelter.org.uk/)\n"
    )
    assert "<h2>Help</h2>" in html
    # Raw HTML is shown as text, never as an element that could run.
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html  # refused as a link, left as plain text
    assert '<a href="tel:08001111" rel="noopener noreferrer">Call Childline</a>' in html
    assert 'href="https://england.shelter.org.uk/"' in html


def test_articles_are_searched_by_every_word_ignoring_case_and_accents(content):
    write(
        content, "articles/pl/stop-and-search.md", ARTICLE.replace("Stay calm.", "Zachowaj spokój.")
    )
    library = load_content(content)
    assert [a.slug for a in library.find_articles(q="RECORD stopped")] == ["stop-and-search"]
    assert library.find_articles(q="record elephant") == []
    assert library.find_articles(lang="pl", q="spokoj")[0].lang == "pl"
    assert library.article("stop-and-search", "pl").languages == ("en", "pl")
    assert library.article("stop-and-search", "fr").lang == "en"


@pytest.mark.parametrize(
    ("tag", "language"),
    [("pl", "pl"), ("pl-PL", "pl"), ("PT_br", "pt"), ("xx", "en"), (None, "en")],
)
def test_a_language_tag_comes_down_to_a_content_language(tag, language):
    assert primary_language(tag) == language


@pytest.mark.parametrize(
    ("number", "cost"), [("0800 123 4567", "free"), ("020 7946 0000", "standard_rate")]
)
def test_the_duty_line_comes_second_with_its_cost(content, number, cost):
    write(
        content,
        "crisis/emergency.yaml",
        CRISIS.replace("childline", "emergency").replace("order: 30", "order: 10"),
    )
    library = load_content(content, duty_line=DutyLine(number, "Monday to Friday, 9am to 5pm"))
    contacts = library.crisis()
    assert [c.id for c in contacts] == ["emergency", DUTY_LINE_ID, "childline"]
    channel = contacts[1].channels[0]
    assert (channel.value, channel.cost, channel.hours) == (
        number,
        cost,
        "Monday to Friday, 9am to 5pm",
    )
    assert library.crisis("pl")[1].name == "Dyżurny telefon programu"


def test_the_duty_line_changes_the_content_version(content):
    without = load_content(content)
    with_line = load_content(content, duty_line=DutyLine("020 7946 0000"))
    assert without.version != with_line.version
    assert DUTY_LINE_ID not in {c.id for c in without.crisis()}


def test_the_duty_line_is_configured_from_the_environment(tmp_path):
    env = {"YOUTHAPP_ENV": "development", "DUTY_LINE_PHONE": " 020  7946 0000 "}
    settings = load_settings({**env, "DUTY_LINE_HOURS": "Every day, 8am to 10pm"}, tmp_path)
    assert settings.duty_line_phone == "020 7946 0000"
    assert settings.duty_line_hours == "Every day, 8am to 10pm"
    assert load_settings({"YOUTHAPP_ENV": "development"}, tmp_path).duty_line_phone == ""


@pytest.mark.parametrize("number", ["call me", "+44 20 7946 0000", "12", "0800 123 456 789"])
def test_a_duty_line_that_is_not_a_phone_number_is_refused(tmp_path, number):
    with pytest.raises(ConfigurationError, match="DUTY_LINE_PHONE"):
        load_settings({"YOUTHAPP_ENV": "development", "DUTY_LINE_PHONE": number}, tmp_path)
