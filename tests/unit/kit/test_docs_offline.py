"""Every party's /docs and /redoc load only from the party itself (issue 17: closed networks).

The pages and every asset they reference are fetched in process; a reference to any other host
fails the test. The browser suite (tests/browser/test_docs_offline.py) renders them in Chromium
with every non-local request refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sandbox.config import PARTIES, load_config
from sandbox.kit.clock import Clock
from sandbox.serve import build_party

_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""")
_EXPECTED = {
    "/docs": ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"),
    "/redoc": ("redoc.standalone.js", "favicon.png"),
}


@pytest.fixture(params=sorted(PARTIES))
def party(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    config = load_config(None, state_dir=str(tmp_path), jobs_interval_s=0)
    app = build_party(request.param, config, clock=Clock())
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("page", sorted(_EXPECTED))
def test_docs_pages_reference_only_local_assets(party: TestClient, page: str) -> None:
    response = party.get(page)
    assert response.status_code == 200
    refs = [a or b for a, b in _REFERENCE.findall(response.text)]
    assert refs, response.text
    outside = [r for r in refs if r.startswith(("http:", "https:", "//"))]
    assert outside == [], f"{page} loads from another host: {outside}"
    names = {r.rsplit("/", 1)[-1] for r in refs}
    assert set(_EXPECTED[page]) <= names, refs
    for ref in refs:
        asset = party.get(ref)
        assert asset.status_code == 200, ref
        assert len(asset.content) > (50 if ref.endswith(".json") else 500), ref
    assert "fonts.googleapis" not in response.text


def test_openapi_document_and_redirect(party: TestClient) -> None:
    assert party.get("/openapi.json").json()["openapi"].startswith("3.")
    assert "oauth2" in party.get("/docs/oauth2-redirect").text
