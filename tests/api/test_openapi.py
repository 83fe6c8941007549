"""The OpenAPI document tells the truth: valid, complete, secured where the API is, with its
errors documented and every body a named schema that a generated client can type."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate

OPENAPI = "/api/v1/openapi.json"
METHODS = {"get", "put", "post", "patch", "delete"}
BEARER = [{"bearerAuth": []}]
# API.md, "IDs": path parameters are named after their resource.
RESOURCE_PARAMETERS = {
    "young_person_id",
    "team_id",
    "session_id",
    "referral_id",
    "assignment_id",
    "goal_id",
    "step_id",
    "appointment_id",
    "alert_id",
    "notification_id",
    "device_id",
    "timer_id",
    "user_id",
    "slug",
    "token",
}


@pytest.fixture
def spec(client) -> dict[str, Any]:
    response = client.get(OPENAPI)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(spec: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in obj:
        section, name = obj["$ref"].removeprefix("#/components/").split("/")
        obj = spec["components"][section][name]
    return obj


def example_url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def test_the_document_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    validate(spec)  # raises on any error
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


def test_every_route_is_documented_and_nothing_else(app, spec):
    routes = set()
    for rule in app.url_map.iter_rules():
        # The console is pages for a browser, not part of the API (tests/console).
        if rule.endpoint in ("static", "metrics") or rule.endpoint.startswith(
            ("api-docs.", "api-docs-assets.", "console.")
        ):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path.startswith("/api/v1/") or path in ("/healthz", "/readyz"), path
        routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, method, _ in operations(spec)}
    assert routes == documented
    assert {("/healthz", "get"), ("/readyz", "get"), ("/api/v1/auth/login", "post")} <= routes


def test_operations_that_need_a_sign_in_declare_bearer_auth_and_401(client, spec):
    # What needs a sign-in is found by asking without one, not by reading the code.
    for path, method, operation in operations(spec):
        response = client.open(
            example_url(path), method=method.upper(), data=b"{", content_type="application/json"
        )
        assert response.status_code < 500, (method, path)
        needs_sign_in = response.status_code == 401
        where = f"{method.upper()} {path}"
        assert (operation.get("security") == BEARER) == needs_sign_in, where
        if needs_sign_in:
            assert "401" in operation["responses"], where


def test_every_forbidden_answer_is_documented(client, spec, as_role, programme):
    coordinator = as_role("coordinator")
    _, young_person = programme.young_person(coordinator)
    callers = [as_role("admin"), coordinator, as_role("mentor"), as_role("referrer"), young_person]
    probed = 0
    for path, method, operation in operations(spec):
        if method != "get" and "requestBody" not in operation and "{" not in path:
            continue  # would act (sign out, say): nothing here to stop it before the gate
        for caller in callers:
            # A malformed body and unknown ids stop anything from happening past the gate.
            response = caller.client.open(
                example_url(path),
                method=method.upper(),
                data=b"{",
                content_type="application/json",
                headers=caller.headers,
            )
            if response.status_code == 403:
                assert "403" in operation["responses"], f"{method.upper()} {path}"
                probed += 1
                break
    assert probed >= 5


def test_every_operation_documents_its_errors(spec):
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        codes = set(operation["responses"])
        assert {"500", "503"} <= codes, where
        parameters = operation.get("parameters", []) + spec["paths"][path].get("parameters", [])
        takes_arguments = "requestBody" in operation or any(
            parameter["in"] in ("query", "header") for parameter in parameters
        )
        if takes_arguments:
            assert "422" in codes, where
        if "{" in path:
            assert "404" in codes, where
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= codes, where
        else:  # only a body can be malformed or of the wrong media type
            assert not {"400", "415"} & codes, where
        for code, response in operation["responses"].items():
            if code == "default" or int(code) >= 400:
                content = resolve(spec, response)["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (where, code)


def test_every_429_and_503_documents_retry_after(spec):
    seen = 0
    for path, method, operation in operations(spec):
        for code in ("429", "503"):
            if code in operation["responses"]:
                headers = resolve(spec, operation["responses"][code]).get("headers", {})
                assert resolve(spec, headers.get("Retry-After", {})).get("schema") == {
                    "type": "integer"
                }, (method, path, code)
                seen += 1
    assert seen > len(spec["paths"])


def test_path_parameters_are_named_after_their_resource(spec):
    for path, method, operation in operations(spec):
        declared = {
            parameter["name"]
            for parameter in operation.get("parameters", [])
            + spec["paths"][path].get("parameters", [])
            if parameter["in"] == "path" and parameter.get("required")
        }
        for name in re.findall(r"\{([^}]+)\}", path):
            assert name in RESOURCE_PARAMETERS, f"{path}: {{{name}}}"
            assert name in declared, f"{method.upper()} {path}: {{{name}}} not declared"
            if name.endswith("_id"):
                # /young-people/{young_person_id}, /me/safety-timers/{timer_id}, ...
                collection = path.split("/{" + name + "}")[0].rsplit("/", 1)[-1]
                resource = re.sub(
                    r"s$", "", collection.replace("-", "_").replace("people", "person")
                )
                assert resource.endswith(name.removesuffix("_id")), f"{path}: {{{name}}}"


def is_named(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "array":
        return is_named(schema["items"])
    return schema.get("$ref", "").startswith("#/components/schemas/")


def test_every_body_is_a_named_schema(spec):
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        if "requestBody" in operation:
            for media in resolve(spec, operation["requestBody"])["content"].values():
                assert is_named(media["schema"]), where
        for code, response in operation["responses"].items():
            response = resolve(spec, response)
            if code.startswith("2") and code != "204":
                assert response.get("content"), f"{where} {code} has no documented body"
            for media_type, media in response.get("content", {}).items():
                if media_type == "application/json":
                    assert is_named(media["schema"]), f"{where} {code}"


def test_every_property_of_a_named_schema_has_a_type(spec):
    for name, schema in spec["components"]["schemas"].items():
        for prop, definition in schema.get("properties", {}).items():
            assert {"type", "$ref", "anyOf", "allOf", "oneOf"} & set(definition), f"{name}.{prop}"


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/api/v1/docs", "swagger-ui"),
        ("/api/v1/redoc", "redoc"),
    ],
)
def test_the_documentation_is_served_without_a_sign_in(client, path, marker):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert marker in page.lower()
    assert OPENAPI in page
