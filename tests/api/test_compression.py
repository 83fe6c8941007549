"""JSON answers over 1 KiB are compressed when the client accepts it; ETags stay right."""

from __future__ import annotations

import gzip
import json

import brotli


def test_a_large_json_answer_is_compressed_as_asked(client):
    plain = client.get("/api/v1/content/crisis")
    assert len(plain.data) > 1024 and "Content-Encoding" not in plain.headers
    zipped = client.get("/api/v1/content/crisis", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()
    assert len(zipped.data) < len(plain.data)
    brotlied = client.get("/api/v1/content/crisis", headers={"Accept-Encoding": "br, gzip"})
    assert brotlied.headers["Content-Encoding"] == "br"
    assert json.loads(brotli.decompress(brotlied.data)) == plain.get_json()
    assert "Accept-Encoding" in brotlied.headers["Vary"]


def test_a_small_answer_is_sent_as_it_is(client):
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers


def test_the_etag_of_a_compressed_answer_still_validates(client):
    first = client.get("/api/v1/content/crisis", headers={"Accept-Encoding": "gzip"})
    tag = first.headers["ETag"]
    again = client.get(
        "/api/v1/content/crisis", headers={"Accept-Encoding": "gzip", "If-None-Match": tag}
    )
    assert again.status_code == 304


def test_if_match_with_a_compressed_tag_still_guards_the_version(as_role, programme):
    coordinator = as_role("coordinator")
    mentor = as_role("mentor")
    person_id, _ = programme.young_person(coordinator)
    programme.assign(coordinator, person_id, mentor)
    goal = mentor.post(
        f"/api/v1/young-people/{person_id}/plan/goals",
        json={"domain": "housing", "title": "A flat", "description": "x" * 900},
    )
    read = mentor.get(f"/api/v1/goals/{goal.get_json()['id']}", headers={"Accept-Encoding": "gzip"})
    assert read.headers["Content-Encoding"] == "gzip"
    tag = read.headers["ETag"]
    assert tag.endswith(':gzip"')
    changed = mentor.patch(
        f"/api/v1/goals/{goal.get_json()['id']}", headers={"If-Match": tag}, json={"title": "B"}
    )
    assert changed.status_code == 200
    stale = mentor.patch(
        f"/api/v1/goals/{goal.get_json()['id']}", headers={"If-Match": tag}, json={"title": "C"}
    )
    assert stale.status_code == 412
