"""Fixtures of the merchant's integration tests: the world, a scripted customer, a stand-in for
bank 1022 (ACH's bank-side API)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.scripted.browser import BankStandIn, Shopper
from sandbox.testing import SandboxHandle
from sandbox.world import World, load_world


@pytest.fixture(scope="session")
def merchant_world() -> World:
    return load_world(None)


@pytest.fixture
def shopper(fresh_sandbox: SandboxHandle) -> Iterator[Shopper]:
    customer = Shopper(fresh_sandbox.urls)
    yield customer
    customer.browser.close()


@pytest.fixture
def bank_stand_in(fresh_sandbox: SandboxHandle, merchant_world: World) -> BankStandIn:
    bank = merchant_world.bank("1022")
    assert bank is not None and bank.ach_secret
    return BankStandIn(fresh_sandbox.url("ach"), "1022", bank.ach_secret)
