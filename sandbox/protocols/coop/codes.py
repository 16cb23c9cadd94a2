"""The coop contract's constants: paths, headers, error codes (with their HTTP status), magic
cents, states and the numbers both sides rely on. Pure.

Every refusal is ``{"error": CODE, "message": "texto en español", "field": name | null}``;
:data:`ERRORS` maps each code to its HTTP status and what it means (``docs/coop-api.md`` lists the
same codes; a test checks both agree with the OpenAPI).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ALREADY_POSTED",
    "ALREADY_REVERSED",
    "ALREADY_VOIDED",
    "AMOUNT_ABOVE_MAXIMUM",
    "AMOUNT_BELOW_MINIMUM",
    "AMOUNT_NOT_ALLOWED",
    "API_PREFIX",
    "AUTHORIZATION_HEADER",
    "CORE_ERROR",
    "CURRENCY",
    "DEBIT_STATES",
    "DEFAULT_CORE_DELAY_S",
    "DEFAULT_HOLD_TIMEOUT_S",
    "ENTITY_NOT_FOUND",
    "ERRORS",
    "HOLD_EXPIRED",
    "IDEMPOTENCY_KEY_HEADER",
    "IDEMPOTENCY_KEY_IN_FLIGHT",
    "IDEMPOTENCY_KEY_MISSING",
    "IDEMPOTENCY_KEY_PATTERN",
    "IDEMPOTENCY_KEY_REUSED",
    "INSUFFICIENT_FUNDS",
    "INVALID_AMOUNT",
    "INVALID_FIELD",
    "KEY_RETENTION_S",
    "MAGIC_CORE_ERROR",
    "MAGIC_DELAY",
    "MAGIC_DROP",
    "MEMBER_NOT_FOUND",
    "MISSING_FIELD",
    "OPERATION_NAMES",
    "OVER_CAP",
    "PAYMENT_OPTIONS",
    "PRODUCT_INACTIVE",
    "PRODUCT_NOT_CREDITABLE",
    "PRODUCT_NOT_DEBITABLE",
    "PRODUCT_NOT_FOUND",
    "PRODUCT_STATUSES",
    "REPLAYED_HEADER",
    "SERVICE_DISABLED",
    "TRANSACTION_KINDS",
    "TRANSACTION_NOT_FOUND",
    "TRANSACTION_NOT_REVERSIBLE",
    "TRANSACTION_STATES",
    "UNAUTHORIZED",
    "default_api_key",
    "magic_of",
]

API_PREFIX: Final = "/coop/v1"
CURRENCY: Final = "COP"

# -- headers --------------------------------------------------------------------------------------
AUTHORIZATION_HEADER: Final = "Authorization"
IDEMPOTENCY_KEY_HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
#: 1–255 visible ASCII characters (no spaces, no control characters).
IDEMPOTENCY_KEY_PATTERN: Final = r"^[\x21-\x7e]{1,255}$"

# -- numbers both sides rely on ---------------------------------------------------------------------
#: An authorized debit nobody posts or voids expires after this (sandbox clock), funds returned.
DEFAULT_HOLD_TIMEOUT_S: Final = 15 * 60
#: Idempotency keys are kept at least this long (sandbox clock).
KEY_RETENTION_S: Final = 24 * 3600
#: How late a ``.92`` answer leaves (the switch's timeout is shorter: 5 s by default).
DEFAULT_CORE_DELAY_S: Final = 15.0

# -- error codes --------------------------------------------------------------------------------------
UNAUTHORIZED: Final = "unauthorized"
INVALID_FIELD: Final = "invalid_field"
MISSING_FIELD: Final = "missing_field"
ENTITY_NOT_FOUND: Final = "entity_not_found"
MEMBER_NOT_FOUND: Final = "member_not_found"
PRODUCT_NOT_FOUND: Final = "product_not_found"
TRANSACTION_NOT_FOUND: Final = "transaction_not_found"
SERVICE_DISABLED: Final = "service_disabled"
INVALID_AMOUNT: Final = "invalid_amount"
INSUFFICIENT_FUNDS: Final = "insufficient_funds"
OVER_CAP: Final = "over_cap"
PRODUCT_INACTIVE: Final = "product_inactive"
PRODUCT_NOT_DEBITABLE: Final = "product_not_debitable"
PRODUCT_NOT_CREDITABLE: Final = "product_not_creditable"
AMOUNT_BELOW_MINIMUM: Final = "amount_below_minimum"
AMOUNT_ABOVE_MAXIMUM: Final = "amount_above_maximum"
AMOUNT_NOT_ALLOWED: Final = "amount_not_allowed"
ALREADY_POSTED: Final = "already_posted"
ALREADY_VOIDED: Final = "already_voided"
HOLD_EXPIRED: Final = "hold_expired"
ALREADY_REVERSED: Final = "already_reversed"
TRANSACTION_NOT_REVERSIBLE: Final = "transaction_not_reversible"
IDEMPOTENCY_KEY_MISSING: Final = "idempotency_key_missing"
IDEMPOTENCY_KEY_REUSED: Final = "idempotency_key_reused"
IDEMPOTENCY_KEY_IN_FLIGHT: Final = "idempotency_key_in_flight"
CORE_ERROR: Final = "core_error"

#: code → (HTTP status, what it means). The contract's complete list of codes.
ERRORS: Final[dict[str, tuple[int, str]]] = {
    INVALID_FIELD: (422, "a field is not valid (``field`` names it)"),
    MISSING_FIELD: (422, "a required field is missing (``field`` names it)"),
    INVALID_AMOUNT: (422, "the amount is not a positive COP decimal string with at most 2 decimals"),
    UNAUTHORIZED: (401, "no ``Authorization: Bearer <key>``, or not the entity's key"),
    SERVICE_DISABLED: (403, "the entity has not enabled the service (PSE debits or collections)"),
    ENTITY_NOT_FOUND: (404, "no such entity"),
    MEMBER_NOT_FOUND: (404, "no member with that document at this entity (nothing else is revealed)"),
    PRODUCT_NOT_FOUND: (404, "no such product at this entity"),
    TRANSACTION_NOT_FOUND: (404, "no such transaction (or debit) at this entity"),
    INSUFFICIENT_FUNDS: (422, "the available balance (or credit) does not cover the amount"),
    OVER_CAP: (422, "the product's caps (per transaction, per day, debits per day) refuse the amount"),
    PRODUCT_INACTIVE: (422, "the product is inactive, blocked or closed"),
    PRODUCT_NOT_DEBITABLE: (422, "the product may not be debited through PSE (``pse_debit`` false)"),
    PRODUCT_NOT_CREDITABLE: (422, "the product does not accept payments (``accepts_credit`` false)"),
    AMOUNT_BELOW_MINIMUM: (422, "below the product's ``other_min``"),
    AMOUNT_ABOVE_MAXIMUM: (422, "above the product's ``other_max`` (or what is owed)"),
    AMOUNT_NOT_ALLOWED: (422, "the amount does not fit the payment option (``minimum`` ≠ minimum_payment, ...)"),
    ALREADY_POSTED: (409, "the debit was posted already (with another idempotency key)"),
    ALREADY_VOIDED: (409, "the debit was voided already"),
    HOLD_EXPIRED: (409, "the debit's hold expired: nothing was taken"),
    ALREADY_REVERSED: (409, "the transaction was reversed already"),
    TRANSACTION_NOT_REVERSIBLE: (409, "only a posted debit or an applied credit can be reversed"),
    IDEMPOTENCY_KEY_MISSING: (400, "a money-moving call without ``Idempotency-Key``"),
    IDEMPOTENCY_KEY_REUSED: (422, "the key was used with another body (or another operation)"),
    IDEMPOTENCY_KEY_IN_FLIGHT: (409, "the first call with this key has not answered yet: retry later"),
    CORE_ERROR: (500, "the core failed; nothing was applied (retry with the same key)"),
}

# -- states ------------------------------------------------------------------------------------------
PRODUCT_STATUSES: Final = ("active", "inactive", "blocked", "closed")
TRANSACTION_KINDS: Final = ("debit", "credit", "reversal")
DEBIT_STATES: Final = ("authorized", "posted", "voided", "expired")
TRANSACTION_STATES: Final = ("authorized", "posted", "voided", "expired", "applied", "reversed")
PAYMENT_OPTIONS: Final = ("minimum", "total", "other", "free")

#: Behaviour-rule operations of the contract (``/_sandbox/rules``).
OPERATION_NAMES: Final = (
    "coop.lookup",
    "coop.products",
    "coop.debit",
    "coop.post",
    "coop.void",
    "coop.credit",
    "coop.reversal",
)

# -- magic cents (debits and credits, any product) ----------------------------------------------------
MAGIC_CORE_ERROR: Final = 91
"""``.91``: 500 ``core_error``, nothing applied."""
MAGIC_DELAY: Final = 92
"""``.92``: applied, the answer leaves after the core delay (past the caller's timeout)."""
MAGIC_DROP: Final = 93
"""``.93``: applied, then the connection is closed without an answer (the answer is lost)."""


def magic_of(amount_minor: int) -> int | None:
    """The forced outcome of an amount's cents (91, 92, 93), or None."""
    cents = amount_minor % 100
    return cents if cents in (MAGIC_CORE_ERROR, MAGIC_DELAY, MAGIC_DROP) else None


def default_api_key(entity: str) -> str:
    """The default world's core API key of an entity: ``coop-alianza-key``."""
    return f"coop-{entity.lower()}-key"
