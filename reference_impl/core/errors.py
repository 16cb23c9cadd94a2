"""Domain errors of the authorization core, each with a stable English ``code``.

Every error the core can raise derives from :class:`DomainError`. The ``code`` is
part of the public contract (APIs put it in ``{"error": code, ...}``, scenarios
assert on it); the ``message`` is for people and may change.

Hierarchy::

    DomainError                               code
    ├── InvalidRequest                        invalid_request
    │   ├── InvalidAmount                     invalid_amount
    │   ├── InvalidTimeout                    invalid_timeout
    │   └── InvalidIdempotencyKey             invalid_idempotency_key
    ├── AccountNotFound                       account_not_found
    ├── Decline            (a business "no": remembered and replayed by idempotency)
    │   ├── AccountInactive                   account_inactive
    │   ├── OverTransactionCap                over_transaction_cap
    │   ├── OverFrequency                     over_frequency
    │   ├── OverDailyCap                      over_daily_cap
    │   └── InsufficientFunds                 insufficient_funds
    ├── HoldError
    │   ├── HoldNotFound                      hold_not_found
    │   ├── HoldIdConflict                    hold_id_conflict
    │   ├── HoldNotDue                        hold_not_due
    │   ├── IllegalTransition                 illegal_transition
    │   └── HoldAlreadyResolved   (a second resolution of a hold)
    │       ├── AlreadyPosted                 already_posted
    │       ├── AlreadyVoided                 already_voided
    │       └── HoldExpired                   expired
    ├── OtpError
    │   ├── OtpNotFound                       otp_not_found
    │   ├── OtpExpired                        otp_expired
    │   ├── OtpInvalid                        otp_invalid
    │   ├── OtpLocked                         otp_locked
    │   ├── OtpUsed                           otp_used
    │   ├── OtpResendTooSoon                  otp_resend_too_soon
    │   ├── OtpResendLimit                    otp_resend_limit
    │   └── OtpBindingMismatch                otp_binding_mismatch
    └── IdempotencyError
        ├── IdempotencyConflict               idempotency_conflict
        └── IdempotencyInProgress             idempotency_in_progress

The core never maps errors to HTTP: the API layer does (for example ``Decline`` → 422
with the code, ``HoldAlreadyResolved`` → 409, ``InvalidRequest`` → 400 naming ``field``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

__all__ = [
    "AccountInactive",
    "AccountNotFound",
    "AlreadyPosted",
    "AlreadyVoided",
    "Decline",
    "DomainError",
    "HoldAlreadyResolved",
    "HoldError",
    "HoldExpired",
    "HoldIdConflict",
    "HoldNotDue",
    "HoldNotFound",
    "IdempotencyConflict",
    "IdempotencyError",
    "IdempotencyInProgress",
    "IllegalTransition",
    "InsufficientFunds",
    "InvalidAmount",
    "InvalidIdempotencyKey",
    "InvalidRequest",
    "InvalidTimeout",
    "OtpBindingMismatch",
    "OtpError",
    "OtpExpired",
    "OtpInvalid",
    "OtpLocked",
    "OtpNotFound",
    "OtpResendLimit",
    "OtpResendTooSoon",
    "OtpUsed",
    "OverDailyCap",
    "OverFrequency",
    "OverTransactionCap",
    "all_error_classes",
]


class DomainError(Exception):
    """Base of every error of the core. ``code`` is stable; ``field`` names the input at fault."""

    code: ClassVar[str] = "domain_error"
    default_message: ClassVar[str] = "The operation was refused."

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.field = field
        self.details: Mapping[str, object] = dict(details or {})
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, DomainError)
            and (self.message, self.field, dict(self.details)) == (other.message, other.field, dict(other.details))
        )

    def __hash__(self) -> int:
        return hash((type(self), self.message, self.field))

    def to_dict(self) -> dict[str, object]:
        """The error as the API body ``{"error": code, "message": ..., "field": ...}``."""
        body: dict[str, object] = {"error": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


# -- malformed input ---------------------------------------------------------------------------


class InvalidRequest(DomainError):
    code = "invalid_request"
    default_message = "The request is malformed."


class InvalidAmount(InvalidRequest):
    code = "invalid_amount"
    default_message = "The amount must be a positive integer number of minor units within bounds."


class InvalidTimeout(InvalidRequest):
    code = "invalid_timeout"
    default_message = "The hold timeout must be a positive number of seconds within bounds."


class InvalidIdempotencyKey(InvalidRequest):
    code = "invalid_idempotency_key"
    default_message = "The idempotency key must be 1 to 200 printable characters."


class AccountNotFound(DomainError):
    code = "account_not_found"
    default_message = "The account is unknown to the switch."


# -- authorization declines --------------------------------------------------------------------


class Decline(DomainError):
    """A business refusal of an authorization (PSE-08: the member may pick another account)."""

    code = "declined"
    default_message = "The authorization was declined."


class AccountInactive(Decline):
    code = "account_inactive"
    default_message = "The account or card is not active."


class OverTransactionCap(Decline):
    code = "over_transaction_cap"
    default_message = "The amount exceeds the maximum per transaction (tope)."


class OverFrequency(Decline):
    code = "over_frequency"
    default_message = "The maximum number of debits per day has been reached."


class OverDailyCap(Decline):
    code = "over_daily_cap"
    default_message = "The amount exceeds what is left of the maximum per day."


class InsufficientFunds(Decline):
    code = "insufficient_funds"
    default_message = "The available balance does not cover the amount."


# -- holds (two-phase transfers) ---------------------------------------------------------------


class HoldError(DomainError):
    code = "hold_error"
    default_message = "The hold operation was refused."


class HoldNotFound(HoldError):
    code = "hold_not_found"
    default_message = "No hold has that id."


class HoldIdConflict(HoldError):
    code = "hold_id_conflict"
    default_message = "A hold with that id exists with different fields."


class HoldNotDue(HoldError):
    code = "hold_not_due"
    default_message = "The hold cannot expire before its timeout."


class IllegalTransition(HoldError):
    code = "illegal_transition"
    default_message = "The hold cannot make that transition."


class HoldAlreadyResolved(HoldError):
    """A second resolution of a hold; the subclass says how it was resolved the first time."""

    code = "already_resolved"
    default_message = "The hold was already resolved."


class AlreadyPosted(HoldAlreadyResolved):
    code = "already_posted"
    default_message = "The hold was already posted."


class AlreadyVoided(HoldAlreadyResolved):
    code = "already_voided"
    default_message = "The hold was already voided."


class HoldExpired(HoldAlreadyResolved):
    code = "expired"
    default_message = "The hold expired: its timeout passed before it was confirmed or released."


# -- one-time passwords ------------------------------------------------------------------------


class OtpError(DomainError):
    code = "otp_error"
    default_message = "The one-time code was refused."


class OtpNotFound(OtpError):
    code = "otp_not_found"
    default_message = "No one-time code was issued for this transaction."


class OtpExpired(OtpError):
    code = "otp_expired"
    default_message = "The one-time code expired; request a new one."


class OtpInvalid(OtpError):
    code = "otp_invalid"
    default_message = "The one-time code is not correct."


class OtpLocked(OtpError):
    code = "otp_locked"
    default_message = "Too many wrong codes: this transaction is locked."


class OtpUsed(OtpError):
    code = "otp_used"
    default_message = "The one-time code was already used."


class OtpResendTooSoon(OtpError):
    code = "otp_resend_too_soon"
    default_message = "A new code can be requested only once every 30 seconds."


class OtpResendLimit(OtpError):
    code = "otp_resend_limit"
    default_message = "Too many codes were requested for this transaction; start again."


class OtpBindingMismatch(OtpError):
    """NET-07: the code was issued for other data (member, products, amounts, merchant)."""

    code = "otp_binding_mismatch"
    default_message = "The code was issued for other data (amounts or products changed); request a new code."


# -- idempotency -------------------------------------------------------------------------------


class IdempotencyError(DomainError):
    code = "idempotency_error"
    default_message = "The idempotency key was refused."


class IdempotencyConflict(IdempotencyError):
    code = "idempotency_conflict"
    default_message = "The idempotency key was already used with a different request body."


class IdempotencyInProgress(IdempotencyError):
    code = "idempotency_in_progress"
    default_message = "A request with this idempotency key is still being processed; retry later."


def all_error_classes() -> list[type[DomainError]]:
    """Every error class of the hierarchy, base first (tests check that codes are unique)."""
    found: list[type[DomainError]] = []
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop(0)
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
