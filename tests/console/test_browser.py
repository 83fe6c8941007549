"""The console in a real browser: Debian's Chromium driven by Playwright, against the app
served on a local port. Screenshots of the page are saved when a journey fails
(test-artifacts/), and the README's (docs/console/) with CONSOLE_SCREENSHOTS=1."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium (apt-get install chromium); .ci/run installs it",
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "console"
URGENT = {"client_ref": "help", "mood": 1, "feeling_safe": False, "needs_help": True}


@pytest.fixture(scope="module")
def server(app):
    served = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{served.server_port}"
    served.shutdown()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def open_console(chromium, server, request):
    """`open_console(email)`: a signed-in page of a fresh browser (its own cookies)."""
    contexts = []

    def opened(email: str, *, width: int = 1100):
        context = chromium.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{server}/console/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    yield opened
    failed = getattr(request.node, "failed", False)
    for number, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for page_number, page in enumerate(context.pages):
                page.screenshot(
                    path=ARTIFACTS / f"{request.node.name}-{number}-{page_number}.png",
                    full_page=True,
                )
        context.close()


def test_a_coordinator_triages_a_referral_and_assigns_a_mentor(open_console, as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor", display_name="Hana Housing")
    referral = programme.refer(first_name="Jordan", last_name="Browser")
    page = open_console(coordinator.user.email)
    page.get_by_role("link", name="Referrals").click()
    page.get_by_role("link", name="Jordan Browser").click()
    page.get_by_label("Accept").check()
    page.get_by_label("Assign a mentor (optional)").select_option(label="Hana Housing (housing)")
    page.get_by_role("button", name="Record the decision").click()
    assert page.get_by_role("heading", name="Accepted").is_visible()
    person_id = coordinator.get(f"/api/v1/referrals/{referral['id']}").get_json()["young_person_id"]
    mentors = coordinator.get(f"/api/v1/young-people/{person_id}/assignments").get_json()
    assert [a["mentor_id"] for a in mentors] == [str(mentor.user.id)]


def test_a_mentor_adds_a_goal_and_a_step_and_a_stale_save_shows_the_conflict(
    open_console, as_role, programme
):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor")
    person_id, _ = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    page = open_console(mentor.user.email, width=360)  # a mentor's phone
    page.goto(page.url.split("/console")[0] + f"/console/young-people/{person_id}")
    page.get_by_label("Title").fill("Somewhere safe to live")
    page.get_by_role("button", name="Add goal").click()
    page.get_by_label("New step").fill("Fill in the housing form")
    page.get_by_role("button", name="Add step").click()
    assert page.get_by_text("Fill in the housing form").is_visible()
    plan = mentor.get(f"/api/v1/young-people/{person_id}/plan").get_json()
    assert [g["title"] for g in plan["goals"]] == ["Somewhere safe to live"]
    assert [s["title"] for s in plan["goals"][0]["steps"]] == ["Fill in the housing form"]

    # A second browser has the same page open; the first saves, then the second does.
    other = open_console(coordinator.user.email)
    other.goto(page.url)
    goal_title = page.locator("input[name=title]").first
    goal_title.fill("A flat near college")
    page.get_by_role("button", name="Save goal").click()
    other.locator("input[name=title]").first.fill("A room anywhere")
    other.get_by_role("button", name="Save goal").click()
    assert other.get_by_role("heading", name="Someone changed this goal meanwhile").is_visible()
    assert other.get_by_text("A flat near college").is_visible()
    again = mentor.get(f"/api/v1/young-people/{person_id}/plan").get_json()
    assert again["goals"][0]["title"] == "A flat near college"


def test_an_urgent_check_in_appears_on_the_open_board_and_is_acknowledged_by_keyboard(
    open_console, as_role, programme, server
):
    coordinator = as_role("coordinator")
    person_id, young_person = programme.young_person(coordinator)
    page = open_console(coordinator.user.email)
    page.goto(f"{server}/console/duty")
    assert page.get_by_text("No open alerts.").is_visible()
    young_person.post("/api/v1/me/check-ins", json=URGENT)
    # No reload: the board fetches its list again by itself.
    page.get_by_text("URGENT", exact=True).wait_for(timeout=15_000)
    if os.environ.get("CONSOLE_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=DOCS / "duty-board.png", full_page=True)
    acknowledge = page.get_by_role("button", name="Acknowledge")
    for _ in range(40):
        page.keyboard.press("Tab")
        if acknowledge.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("the Acknowledge button cannot be reached with the keyboard")
    # The form's POST and redirect, waited for: the page is loaded already, so waiting for
    # its load state raced the POST and read the alert before it was acknowledged.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    alerts = coordinator.get("/api/v1/alerts").get_json()
    assert alerts[0]["status"] == "acknowledged"


def test_an_admin_cannot_open_a_young_persons_record(open_console, as_role, programme, server):
    coordinator = as_role("coordinator")
    person_id, _ = programme.young_person(coordinator)
    page = open_console(as_role("admin").user.email)
    response = page.goto(f"{server}/console/young-people/{person_id}")
    assert response.status == 403
    assert page.get_by_role("heading", name="Not for you").is_visible()


def test_logout_in_one_tab_ends_the_other(open_console, as_role, server):
    coordinator = as_role("coordinator")
    first = open_console(coordinator.user.email)
    second = first.context.new_page()
    second.goto(f"{server}/console/caseload")
    assert second.get_by_role("heading", name="My caseload").is_visible()
    first.get_by_role("button", name="Sign out").click()
    second.reload()
    assert second.get_by_role("heading", name="Sign in").is_visible()


def test_a_form_posted_without_its_csrf_token_is_refused(open_console, as_role, programme, server):
    coordinator = as_role("coordinator")
    person_id, _ = programme.young_person(coordinator)
    page = open_console(coordinator.user.email)
    page.goto(f"{server}/console/young-people/{person_id}")
    page.evaluate(
        "document.querySelectorAll('#new-goal input[name=csrf_token]')"
        ".forEach(input => input.remove())"
    )
    page.get_by_label("Title").fill("Never saved")
    page.get_by_role("button", name="Add goal").click()
    assert page.get_by_text("The form had expired").is_visible()
    plan = coordinator.get(f"/api/v1/young-people/{person_id}/plan").get_json()
    assert plan["goals"] == []


def test_the_caseload_and_the_record_as_the_readme_shows_them(
    open_console, as_role, programme, server
):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor")
    person_id, young_person = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    for number, mood in enumerate((2, 3, 3, 4)):
        sent = young_person.post(
            "/api/v1/me/check-ins",
            json={
                "client_ref": f"mood-{number}",
                "mood": mood,
                "feeling_safe": True,
                "needs_help": False,
            },
        )
        assert sent.status_code == 201, sent.get_json()
    page = open_console(mentor.user.email)
    page.goto(f"{server}/console/caseload")
    chart = page.get_by_role("img", name="Mood over 90 days: 4 check-ins, latest 4 of 5")
    assert chart.is_visible()
    page.goto(f"{server}/console/young-people/{person_id}")
    assert page.get_by_role("heading", name="Support plan").is_visible()
    if os.environ.get("CONSOLE_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        page.goto(f"{server}/console/caseload")
        page.screenshot(path=DOCS / "caseload.png", full_page=True)
        page.goto(f"{server}/console/young-people/{person_id}")
        page.screenshot(path=DOCS / "record.png", full_page=True)
