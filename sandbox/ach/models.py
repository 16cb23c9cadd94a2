"""What crosses the wire of ACH PSE: request models with the real field names, answer builders.

Amounts arrive as decimal strings (``"150000.00"``) or JSON numbers (parsed as decimals, never
floats) and are held as centavos; answers carry decimal strings. Dates are ISO-8601 with the
Colombian offset (``2026-01-15T10:00:00-05:00``). Unknown fields are ignored, as the real
service does. Characters ``|`` and ``"`` are refused in every free-text field (descriptions,
references, names, addresses).

A request that does not validate becomes an :class:`~sandbox.ach.failures.AchFailure` with the
code of its first problem (:func:`failure_from`): ``FAIL_INVALIDAMOUNT`` for amounts,
``FAIL_INVALIDSOLICITDATE`` for the date, ``FAIL_DESCRIPTIONNOTFOUND`` for a missing
description, ``FAIL_INVALIDPARAMETERS`` naming the field for everything else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from sandbox.ach.failures import AchFailure
from sandbox.ach.lifecycle import STATE_INFO, Transaction
from sandbox.kit.errors import validation_error_body
from sandbox.kit.money import AmountError, format_amount, parse_amount
from sandbox.protocols.colombia import COLOMBIA
from sandbox.protocols.pse.codes import ReturnCode, TxnState
from sandbox.world.model import DocumentType

CURRENCY = "COP"
FORBIDDEN_CHARS = ("|", '"')
MAX_BODY_BYTES = 64 * 1024
MAX_TICKET_ID = 10**18 - 1


# --- field validators ------------------------------------------------------------------------
def _no_forbidden(value: str) -> str:
    if any(ch in value for ch in FORBIDDEN_CHARS):
        raise PydanticCustomError("ach_forbidden_chars", 'no puede contener los caracteres | ni "')
    return value


def _amount(value: object) -> int:
    if isinstance(value, bool) or value is None or isinstance(value, float):
        raise PydanticCustomError(ReturnCode.FAIL_INVALIDAMOUNT.value, "debe ser un valor decimal, como '150000.00'")
    try:
        return parse_amount(value, CURRENCY)
    except AmountError as exc:
        raise PydanticCustomError(ReturnCode.FAIL_INVALIDAMOUNT.value, str(exc)) from None


def _positive(value: int) -> int:
    if value <= 0:
        raise PydanticCustomError(ReturnCode.FAIL_INVALIDAMOUNT.value, "debe ser mayor que cero")
    return value


def _ticket(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise PydanticCustomError("ach_ticket", "debe ser un número entero positivo")
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,18}", text) or int(text) == 0:  # ASCII digits (isdigit takes ² and ٣)
        raise PydanticCustomError("ach_ticket", "debe ser un número entero positivo de hasta 18 dígitos")
    return int(text)


def _solicit_date(value: object) -> datetime:
    if not isinstance(value, str):
        raise PydanticCustomError(
            ReturnCode.FAIL_INVALIDSOLICITDATE.value, "debe ser una fecha ISO-8601 como '2026-01-15T10:00:00-05:00'"
        )
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise PydanticCustomError(
            ReturnCode.FAIL_INVALIDSOLICITDATE.value, "debe ser una fecha ISO-8601 como '2026-01-15T10:00:00-05:00'"
        ) from None
    if moment.tzinfo is None:
        raise PydanticCustomError(
            ReturnCode.FAIL_INVALIDSOLICITDATE.value, "debe llevar la zona horaria de Colombia (-05:00)"
        )
    return moment


def _bank_date(value: object) -> datetime:
    if not isinstance(value, str):
        raise PydanticCustomError("ach_date", "debe ser una fecha ISO-8601 con zona horaria")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise PydanticCustomError("ach_date", "debe ser una fecha ISO-8601 con zona horaria") from None
    if moment.tzinfo is None:
        raise PydanticCustomError("ach_date", "debe incluir la zona horaria")
    return moment


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/$.?#|\"][^\s|\"]*$", value):
        raise PydanticCustomError("ach_url", "debe ser una URL http(s) completa")
    return value


def _required_text(value: object) -> object:
    # A blank text counts as missing (for the description: FAIL_DESCRIPTIONNOTFOUND).
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PydanticCustomError("missing", "es obligatorio")
    return value


def _blank_none(value: object) -> object:
    # Optional fields sent empty ("") mean "not given", as many integrations send them.
    return None if isinstance(value, str) and not value.strip() else value


BlankNone = BeforeValidator(_blank_none)
Text = Annotated[str, AfterValidator(_no_forbidden)]
Amount = Annotated[int, BeforeValidator(_amount)]
Digits = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v)]
EntityCode = Annotated[Digits, Field(pattern=r"^[0-9]{1,20}$")]
BankCode = Annotated[Digits, Field(pattern=r"^[0-9]{1,10}$")]
Cus = Annotated[Digits, Field(pattern=r"^[0-9]{1,20}$")]
Email = Annotated[str, Field(pattern=r"^[^@\s|\"]+@[^@\s|\"]+\.[^@\s|\"]+$", max_length=120)]
Reference = Annotated[Annotated[Text, Field(max_length=60)] | None, BlankNone]


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class GetBankListRequest(_Request):
    entityCode: EntityCode | None = None


class CreateTransactionPaymentRequest(_Request):
    entityCode: EntityCode
    financialInstitutionCode: BankCode
    serviceCode: Annotated[Text, Field(min_length=1, max_length=10)]
    transactionValue: Annotated[Amount, AfterValidator(_positive)]
    vatValue: Amount = 0
    ticketId: Annotated[int, BeforeValidator(_ticket)]
    entityurl: Annotated[str, Field(max_length=300), AfterValidator(_http_url)]
    userType: Literal["person", "company"]
    referenceNumber1: Reference = None
    referenceNumber2: Reference = None
    referenceNumber3: Reference = None
    soliciteDate: Annotated[datetime, BeforeValidator(_solicit_date)]
    paymentDescription: Annotated[Text, BeforeValidator(_required_text), Field(max_length=80)]
    identificationType: DocumentType
    identificationNumber: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,20}$")]
    fullName: Annotated[Text, Field(min_length=1, max_length=100)]
    cellphoneNumber: Annotated[Annotated[Digits, Field(pattern=r"^3[0-9]{9}$")] | None, BlankNone] = None
    address: Annotated[Annotated[Text, Field(max_length=150)] | None, BlankNone] = None
    email: Email
    beneficiaryEntityIdentificationType: Annotated[DocumentType | None, BlankNone] = None
    beneficiaryEntityIdentification: Annotated[
        Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,20}$")] | None, BlankNone
    ] = None
    beneficiaryEntityName: Annotated[Annotated[Text, Field(max_length=100)] | None, BlankNone] = None
    beneficiaryEntityCIIUCategory: Annotated[Annotated[Text, Field(max_length=10)] | None, BlankNone] = None


class GetTransactionInformationRequest(_Request):
    entityCode: EntityCode
    trazabilityCode: Cus


class FinalizeTransactionPaymentRequest(_Request):
    entityCode: EntityCode
    trazabilityCode: Cus
    entityAuthorizationId: Annotated[Text, Field(min_length=1, max_length=50)]


class ConfirmTransactionPaymentRequest(_Request):
    """A bank's result (the legacy ``confirmTransactionPayment``, as JSON)."""

    trazabilityCode: Cus
    financialInstitutionCode: BankCode
    entityCode: EntityCode
    transactionValue: Amount
    vatValue: Amount = 0
    ticketId: Annotated[int, BeforeValidator(_ticket)]
    soliciteDate: Annotated[Annotated[datetime, BeforeValidator(_bank_date)] | None, BlankNone] = None
    bankProcessDate: Annotated[datetime, BeforeValidator(_bank_date)]
    transactionState: TxnState
    authorizationId: Annotated[Annotated[Text, Field(min_length=1, max_length=40)] | None, BlankNone] = None


class BankTransactionRequest(_Request):
    """A bank reads a transaction it is about to show (bank-side GetTransactionInformation)."""

    trazabilityCode: Cus
    financialInstitutionCode: BankCode


# --- parsing and errors ------------------------------------------------------------------------
def parse_json(raw: bytes | str) -> Any:
    """JSON with decimals for numbers (never floats); AchFailure naming the body if malformed."""
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise AchFailure(
            ReturnCode.FAIL_INVALIDPARAMETERS, "El cuerpo de la solicitud no es un JSON válido.", field="body"
        ) from None


def failure_from(exc: ValidationError) -> AchFailure:
    """The ACH refusal for a request that failed validation (its first problem)."""
    errors = exc.errors()
    first = errors[0] if errors else {"type": "value_error", "loc": (), "msg": "no es válido"}
    loc: Sequence[Any] = first.get("loc", ())
    field = str(loc[0]) if loc else None
    kind = str(first.get("type", ""))
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return AchFailure(
            ReturnCode.FAIL_INVALIDPARAMETERS, "El cuerpo de la solicitud debe ser un objeto JSON.", field="body"
        )
    if kind.startswith("FAIL_"):
        code = ReturnCode(kind)
    elif field == "paymentDescription" and kind == "missing":
        code = ReturnCode.FAIL_DESCRIPTIONNOTFOUND
    elif field in ("transactionValue", "vatValue"):
        code = ReturnCode.FAIL_INVALIDAMOUNT
    elif field == "soliciteDate":
        code = ReturnCode.FAIL_INVALIDSOLICITDATE
    else:
        code = ReturnCode.FAIL_INVALIDPARAMETERS
    if kind.startswith(("FAIL_", "ach_")) or kind == "missing":
        message = f"El campo «{field}» {first.get('msg', 'no es válido')}."
    else:
        message = str(validation_error_body([first])["message"]).replace("' or '", "' o '")
    if kind == "missing":
        message = f"El campo «{field}» es obligatorio."
    return AchFailure(code, message, field=field)


def validate(model: type[_Request], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise failure_from(exc) from None


# --- answers -----------------------------------------------------------------------------------
def wire_amount(minor: int) -> str:
    return format_amount(minor, CURRENCY)


def wire_date(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(COLOMBIA).isoformat()


def transaction_information(txn: Transaction) -> dict[str, Any]:
    """The body of GetTransactionInformationNF for one transaction (``returnCode`` SUCCESS)."""
    ref1, ref2, ref3 = txn.references
    return {
        "returnCode": ReturnCode.SUCCESS.value,
        "errorDetails": "",
        "trazabilityCode": txn.trazability_code,
        "entityCode": txn.entity_code,
        "transactionState": txn.state.value,
        "ticketId": txn.ticket_id,
        "financialInstitutionCode": txn.financial_institution_code,
        "serviceCode": txn.service_code,
        "transactionValue": wire_amount(txn.value_minor),
        "vatValue": wire_amount(txn.vat_minor),
        "soliciteDate": txn.solicite_date.isoformat(),
        "bankProcessDate": wire_date(txn.bank_process_date),
        "transactionCycle": txn.cycle,
        "authorizationID": txn.authorization_id,
        "paymentDescription": txn.payment_description,
        "referenceNumber1": ref1,
        "referenceNumber2": ref2,
        "referenceNumber3": ref3,
    }


def public_view(txn: Transaction) -> Mapping[str, Any]:
    """A transaction for pages and the state export (no secrets; the payer's e-mail is shown)."""
    return {
        **transaction_information(txn),
        "state_label": STATE_INFO[txn.state].label,
        "userType": txn.user_type,
        "entityurl": txn.entity_url,
        "payer": {
            "identificationType": txn.payer.identification_type,
            "identificationNumber": txn.payer.identification_number,
            "fullName": txn.payer.full_name,
            "email": txn.payer.email,
        },
        "portal_email": txn.portal_email,
        "person_type": txn.person_type,
        "created_at": wire_date(txn.created_at),
        "cycle_date": txn.cycle_date.isoformat(),
        "resolved_by": txn.resolved_by,
        "finalized": txn.finalized_at is not None,
        "entityAuthorizationId": txn.entity_authorization_id,
    }
