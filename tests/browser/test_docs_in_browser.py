"""Every party's /docs (Swagger UI) and /redoc (ReDoc) render in Chromium with the network closed:
the harness refuses every request that leaves the machine and fails the test if a page tries.

ReDoc's sidebar always asks for its vendor's logo from a CDN; the docs pages' Content-Security-
Policy stops the browser before any request leaves (failure «csp»), and the logo
hides itself. Any other failed request fails the test."""

from __future__ import annotations

from sandbox.config import PARTIES
from sandbox.testing import SandboxHandle
from tests.browser.conftest import Page, expect


def test_docs_and_redoc_render_offline(page: Page, sandbox: SandboxHandle) -> None:
    failed: list[tuple[str, str]] = []
    page.on("requestfailed", lambda request: failed.append((request.url, str(request.failure))))
    for name in PARTIES:
        base = sandbox.url(name)
        page.goto(base + "/docs")
        expect(page.locator(".swagger-ui .info .title")).to_be_visible()
        expect(page.locator(".swagger-ui .opblock-tag-section").first).to_be_visible()
        page.goto(base + "/redoc")
        expect(page.locator(".api-info h1, .api-content h1").first).to_be_visible()
        expect(page.locator(".menu-content")).to_be_visible()
    not_blocked = [(url, why) for url, why in failed if why not in ("csp", "net::ERR_BLOCKED_BY_CSP")]
    assert not_blocked == [], f"assets that did not load: {not_blocked}"
    assert all(url.startswith("https://cdn.redoc.ly/") for url, _ in failed), failed
