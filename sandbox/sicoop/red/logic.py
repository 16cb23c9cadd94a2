"""The collection network's pure decisions: an operation's state machine and what the cashier is told.

An operation is one cashier request (one trace number). The network calls SICOOP, **registers**
the answer in its own register, then confirms or releases at SICOOP. Cash changes hands only
when SICOOP has confirmed (``completed``); every other ending moves no cash::

    sending ──approved, registered──▶ confirming ──confirmed──▶ completed   (cash handed / taken)
       │                               │  └─refused (expired, ...)──▶ annulled
       │                               └─no answer: retried by the job
       ├──approved, registration failed──▶ releasing ──released / expired──▶ released
       │                                      └─no answer: retried by the job
       ├──declined (registered as declined, CASH-06)──▶ declined
       └──no answer──▶ unknown ──query by trace──▶ released (approved: released, the holder
                                                    was told no) | declined | failed (never arrived)

``diverged`` marks an answer that contradicts what the network did (SICOOP confirmed what the
network never confirmed); it moves no cash and shows in the reconciliation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from sandbox.kit.money import format_display


class OpStatus(StrEnum):
    SENDING = "sending"
    UNKNOWN = "unknown"
    DECLINED = "declined"
    CONFIRMING = "confirming"
    COMPLETED = "completed"
    RELEASING = "releasing"
    RELEASED = "released"
    ANNULLED = "annulled"
    FAILED = "failed"
    DIVERGED = "diverged"


FINAL: Final = frozenset(
    {OpStatus.DECLINED, OpStatus.COMPLETED, OpStatus.RELEASED, OpStatus.ANNULLED, OpStatus.FAILED, OpStatus.DIVERGED}
)
PENDING_CALLS: Final = frozenset({OpStatus.UNKNOWN, OpStatus.CONFIRMING, OpStatus.RELEASING})

Instruction = Literal["hand_over", "take", "none", "wait"]


@dataclass(frozen=True, slots=True)
class SwitchReply:
    """What a call to SICOOP gave: ``answered`` False means no usable answer (retry later)."""

    answered: bool
    status: str | None = None  # the transaction's status at SICOOP
    code: str | None = None  # the refusal code (409) or the decline reason
    switch_id: str | None = None
    message: str | None = None


def after_open(reply: SwitchReply, *, registered: bool) -> OpStatus:
    if not reply.answered:
        return OpStatus.UNKNOWN
    if reply.status == "approved":
        return OpStatus.CONFIRMING if registered else OpStatus.RELEASING
    return OpStatus.DECLINED


def after_confirm(reply: SwitchReply) -> OpStatus:
    if not reply.answered or reply.code == "not_approved_yet":
        return OpStatus.CONFIRMING
    if reply.status == "confirmed":
        return OpStatus.COMPLETED
    return OpStatus.ANNULLED


def after_release(reply: SwitchReply) -> OpStatus:
    if not reply.answered or reply.code == "not_approved_yet":
        return OpStatus.RELEASING
    if reply.status in ("released", "expired") or reply.code in ("expired", "already_released"):
        return OpStatus.RELEASED
    if reply.code == "transaction_not_found":
        return OpStatus.RELEASED
    if reply.status == "declined" or reply.code == "transaction_declined":
        return OpStatus.RELEASED
    return OpStatus.DIVERGED  # SICOOP says it confirmed: the network never did


def after_query(reply: SwitchReply, *, found: bool) -> OpStatus:
    """An ``unknown`` operation, after asking SICOOP for its trace number."""
    if not reply.answered:
        return OpStatus.UNKNOWN
    if not found:
        return OpStatus.FAILED
    return {
        "authorizing": OpStatus.UNKNOWN,
        "approved": OpStatus.RELEASING,
        "declined": OpStatus.DECLINED,
        "released": OpStatus.RELEASED,
        "expired": OpStatus.RELEASED,
    }.get(reply.status or "", OpStatus.DIVERGED)


def instruction(status: OpStatus, operation: str) -> Instruction:
    if status is OpStatus.COMPLETED:
        return "hand_over" if operation == "withdrawal" else "take"
    if status in (OpStatus.SENDING, OpStatus.CONFIRMING):
        return "wait"
    return "none"


def _clause(reason: str) -> str:
    """A reason sentence inside ours: «El código ya fue usado.» → «el código ya fue usado» (one
    final period, ours; a leading acronym such as SICOOP keeps its capitals)."""
    text = reason.strip().rstrip(".").rstrip()
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def cashier_message(status: OpStatus, operation: str, amount_minor: int, reason: str | None) -> str:
    amount = format_display(amount_minor, "PYG")
    because = f": {_clause(reason)}" if reason and reason.strip() else ""
    return {
        OpStatus.SENDING: "Enviando a SICOOP…",
        OpStatus.COMPLETED: (
            f"Aprobada y registrada. Entregue {amount} al titular."
            if operation == "withdrawal"
            else f"Aprobada y registrada. Reciba {amount} del titular."
        ),
        OpStatus.DECLINED: f"Rechazada{because}. Informe al titular; no entregue ni reciba efectivo.",
        OpStatus.RELEASED: (
            "No se completó la transacción. Informe al titular; la retención fue liberada y no se movió dinero."
        ),
        OpStatus.RELEASING: (
            "Error al registrar la transacción. Informe al titular; no entregue ni reciba efectivo "
            "(la liberación en SICOOP está en curso)."
        ),
        OpStatus.CONFIRMING: (
            "Confirmación pendiente con SICOOP: todavía no entregue ni reciba efectivo; "
            "consulte de nuevo en unos segundos."
        ),
        OpStatus.ANNULLED: f"SICOOP no confirmó la transacción{because}. No entregue ni reciba efectivo.",
        OpStatus.UNKNOWN: "SICOOP no respondió. No entregue ni reciba efectivo; la operación se anulará.",
        OpStatus.FAILED: "SICOOP no recibió la operación. No se movió dinero.",
        OpStatus.DIVERGED: "SICOOP informó algo distinto de lo registrado: revise la conciliación. No mueva efectivo.",
    }[status]


def backoff_s(attempts: int) -> int:
    """Sandbox seconds before the next retry of a pending call: 2, 4, 8, ... up to 60."""
    return min(1 << min(max(1, attempts), 6), 60)
