"""Security headers on every answer - JSON, errors, 304s, the calendar feed, content and the
documentation pages - and no server or framework version in any of them."""

from __future__ import annotations

import base64
import hashlib
import http.client
import re
import threading

import pytest
from werkzeug.serving import make_server

from api.cli import hide_server_version

JSON_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Cross-Origin-Resource-Policy": "same-origin",
}
FRAMEWORK = re.compile(r"werkzeug|python|flask|gunicorn", re.IGNORECASE)


def assert_secured(response, *, policy: str | None = JSON_POLICY) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    permissions = response.headers["Permissions-Policy"]
    assert {"camera=()", "geolocation=()", "microphone=()"} <= set(permissions.split(", "))
    if policy is not None:
        assert response.headers["Content-Security-Policy"] == policy
    assert "Server" not in response.headers and "X-Powered-By" not in response.headers
    for name, value in response.headers.items():
        assert not FRAMEWORK.search(value), (name, value)


def test_a_json_answer(as_role):
    caller = as_role("coordinator")
    response = caller.get("/api/v1/me")
    assert response.status_code == 200
    assert_secured(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_health_and_the_openapi_document(client):
    for path in ("/healthz", "/readyz", "/api/v1/openapi.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_secured(response)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/me", 401),
        ("GET", "/api/v1/no-such-thing", 404),
        ("DELETE", "/api/v1/auth/login", 405),
        ("POST", "/api/v1/auth/login", 415),
        ("GET", "/api/v1/calendar/not-a-real-token.ics", 404),
    ],
)
def test_an_error(client, method, path, status):
    response = client.open(path, method=method, data="not json", content_type="text/plain")
    assert response.status_code == status
    assert_secured(response)


def test_a_validation_error_and_a_forbidden_one(as_role):
    referrer = as_role("referrer")
    response = referrer.post("/api/v1/referrals", json={"first_name": ""})
    assert response.status_code == 422
    assert_secured(response)
    assert response.headers["Cache-Control"] == "no-store"
    forbidden = referrer.get("/api/v1/users")
    assert forbidden.status_code == 403
    assert_secured(forbidden)


def test_a_server_error(build_app):
    app = build_app()

    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert_secured(response)


def test_a_304_keeps_them(as_role, programme):
    coordinator = as_role("coordinator")
    person_id, _ = programme.young_person(coordinator)
    url = f"/api/v1/young-people/{person_id}/plan"
    first = coordinator.get(url)
    again = coordinator.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert_secured(again)
    assert again.headers["Cache-Control"] == "no-store"


def test_content_answers_and_their_304s(client):
    first = client.get("/api/v1/content/crisis")
    assert first.status_code == 200
    assert_secured(first)
    assert "no-store" not in first.headers["Cache-Control"]  # the same for everyone
    again = client.get("/api/v1/content/crisis", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert_secured(again)
    article = client.get("/api/v1/content/articles/if-you-might-lose-your-home")
    assert article.status_code == 200
    assert_secured(article)


def test_the_calendar_feed(as_role, programme):
    coordinator = as_role("coordinator")
    _, young_person = programme.young_person(coordinator)
    url = young_person.get("/api/v1/me/calendar-token").get_json()["url"]
    feed = young_person.client.get(url[url.index("/api/v1/") :])
    assert feed.status_code == 200
    assert feed.mimetype == "text/calendar"
    assert_secured(feed)
    assert "no-store" in feed.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/redoc"])
def test_the_documentation_pages_load_only_from_this_site(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_secured(response, policy=None)
    policy = dict(
        (directive.split(" ", 1) + [""])[:2]
        for directive in response.headers["Content-Security-Policy"].split("; ")
    )
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["connect-src"] == "'self'"  # the OpenAPI document, and "try it out"
    scripts = policy["script-src"].split()
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    page = response.get_data(as_text=True)
    assert "https://" not in response.headers["Content-Security-Policy"]
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert sources
    for src in sources:
        assert src.startswith("/api/v1/docs-assets/"), src
        assert "'self'" in scripts
        # The app serves the file itself.
        served = client.get(src)
        assert served.status_code == 200, src
        served.close()
    for inline in re.findall(r"<script>(.*?)</script>", page, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in scripts
    for href in re.findall(r'<link href="([^"]+)"', page):
        assert href.startswith("/api/v1/docs-assets/"), href
        assert "'self'" in policy["style-src"]
        served = client.get(href)
        assert served.status_code == 200, href
        served.close()


def test_swagger_ui_sends_the_document_to_no_validator(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert '"validatorUrl": null' in page


def test_the_development_server_names_no_versions(app):
    hide_server_version()
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        server_name = response.getheader("Server", "")
        assert not FRAMEWORK.search(server_name) and not re.search(r"\d", server_name)
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
