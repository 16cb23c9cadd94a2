"""Fixtures of the cash tests: the switch's cash service on a real database (SQLite, and
PostgreSQL when one is reachable) with a fake CEIBO, and the whole sandbox over HTTP."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import requests
from cash_helpers import KEY, PG, START, Cash, FakeCeibo, Net
from sqlalchemy import Engine, delete

from reference_impl.flows.cash.directory import CardDirectory, CardPolicies
from reference_impl.flows.cash.service import CashService
from reference_impl.flows.cash.state import CashState
from reference_impl.peers.ceibo import CeiboPeer
from reference_impl.peers.red import RedPeer
from reference_impl.settings import SwitchSettings
from reference_impl.store import AuthorizationStore, create_store_engine, upgrade
from reference_impl.store.tables import metadata
from reference_impl.store.unit_of_work import GroupCommit
from sandbox.kit.clock import Clock
from sandbox.testing import SandboxHandle
from sandbox.world import load_world


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cash_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_store_engine(f"sqlite:///{tmp_path_factory.mktemp('cash') / 'switch.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    import psycopg

    try:
        probe = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 (user postgres, db test) is not reachable: {exc}")
    schema = f"coop_cash_{secrets.token_hex(4)}"
    with probe:
        probe.execute(f'CREATE SCHEMA "{schema}"')
        probe.commit()
    engine = create_store_engine(PG, connect_args={"options": f"-c search_path={schema}"})
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            conn.commit()


@pytest.fixture
async def cash(cash_engine: Engine, tmp_path: Path) -> AsyncIterator[Cash]:
    with cash_engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    settings = SwitchSettings.from_options({"database_url": "sqlite://"}, tmp_path)
    clock = Clock.frozen(START)
    fake = FakeCeibo()
    auth = AuthorizationStore(cash_engine, otp_key=KEY, day_tz=settings.cash_tz)
    ceibo = CeiboPeer(fake)
    world = load_world(None)
    # inline on SQLite, a writer thread on PostgreSQL, as the switch
    batcher = GroupCommit.for_unit_of_work(auth.unit_of_work)
    service = CashService(
        state=CashState(auth, batcher),
        ceibo=ceibo,
        red=RedPeer(fake),  # not read by these tests
        directory=CardDirectory(ceibo, CardPolicies(world)),
        clock=clock,
        settings=settings,
        key=KEY,
        counters=[c.id for c in world.counters],
    )
    try:
        yield Cash(service, fake, clock, cash_engine)
    finally:
        await batcher.close()


@pytest.fixture
def net(fresh_sandbox: SandboxHandle) -> Iterator[Net]:
    with requests.Session() as http:
        yield Net(fresh_sandbox, http)
