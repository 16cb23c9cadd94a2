"""The switch's coop client over a fake wire: typed answers, refusals, and 'unknown' when the core
does not answer (timeout, lost answer, 5xx, a key still in flight)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest

from reference_impl.peers.coop import COOP_TIMEOUT, COOP_UNAVAILABLE, CoopPeer
from reference_impl.peers.transport import PeerResponse, PeerTimeout, PeerUnavailable
from sandbox.world import load_world


class FakeWire:
    def __init__(self, answer: PeerResponse | Exception) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        timeout_s: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> PeerResponse:
        self.calls.append({"method": method, "path": path, "params": params, "body": json_body, "headers": headers})
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    async def aclose(self) -> None:
        return None


DEBIT = {
    "debit_id": "D1",
    "status": "authorized",
    "product_id": "P1",
    "number_masked": "****7756",
    "amount": "50000.00",
    "currency": "COP",
    "reference": "REF-1",
    "authorized_at": "2026-01-15T15:00:00+00:00",
    "expires_at": "2026-01-15T15:15:00+00:00",
    "available": "2450000.00",
}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_the_debit_goes_with_the_key_the_entity_and_a_decimal_amount() -> None:
    wire = FakeWire(PeerResponse(201, DEBIT, {"idempotent-replayed": "true"}))
    peer = CoopPeer(wire, {"ALIANZA": "coop-alianza-key"})
    answer = run(
        peer.authorize_debit(
            "ALIANZA", product_id="P1", amount_minor=5_000_000, reference="REF-1", idempotency_key="k1"
        )
    )
    assert answer.ok and answer.replayed
    assert answer.value.amount_minor == 5_000_000 and answer.value.available_minor == 245_000_000
    call = wire.calls[0]
    assert call["path"] == "/coop/v1/entities/ALIANZA/debits"
    assert call["body"] == {"product_id": "P1", "amount": "50000.00", "currency": "COP", "reference": "REF-1"}
    assert call["headers"] == {"Authorization": "Bearer coop-alianza-key", "Idempotency-Key": "k1"}


def test_a_refusal_is_definitive_and_names_its_code() -> None:
    body = {"error": "insufficient_funds", "message": "Saldo insuficiente.", "field": None}
    peer = CoopPeer(FakeWire(PeerResponse(422, body)), {})
    answer = run(peer.post_debit("ALIANZA", "D1", idempotency_key="k"))
    assert (answer.outcome, answer.error, answer.status) == ("refused", "insufficient_funds", 422)


@pytest.mark.parametrize(
    ("wire", "error"),
    [
        (PeerTimeout("late"), COOP_TIMEOUT),
        (PeerUnavailable("dropped"), COOP_UNAVAILABLE),
        (PeerResponse(500, {"error": "core_error", "message": "x", "field": None}), "core_error"),
        (
            PeerResponse(409, {"error": "idempotency_key_in_flight", "message": "x", "field": None}),
            "idempotency_key_in_flight",
        ),
        (PeerResponse(502, None), "http_502"),
        (PeerResponse(201, {"unexpected": True}), "coop_bad_answer"),
    ],
)
def test_no_usable_answer_is_unknown(wire: Any, error: str) -> None:
    peer = CoopPeer(FakeWire(wire), {})
    answer = run(
        peer.apply_credit(
            "ALIANZA", product_id="P1", amount_minor=100, reference="R", payment_option="free", idempotency_key="k"
        )
    )
    assert answer.unknown and answer.error == error


def test_the_day_report_is_asked_by_date_and_read_in_minor_units() -> None:
    body = {
        "date": "2026-01-15",
        "transactions": [],
        "totals": {"credits": "10.00", "debits": "0.00", "reversals": "0.50"},
    }
    wire = FakeWire(PeerResponse(200, body))
    answer = run(CoopPeer(wire, {}).transactions_on("OLOHZO", date(2026, 1, 15)))
    assert answer.ok and (answer.value.credits_minor, answer.value.reversals_minor) == (1000, 50)
    assert wire.calls[0]["params"] == {"date": "2026-01-15"}


def test_every_entity_of_the_default_world_has_its_core_key() -> None:
    world = load_world(None)
    keys = {e.code: e.core_api_key for e in world.entities}
    assert keys["ALIANZA"] == "coop-alianza-key" and keys["SINCONVENIO"] == "coop-sinconvenio-key"
