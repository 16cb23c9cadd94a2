"""Durable store of the switch: SQLAlchemy Core tables, Alembic migrations, and the authorization
core's aggregates, each in its own module over one SQL helper (:mod:`.sql`) and one unit of work
with one retry policy (:mod:`.unit_of_work`): :mod:`.holds` (accounts and holds), :mod:`.limits`,
:mod:`.otp`, :mod:`.idempotency`; :mod:`.authorization` puts the four together.

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
from reference_impl.store.engine import DEFAULT_DATABASE_URL, create_store_engine, normalize_url
from reference_impl.store.migrate import current_revision, upgrade
from reference_impl.store.unit_of_work import GroupCommit, UnitOfWork

__all__ = [
    "DEFAULT_DATABASE_URL",
    "AuthorizationStore",
    "GroupCommit",
    "HoldCommand",
    "HoldOutcome",
    "IssuedOtp",
    "StoredAnswer",
    "Timestamp",
    "UnitOfWork",
    "create_store_engine",
    "current_revision",
    "generate_otp_code",
    "normalize_url",
    "upgrade",
]
