"""Idempotency under races over HTTP, with several switch processes (issue 16, item 4; CASH-11, NET-01).

The measured case: an exact retry of a withdrawal racing a request with the same trace number and
another amount was answered ``409 idempotency_conflict`` (49 of 50 tries on SQLite, all on
PostgreSQL). Here the real switch runs with three uvicorn workers on one database — a SQLite file
and a fresh PostgreSQL schema — next to the real CEIBO and red, and each race fires exact retries
and conflicting bodies on one trace number at the same instant (a barrier releases every thread).

What must hold, whichever request happens to claim the trace number first (its "owner"):
- every request with the owner's body answers the owner's answer (``201``, the same body), or
  ``409 idempotency_in_progress`` while the owner is still unanswered in another worker — never
  ``idempotency_conflict``;
- every request with another body answers ``idempotency_conflict`` naming ``trace_number``:
  ``409`` while the owner is unanswered, ``422`` once it is answered;
- the trace number has one transaction at the switch and one hold at CEIBO, for the owner's amount;
- afterwards, the owner's body replays the first answer and any other body is ``422``.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.client import SandboxClient
from sandbox.runner import SandboxRun
from sandbox.testing import suite_config

WORKERS = 3
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
CARD, DOCUMENT = "DIMO-0001", "4567890"
EXACT, OTHER = "10000", "20000"


@dataclass
class Switch:
    http: requests.Session
    urls: dict[str, str]
    client: SandboxClient

    def withdraw(self, trace: str, amount: str, soft_token: str) -> requests.Response:
        body = {
            "trace_number": trace,
            "counter_id": "RC-001",
            "document_number": DOCUMENT,
            "soft_token": soft_token,
            "amount": amount,
        }
        return self.http.post(self.urls["switch"] + "/sicoop/v1/withdrawals", json=body, timeout=60)

    def fresh_code(self) -> str:
        """A soft-token code not used yet: a code is single use, so the clock moves a window on."""
        self.client.advance_clock(60)
        code: str = self.http.get(self.urls["ceibo"] + f"/_sandbox/cards/{CARD}/soft-token", timeout=10).json()["code"]
        return code

    def holds_of(self, trace: str) -> list[dict[str, Any]]:
        holds = self.http.get(self.urls["ceibo"] + "/_sandbox/holds", timeout=10).json()["holds"]
        return [h for h in holds if h["trace_number"] == trace]

    def transactions_of(self, trace: str) -> list[dict[str, Any]]:
        answer = self.http.get(
            self.urls["switch"] + "/sicoop/v1/withdrawals", params={"trace_number": trace}, timeout=10
        )
        items: list[dict[str, Any]] = answer.json()["items"]
        return items


def _postgres_schema() -> Iterator[str]:
    import psycopg

    try:
        probe = psycopg.connect(PG_DSN, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 (user postgres, db test) is not reachable: {exc}")
    schema = f"coop_races_{secrets.token_hex(4)}"
    with probe:
        probe.execute(f'CREATE SCHEMA "{schema}"')
        probe.commit()
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_DSN, connect_timeout=3) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            conn.commit()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def switch(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Switch]:
    database: Iterator[str] | None = _postgres_schema() if request.param == "postgresql" else None
    state: Path = tmp_path_factory.mktemp(f"races-{request.param}")
    config = suite_config(state)
    for name, party in config.parties.items():
        party.enabled = name in ("switch", "ceibo", "red")
    config.parties["switch"].workers = WORKERS
    try:
        if database is not None:
            config.parties["switch"].options["database_url"] = next(database)
        run = SandboxRun(config)
        run.start(timeout_s=120)
        try:
            urls = config.urls()
            with SandboxClient(urls) as client, requests.Session() as http:
                http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32))
                yield Switch(http, urls, client)
        finally:
            run.stop()
    finally:
        if database is not None:
            database.close()  # drops the schema


def _race(switch: Switch, trace: str, bodies: list[str], code: str) -> list[tuple[str, requests.Response]]:
    """Send every body at the same instant (a barrier per thread); the answers in the same order."""
    barrier = threading.Barrier(len(bodies))

    def send(amount: str) -> tuple[str, requests.Response]:
        barrier.wait(timeout=30)
        return amount, switch.withdraw(trace, amount, code)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


def _check(switch: Switch, trace: str, answers: list[tuple[str, requests.Response]], *, answered: str | None) -> str:
    """The invariants of the module docstring; returns the owner's amount."""
    [txn] = switch.transactions_of(trace)
    owner = str(txn["amount"])
    if answered is not None:
        assert owner == answered  # a trace number answered before the race keeps its owner
    first: dict[str, Any] | None = None
    for amount, answer in answers:
        body = answer.json()
        if amount == owner:
            if answer.status_code == 409:
                assert body["error"] == "idempotency_in_progress", body
                continue
            assert answer.status_code == 201, body
            first = first or body
            assert body == first
        else:
            assert body["error"] == "idempotency_conflict" and body["field"] == "trace_number", body
            assert answer.status_code in ((422,) if answered else (409, 422)), body
    assert first is not None, "nobody got the owner's answer"
    assert first["id"] == txn["id"] and first["status"] == "approved"
    holds = switch.holds_of(trace)
    assert len(holds) == 1 and str(holds[0]["amount"]) == owner, holds
    return owner


def test_exact_retries_racing_conflicting_bodies_after_the_answer(switch: Switch) -> None:
    for round_ in range(4):
        trace, code = f"RACE-AFTER-{round_}", switch.fresh_code()
        original = switch.withdraw(trace, EXACT, code)
        assert original.status_code == 201, original.text
        answers = _race(switch, trace, [OTHER, EXACT] * 6, code)  # the conflicting body first, each time
        for amount, answer in answers:
            if amount == EXACT:
                assert answer.status_code == 201 and answer.headers["Idempotent-Replayed"] == "true"
                assert answer.json() == original.json()
        _check(switch, trace, answers, answered=EXACT)


def test_exact_retries_racing_conflicting_bodies_from_the_start(switch: Switch) -> None:
    for round_ in range(4):
        trace, code = f"RACE-START-{round_}", switch.fresh_code()
        answers = _race(switch, trace, [OTHER, EXACT] * 6, code)
        owner = _check(switch, trace, answers, answered=None)
        other = OTHER if owner == EXACT else EXACT
        replay = switch.withdraw(trace, owner, code)
        assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json()["amount"] == owner
        late = switch.withdraw(trace, other, code)
        assert late.status_code == 422 and late.json()["error"] == "idempotency_conflict", late.text
        _check(switch, trace, [(owner, replay), (other, late)], answered=owner)
