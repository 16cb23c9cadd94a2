"""gateway.confirmation: the gateway is the caller, so the kit's actions read from its side —
decline/pending/error: the attempt is not sent; drop: it is sent and the merchant's answer is lost
(the attempt counts as failed and is sent again); delay_s: the attempt completes, late."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from sandbox.gateway.peers import MerchantPeer
from sandbox.gateway.records import Order, Transaction
from sandbox.gateway.service import OPERATIONS, GatewayService
from sandbox.gateway.state import GatewayStore
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.clock import Clock
from sandbox.kit.rules import RuleSet
from sandbox.protocols.payu.codes import TxState
from sandbox.world import load_world

NOW = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
URL = "http://merchant.test/payu/confirmacion"


class Merchant(MerchantPeer):
    """A merchant's confirmation page that answers ``status`` and records what it got."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[dict[str, str]] = []

    def resolve(self, url: str) -> str:
        return url

    async def confirm(self, url: str, form: dict[str, str]) -> int:
        self.received.append(form)
        return self.status


def service(rule: dict[str, Any] | None, merchant: Merchant, slept: list[float]) -> GatewayService:
    rules = RuleSet(OPERATIONS)
    if rule is not None:
        rules.replace([{"match": {"operation": "gateway.confirmation"}, "action": rule}])

    async def no_wait(seconds: float) -> None:
        slept.append(seconds)

    return GatewayService(
        GatewayStore(UTC), Clock.frozen(NOW), Behaviour(rules, sleep=no_wait),
        ach=None, merchants=merchant, world=load_world(None), own_url="http://gateway.test", tz=UTC,  # type: ignore[arg-type]
    )  # fmt: skip


def order_and_payment() -> tuple[Order, Transaction]:
    order = Order(840000001, "508029", "512321", "R-1", "Pago", 15_000_000, 0, 0, "COP", "a@example.com", NOW, "t",
                  "api", confirmation_url=URL)  # fmt: skip
    tx = Transaction("tx-1", order.order_id, "AUTHORIZATION_AND_CAPTURE", TxState.APPROVED, "APPROVED", NOW, NOW,
                     15_000_000, 0, "COP", final_at=NOW)  # fmt: skip
    return order, tx


def post(rule: dict[str, Any] | None, status: int = 200) -> tuple[tuple[str, bool], Merchant, list[float]]:
    merchant, slept = Merchant(status), []
    gateway = service(rule, merchant, slept)
    order, tx = order_and_payment()
    outcome = asyncio.run(gateway._post_confirmation(URL, {"state_pol": "4", "sign": "x"}, order, tx))
    return outcome, merchant, slept


def test_without_rules_the_merchants_answer_decides() -> None:
    assert post(None)[0] == ("HTTP 200", True)
    assert post(None, status=500)[0] == ("HTTP 500", False)


@pytest.mark.parametrize("rule", [{"decline": "X"}, {"pending": True}])
def test_decline_and_pending_do_not_send_the_attempt(rule: dict[str, Any]) -> None:
    outcome, merchant, _ = post(rule)
    assert outcome == ("forced:not_sent", False) and merchant.received == []


def test_error_does_not_send_and_records_the_rules_code() -> None:
    outcome, merchant, slept = post({"error": {"status": 503, "code": "gateway_down"}, "delay_s": 1})
    assert outcome == ("forced:gateway_down", False) and merchant.received == [] and slept == [1]


def test_drop_sends_the_attempt_and_loses_the_answer() -> None:
    outcome, merchant, _ = post({"drop": True})
    assert outcome == ("forced:answer_lost", False)
    assert [f["state_pol"] for f in merchant.received] == ["4"]  # the merchant did get it


def test_delay_s_completes_the_attempt_late() -> None:
    outcome, merchant, slept = post({"delay_s": 3})
    assert outcome == ("HTTP 200", True) and len(merchant.received) == 1 and slept == [3]
