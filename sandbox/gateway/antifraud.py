"""Anti-fraud filter (GW-06; logic): pure rules checked before a payment is sent to the bank.

The policy comes from the world (``gateway_accounts[].antifraud``). Checks, in order; the first
that fails gives the reason:

``blocked_document``
    the payer's document is on the account's block list;
``max_amount``
    the payment is above the account's maximum amount;
``velocity_document`` / ``velocity_email``
    the payer (by document, or by e-mail) already made ``velocity_count`` payments on this
    account within the last ``velocity_window_s`` seconds. Every attempt that passed the filter
    counts, whatever its outcome at the bank; refused attempts do not.

A refusal answers ``DECLINED`` with response code ``ANTIFRAUD_REJECTED`` and the reason, and the
bank never sees the payment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sandbox.world.model import Antifraud


@dataclass(frozen=True, slots=True)
class Payment:
    amount_minor: int
    document_number: str
    email: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PastAttempt:
    """An earlier attempt on the same account that passed the filter."""

    document_number: str
    email: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    reason: str | None = None
    message: str = ""


ALLOW = Verdict(True)


def _norm_doc(value: str) -> str:
    return "".join(ch for ch in value if ch.isalnum()).upper()


def evaluate(policy: Antifraud, payment: Payment, history: Iterable[PastAttempt]) -> Verdict:
    if _norm_doc(payment.document_number) in {_norm_doc(d) for d in policy.blocked_documents}:
        return Verdict(False, "blocked_document", "El documento del pagador está bloqueado por el sistema antifraude.")
    if policy.max_amount_minor is not None and payment.amount_minor > policy.max_amount_minor:
        return Verdict(False, "max_amount", "El valor supera el máximo permitido por el sistema antifraude.")
    if policy.velocity_count is not None:
        since = payment.at - timedelta(seconds=policy.velocity_window_s)
        recent = [a for a in history if since < a.at <= payment.at]
        doc = _norm_doc(payment.document_number)
        email = payment.email.strip().lower()
        if sum(1 for a in recent if _norm_doc(a.document_number) == doc) >= policy.velocity_count:
            return Verdict(
                False, "velocity_document", "El pagador superó el número de pagos permitidos en el periodo (documento)."
            )
        if email and sum(1 for a in recent if a.email.strip().lower() == email) >= policy.velocity_count:
            return Verdict(
                False, "velocity_email", "El pagador superó el número de pagos permitidos en el periodo (correo)."
            )
    return ALLOW
