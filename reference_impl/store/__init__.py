"""Durable store of the switch: SQLAlchemy Core tables, Alembic migrations, repositories.

Typical wiring (once per process, e.g. in the switch's ``app.py`` lifespan)::

    from reference_impl.store import AuthorizationStore, create_store_engine, upgrade

    engine = create_store_engine(settings.database_url)   # default sqlite:///var/switch.db
    upgrade(engine)                                        # Alembic migrations to head
    store = AuthorizationStore(engine, otp_key=settings.otp_key, limit_rules=world.limit_rules,
                               day_tz=timezone(timedelta(hours=-5)))
    ...
    engine.dispose()                                       # at shutdown
"""

from reference_impl.store.authorization import (
    AuthorizationStore,
    HoldCommand,
    HoldOutcome,
    IssuedOtp,
    StoredAnswer,
    Timestamp,
    generate_otp_code,
)
from reference_impl.store.batching import GroupCommitter
from reference_impl.store.engine import DEFAULT_DATABASE_URL, create_store_engine, normalize_url
from reference_impl.store.migrate import current_revision, upgrade

__all__ = [
    "DEFAULT_DATABASE_URL",
    "AuthorizationStore",
    "GroupCommitter",
    "HoldCommand",
    "HoldOutcome",
    "IssuedOtp",
    "StoredAnswer",
    "Timestamp",
    "create_store_engine",
    "current_revision",
    "generate_otp_code",
    "normalize_url",
    "upgrade",
]
