"""Behaviour rules outlive a crash of their party (issue 16): a fault a test set up is still there
after a restart, a rule spent before the crash stays spent, ``reset`` lifts them for good."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sandbox.config import load_config
from sandbox.kit.clock import Clock
from sandbox.kit.durable import RowStore
from sandbox.kit.errors import InvalidInput
from sandbox.kit.rules import RuleSet
from sandbox.serve import build_party

START = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
SMS = {"channel": "sms", "to": "3104567890", "text": "Código {secret}", "secret": "123456", "kind": "otp"}
ONCE = {
    "id": "once",
    "match": {"operation": "notify.sms"},
    "action": {"error": {"status": 503, "code": "down"}},
    "times": 1,
}
ALWAYS = {"match": {"operation": "notify.email"}, "action": {"decline": "blocked"}}


@contextmanager
def notify(state_dir: Path) -> Iterator[TestClient]:
    """notify started on ``state_dir``; leaving the block is the process ending (a restart after)."""
    app = build_party(
        "notify", load_config(None, state_dir=str(state_dir), jobs_interval_s=0), clock=Clock.frozen(START)
    )
    with TestClient(app) as client:
        yield client


def rules(client: TestClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/_sandbox/rules").json()["rules"]
    return found


def test_rules_and_their_spending_survive_a_restart(tmp_path: Path) -> None:
    with notify(tmp_path) as client:
        assert client.post("/_sandbox/rules", json=[ONCE, ALWAYS]).status_code == 201
        generated = rules(client)[1]["id"]
        assert client.post("/messages", json=SMS).status_code == 503  # the rule fires once...
        assert client.post("/messages", json=SMS).status_code == 201  # ...then it is spent
    with notify(tmp_path) as client:
        after = rules(client)
        assert [(r["id"], r["hits"], r["spent"]) for r in after] == [("once", 1, True), (generated, 0, False)]
        assert client.post("/messages", json=SMS).status_code == 201  # still spent after the restart
        added = client.post("/_sandbox/rules", json=[{**ALWAYS, "match": {"operation": "notify.sms"}}])
        assert added.status_code == 201, added.text  # a generated id does not clash with a restored one
        assert len({r["id"] for r in rules(client)}) == 3


def test_reset_lifts_the_rules_for_good(tmp_path: Path) -> None:
    with notify(tmp_path) as client:
        assert client.put("/_sandbox/rules", json=[ONCE]).status_code == 200
        assert client.post("/_sandbox/reset").status_code == 200
    with notify(tmp_path) as client:
        assert rules(client) == []
        assert client.post("/messages", json=SMS).status_code == 201


def test_a_stored_rule_this_party_no_longer_knows_is_dropped_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = RuleSet({"notify.sms": {"to"}, "notify.gone": set()})
    old.replace([ONCE, {"match": {"operation": "notify.gone"}, "action": {"decline": "x"}}])
    with pytest.raises(InvalidInput) as refused:
        RuleSet({"notify.sms": {"to"}}).restore(old.dump())
    assert refused.value.code == "unknown_operation"
    # the party itself starts, without them (a newer version of it lost that operation)
    stored = RowStore(tmp_path / "notify-rules.db", world_id="default")
    stored.put("rules", "all", old.dump())
    stored.close()
    with caplog.at_level(logging.WARNING, logger="sandbox.party"), notify(tmp_path) as client:
        assert rules(client) == []
        assert client.post("/messages", json=SMS).status_code == 201
    assert "stored behaviour rules not restored" in caplog.text


def test_only_changes_that_matter_are_staged() -> None:
    seen: list[list[dict[str, Any]]] = []
    rs = RuleSet({"notify.sms": {"to"}})
    rs.on_change = seen.append
    rs.replace([ONCE, {"id": "bare", "match": {"operation": "notify.sms"}, "action": {"decline": "x"}}])
    assert len(seen) == 1
    rs.evaluate("notify.sms")  # "once" fires: its spending is staged
    assert len(seen) == 2 and seen[-1][0]["hits"] == 1
    rs.evaluate("notify.sms")  # "bare" fires: a count without times is not worth a write
    assert len(seen) == 2
    rs.clear()
    assert seen[-1] == []
    rs.clear()  # nothing to clear: nothing staged
    assert len(seen) == 3
