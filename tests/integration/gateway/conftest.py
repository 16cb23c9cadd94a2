"""Fixtures of the gateway's integration tests: the merchant account, a PayU API client, a
confirmation inbox on a local port, and a stand-in for bank 1022 (ACH's bank-side API)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.scripted.browser import BankStandIn
from sandbox.scripted.payu import ConfirmationInbox, PayuClient
from sandbox.testing import SandboxHandle
from sandbox.world import World, load_world
from sandbox.world.model import GatewayAccount


@pytest.fixture(scope="session")
def world() -> World:
    return load_world(None)


@pytest.fixture
def account(world: World) -> GatewayAccount:
    return world.gateway_accounts[0]  # 508029, Ferretería El Tornillo


@pytest.fixture
def payu(fresh_sandbox: SandboxHandle, account: GatewayAccount) -> Iterator[PayuClient]:
    client = PayuClient(fresh_sandbox.url("gateway"), account)
    yield client
    client.http.close()


@pytest.fixture
def inbox(account: GatewayAccount) -> Iterator[ConfirmationInbox]:
    with ConfirmationInbox(account.api_key) as box:
        yield box


@pytest.fixture
def bank_1022(fresh_sandbox: SandboxHandle, world: World) -> BankStandIn:
    bank = world.bank("1022")
    assert bank is not None and bank.ach_secret
    return BankStandIn(fresh_sandbox.url("ach"), "1022", bank.ach_secret)
