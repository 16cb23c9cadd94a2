"""Fixtures of the store tests: every test runs on SQLite and on PostgreSQL.

PostgreSQL: 127.0.0.1:5432, user ``postgres`` (trust), database ``test``. One fresh schema
``coop_test_<random>`` per test session, selected with ``search_path`` in the connection
options, dropped at the end. No server → those tests are skipped, saying why.
Between tests every table is emptied (the schema is migrated once per session).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from store_helpers import OTP_KEY, DbConfig, wipe

from reference_impl.store import AuthorizationStore, upgrade

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[DbConfig]:
    import psycopg

    try:
        probe = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 (user postgres, db test) is not reachable: {exc}")
    schema = f"coop_test_{secrets.token_hex(4)}"
    with probe:
        probe.execute(f'CREATE SCHEMA "{schema}"')
        probe.commit()
    try:
        yield DbConfig("postgresql", PG_URL, {"options": f"-c search_path={schema}"})
    finally:
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            conn.commit()


@pytest.fixture(scope="session")
def sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> DbConfig:
    path: Path = tmp_path_factory.mktemp("store") / "switch.db"
    return DbConfig("sqlite", f"sqlite:///{path}")


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def db(request: pytest.FixtureRequest) -> DbConfig:
    """The backend under test (parametrized: sqlite, postgresql)."""
    name = "pg_schema" if request.param == "postgresql" else "sqlite_file"
    config: DbConfig = request.getfixturevalue(name)
    return config


@pytest.fixture(scope="session")
def migrated_engine(db: DbConfig) -> Iterator[Engine]:
    engine = db.engine()
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def db_engine(migrated_engine: Engine) -> Engine:
    """The session's migrated engine, with every table empty."""
    wipe(migrated_engine)
    return migrated_engine


@pytest.fixture
def make_store(db_engine: Engine) -> Callable[..., AuthorizationStore]:
    def make(**kwargs: Any) -> AuthorizationStore:
        kwargs.setdefault("otp_key", OTP_KEY)
        return AuthorizationStore(db_engine, **kwargs)

    return make


@pytest.fixture
def store(make_store: Callable[..., AuthorizationStore]) -> AuthorizationStore:
    return make_store()
