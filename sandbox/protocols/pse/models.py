"""What a collecting company sends to ACH and reads back, with PSE's field names. Pure.

:class:`CreatePayment` is a CreateTransactionPaymentNF request (amounts in minor units; the wire
body with decimal strings and ACH's forbidden characters removed comes from :meth:`~CreatePayment.body`),
:class:`CreateResult` and :class:`TransactionInfo` the answers a company acts on. A refusal by ACH
(``returnCode`` other than ``SUCCESS``) is data here, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from sandbox.kit.money import format_amount, parse_amount

#: Characters ACH forbids in descriptions and references.
FORBIDDEN_CHARS: Final = str.maketrans({"|": " ", '"': " "})


def clean_text(value: str, limit: int = 80) -> str:
    """Remove the characters ACH refuses (``|`` and ``"``) and trim to ``limit``."""
    return " ".join(value.translate(FORBIDDEN_CHARS).split())[:limit]


@dataclass(frozen=True, slots=True)
class AchBank:
    code: str
    name: str


#: The first entry of every bank list shown to a person.
PLACEHOLDER: Final = AchBank("0", "A continuación seleccione su banco")


@dataclass(frozen=True, slots=True)
class CreatePayment:
    """What a collecting company asks ACH for (CreateTransactionPaymentNF)."""

    entity_code: str
    bank_code: str
    service_code: str
    amount_minor: int
    vat_minor: int
    ticket_id: int
    entity_url: str
    user_type: str  # "person" | "company"
    reference1: str  # payer IP
    reference2: str  # document type
    reference3: str  # document number
    solicit_date: datetime
    description: str
    identification_type: str
    identification_number: str
    full_name: str
    cellphone: str
    address: str
    email: str
    currency: str = "COP"

    def body(self) -> dict[str, Any]:
        return {
            "entityCode": self.entity_code,
            "financialInstitutionCode": self.bank_code,
            "serviceCode": self.service_code,
            "transactionValue": format_amount(self.amount_minor, self.currency),
            "vatValue": format_amount(self.vat_minor, self.currency),
            "ticketId": self.ticket_id,
            "entityurl": self.entity_url,
            "userType": self.user_type,
            "referenceNumber1": clean_text(self.reference1, 60),
            "referenceNumber2": clean_text(self.reference2, 60),
            "referenceNumber3": clean_text(self.reference3, 60),
            "soliciteDate": self.solicit_date.isoformat(timespec="seconds"),
            "paymentDescription": clean_text(self.description, 80),
            "identificationType": self.identification_type,
            "identificationNumber": self.identification_number,
            "fullName": clean_text(self.full_name, 80),
            "cellphoneNumber": self.cellphone,
            "address": clean_text(self.address, 80),
            "email": self.email,
        }


@dataclass(frozen=True, slots=True)
class CreateResult:
    return_code: str
    cus: str | None
    pse_url: str | None
    cycle: int | None
    error_details: str | None

    @property
    def ok(self) -> bool:
        return self.return_code == "SUCCESS" and bool(self.cus) and bool(self.pse_url)

    @classmethod
    def from_answer(cls, data: dict[str, Any]) -> CreateResult:
        return cls(
            return_code=str(data.get("returnCode") or "FAIL_GENERICERROR"),
            cus=_str_or_none(data.get("trazabilityCode")),
            pse_url=_str_or_none(data.get("pseURL")),
            cycle=_int_or_none(data.get("transactionCycle")),
            error_details=_str_or_none(data.get("errorDetails")),
        )


@dataclass(frozen=True, slots=True)
class TransactionInfo:
    return_code: str
    state: str | None  # OK | NOT_AUTHORIZED | PENDING | FAILED
    cus: str
    bank_code: str | None = None
    amount_minor: int | None = None
    vat_minor: int | None = None
    ticket_id: str | None = None
    cycle: int | None = None
    authorization_id: str | None = None
    bank_process_date: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.return_code == "SUCCESS" and self.state is not None

    @classmethod
    def from_answer(cls, cus: str, data: dict[str, Any], currency: str = "COP") -> TransactionInfo:
        return cls(
            return_code=str(data.get("returnCode") or "FAIL_GENERICERROR"),
            state=_str_or_none(data.get("transactionState")),
            cus=cus,
            bank_code=_str_or_none(data.get("financialInstitutionCode")),
            amount_minor=_amount_or_none(data.get("transactionValue"), currency),
            vat_minor=_amount_or_none(data.get("vatValue"), currency),
            ticket_id=_str_or_none(data.get("ticketId")),
            cycle=_int_or_none(data.get("transactionCycle")),
            authorization_id=_str_or_none(data.get("authorizationID") or data.get("authorizationId")),
            bank_process_date=_str_or_none(data.get("bankProcessDate")),
            raw=data,
        )


def bank_list(items: list[Any]) -> list[AchBank]:
    """GetBankListNF's items → banks A–Z (entries without code or name, and code 0, dropped)."""
    banks = []
    for item in items:
        if not isinstance(item, dict):
            continue
        code = _str_or_none(item.get("financialInstitutionCode"))
        name = _str_or_none(item.get("financialInstitutionName"))
        if code and name and code != "0":
            banks.append(AchBank(code, name))
    return sorted(banks, key=lambda b: b.name.upper())


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _amount_or_none(value: Any, currency: str) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        text = format(value, "f") if isinstance(value, Decimal | float) else str(value)
        return parse_amount(text, currency)
    except ValueError:
        return None


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
