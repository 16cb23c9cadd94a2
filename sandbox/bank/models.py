"""What crosses the bank's wire: its calls to ACH's bank-side API (``{ach}/psebancos/api/...``)
and ACH's answers, with PSE's field names. Pure.

* ``GetTransactionInformation`` ``{trazabilityCode, financialInstitutionCode}`` → the transaction
  behind a CUS (amount, entity, return URL, payer), to show the summary;
* ``ConfirmTransactionPayment`` (:func:`confirm_request`) with the bank's result.

An answer with a ``returnCode`` is ACH's word (:class:`AchAnswer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sandbox.bank.logic import Payment
from sandbox.kit.money import format_amount


@dataclass(frozen=True, slots=True)
class AchAnswer:
    code: str
    details: str
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.code == "SUCCESS"


def information_request(bank_code: str, cus: str) -> dict[str, Any]:
    return {"trazabilityCode": cus, "financialInstitutionCode": bank_code}


def confirm_request(bank_code: str, payment: Payment, tz: tzinfo) -> dict[str, Any]:
    """The ``ConfirmTransactionPayment`` body of a payment (what it reports now: ``payment.report``)."""

    def when(moment: datetime | None) -> str | None:
        return None if moment is None else moment.astimezone(tz).isoformat()

    return {
        "trazabilityCode": payment.cus,
        "financialInstitutionCode": bank_code,
        "entityCode": payment.entity_code,
        "transactionValue": format_amount(payment.value_minor, "COP"),
        "vatValue": format_amount(payment.vat_minor, "COP"),
        "ticketId": payment.ticket_id,
        "soliciteDate": payment.solicite_date,
        "bankProcessDate": when(payment.process_date or payment.created_at),
        "transactionState": payment.report,
        "authorizationId": payment.authorization_id,
    }
