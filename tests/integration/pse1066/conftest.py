"""Fixtures of the 1066 flow's service tests: the switch's PSE bank service on a real SQLite
database, the default world's portal users, a frozen clock, and in-memory coop, ACH and notify."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any, cast

import pytest
from pse1066_helpers import KEY, START, FakeAch, FakeCoop, FakeNotify, Pse
from sqlalchemy import Engine, delete

from reference_impl.app import limit_rules
from reference_impl.flows.pse_bank.portal import PortalDirectory
from reference_impl.flows.pse_bank.service import OPERATIONS, PseBankService, PseSettings
from reference_impl.flows.pse_bank.state import PseState
from reference_impl.store import AuthorizationStore, create_store_engine, upgrade
from reference_impl.store.limits import LimitPolicies
from reference_impl.store.tables import metadata
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.clock import Clock
from sandbox.kit.rules import RuleSet
from sandbox.protocols.colombia import network_tz
from sandbox.world import load_world

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def portal() -> PortalDirectory:
    return PortalDirectory.from_world(load_world(None))  # scrypt once per module


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def module_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The switch's store on SQLite, and on PostgreSQL (a fresh schema, dropped after) when reachable."""
    if request.param == "sqlite":
        engine = create_store_engine(f"sqlite:///{tmp_path_factory.mktemp('pse1066') / 'switch.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    import psycopg

    dsn = "host=127.0.0.1 port=5432 user=postgres dbname=test"
    try:
        probe = psycopg.connect(dsn, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 (user postgres, db test) is not reachable: {exc}")
    schema = f"coop_pse1066_{secrets.token_hex(4)}"
    with probe:
        probe.execute(f'CREATE SCHEMA "{schema}"')
        probe.commit()
    engine = create_store_engine(PG, connect_args={"options": f"-c search_path={schema}"})
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            conn.commit()


@pytest.fixture
def engine(module_engine: Engine) -> Engine:
    """The module's store, emptied before each test."""
    with module_engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    return module_engine


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
