"""coop as a real process of the whole sandbox: the contract over HTTP, exactly once under 50
identical calls in parallel, and the switch's client (CoopPeer over its HTTP stack) reading the
truth after a lost answer (COOP-08)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from reference_impl.peers.coop import COOP_UNAVAILABLE, CoopPeer
from sandbox.testing import SandboxHandle
from sandbox.world import load_world

AUTH = {"Authorization": "Bearer coop-alianza-key"}
ALIANZA = "/coop/v1/entities/ALIANZA"


def _nick_savings(base: str) -> dict[str, Any]:
    with httpx.Client(base_url=base, headers=AUTH, timeout=30) as client:
        member = client.get(
            f"{ALIANZA}/members", params={"document_type": "CC", "document_number": "1033370434"}
        ).json()
        products = client.get(f"{ALIANZA}/members/{member['member_id']}/products").json()["products"]
    product: dict[str, Any] = next(p for p in products if p["number_masked"] == "****7756")
    return product


def test_fifty_identical_debits_in_parallel_hold_the_money_once(fresh_sandbox: SandboxHandle) -> None:
    base = fresh_sandbox.url("coop")
    product = _nick_savings(base)
    body = {"product_id": product["product_id"], "amount": "70000.00", "currency": "COP", "reference": "PAR-50"}
    headers = {**AUTH, "Idempotency-Key": "fifty-in-parallel"}

    async def fire() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            return list(
                await asyncio.gather(*(client.post(f"{ALIANZA}/debits", json=body, headers=headers) for _ in range(50)))
            )

    answers = asyncio.run(fire())
    ok = [a for a in answers if a.status_code == 201]
    assert all(a.status_code in (201, 409) for a in answers), {a.status_code for a in answers}
    assert ok and len({a.json()["debit_id"] for a in ok}) == 1
    assert sum(a.headers["Idempotent-Replayed"] == "false" for a in answers) == 1
    with httpx.Client(base_url=base, headers=AUTH, timeout=30) as client:
        found = client.get(f"{ALIANZA}/transactions", params={"reference": "PAR-50"}).json()["transactions"]
    assert len(found) == 1
    assert _nick_savings(base)["available"] == "2430000.00"


def test_the_switch_client_learns_the_truth_after_a_lost_answer(fresh_sandbox: SandboxHandle) -> None:
    base = fresh_sandbox.url("coop")
    product = _nick_savings(base)

    async def scenario() -> None:
        peer = CoopPeer.for_world(base, load_world(None), party="switch", timeout_s=10)
        try:
            lost = await peer.apply_credit(
                "ALIANZA",
                product_id=product["product_id"],
                amount_minor=500_093,  # .93: applied, then the connection is dropped
                reference="LOST-93",
                payment_option="free",
                idempotency_key="lost-93",
            )
            assert lost.unknown and lost.error == COOP_UNAVAILABLE
            truth = await peer.transactions_by_reference("ALIANZA", "LOST-93")
            assert truth.ok and [t.status for t in truth.value or ()] == ["applied"]
            retry = await peer.apply_credit(
                "ALIANZA",
                product_id=product["product_id"],
                amount_minor=500_093,
                reference="LOST-93",
                payment_option="free",
                idempotency_key="lost-93",
            )
            assert retry.ok and retry.replayed and retry.value is not None
            assert retry.value.running_balance_minor == 250_000_000 + 500_093
            declined = await peer.authorize_debit(
                "ALIANZA",
                product_id=product["product_id"],
                amount_minor=900_000_000,
                reference="BIG",
                idempotency_key="big",
            )
            assert (declined.outcome, declined.error) == ("refused", "insufficient_funds")
        finally:
            await peer.aclose()

    asyncio.run(scenario())
