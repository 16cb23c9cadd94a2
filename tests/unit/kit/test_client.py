from __future__ import annotations

import json

import pytest
import requests
import responses

from sandbox.client import ControlError, SandboxClient

URLS = {"switch": "http://sw:8000", "ceibo": "http://ce:8004", "coop": "http://ext:9000"}


@responses.activate
def test_advance_clock_moves_each_shared_clock_once_and_ticks_the_rest() -> None:
    for name, clock_id in (("switch", "shared"), ("ceibo", "shared"), ("coop", "own")):
        responses.get(f"{URLS[name]}/_sandbox/clock", json={"now": "2026-01-15T15:00:00+00:00", "clock_id": clock_id})
    advanced = responses.post(f"{URLS['switch']}/_sandbox/clock", json={"now": "2026-01-15T15:05:00+00:00"})
    advanced_own = responses.post(f"{URLS['coop']}/_sandbox/clock", json={"now": "2026-01-15T15:05:00+00:00"})
    ticked = responses.post(f"{URLS['ceibo']}/_sandbox/tick", json={"jobs": {}})
    with SandboxClient(URLS) as client:
        now = client.advance_clock(300)
    assert now.isoformat() == "2026-01-15T15:05:00+00:00"
    assert advanced.call_count == 1 and advanced_own.call_count == 1 and ticked.call_count == 1
    assert json.loads(advanced.calls[0].request.body) == {"advance_s": 300}


@responses.activate
def test_errors_carry_the_error_shape() -> None:
    responses.put(
        f"{URLS['ceibo']}/_sandbox/rules",
        status=422,
        json={"error": "unknown_operation", "message": "La operación no existe.", "field": "rules[0].match.operation"},
    )
    with SandboxClient(URLS) as client, pytest.raises(ControlError) as info:
        client.party("ceibo").set_rules([{"match": {"operation": "x"}}])
    assert info.value.status == 422 and info.value.code == "unknown_operation"
    assert info.value.field == "rules[0].match.operation"


@responses.activate
def test_unreachable_party_and_health_all() -> None:
    responses.get(f"{URLS['switch']}/_sandbox/health", json={"status": "ok", "party": "switch"})
    responses.get(f"{URLS['ceibo']}/_sandbox/health", body=requests.ConnectionError("refused"))
    with SandboxClient({k: URLS[k] for k in ("switch", "ceibo")}) as client:
        result = client.health_all()
    assert result["switch"] == {"status": "ok", "party": "switch"}
    assert isinstance(result["ceibo"], ControlError) and result["ceibo"].code == "unreachable"


@responses.activate
def test_notify_latest_secret() -> None:
    responses.get(
        "http://no:8008/_sandbox/messages",
        json={"messages": [{"secret": "654321", "text": "Código 654321"}]},
    )
    with SandboxClient({"notify": "http://no:8008"}) as client:
        assert client.notify.latest_secret("3104567890") == "654321"
    assert responses.calls[0].request.params == {"to": "3104567890", "kind": "otp", "limit": "1"}
    with pytest.raises(KeyError, match="unknown party"):
        SandboxClient({}).party("switch")
