"""The API's interactive docs run in a real browser under the app's Content Security Policy,
from the app's own static files."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.browser.conftest import settle


def test_the_api_docs_render_under_the_csp_from_local_files_only(page, live_server) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    settle(page)

    assert "Relationship tracker API" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock-summary-path", has_text="/api/v1/accounts").count() >= 1
    assert page.console_errors == []  # a CSP refusal would be reported here
    origin = urlsplit(live_server.url).netloc
    assert {urlsplit(url).netloc for url in requested if url.startswith("http")} == {origin}
