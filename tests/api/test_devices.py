"""Registering phones and browsers for push: one device per token, following the phone if it
changes hands, and nobody else's devices ever in sight."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from youthapp.clock import utcnow
from youthapp.models import AuditEvent, Device
from youthapp.services.devices import MAX_DEVICES_PER_USER, MAX_PUSH_TOKEN_LENGTH

DEVICES = "/api/v1/me/devices"
FCM_TOKEN = "dQw4w9WgXcQ:APA91bH-example-registration-token-" + "x" * 100


def web_subscription(endpoint: str = "https://fcm.googleapis.com/fcm/send/abc123", **dumps):
    public = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )

    def b64url(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return json.dumps(
        {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(os.urandom(16))},
        },
        **dumps,
    )


def register(caller, push_token: str = FCM_TOKEN, platform: str = "android"):
    return caller.post(DEVICES, json={"platform": platform, "push_token": push_token})


def stored(db) -> list[Device]:
    db.expire_all()
    return list(db.scalars(select(Device)))


def listed(caller) -> list[dict]:
    response = caller.get(DEVICES)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_registering_a_device_answers_it_without_echoing_the_token(as_role, db):
    mentor = as_role("mentor")

    response = register(mentor, platform="ios")

    assert response.status_code == 201, response.get_json()
    device = response.get_json()
    assert set(device) == {"id", "platform", "created_at", "last_seen_at", "disabled_at"}
    assert device["platform"] == "ios"
    assert device["disabled_at"] is None
    assert device["created_at"].endswith("Z") and device["last_seen_at"].endswith("Z")
    assert response.headers["ETag"]
    [row] = stored(db)
    assert str(row.id) == device["id"]
    assert row.user_id == mentor.user.id
    assert row.push_token == FCM_TOKEN
    assert row.push_token_hash == hashlib.sha256(FCM_TOKEN.encode()).hexdigest()


def test_a_young_person_registers_their_phone(as_role, programme):
    _, young_person = programme.young_person(as_role("coordinator"))
    assert register(young_person).status_code == 201
    assert [d["platform"] for d in listed(young_person)] == ["android"]


def test_the_same_token_again_is_the_same_device_seen_again(as_role, db):
    mentor = as_role("mentor")
    first = register(mentor, platform="ios").get_json()

    again = register(mentor, platform="android")

    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first["id"]
    assert again.get_json()["platform"] == "android"
    assert again.get_json()["created_at"] == first["created_at"]
    assert again.get_json()["last_seen_at"] > first["last_seen_at"]
    assert len(stored(db)) == 1
    assert len(listed(mentor)) == 1


def test_registering_again_re_enables_a_device_its_push_service_had_refused(as_role, db):
    mentor = as_role("mentor")
    device_id = register(mentor).get_json()["id"]
    [row] = stored(db)
    row.disabled_at = utcnow()
    db.commit()
    assert listed(mentor)[0]["disabled_at"] is not None

    again = register(mentor)

    assert again.status_code == 200
    assert again.get_json()["id"] == device_id
    assert again.get_json()["disabled_at"] is None
    assert stored(db)[0].disabled_at is None


def test_a_phone_that_changed_hands_moves_to_its_new_owner(as_role, programme, db):
    coordinator = as_role("coordinator")
    _, old_owner = programme.young_person(coordinator)
    _, new_owner = programme.young_person(coordinator)
    old_device = register(old_owner).get_json()

    moved = register(new_owner)

    assert moved.status_code == 201, moved.get_json()
    # A device of the new owner's own, with nothing of its past.
    assert moved.get_json()["id"] != old_device["id"]
    assert moved.get_json()["created_at"] >= old_device["created_at"]
    assert listed(old_owner) == []
    assert [d["id"] for d in listed(new_owner)] == [moved.get_json()["id"]]
    assert old_owner.delete(f"{DEVICES}/{old_device['id']}").status_code == 404
    [row] = stored(db)
    assert row.user_id == new_owner.user.id
    events = {
        event.action: event
        for event in db.scalars(select(AuditEvent).where(AuditEvent.action.like("device.%")))
    }
    assert events["device.moved"].actor_id == new_owner.user.id
    assert events["device.moved"].details["from_user_id"] == str(old_owner.user.id)


def test_a_web_subscription_is_one_device_however_the_browser_spells_it(as_role, db):
    coordinator = as_role("coordinator")
    subscription = json.loads(web_subscription())
    first = register(coordinator, json.dumps(subscription), platform="web")
    assert first.status_code == 201, first.get_json()

    reordered = json.dumps(
        {"keys": subscription["keys"], "endpoint": subscription["endpoint"]}, indent=2
    )
    again = register(coordinator, reordered, platform="web")

    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    [row] = stored(db)
    assert json.loads(row.push_token) == {
        "endpoint": subscription["endpoint"],
        "keys": subscription["keys"],
    }
    endpoint_hash = hashlib.sha256(subscription["endpoint"].encode()).hexdigest()
    assert row.push_token_hash == endpoint_hash


def test_a_renewed_web_subscription_for_the_same_endpoint_replaces_its_keys(as_role, db):
    coordinator = as_role("coordinator")
    register(coordinator, web_subscription(), platform="web")
    renewed = web_subscription()  # same endpoint, fresh keys

    assert register(coordinator, renewed, platform="web").status_code == 200
    [row] = stored(db)
    assert json.loads(row.push_token)["keys"] == json.loads(renewed)["keys"]


def test_you_list_only_your_own_devices_most_recently_seen_first(as_role):
    mentor, coordinator = as_role("mentor"), as_role("coordinator")
    phone = register(mentor, "token-phone").get_json()
    tablet = register(mentor, "token-tablet", platform="ios").get_json()
    theirs = register(coordinator, "token-coordinator").get_json()
    register(mentor, "token-phone")  # the phone is seen again

    mine = mentor.get(DEVICES)

    assert [d["id"] for d in mine.get_json()] == [phone["id"], tablet["id"]]
    assert json.loads(mine.headers["X-Pagination"])["total"] == 2
    assert [d["id"] for d in listed(coordinator)] == [theirs["id"]]


def test_you_remove_your_own_device(as_role, db):
    mentor = as_role("mentor")
    device_id = register(mentor).get_json()["id"]

    removed = mentor.delete(f"{DEVICES}/{device_id}")

    assert removed.status_code == 204
    assert listed(mentor) == []
    assert stored(db) == []
    assert mentor.delete(f"{DEVICES}/{device_id}").status_code == 404


def test_another_users_device_is_not_found(as_role, db):
    mentor, coordinator = as_role("mentor"), as_role("coordinator")
    device_id = register(mentor).get_json()["id"]

    answer = coordinator.delete(f"{DEVICES}/{device_id}")

    assert answer.status_code == 404
    assert answer.get_json()["code"] == 404
    assert coordinator.delete(f"{DEVICES}/{uuid.uuid4()}").status_code == 404
    assert [str(d.id) for d in stored(db)] == [device_id]


def test_an_app_that_keeps_minting_tokens_keeps_only_its_latest_devices(as_role, db):
    mentor = as_role("mentor")
    ids = [register(mentor, f"token-{n}").get_json()["id"] for n in range(MAX_DEVICES_PER_USER + 2)]

    assert {d["id"] for d in listed(mentor)} == set(ids[2:])
    assert len(stored(db)) == MAX_DEVICES_PER_USER


def test_without_signing_in_there_are_no_devices(client):
    for answer in (
        client.post(DEVICES, json={"platform": "ios", "push_token": FCM_TOKEN}),
        client.get(DEVICES),
        client.delete(f"{DEVICES}/{uuid.uuid4()}"),
    ):
        assert answer.status_code == 401
        assert answer.get_json()["code"] == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"platform": "windows_phone", "push_token": FCM_TOKEN}, "platform"),
        ({"platform": "ios"}, "push_token"),
        ({"push_token": FCM_TOKEN}, "platform"),
        ({"platform": "ios", "push_token": ""}, "push_token"),
        ({"platform": "ios", "push_token": "   "}, "push_token"),
        ({"platform": "ios", "push_token": "x" * (MAX_PUSH_TOKEN_LENGTH + 1)}, "push_token"),
        ({"platform": "ios", "push_token": 12345}, "push_token"),
        ({"platform": "ios", "push_token": "two\nlines"}, "push_token"),
        ({"platform": "ios", "push_token": FCM_TOKEN, "user_id": str(uuid.uuid4())}, "user_id"),
        ({"platform": "web", "push_token": FCM_TOKEN}, "push_token"),  # not a subscription
        ({"platform": "web", "push_token": "[1, 2]"}, "push_token"),
        (
            {
                "platform": "web",
                "push_token": web_subscription("http://fcm.googleapis.com/fcm/send/x"),
            },
            "push_token",
        ),
        (
            {"platform": "web", "push_token": web_subscription("https://10.1.2.3/push")},
            "push_token",
        ),
        (
            {"platform": "web", "push_token": web_subscription("https://metadata.internal/x")},
            "push_token",
        ),
        (
            {"platform": "web", "push_token": web_subscription("http://127.0.0.1:9/push")},
            "push_token",
        ),
        (
            {
                "platform": "web",
                "push_token": json.dumps(
                    {"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": {"auth": "x"}}
                ),
            },
            "push_token",
        ),
    ],
)
def test_a_device_that_cannot_be_pushed_to_is_refused(as_role, db, body, field):
    mentor = as_role("mentor")

    answer = mentor.post(DEVICES, json=body)

    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"]["json"]
    assert stored(db) == []


def test_loopback_web_push_endpoints_are_allowed_only_when_configured(app, as_role, monkeypatch):
    mentor = as_role("mentor")
    loopback = web_subscription("http://127.0.0.1:8080/push/1")
    assert register(mentor, loopback, platform="web").status_code == 422

    runtime = app.extensions["youthapp"]
    monkeypatch.setattr(
        runtime, "settings", runtime.settings.with_overrides(webpush_allow_loopback=True)
    )
    assert register(mentor, loopback, platform="web").status_code == 201


def test_the_openapi_document_describes_the_devices_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/me/devices"]["post"]
    assert {"200", "201", "401", "409", "422"} <= set(post["responses"])
    delete = spec["paths"]["/api/v1/me/devices/{device_id}"]["delete"]
    assert {"204", "401", "404"} <= set(delete["responses"])
    assert post["security"] == [{"bearerAuth": []}]
