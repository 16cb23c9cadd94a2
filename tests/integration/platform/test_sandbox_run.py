"""The session sandbox: every party up, one shared clock, external parties honoured."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import requests

from sandbox.config import PARTIES
from sandbox.testing import TEST_CLOCK_START, SandboxHandle, running_sandbox


def test_every_party_is_up_with_the_frozen_test_clock(fresh_sandbox: SandboxHandle) -> None:
    health = fresh_sandbox.client.health_all()
    assert set(health) == set(PARTIES)
    for name, result in health.items():
        assert isinstance(result, dict), f"{name}: {result}"
        assert result["party"] == name
        assert datetime.fromisoformat(result["now"]) == TEST_CLOCK_START
    clocks = {fresh_sandbox.client.party(n).clock()["clock_id"] for n in PARTIES}
    assert len(clocks) == 1, "parties started together share one clock"


def test_advancing_through_one_party_is_seen_by_all(fresh_sandbox: SandboxHandle) -> None:
    fresh_sandbox.client.party("ceibo").advance_clock(600)
    expected = TEST_CLOCK_START + timedelta(minutes=10)
    assert {fresh_sandbox.client.now(n) for n in PARTIES} == {expected}
    fresh_sandbox.reset()
    assert fresh_sandbox.client.now("switch") == TEST_CLOCK_START


def test_an_external_party_is_not_started_and_peers_point_at_it(tmp_path: Path, sandbox: SandboxHandle) -> None:
    external = sandbox.url("notify")
    with running_sandbox(tmp_path, {"notify": external}) as second:
        assert second.run is not None
        assert "notify" not in second.run.started
        assert second.url("notify") == external
        page = requests.get(second.url("switch") + "/", timeout=5)
        assert external in page.text  # the switch's peers table points at the external notify
        assert second.client.notify.health()["party"] == "notify"
