"""PSE debits at Banco Cooperativo Coopcentral (1066): the pure decisions of the flow.

No I/O, no clock reads (``now_us`` comes in), no framework. The service loads rows, asks these
functions, persists what they decide and calls the peers.

A payment (one per CUS) moves through these states (:data:`TRANSITIONS`)::

    started ──document──▶ identified ──entity + portal login──▶ authenticated
    authenticated ──"Pagar"──▶ authorizing ──coop authorizes──▶ authorized ──OTP──▶ posting
    authorizing ──declined/unknown, accounts left──▶ authenticated      (PSE-08: choose another)
    authorizing ──declined, none left──▶ declined                       (PSE-09: NOT_AUTHORIZED)
    posting ──coop posted──▶ approved                                   (PSE-11: OK to ACH)
    posting ──hold expired / voided at coop──▶ declined
    approved ──ACH refused the OK for good──▶ reversed                  (NET-06: coop reversal)
    any open state ──"Cancelar", OTP locked, abandoned──▶ declined

What ACH must still be told (``ach_sync``: ``due`` until ACH answers) and what coop must still be
told (``coop_sync``: ``post``, ``void``, ``reverse`` until coop answers) are columns of the
payment, retried by jobs on the sandbox clock with growing pauses (:func:`retry_delay_s`).

Checks of "Pagar", in order (each with its code; the first failing one is the decline shown):

    1. product_not_offered     the account is not one of the member's debitable accounts
    2. product_declined        the account already declined this payment (choose another)
    3. over_transaction_cap    network limits (:mod:`reference_impl.core.limits`), with the
    4. over_frequency          product's own caps (from coop) overriding the world's rules
    5. over_daily_cap
    6. at coop: insufficient_funds, over_cap, product_inactive, product_not_debitable, ...
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Final

from reference_impl.core.instants import US_PER_S
from reference_impl.core.limits import LimitPolicy
from sandbox.protocols.colombia import DOCUMENT_NAMES, document_problem

__all__ = [
    "DEBIT_DECLINES",
    "FINAL",
    "TRANSITIONS",
    "AttemptOutcome",
    "Document",
    "LoginDecision",
    "LoginState",
    "PaymentStatus",
    "Refusal",
    "decide_login",
    "effective_policy",
    "is_debitable",
    "login_failed",
    "parse_document",
    "reason_message",
    "retry_delay_s",
]


class PaymentStatus(StrEnum):
    STARTED = "started"
    IDENTIFIED = "identified"
    AUTHENTICATED = "authenticated"
    AUTHORIZING = "authorizing"
    AUTHORIZED = "authorized"
    POSTING = "posting"
    APPROVED = "approved"
    DECLINED = "declined"
    REVERSED = "reversed"


S = PaymentStatus
TRANSITIONS: Final[dict[PaymentStatus, frozenset[PaymentStatus]]] = {
    S.STARTED: frozenset({S.IDENTIFIED, S.DECLINED}),
    S.IDENTIFIED: frozenset({S.IDENTIFIED, S.AUTHENTICATED, S.DECLINED}),
    S.AUTHENTICATED: frozenset({S.AUTHORIZING, S.DECLINED}),
    S.AUTHORIZING: frozenset({S.AUTHORIZED, S.AUTHENTICATED, S.DECLINED}),
    S.AUTHORIZED: frozenset({S.POSTING, S.DECLINED}),
    S.POSTING: frozenset({S.APPROVED, S.DECLINED}),
    S.APPROVED: frozenset({S.REVERSED}),
    S.DECLINED: frozenset(),
    S.REVERSED: frozenset(),
}
FINAL: Final = frozenset({S.APPROVED, S.DECLINED, S.REVERSED})
"""States in which the member's part is over (ACH and coop may still have to be told)."""
BEFORE_LOGIN: Final = frozenset({S.STARTED, S.IDENTIFIED})
RELOGIN: Final = frozenset({S.AUTHENTICATED, S.AUTHORIZED})
"""States in which the member may log in to the portal again and take the payment over (the last
login wins): the browser lost the answer that carried its session (a crash, a dropped
connection), or the member went on in another browser. Never while coop is being asked
(``authorizing``, ``posting``) nor once the member's part is over."""


def may_log_in(payment: PsePayment) -> bool:
    """Whether the portal's login is where this payment can go on (the first login or a re-login)."""
    return (payment.state is S.IDENTIFIED and bool(payment.entity)) or payment.state in RELOGIN


class AttemptOutcome(StrEnum):
    """One "Pagar" with one account: the authorization asked of coop."""

    PENDING = "pending"  # limits counted, coop asked
    AUTHORIZED = "authorized"  # coop holds the funds
    DECLINED = "declined"  # network limits or coop said no
    UNKNOWN = "unknown"  # coop did not answer: re-asked with the same key, then voided
    VOIDED = "voided"  # the hold was released (another account, cancel, OTP locked)
    POSTED = "posted"  # the debit was posted


DEBIT_DECLINES: Final = frozenset(
    {
        "insufficient_funds",
        "over_cap",
        "over_transaction_cap",
        "over_daily_cap",
        "over_frequency",
        "product_inactive",
        "product_not_debitable",
        "product_not_found",
        "service_disabled",
        "invalid_amount",
    }
)
"""Codes with which coop (or the network's limits) refuse one account: choose another."""

_REASONS: Final[dict[str, str]] = {
    "insufficient_funds": "La cuenta no tiene fondos suficientes para este pago.",
    "over_cap": "El pago supera el tope de la cuenta definido por su cooperativa.",
    "over_transaction_cap": "El pago supera el tope por transacción de la red para esta cuenta.",
    "over_daily_cap": "El pago supera el tope diario de la red para esta cuenta.",
    "over_frequency": "La cuenta ya alcanzó la frecuencia límite de débitos del día.",
    "product_inactive": "La cuenta no está activa.",
    "product_not_debitable": "La cuenta no permite débitos por PSE.",
    "product_not_found": "La cuenta no existe en la cooperativa.",
    "product_not_offered": "Elija una de las cuentas que se muestran.",
    "product_declined": "Esa cuenta ya rechazó este pago; elija otra.",
    "service_disabled": "Su cooperativa no tiene habilitado el pago por PSE.",
    "invalid_amount": "El valor del pago no es válido para la cuenta.",
    "coop_timeout": "Su cooperativa no respondió a tiempo; elija otra cuenta o intente de nuevo.",
    "coop_unavailable": "No pudimos comunicarnos con su cooperativa; elija otra cuenta o intente de nuevo.",
    "no_accounts_left": "Ninguna de sus cuentas permite el débito de este pago.",
    "cancelled": "Usted canceló el pago.",
    "otp_locked": "El código de seguridad se bloqueó por intentos fallidos.",
    "hold_expired": "La autorización del débito venció antes de confirmar el pago.",
    "abandoned": "El pago quedó sin terminar y se canceló.",
    "no_products": "El documento no tiene productos activos en las entidades de la red.",
    "ach_refused": "PSE no aceptó la confirmación del pago; el débito se reversó.",
}


_SHORT: Final[dict[str, str]] = {
    "insufficient_funds": "sin fondos suficientes",
    "over_cap": "supera el tope de la cuenta",
    "over_transaction_cap": "supera el tope",
    "over_daily_cap": "supera el tope diario",
    "over_frequency": "supera la frecuencia del día",
    "product_inactive": "inactiva",
    "product_not_debitable": "no admite débitos PSE",
}


def reason_short(code: str | None) -> str:
    """A few words for a declined account's badge."""
    return "" if code is None else _SHORT.get(code, "rechazada")


def reason_message(code: str | None) -> str:
    """The Spanish sentence a member reads for a decline or cancellation code."""
    if code is None:
        return ""
    return _REASONS.get(code, "La cooperativa no autorizó el débito.")


# -- PSE-04: the document ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Document:
    type: str
    number: str

    @property
    def type_name(self) -> str:
        return DOCUMENT_NAMES.get(self.type, self.type)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Input refused: Spanish message, the form field, a stable code."""

    code: str
    message: str
    field: str


_SEPARATORS = re.compile(r"[\s.\-]")
PERSON_DOCUMENTS: Final = ("CC", "CE", "TI", "PP", "PPN", "RC", "DIE")


def parse_document(document_type: str, number: str) -> Document | Refusal:
    """The document typed at the Coopcentral window (``4.567.890`` is ``4567890``)."""
    kind = document_type.strip().upper()
    if kind not in PERSON_DOCUMENTS:
        return Refusal("invalid_document_type", "Elija el tipo de documento.", "tipo_documento")
    cleaned = _SEPARATORS.sub("", number)
    if not cleaned:
        return Refusal("invalid_document_number", "Escriba el número de documento.", "numero_documento")
    problem = document_problem(kind, cleaned, "N")
    if problem is not None:
        return Refusal("invalid_document_number", f"El número de documento no es válido: {problem.message}.",
                       "numero_documento")  # fmt: skip
    return Document(kind, cleaned.upper())


# -- PSE-07: which accounts may be debited -----------------------------------------------------------------
def is_debitable(status: str, pse_debit: bool, currency: str) -> bool:
    """An account or credit line a PSE payment may debit: active, allowed by coop, in pesos."""
    return status == "active" and pse_debit and currency == "COP"


def effective_policy(
    network: LimitPolicy,
    per_transaction_max_minor: int | None,
    per_day_max_minor: int | None,
    per_day_count: int | None,
) -> LimitPolicy:
    """The network's policy for the product type, with the product's own caps (the world's
    per-product overrides, as coop reports them) in their place where the product has them."""
    return LimitPolicy(
        network.per_transaction_max_minor if per_transaction_max_minor is None else per_transaction_max_minor,
        network.per_day_max_minor if per_day_max_minor is None else per_day_max_minor,
        network.per_day_count_max if per_day_count is None else per_day_count,
    )


def remaining(offered: Iterable[str], declined: Iterable[str]) -> list[str]:
    """Products still worth trying: offered and not declined for this payment."""
    gone = set(declined)
    return [p for p in offered if p not in gone]


# -- PSE-06: the portal login, throttled then locked -----------------------------------------------------
@dataclass(frozen=True, slots=True)
class LoginPolicy:
    free_failures: int = 2  # failures before the first pause
    pause_s: int = 30  # pause after each further failure
    max_failures: int = 5  # the 5th failure locks the user


LOGIN_POLICY: Final = LoginPolicy()


@dataclass(frozen=True, slots=True)
class LoginState:
    username: str
    failures: int = 0
    locked: bool = False
    next_allowed_us: int = 0
    version: int = 0


@dataclass(frozen=True, slots=True)
class LoginDecision:
    """``allowed``; otherwise ``code`` (``login_locked`` / ``login_throttled``) and the wait."""

    allowed: bool
    code: str | None = None
    retry_after_s: int = 0


def decide_login(state: LoginState | None, now_us: int) -> LoginDecision:
    """May this user try a password now? Locked users never; throttled ones after the pause."""
    if state is None:
        return LoginDecision(True)
    if state.locked:
        return LoginDecision(False, "login_locked")
    if now_us < state.next_allowed_us:
        return LoginDecision(False, "login_throttled", -(-(state.next_allowed_us - now_us) // US_PER_S))
    return LoginDecision(True)


def login_failed(
    state: LoginState | None, username: str, now_us: int, policy: LoginPolicy = LOGIN_POLICY
) -> LoginState:
    """One more wrong password: a pause after the free failures, the lock at ``max_failures``."""
    before = state or LoginState(username)
    failures = before.failures + 1
    locked = failures >= policy.max_failures
    wait = policy.pause_s * US_PER_S if failures > policy.free_failures and not locked else 0
    return replace(before, failures=failures, locked=locked, next_allowed_us=now_us + wait)


def login_succeeded(state: LoginState | None, username: str) -> LoginState:
    return replace(state or LoginState(username), failures=0, locked=False, next_allowed_us=0)


def login_message(decision: LoginDecision) -> str:
    if decision.code == "login_locked":
        return (
            "Su usuario del Portal de la Red quedó bloqueado por intentos fallidos. "
            "Comuníquese con su cooperativa para desbloquearlo."
        )
    return f"Demasiados intentos fallidos. Espere {decision.retry_after_s} segundos e intente de nuevo."


# -- jobs ----------------------------------------------------------------------------------------------
RETRY_BASE_S: Final = 30
RETRY_MAX_S: Final = 600


def retry_delay_s(attempts: int) -> int:
    """Pause before the next try after ``attempts`` failed ones: 30 s, 60 s, 120 s, … 10 min."""
    return int(min(RETRY_MAX_S, RETRY_BASE_S * 2 ** max(0, min(attempts - 1, 10))))


def can_move(before: PaymentStatus, after: PaymentStatus) -> bool:
    return after in TRANSITIONS[before]


def declined_codes(attempts: Sequence[tuple[str, str]]) -> list[str]:
    """Products already refused, from ``(product_id, outcome)`` pairs."""
    return [p for p, outcome in attempts if outcome == AttemptOutcome.DECLINED]


# -- the records the store keeps ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PsePayment:
    """One CUS at the 1066 front (columns of ``pse_payments``, in order)."""

    cus: str
    ach_entity_code: str
    ach_entity_name: str
    entity_url: str
    ticket_id: int
    description: str
    value_minor: int
    vat_minor: int
    solicite_date: str
    status: str
    reason_code: str | None
    document_type: str | None
    document_number: str | None
    candidates: str | None
    entity: str | None
    member_id: str | None
    username: str | None
    session_hash: str | None
    attempt_seq: int
    debit_id: str | None
    product_id: str | None
    product_masked: str | None
    product_type: str | None
    transaction_id: str | None
    authorization_id: str | None
    ach_report: str | None
    ach_sync: str
    ach_attempts: int
    ach_next_us: int | None
    ach_result: str | None
    coop_sync: str
    coop_attempts: int
    coop_next_us: int | None
    coop_result: str | None
    created_us: int
    updated_us: int
    resolved_us: int | None
    version: int

    @property
    def state(self) -> PaymentStatus:
        return PaymentStatus(self.status)

    @property
    def final(self) -> bool:
        return self.state in FINAL

    @property
    def entities(self) -> list[str]:
        return [e for e in (self.candidates or "").split(",") if e]

    @property
    def idempotency_base(self) -> str:
        return f"pse1066:{self.cus}"

    @property
    def reference(self) -> str:
        """The reference of the debit at coop (its transactions are found by it)."""
        return f"PSE1066-{self.cus}"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One "Pagar" with one account (columns of ``pse_attempts``, in order)."""

    cus: str
    seq: int
    entity: str
    product_id: str
    product_type: str
    product_masked: str
    amount_minor: int
    outcome: str
    reason_code: str | None
    debit_id: str | None
    limit_subject: str | None
    limit_day: date | None
    sync: str
    sync_attempts: int
    sync_next_us: int | None
    created_us: int
    resolved_us: int | None

    @property
    def idempotency_key(self) -> str:
        return f"pse1066:{self.cus}:{self.seq}"


def close(payment: PsePayment, status: PaymentStatus, reason: str | None, now_us: int) -> PsePayment:
    """The payment ends (approved, declined): ACH must be told (``ach_sync`` due now)."""
    if not can_move(payment.state, status):
        raise IllegalTransition(payment.status, status.value)
    report = "OK" if status is PaymentStatus.APPROVED else "NOT_AUTHORIZED"
    return replace(
        payment,
        status=status.value,
        reason_code=reason,
        ach_report=report,
        ach_sync="due",
        ach_next_us=now_us,
        resolved_us=now_us,
        updated_us=now_us,
    )


def move(payment: PsePayment, status: PaymentStatus, now_us: int, **changes: object) -> PsePayment:
    if status.value != payment.status and not can_move(payment.state, status):
        raise IllegalTransition(payment.status, status.value)
    return replace(payment, status=status.value, updated_us=now_us, **changes)  # type: ignore[arg-type]


class IllegalTransition(Exception):
    """A transition :data:`TRANSITIONS` does not allow: a bug in the caller, never a race (the
    service re-reads the row under its lock and decides on what it finds)."""

    def __init__(self, before: str, after: str) -> None:
        super().__init__(f"{before} → {after}")
        self.before, self.after = before, after
