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
