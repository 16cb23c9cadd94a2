"""SQLAlchemy Core tables of the switch's authorization store.

Times are ``*_us`` BIGINT epoch microseconds; money is ``*_minor`` BIGINT minor units.
The schema enforces what it can: primary keys make ids unique (hold ids, idempotency keys,
one OTP challenge per transaction, one counter per subject and day), check constraints
keep amounts positive, pending totals and counters non-negative, states in their
vocabulary, and a known balance never below its pending debits (available ≥ 0).

On SQLite the tables keyed by text ids are ``WITHOUT ROWID`` (the primary key is the
table: one b-tree to write instead of two). Alembic migrations in ``migrations/versions``
create exactly this (a test compares them).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

__all__ = [
    "accounts",
    "collection_confirmations",
    "collection_items",
    "collection_payments",
    "collection_sessions",
    "holds",
    "idempotency_keys",
    "journal",
    "limit_counters",
    "metadata",
    "otp_challenges",
    "portal_logins",
    "pse_attempts",
    "pse_payments",
    "sicoop_events",
    "sicoop_transactions",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ID_LENGTH = 128
BINDING_LENGTH = 64

accounts = Table(
    "ledger_accounts",
    metadata,
    Column("account_id", String(ID_LENGTH), primary_key=True),
    Column("balance_minor", BigInteger, nullable=True, comment="NULL: balance kept by the processor"),
    Column("pending_debit_minor", BigInteger, nullable=False, default=0),
    Column("pending_credit_minor", BigInteger, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    Column("entity", String(64), nullable=True),
    Column("product_type", String(16), nullable=True),
    Column("version", BigInteger, nullable=False, default=0),
    CheckConstraint("pending_debit_minor >= 0", name="pending_debit_non_negative"),
    CheckConstraint("pending_credit_minor >= 0", name="pending_credit_non_negative"),
    CheckConstraint("balance_minor IS NULL OR balance_minor >= pending_debit_minor", name="available_non_negative"),
    sqlite_with_rowid=False,
)

holds = Table(
    "holds",
    metadata,
    Column("hold_id", String(ID_LENGTH), primary_key=True),
    Column("account_id", String(ID_LENGTH), ForeignKey("ledger_accounts.account_id"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("state", String(8), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("resolved_us", BigInteger, nullable=True),
    Column("limit_subject", String(ID_LENGTH), nullable=True),
    Column("limit_day", Date, nullable=True),
    CheckConstraint("kind IN ('debit', 'credit')", name="kind"),
    CheckConstraint("state IN ('pending', 'posted', 'voided', 'expired')", name="state"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint("expires_us > created_us", name="expires_after_created"),
    CheckConstraint("(state = 'pending') = (resolved_us IS NULL)", name="resolved_iff_final"),
    # Only pending holds are indexed by deadline (the sweeper's scan); resolving leaves the index.
    Index(
        "ix_holds_pending_expires_us",
        "expires_us",
        sqlite_where=text("state = 'pending'"),
        postgresql_where=text("state = 'pending'"),
    ),
    sqlite_with_rowid=False,
)

limit_counters = Table(
    "limit_counters",
    metadata,
    Column("subject_id", String(ID_LENGTH), primary_key=True),
    Column("day", Date, primary_key=True, comment="calendar day in the subject's timezone"),
    Column("count", Integer, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    CheckConstraint("count >= 0", name="count_non_negative"),
    CheckConstraint("amount_minor >= 0", name="amount_non_negative"),
    sqlite_with_rowid=False,
)

journal = Table(
    "journal",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at_us", BigInteger, nullable=False),
    Column("operation", String(32), nullable=False),
    Column("subject_id", String(ID_LENGTH), nullable=False, comment="account, card or transaction ref"),
    Column("hold_id", String(ID_LENGTH), nullable=True),
    Column("kind", String(8), nullable=True),
    Column("amount_minor", BigInteger, nullable=True),
    Column("balance_delta_minor", BigInteger, nullable=False, default=0),
    Column("pending_delta_minor", BigInteger, nullable=False, default=0),
    # Indexed by hold only: an index by subject takes random inserts and, measured, made
    # 60 % of the bytes a batch writes; per-subject reports scan the journal instead.
    Index("ix_journal_hold_id", "hold_id"),
)

otp_challenges = Table(
    "otp_challenges",
    metadata,
    Column("transaction_ref", String(ID_LENGTH), primary_key=True),
    Column("code_hash", String(64), nullable=False, comment="hex HMAC-SHA256; never the code"),
    Column("issued_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("failed_attempts", Integer, nullable=False),
    Column("state", String(8), nullable=False),
    Column("sends", Integer, nullable=False),
    Column(
        "binding",
        String(BINDING_LENGTH),
        nullable=False,
        server_default="",
        comment="digest of what the code authorizes (NET-07); '' when unbound",
    ),
    CheckConstraint("state IN ('active', 'used', 'locked')", name="state"),
    CheckConstraint("failed_attempts >= 0", name="failed_attempts_non_negative"),
    sqlite_with_rowid=False,
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("body_hash", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("lease_expires_us", BigInteger, nullable=False),
    Column("response_status", Integer, nullable=True),
    Column("response_json", Text, nullable=True),
    Column("completed_us", BigInteger, nullable=True),
    CheckConstraint("state IN ('in_progress', 'completed')", name="state"),
    sqlite_with_rowid=False,
)


# -- SICOOP cash (migration 0002) -------------------------------------------------------------
# One row per withdrawal or deposit the switch answered (approved or declined), keyed by the
# switch's id, unique by the collection network's trace number. ``issuer_sync`` says what CEIBO
# still has to be told (``post``/``void``), retried by a job until CEIBO acknowledges it.
sicoop_transactions = Table(
    "sicoop_transactions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("trace_number", String(40), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("counter_id", String(40), nullable=False),
    Column("document_number", String(20), nullable=True),
    Column("phone", String(20), nullable=True),
    Column("card_id", String(ID_LENGTH), nullable=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(12), nullable=False),
    Column("reason_code", String(40), nullable=True),
    Column("hold_id", String(ID_LENGTH), nullable=True),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=True),
    Column("resolved_us", BigInteger, nullable=True),
    Column("issuer_state", String(12), nullable=False),
    Column("issuer_sync", String(8), nullable=False),
    Column("issuer_attempts", Integer, nullable=False),
    Column("issuer_next_us", BigInteger, nullable=True),
    Column("version", Integer, nullable=False),
    UniqueConstraint("trace_number"),
    CheckConstraint("kind IN ('withdrawal', 'deposit')", name="kind"),
    CheckConstraint(
        "status IN ('authorizing', 'approved', 'declined', 'confirmed', 'released', 'expired')", name="status"
    ),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint("issuer_sync IN ('none', 'post', 'void')", name="issuer_sync"),
    Index(
        "ix_sicoop_transactions_open_expires_us",
        "expires_us",
        sqlite_where=text("status IN ('authorizing', 'approved')"),
        postgresql_where=text("status IN ('authorizing', 'approved')"),
    ),
    Index(
        "ix_sicoop_transactions_issuer_next_us",
        "issuer_next_us",
        sqlite_where=text("issuer_sync <> 'none'"),
        postgresql_where=text("issuer_sync <> 'none'"),
    ),
    Index("ix_sicoop_transactions_created_us", "created_us"),
    sqlite_with_rowid=False,
)

# Every state change of a SICOOP transaction: who (actor), what, when (sandbox time).
sicoop_events = Table(
    "sicoop_events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("transaction_id", String(40), ForeignKey("sicoop_transactions.id"), nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("event", String(32), nullable=False),
    Column("from_status", String(12), nullable=True),
    Column("to_status", String(12), nullable=False),
    Column("reason_code", String(40), nullable=True),
    Column("detail", Text, nullable=True),
    Index("ix_sicoop_events_transaction_id", "transaction_id"),
    Index("ix_sicoop_events_at_us", "at_us"),
)


# -- PSE debits at Banco Cooperativo Coopcentral, 1066 (migration 0005) -----------------------------
# One row per CUS that landed on the switch's bank front. ``ach_sync`` says whether ACH must still be
# told the result (``due``, retried by a job until ACH answers); ``coop_sync`` what coop must still
# be told (``post``, ``void``, ``reverse``, retried with the same idempotency key until known).
PSE_STATUSES = (
    "'started', 'identified', 'authenticated', 'authorizing', 'authorized', 'posting', 'approved', "
    "'declined', 'reversed'"
)
pse_payments = Table(
    "pse_payments",
    metadata,
    Column("cus", String(40), primary_key=True),
    Column("ach_entity_code", String(20), nullable=False),
    Column("ach_entity_name", String(120), nullable=False),
    Column("entity_url", String(300), nullable=False),
    Column("ticket_id", BigInteger, nullable=False),
    Column("description", String(200), nullable=False),
    Column("value_minor", BigInteger, nullable=False),
    Column("vat_minor", BigInteger, nullable=False),
    Column("solicite_date", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason_code", String(40), nullable=True),
    Column("document_type", String(4), nullable=True),
    Column("document_number", String(20), nullable=True),
    Column("candidates", String(400), nullable=True, comment="entities with active products, comma separated"),
    Column("entity", String(64), nullable=True),
    Column("member_id", String(ID_LENGTH), nullable=True),
    Column("username", String(64), nullable=True),
    Column("session_hash", String(64), nullable=True, comment="SHA-256 of the browser's session token"),
    Column("attempt_seq", Integer, nullable=False),
    Column("debit_id", String(ID_LENGTH), nullable=True),
    Column("product_id", String(ID_LENGTH), nullable=True),
    Column("product_masked", String(16), nullable=True),
    Column("product_type", String(4), nullable=True),
    Column("transaction_id", String(ID_LENGTH), nullable=True),
    Column("authorization_id", String(40), nullable=True),
    Column("ach_report", String(16), nullable=True),
    Column("ach_sync", String(8), nullable=False),
    Column("ach_attempts", Integer, nullable=False),
    Column("ach_next_us", BigInteger, nullable=True),
    Column("ach_result", String(40), nullable=True),
    Column("coop_sync", String(8), nullable=False),
    Column("coop_attempts", Integer, nullable=False),
    Column("coop_next_us", BigInteger, nullable=True),
    Column("coop_result", String(40), nullable=True),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("resolved_us", BigInteger, nullable=True),
    Column("version", Integer, nullable=False),
    CheckConstraint(f"status IN ({PSE_STATUSES})", name="status"),
    CheckConstraint("value_minor > 0", name="value_positive"),
    CheckConstraint("ach_sync IN ('none', 'due', 'done', 'refused')", name="ach_sync"),
    CheckConstraint("coop_sync IN ('none', 'post', 'void', 'reverse')", name="coop_sync"),
    Index("ix_pse_payments_created_us", "created_us"),
    Index(
        "ix_pse_payments_ach_next_us",
        "ach_next_us",
        sqlite_where=text("ach_sync = 'due'"),
        postgresql_where=text("ach_sync = 'due'"),
    ),
    Index(
        "ix_pse_payments_coop_next_us",
        "coop_next_us",
        sqlite_where=text("coop_sync <> 'none'"),
        postgresql_where=text("coop_sync <> 'none'"),
    ),
    sqlite_with_rowid=False,
)

# Every "Pagar" with one account: the limits counted and the authorization asked of coop, under
# the idempotency key ``pse1066:<cus>:<seq>`` (a lost answer is asked again with it, then voided).
pse_attempts = Table(
    "pse_attempts",
    metadata,
    Column("cus", String(40), ForeignKey("pse_payments.cus"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("entity", String(64), nullable=False),
    Column("product_id", String(ID_LENGTH), nullable=False),
    Column("product_type", String(4), nullable=False),
    Column("product_masked", String(16), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("outcome", String(12), nullable=False),
    Column("reason_code", String(40), nullable=True),
    Column("debit_id", String(ID_LENGTH), nullable=True),
    Column("limit_subject", String(ID_LENGTH), nullable=True),
    Column("limit_day", Date, nullable=True),
    Column("sync", String(8), nullable=False, comment="none | resolve (ask again, then void) | void"),
    Column("sync_attempts", Integer, nullable=False),
    Column("sync_next_us", BigInteger, nullable=True),
    Column("created_us", BigInteger, nullable=False),
    Column("resolved_us", BigInteger, nullable=True),
    CheckConstraint("outcome IN ('pending', 'authorized', 'declined', 'unknown', 'voided', 'posted')", name="outcome"),
    CheckConstraint("sync IN ('none', 'resolve', 'void')", name="sync"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    Index(
        "ix_pse_attempts_sync_next_us",
        "sync_next_us",
        sqlite_where=text("sync <> 'none'"),
        postgresql_where=text("sync <> 'none'"),
    ),
    sqlite_with_rowid=False,
)

# The network portal's failed logins (PSE-06): throttled after 2 failures, locked at the 5th.
portal_logins = Table(
    "portal_logins",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked", Boolean, nullable=False),
    Column("next_allowed_us", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    CheckConstraint("failures >= 0", name="failures_non_negative"),
    sqlite_with_rowid=False,
)


# -- collections, RedCoop Pagos PSE (migration 0004) --------------------------------------------
# A member's visit (document → OTP → products → selection), kept until it expires: its values
# (entity, member, masked contacts, the selection and the payer) as JSON.
collection_sessions = Table(
    "collection_sessions",
    metadata,
    Column("id", String(64), primary_key=True, comment="opaque, from secrets"),
    Column("state", String(16), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("data", Text, nullable=False),
    Column("version", Integer, nullable=False),
    CheckConstraint("state IN ('identifying', 'verified', 'confirming', 'started')", name="state"),
    sqlite_with_rowid=False,
)

# One payment sent to the gateway (COL-15), by its unique reference (COL-14); its state is what the
# gateway reports (COL-19), moved forward only; ``next_query_us`` while it is not final.
collection_payments = Table(
    "collection_payments",
    metadata,
    Column("reference", String(20), primary_key=True),
    Column("session_id", String(64), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("member_id", String(ID_LENGTH), nullable=False),
    Column("member_name", String(200), nullable=False),
    Column("payer", Text, nullable=False, comment="JSON: who pays (COL-04, COL-13)"),
    Column("description", String(140), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("state", String(10), nullable=False),
    Column("gateway_transaction_id", String(64), nullable=True),
    Column("response_code", String(64), nullable=True),
    Column("cus", String(64), nullable=True),
    Column("bank", String(120), nullable=True),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("final_us", BigInteger, nullable=True),
    Column("next_query_us", BigInteger, nullable=True),
    Column("queries", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    CheckConstraint("state IN ('created', 'pending', 'approved', 'declined', 'failed', 'expired')", name="state"),
    CheckConstraint("total_minor > 0", name="total_positive"),
    Index("ix_collection_payments_next_query_us", "next_query_us"),
    Index("ix_collection_payments_created_us", "created_us"),
    sqlite_with_rowid=False,
)

# Each product of a payment and its credit at coop (COL-20: applied once, with one idempotency key).
collection_items = Table(
    "collection_items",
    metadata,
    Column("reference", String(20), ForeignKey("collection_payments.reference"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("product_id", String(64), nullable=False),
    Column("product_type", String(4), nullable=False),
    Column("type_name", String(64), nullable=False),
    Column("number_masked", String(32), nullable=False),
    Column("payment_option", String(8), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("credit_state", String(16), nullable=False),
    Column("coop_transaction_id", String(64), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("next_us", BigInteger, nullable=True, comment="when to (re)try the credit; NULL: nothing to do"),
    Column("last_error", String(64), nullable=True),
    Column("applied_us", BigInteger, nullable=True),
    CheckConstraint(
        "credit_state IN ('waiting', 'applying', 'applied', 'refused', 'not_applicable')", name="credit_state"
    ),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    Index("ix_collection_items_next_us", "next_us"),
    sqlite_with_rowid=False,
)

# Every signed confirmation received, once per (transaction, state): duplicates only count.
collection_confirmations = Table(
    "collection_confirmations",
    metadata,
    Column("transaction_id", String(64), primary_key=True),
    Column("state_pol", String(8), primary_key=True),
    Column("reference", String(20), nullable=False),
    Column("first_us", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    sqlite_with_rowid=False,
)
