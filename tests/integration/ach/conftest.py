"""Fixtures of ACH's integration tests: clients of the PSE API as an entity and as a bank."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from sandbox.scripted.pse import BankSideClient, PseAnswer, PseClient, example_payment
from sandbox.testing import SandboxHandle

TORNILLO = ("10002", "tornillo-pse", "tornillo-secret-8d2b")
ZONAPAGOS = ("10001", "zonapagos-sandbox", "zp-secret-2f9c1e7a")
JWE_KEY = "c2FuZGJveC1qd2Uta2V5LWZvci1jb29wLXNhbmRib3g"
BANK_SECRETS = {"1022": "bank-1022-ach-7f3a", "1007": "bank-1007-ach-2c9d", "1066": "bank-1066-ach-5e08"}
_tickets = itertools.count(1000)


@pytest.fixture
def pse(fresh_sandbox: SandboxHandle) -> PseClient:
    """The merchant's own PSE button (entity 10002, service 2001)."""
    return PseClient(fresh_sandbox.url("ach"), TORNILLO[1], TORNILLO[2])


@pytest.fixture
def bank_1022(fresh_sandbox: SandboxHandle) -> BankSideClient:
    return BankSideClient(fresh_sandbox.url("ach"), "1022", BANK_SECRETS["1022"])


@pytest.fixture
def new_payment(pse: PseClient) -> Callable[..., tuple[str, PseAnswer]]:
    """Create a payment of the merchant at bank 1022 (or as told); returns (CUS, answer)."""

    def create(value: str = "150000.00", bank: str = "1022", **overrides: Any) -> tuple[str, PseAnswer]:
        ticket = overrides.pop("ticket_id", next(_tickets))
        answer = pse.create(example_payment("10002", bank, value, ticket_id=ticket, **overrides))
        assert answer.status == 200 and answer.code == "SUCCESS", answer.body
        return str(answer.body["trazabilityCode"]), answer

    return create


@pytest.fixture
def info(pse: PseClient) -> Callable[[str], dict[str, Any]]:
    """GetTransactionInformationNF of one of the merchant's CUS (asserting SUCCESS)."""

    def query(cus: str) -> dict[str, Any]:
        answer = pse.query("10002", cus)
        assert answer.status == 200 and answer.code == "SUCCESS", answer.body
        body: dict[str, Any] = answer.body
        return body

    return query
