"""Fixtures of the 1066 flow's service tests: the switch's PSE bank service on a real SQLite
database, the default world's portal users, a frozen clock, and in-memory coop, ACH and notify."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from pse1066_helpers import KEY, START, FakeAch, FakeCoop, FakeNotify, Pse
from sqlalchemy import Engine

from reference_impl.app import limit_rules
from reference_impl.flows.pse_bank.portal import PortalDirectory
from reference_impl.flows.pse_bank.service import OPERATIONS, PseBankService, PseSettings
from reference_impl.flows.pse_bank.state import PseState
from reference_impl.store import AuthorizationStore, create_store_engine, upgrade
from reference_impl.store.limits import LimitPolicies
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.clock import Clock
from sandbox.kit.rules import RuleSet
from sandbox.protocols.colombia import network_tz
from sandbox.world import load_world


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def portal() -> PortalDirectory:
    return PortalDirectory.from_world(load_world(None))  # scrypt once per module


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'switch.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pse(engine: Engine, portal: PortalDirectory) -> Pse:
    world = load_world(None)
    clock = Clock.frozen(START)
    coop, ach, notify = FakeCoop(world), FakeAch(), FakeNotify()
    tz = network_tz("America/Bogota")
    rules = [r for r in world.limits if r.applies_to == "product"]
    service = PseBankService(
        state=PseState(AuthorizationStore(engine, otp_key=KEY)),
        coop=cast(Any, coop),
        ach=cast(Any, ach),
        notify=cast(Any, notify),
        portal=portal,
        policies=LimitPolicies(limit_rules(rules), tz),
        clock=clock,
        behaviour=Behaviour(RuleSet(OPERATIONS)),
        world=world,
        settings=PseSettings(bank_code="1066", tz=tz),
    )
    return Pse(service, coop, ach, notify, clock, engine, world)
