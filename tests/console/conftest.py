"""The console: signed in through its own form, as a browser would."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A Flask test client that signs in to the console and posts its forms with their
    CSRF token, as a browser does."""

    def __init__(self, app) -> None:
        self.client = app.test_client()

    def token(self, path: str = "/console/login") -> str:
        page = self.client.get(path).get_data(as_text=True)
        found = TOKEN.search(page)
        assert found, page[:500]
        return found.group(1)

    def sign_in(self, email: str, password: str = PASSWORD):
        return self.client.post(
            "/console/login",
            data={"email": email, "password": password, "csrf_token": self.token()},
        )

    def get(self, path: str):
        return self.client.get(path)

    def post(self, path: str, data: dict | None = None, *, from_page: str = "/console/duty"):
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token(from_page)})


@pytest.fixture
def browser(app):
    def make() -> Browser:
        return Browser(app)

    return make


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Mark a failed journey, so that its pages are photographed (test_browser.py)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        item.failed = True
