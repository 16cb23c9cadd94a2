"""Fixtures of the banks' integration tests: a payment created at ACH and a payer's browser at the bank."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from sandbox.scripted.pse import PayerBrowser, PseClient, example_payment
from sandbox.testing import SandboxHandle

_tickets = itertools.count(5000)


@dataclass
class Checkout:
    """One payment on its way: the CUS, the bank page "Ir al Banco" landed on, the browser."""

    cus: str
    bank_url: str
    browser: PayerBrowser
    pse: PseClient

    def state(self) -> dict[str, Any]:
        answer = self.pse.query("10002", self.cus)
        assert answer.code == "SUCCESS", answer.body
        body: dict[str, Any] = answer.body
        return body

    def login(self, username: str, password: str = "Banco.1234") -> Any:
        return self.browser.bank_login(self.bank_url, username, password)

    def pay(self, account: int = 0) -> Any:
        return self.browser.pay(self.bank_url, account)


@pytest.fixture
def checkout(fresh_sandbox: SandboxHandle) -> Callable[..., Checkout]:
    """Create a payment of the merchant (entity 10002) and take the payer to the bank."""
    pse = PseClient(fresh_sandbox.url("ach"), "tornillo-pse", "tornillo-secret-8d2b")

    def start(value: str = "150000.00", bank: str = "1022", email: str = "camila.torres@example.com",
              **overrides: Any) -> Checkout:  # fmt: skip
        answer = pse.create(example_payment("10002", bank, value, ticket_id=next(_tickets), **overrides))
        assert answer.code == "SUCCESS", answer.body
        browser = PayerBrowser()
        landed = browser.go_to_bank(answer.body["pseURL"], email)
        assert landed.status_code == 200, landed.text
        return Checkout(str(answer.body["trazabilityCode"]), landed.url, browser, pse)

    return start


@pytest.fixture
def balances(fresh_sandbox: SandboxHandle) -> Callable[[], dict[str, int]]:
    """Balance (centavos) of every bank account, by masked number."""

    def read() -> dict[str, int]:
        state = fresh_sandbox.client.party("bank").state()
        assert state["consistent"], "every balance is its opening plus its movements"
        return {a["account"]: a["balance_minor"] for a in state["accounts"]}

    return read
