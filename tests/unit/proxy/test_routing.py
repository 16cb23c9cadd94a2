from __future__ import annotations

import json
from pathlib import Path

import pytest
from mitmproxy import exceptions
from mitmproxy.test import taddons

from sandbox.config import SandboxConfig
from sandbox.proxy.parties import PartyMap
from sandbox.proxy.routing import CONTROL_META, PartyRouter, load_party_urls
from tests.unit.proxy.flows import URLS, party_flow

# taddons.context needs a running event loop (else it makes one that is never closed).
pytestmark = pytest.mark.anyio


def _router(**options: object) -> tuple[PartyRouter, taddons.context]:
    router = PartyRouter()
    tctx = taddons.context(router)
    tctx.configure(router, **options)
    return router, tctx


@pytest.mark.parametrize(
    ("host", "port", "party"),
    [("127.0.0.1", 8000, "switch"), ("localhost", 8000, "switch"), ("127.0.0.1", 8008, "notify"),
     ("LOCALHOST", 8008, "notify"), ("127.0.0.1", 9999, None), ("10.0.0.5", 8000, None)],
)  # fmt: skip
def test_party_map(host: str, port: int, party: str | None) -> None:
    assert PartyMap.from_urls(URLS).party_at(host, port) == party


def test_external_party_with_default_port() -> None:
    parties = PartyMap.from_urls({"coop": "https://coop.example.com/base/"})
    assert parties.party_at("coop.example.com", 443) == "coop"
    assert parties.url_of("coop") == "https://coop.example.com/base"


async def test_tags_from_and_to() -> None:
    router, _ = _router(sandbox_parties=[f"{k}={v}" for k, v in URLS.items()])
    flow = party_flow("red", "switch", path="/sicoop/v1/withdrawals?x=1")
    router.request(flow)
    route = flow.metadata["sandbox"]
    assert (route["from"], route["to"], route["method"], route["path"]) == (
        "red",
        "switch",
        "POST",
        "/sicoop/v1/withdrawals",
    )
    assert route["request_id"] == "rid-1" and route["copy_of"] is None


async def test_unknown_caller_and_destination() -> None:
    router, _ = _router(sandbox_parties=[f"{k}={v}" for k, v in URLS.items()])
    flow = party_flow(None, "http://10.1.2.3:9000")
    router.request(flow)
    assert (flow.metadata["sandbox"]["from"], flow.metadata["sandbox"]["to"]) == ("?", "10.1.2.3:9000")


async def test_the_copy_header_is_read_and_removed() -> None:
    router, _ = _router(sandbox_parties=[f"{k}={v}" for k, v in URLS.items()])
    flow = party_flow(headers={"x-sandbox-fault-copy": "4"})
    router.request(flow)
    assert flow.metadata["sandbox"]["copy_of"] == 4
    assert "x-sandbox-fault-copy" not in flow.request.headers


async def test_skips_control_and_handled_flows() -> None:
    router, _ = _router()
    control = party_flow()
    control.metadata[CONTROL_META] = True
    answered = party_flow(response=None)
    answered.kill()
    for flow in (control, answered):
        router.request(flow)
        assert "sandbox" not in flow.metadata


async def test_reads_the_sandbox_configuration(tmp_path: Path) -> None:
    config = SandboxConfig()
    config.parties["coop"].external_url = "http://10.0.0.5:9000"
    path = tmp_path / "config.json"
    path.write_text(config.to_json())
    urls = load_party_urls(str(path), ["extra=http://127.0.0.1:7000"])
    assert urls["switch"] == "http://127.0.0.1:8000"
    assert urls["coop"] == "http://10.0.0.5:9000"
    assert urls["extra"] == "http://127.0.0.1:7000"
    router, _ = _router(sandbox_config=str(path))
    assert router.parties.party_at("10.0.0.5", 9000) == "coop"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"sandbox_config": "/nonexistent/config.json"}, "no se puede leer"),
        ({"sandbox_parties": ["switch"]}, "NOMBRE=http"),
        ({"sandbox_parties": ["switch=ftp://x"]}, "NOMBRE=http"),
    ],
)
async def test_bad_options_are_refused(options: dict[str, object], says: str) -> None:
    router = PartyRouter()
    with taddons.context(router) as tctx, pytest.raises(exceptions.OptionsError, match=says):
        tctx.configure(router, **options)


def test_a_file_that_is_not_a_configuration_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"parties": {"nobody": {"port": 1}}}))
    with pytest.raises(ValueError, match="no es una configuración"):
        load_party_urls(str(path), [])
