"""The PSE transaction's life cycle (logic): the transaction as ACH keeps it, its states, the one
table of legal moves and the decision on each event. Pure: values in, decisions out; no I/O, no
clock.

::

                     bank_pending (the bank is processing; stays PENDING)
                    ┌──────┐
                    ▼      │
    create ──▶  PENDING ───┴── bank_ok ─────────────▶ OK
                    │ ─────── bank_not_authorized ──▶ NOT_AUTHORIZED
                    │ ─────── bank_failed ──────────▶ FAILED
                    │ ─────── abandoned ────────────▶ FAILED   (no word from the bank in time)
                    └──────── bank_timeout ─────────▶ FAILED   (bank said PENDING, never more)

    OK | NOT_AUTHORIZED | FAILED ── finalize ──▶ same state, finalized (once)

:data:`TRANSITIONS` is the one table of legal moves; anything else raises
:class:`IllegalTransition`, which ACH answers as ``FAIL_INVALIDSTATE``. Only ``OK`` means paid.

Timeouts (:class:`TimeoutPolicy`, on the sandbox clock): a transaction the bank never reported
on is ``FAILED`` ``abandon_after_s`` after creation (default 20 minutes: the customer left at
the PSE portal or at the bank); once the bank reported ``PENDING`` it has ``bank_pending_max_s``
(default 24 hours) from that report to send the final state.

Repeated messages are safe: a bank confirmation equal to the one already applied, or a finalize
with the same ``entityAuthorizationId``, is a *replay* (``SUCCESS``, nothing changes); a
different one is ``FAIL_INVALIDSTATE``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final

from sandbox.ach.failures import AchFailure
from sandbox.protocols.pse.codes import ReturnCode, TxnState


class Event(StrEnum):
    BANK_PENDING = "bank_pending"
    BANK_OK = "bank_ok"
    BANK_NOT_AUTHORIZED = "bank_not_authorized"
    BANK_FAILED = "bank_failed"
    ABANDONED = "abandoned"
    BANK_TIMEOUT = "bank_timeout"
    FINALIZE = "finalize"


@dataclass(frozen=True, slots=True)
class StateInfo:
    label: str  # Spanish, for pages and receipts
    description: str


STATE_INFO: Final[dict[TxnState, StateInfo]] = {
    TxnState.PENDING: StateInfo("En proceso", "Esperando la respuesta del banco."),
    TxnState.OK: StateInfo("Aprobada", "El banco debitó el valor; el pago está hecho."),
    TxnState.NOT_AUTHORIZED: StateInfo("Rechazada", "El banco no autorizó el débito; no se movió dinero."),
    TxnState.FAILED: StateInfo("Fallida", "La transacción no se completó; no se movió dinero."),
}

TRANSITIONS: Final[dict[tuple[TxnState, Event], TxnState]] = {
    (TxnState.PENDING, Event.BANK_PENDING): TxnState.PENDING,
    (TxnState.PENDING, Event.BANK_OK): TxnState.OK,
    (TxnState.PENDING, Event.BANK_NOT_AUTHORIZED): TxnState.NOT_AUTHORIZED,
    (TxnState.PENDING, Event.BANK_FAILED): TxnState.FAILED,
    (TxnState.PENDING, Event.ABANDONED): TxnState.FAILED,
    (TxnState.PENDING, Event.BANK_TIMEOUT): TxnState.FAILED,
    (TxnState.OK, Event.FINALIZE): TxnState.OK,
    (TxnState.NOT_AUTHORIZED, Event.FINALIZE): TxnState.NOT_AUTHORIZED,
    (TxnState.FAILED, Event.FINALIZE): TxnState.FAILED,
}

#: The bank's ``transactionState`` in ConfirmTransactionPayment → event.
BANK_EVENTS: Final[dict[TxnState, Event]] = {
    TxnState.PENDING: Event.BANK_PENDING,
    TxnState.OK: Event.BANK_OK,
    TxnState.NOT_AUTHORIZED: Event.BANK_NOT_AUTHORIZED,
    TxnState.FAILED: Event.BANK_FAILED,
}


class IllegalTransition(AchFailure):
    def __init__(self, state: TxnState, event: Event) -> None:
        super().__init__(
            ReturnCode.FAIL_INVALIDSTATE,
            f"La transacción está en estado {state.value}; no admite «{event.value}».",
            field="trazabilityCode",
        )
        self.state = state
        self.event = event


def transition(state: TxnState, event: Event) -> TxnState:
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(state, event) from None


@dataclass(frozen=True, slots=True)
class Payer:
    identification_type: str
    identification_number: str
    full_name: str
    email: str
    cellphone_number: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Transaction:
    """One PSE transaction as ACH keeps it (amounts in centavos)."""

    trazability_code: str  # the CUS
    entity_code: str
    financial_institution_code: str
    service_code: str
    value_minor: int
    vat_minor: int
    ticket_id: int
    entity_url: str
    user_type: str  # person | company
    references: tuple[str | None, str | None, str | None]
    solicite_date: datetime
    payment_description: str
    payer: Payer
    created_at: datetime
    cycle: int
    cycle_date: date
    portal_token: str
    state: TxnState = TxnState.PENDING
    bank_process_date: datetime | None = None
    authorization_id: str | None = None
    bank_pending_since: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None  # "bank" | "timeout"
    #: Filled at the PSE portal (PSE-01, PSE-03): who went to the bank, as which person type.
    portal_email: str | None = None
    person_type: str | None = None
    finalized_at: datetime | None = None
    entity_authorization_id: str | None = None

    @property
    def receipt_email(self) -> str:
        """Where PSE e-mails the receipt: the e-mail registered at PSE, else the payer's."""
        return self.portal_email or self.payer.email


@dataclass(frozen=True, slots=True)
class TimeoutPolicy:
    abandon_after_s: int = 20 * 60
    bank_pending_max_s: int = 24 * 3600

    def deadline(self, txn: Transaction) -> datetime:
        if txn.bank_pending_since is not None:
            return txn.bank_pending_since + timedelta(seconds=self.bank_pending_max_s)
        return txn.created_at + timedelta(seconds=self.abandon_after_s)


@dataclass(frozen=True, slots=True)
class BankConfirmation:
    """What a bank reports with ConfirmTransactionPayment (amounts in centavos)."""

    financial_institution_code: str
    entity_code: str
    value_minor: int
    vat_minor: int
    ticket_id: int
    state: TxnState
    authorization_id: str | None
    bank_process_date: datetime
    solicite_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    txn: Transaction
    #: Nothing changed: the same message was applied before (answer SUCCESS again).
    replay: bool = False
    #: The transaction reached a final state now: e-mail the receipt (COL-18).
    reached_final: bool = False


def _inconsistent(field: str, what: str) -> AchFailure:
    return AchFailure(
        ReturnCode.FAIL_INCONSISTENTDATA,
        f"El campo «{field}» no coincide con la transacción: {what}.",
        field=field,
    )


def decide_confirm(txn: Transaction, msg: BankConfirmation, now: datetime) -> Decision:
    """A bank reports its result (``ConfirmTransactionPayment``)."""
    if msg.financial_institution_code != txn.financial_institution_code:
        raise _inconsistent("financialInstitutionCode", f"la transacción es del banco {txn.financial_institution_code}")
    if msg.entity_code != txn.entity_code:
        raise _inconsistent("entityCode", f"la transacción es de la entidad {txn.entity_code}")
    if msg.ticket_id != txn.ticket_id:
        raise _inconsistent("ticketId", f"la transacción tiene ticketId {txn.ticket_id}")
    if msg.solicite_date is not None and msg.solicite_date != txn.solicite_date:
        raise _inconsistent("soliciteDate", f"la transacción se solicitó el {txn.solicite_date.isoformat()}")
    if msg.value_minor != txn.value_minor:
        raise AchFailure(
            ReturnCode.FAIL_INVALIDAUTHORIZEDAMOUNT,
            "El campo «transactionValue» no es el valor de la transacción.",
            field="transactionValue",
        )
    if msg.vat_minor != txn.vat_minor:
        raise AchFailure(
            ReturnCode.FAIL_INVALIDAUTHORIZEDAMOUNT,
            "El campo «vatValue» no es el IVA de la transacción.",
            field="vatValue",
        )
    event = BANK_EVENTS[msg.state]
    if txn.state.final:
        if msg.state is txn.state and msg.authorization_id == txn.authorization_id and txn.resolved_by == "bank":
            return Decision(txn, replay=True)
        how = "por vencimiento" if txn.resolved_by == "timeout" else "por el banco"
        raise AchFailure(
            ReturnCode.FAIL_INVALIDSTATE,
            f"La transacción ya terminó en estado {txn.state.value} ({how}); no admite {msg.state.value}.",
            field="transactionState",
        )
    if event is Event.BANK_PENDING:
        if txn.bank_pending_since is not None:
            return Decision(txn, replay=True)
        return Decision(replace(txn, bank_pending_since=now, bank_process_date=msg.bank_process_date))
    new_state = transition(txn.state, event)
    updated = replace(
        txn,
        state=new_state,
        authorization_id=msg.authorization_id,
        bank_process_date=msg.bank_process_date,
        resolved_at=now,
        resolved_by="bank",
    )
    return Decision(updated, reached_final=True)


def decide_timeout(txn: Transaction, now: datetime, policy: TimeoutPolicy) -> Decision | None:
    """The sweeper's decision: ``None`` while the transaction may still wait."""
    if txn.state.final or now < policy.deadline(txn):
        return None
    event = Event.BANK_TIMEOUT if txn.bank_pending_since is not None else Event.ABANDONED
    new_state = transition(txn.state, event)
    return Decision(replace(txn, state=new_state, resolved_at=now, resolved_by="timeout"), reached_final=True)


def decide_finalize(txn: Transaction, entity_authorization_id: str, now: datetime) -> Decision:
    """The collecting entity closes a transaction it has seen in a final state."""
    if txn.finalized_at is not None:
        if entity_authorization_id == txn.entity_authorization_id:
            return Decision(txn, replay=True)
        raise AchFailure(
            ReturnCode.FAIL_INVALIDSTATE,
            "La transacción ya fue finalizada con otro «entityAuthorizationId».",
            field="entityAuthorizationId",
        )
    if not txn.state.final:
        raise AchFailure(
            ReturnCode.FAIL_INVALIDSTATE,
            f"La transacción está en estado {txn.state.value}: solo se finaliza tras un estado final.",
            field="trazabilityCode",
        )
    transition(txn.state, Event.FINALIZE)
    return Decision(replace(txn, finalized_at=now, entity_authorization_id=entity_authorization_id))
