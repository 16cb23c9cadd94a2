from __future__ import annotations

import json
from pathlib import Path

import pytest
from mitmproxy import exceptions, http, io
from mitmproxy.test import taddons

from sandbox.proxy.capture import Capture
from sandbox.proxy.faults import FAULT_META
from sandbox.proxy.redact import mask_body_bytes, masked_copy
from sandbox.proxy.routing import CONTROL_META
from tests.unit.proxy.flows import json_response, party_flow

pytestmark = pytest.mark.anyio

SECRETS = ["s3cr3t-pass", "482913", "778899", "eyJhbGciOi.secret-token", "api-key-123456", "4001237756",
           "4111111111111111", "refresh-xyz"]  # fmt: skip


def _secret_flow() -> http.HTTPFlow:
    flow = party_flow(
        routed=True,
        frm="red",
        to="switch",
        path="/sicoop/v1/withdrawals?apikey=api-key-123456&limit=5",
        body={"password": "s3cr3t-pass", "otp": "482913", "softToken": "778899", "account_number": "4001237756",
              "nested": [{"card": "4111111111111111"}], "amount": "150000"},
        headers={"Authorization": "Bearer eyJhbGciOi.secret-token", "X-Api-Key": "api-key-123456",
                 "Cookie": "session=refresh-xyz"},
        response=json_response(200, {"access_token": "eyJhbGciOi.secret-token", "refresh_token": "refresh-xyz",
                                     "status": "approved"}),
    )  # fmt: skip
    flow.response.headers["Set-Cookie"] = "session=refresh-xyz"  # type: ignore[union-attr]
    return flow


def _text(flow: http.HTTPFlow) -> str:
    return json.dumps(
        flow.get_state(), default=lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b)
    )


def test_masked_copy_hides_every_secret_and_keeps_the_rest() -> None:
    flow = _secret_flow()
    masked = masked_copy(flow)
    text = _text(masked)
    for secret in SECRETS:
        assert secret not in text, secret
    body = json.loads(masked.request.content or b"")
    assert body["account_number"] == "****7756" and body["amount"] == "150000"
    assert masked.request.headers["authorization"] == "****"
    assert masked.request.query["limit"] == "5"
    assert json.loads(masked.response.content or b"")["status"] == "approved"  # type: ignore[union-attr]


def test_the_live_flow_is_not_touched() -> None:
    flow = _secret_flow()
    before = flow.get_state()
    masked_copy(flow)
    assert flow.get_state() == before
    assert "s3cr3t-pass" in (flow.request.text or "")


@pytest.mark.parametrize(
    ("body", "ctype", "hidden", "kept"),
    [
        (b"password=s3cr3t&amount=10", "application/x-www-form-urlencoded", "s3cr3t", "amount=10"),
        (b"otp=482913 for 3104567890", "text/plain", "482913", "for"),
        (b'{"pin": 1234, "x": 1', "application/json", "1234", '"x": 1'),  # broken JSON: masked as text
        (b"card 4111111111111111 ok", "text/html", "4111111111111111", "****1111"),
        (b"\xff\xfe\x00binary", "application/octet-stream", "", "binary"),
    ],
)
def test_body_masking_by_content_type(body: bytes, ctype: str, hidden: str, kept: str) -> None:
    out = mask_body_bytes(body, ctype)
    if hidden:
        assert hidden.encode() not in out
    assert kept.encode() in out


def _read_mitm(path: Path) -> list[http.HTTPFlow]:
    with open(path, "rb") as f:
        return [flow for flow in io.FlowReader(f).stream() if isinstance(flow, http.HTTPFlow)]


def _recorded(tmp_path: Path, *flows: http.HTTPFlow) -> Capture:
    capture = Capture()
    with taddons.context(capture) as tctx:
        tctx.configure(capture, sandbox_capture_dir=str(tmp_path))
        for flow in flows:
            if flow.error:
                capture.error(flow)
            else:
                capture.response(flow)
        capture.done()
    return capture


async def test_capture_writes_masked_mitm_and_har(tmp_path: Path) -> None:
    answered = _secret_flow()
    killed = party_flow("red", "ceibo", body={"otp": "482913"}, routed=True)
    killed.metadata[FAULT_META] = {"id": 3, "kind": "reset"}
    killed.kill()
    capture = _recorded(tmp_path, answered, killed)
    read = _read_mitm(tmp_path / "capture.mitm")
    assert [f.request.path.split("?")[0] for f in read] == ["/sicoop/v1/withdrawals", "/sicoop/v1/withdrawals"]
    assert read[1].error is not None and read[1].metadata[FAULT_META]["kind"] == "reset"
    har_text = (tmp_path / "capture.har").read_text()
    mitm_text = (tmp_path / "capture.mitm").read_bytes().decode("utf-8", "replace")
    for secret in SECRETS:
        assert secret not in har_text and secret not in mitm_text, secret
    har = json.loads(har_text)
    assert len(har["log"]["entries"]) == 2
    summaries = capture.recent()
    assert [(s["from"], s["to"], s["status"], s["fault"]) for s in summaries] == [
        ("red", "switch", 200, None), ("red", "ceibo", None, "reset")]  # fmt: skip
    assert "apikey" not in summaries[0]["path"]


async def test_capture_records_each_flow_once_and_never_the_control_endpoint(tmp_path: Path) -> None:
    flow = party_flow(response=json_response(200, {}), routed=True)
    control = party_flow(response=json_response(200, {}))
    control.metadata[CONTROL_META] = True
    capture = Capture()
    with taddons.context(capture) as tctx:
        tctx.configure(capture, sandbox_capture_dir=str(tmp_path))
        capture.response(flow)
        flow.error = None
        capture.error(flow)
        capture.response(control)
        capture.done()
    assert capture.count == 1


async def test_capture_keeps_a_bounded_window_for_har(tmp_path: Path) -> None:
    capture = Capture()
    with taddons.context(capture) as tctx:
        tctx.configure(capture, sandbox_capture_dir=str(tmp_path), sandbox_capture_limit=3)
        for i in range(5):
            capture.response(party_flow(path=f"/p/{i}", response=json_response(200, {}), routed=True))
        capture.done()
    assert capture.count == 5
    assert [s["path"] for s in capture.recent()] == ["/p/2", "/p/3", "/p/4"]
    assert len(json.loads((tmp_path / "capture.har").read_text())["log"]["entries"]) == 3
    assert len(_read_mitm(tmp_path / "capture.mitm")) == 5  # the .mitm file keeps everything


async def test_recent_filters() -> None:
    capture = Capture()
    with taddons.context(capture):
        capture.response(party_flow("red", "switch", response=json_response(200, {}), routed=True))
        capture.response(party_flow("switch", "ceibo", response=json_response(200, {}), routed=True))
    assert [s["to"] for s in capture.recent(**{"from": "switch"})] == ["ceibo"]
    assert [s["from"] for s in capture.recent(to="switch")] == ["red"]
    assert capture.write_har() is None  # no directory: summaries only


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"sandbox_capture_limit": 0}, "at least 1"),
        ({"sandbox_capture_dir": "/proc/no/such/dir"}, "sandbox_capture_dir"),
    ],
)
async def test_bad_options(options: dict[str, object], says: str) -> None:
    capture = Capture()
    with taddons.context(capture) as tctx, pytest.raises(exceptions.OptionsError, match=says):
        tctx.configure(capture, **options)
