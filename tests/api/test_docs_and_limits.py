"""The API documents itself (an OpenAPI document that validates, and docs served by the app
under its Content Security Policy), and holds each token to its rate."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from tests.api.conftest import Api


def test_the_openapi_document_validates_and_names_every_endpoint(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()

    validate(spec)
    assert set(spec["paths"]) == {
        "/api/v1/accounts",
        "/api/v1/accounts/{account_id}",
        "/api/v1/accounts/{account_id}/history",
        "/api/v1/accounts/{account_id}/interactions",
        "/api/v1/accounts/{account_id}/contacts",
        "/api/v1/signals",
        "/api/v1/portfolio/export",
    }
    assert spec["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    created = spec["paths"]["/api/v1/accounts/{account_id}/interactions"]["post"]["responses"]
    assert "201" in created


def test_the_docs_page_loads_only_the_apps_own_files(client, db):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(source.startswith("/static/") for source in sources), sources
    # No inline script: the only <script> without a src is the settings' JSON.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline == [' type="application/json" id="swagger-settings"']
    directives = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert directives["script-src"] == "'self'"
    assert '"validatorUrl": null' in html
    assert '"url": "/api/v1/openapi.json"' in html


def test_a_token_past_its_rate_gets_429_with_retry_after(alice, settings):
    from accounts.services import api_token_create

    settings.API_RATE_LIMIT = "3/min"
    _, token = api_token_create(user=alice, name="Busy")
    _, other = api_token_create(user=alice, name="Quiet")
    busy = Api(token)

    answers = [busy.get("/signals").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    refused = busy.get("/signals")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    # Counted per token: another token of the same person still gets through.
    assert Api(other).get("/signals").status_code == 200


# The error answers each operation really gives, besides 401 (no live token) and 429 (past
# the rate limit), which every one gives.
ERRORS = {
    ("get", "/api/v1/accounts"): {"422"},
    ("get", "/api/v1/accounts/{account_id}"): {"404", "422"},
    ("get", "/api/v1/accounts/{account_id}/history"): {"404", "422"},
    ("get", "/api/v1/accounts/{account_id}/interactions"): {"404", "422"},
    ("post", "/api/v1/accounts/{account_id}/interactions"): {
        "400",
        "403",
        "404",
        "409",
        "413",
        "422",
    },
    ("get", "/api/v1/accounts/{account_id}/contacts"): {"404", "422"},
    ("post", "/api/v1/accounts/{account_id}/contacts"): {"400", "403", "404", "413", "422"},
    ("get", "/api/v1/signals"): set(),
    ("get", "/api/v1/portfolio/export"): {"403", "422"},
}


def test_each_operation_documents_the_errors_it_gives_with_their_shape(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    operations = {
        (method, path): operation
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    }
    assert set(operations) == set(ERRORS)

    for key, operation in operations.items():
        errors = {code for code in operation["responses"] if code >= "400"}
        assert errors == ERRORS[key] | {"401", "429"}, key
        for code in errors:
            schema = operation["responses"][code]["content"]["application/json"]["schema"]
            assert schema == {
                "$ref": f"#/components/schemas/{'Invalid' if code == '422' else 'Error'}"
            }
    schemas = spec["components"]["schemas"]
    assert schemas["Error"]["properties"] == {"detail": {"title": "Detail", "type": "string"}}
    assert schemas["Invalid"]["properties"]["detail"]["items"] == {
        "$ref": "#/components/schemas/Problem"
    }


def test_the_documented_error_shapes_are_what_the_api_answers(book, as_alice, as_bob):
    north = book["north"].pk
    missing = as_bob.get(f"/accounts/{north}")
    refused = as_alice.get("/portfolio/export")
    invalid = as_alice.post(f"/accounts/{north}/interactions", {"kind": "dinner"})
    anonymous = Api(None).get("/signals")

    assert (missing.status_code, refused.status_code, anonymous.status_code) == (404, 403, 401)
    for answer in (missing, refused, anonymous):
        assert set(answer.json()) == {"detail"}
        assert isinstance(answer.json()["detail"], str)
    assert invalid.status_code == 422
    assert set(invalid.json()["detail"][0]) >= {"loc", "msg", "type"}
