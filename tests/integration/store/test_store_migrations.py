"""Migrations: programmatic, idempotent, and identical to the Core tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from reference_impl.store import current_revision, upgrade
from reference_impl.store.migrate import alembic_config
from reference_impl.store.tables import metadata


def test_upgrade_is_idempotent_and_reaches_head(db_engine: Engine) -> None:
    upgrade(db_engine)
    upgrade(db_engine)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current_revision(db_engine) == head


def test_the_first_revision_is_the_authorization_core() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_revision("0001_authorization_core").down_revision is None


def test_migrations_match_the_tables(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_every_table_exists(db_engine: Engine) -> None:
    names = set(inspect(db_engine).get_table_names())
    assert {"ledger_accounts", "holds", "limit_counters", "journal", "otp_challenges", "idempotency_keys"} <= names


def test_upgrade_from_a_url_creates_the_directory(tmp_path: object) -> None:
    from pathlib import Path

    target = Path(str(tmp_path)) / "nested" / "var" / "switch.db"
    upgrade(f"sqlite:///{target}")
    assert target.exists()
