"""Protocol models of the gateway: what crosses the wire, with PayU's field names.

* :class:`ServiceRequest` — the JSON API (``POST /payments-api/4.0/service.cgi`` and its alias
  ``/reports-api/4.0/service.cgi``). JSON numbers are read as :class:`~decimal.Decimal` (never
  floats); unknown fields (``deviceSessionId``, ``cookie``, ``userAgent``, ...) are ignored, as
  the real service does.
* :class:`CheckoutForm` — the web checkout form a merchant's page posts (``POST /checkout``).
* :class:`PayForm` — what the person fills in on the checkout page ("Pagar").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator


def _to_text(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    return value


#: An id that merchants send as a number or as text (``accountId: 512321`` or ``"512321"``).
IdText = Annotated[str, BeforeValidator(_to_text), Field(min_length=1, max_length=40)]
#: An amount as text: a JSON number (read as Decimal) or a decimal string. Never a float.
AmountText = Annotated[str, BeforeValidator(_to_text), Field(min_length=1, max_length=24)]
Currency = Literal["COP"]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, str_strip_whitespace=True)


class MerchantAuth(_Wire):
    apiLogin: str = Field(min_length=1, max_length=60)
    apiKey: str = Field(min_length=1, max_length=60)


class Money(_Wire):
    value: AmountText
    currency: Currency = "COP"


class Person(_Wire):
    merchantBuyerId: str | None = Field(default=None, max_length=60)
    fullName: str | None = Field(default=None, max_length=150)
    emailAddress: str | None = Field(default=None, max_length=120)
    contactPhone: str | None = Field(default=None, max_length=20)
    dniNumber: str | None = Field(default=None, max_length=20)
    dniType: str | None = Field(default=None, max_length=5)


class OrderIn(_Wire):
    id: IdText | None = None  # refunds name the order by id
    accountId: IdText | None = None
    referenceCode: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, min_length=1, max_length=255)
    language: str = "es"
    signature: str | None = Field(default=None, max_length=128)
    notifyUrl: str | None = Field(default=None, max_length=300)
    additionalValues: dict[str, Money] = Field(default_factory=dict)
    buyer: Person | None = None


class TransactionIn(_Wire):
    order: OrderIn
    payer: Person | None = None
    extraParameters: dict[str, Any] = Field(default_factory=dict)
    type: Literal["AUTHORIZATION_AND_CAPTURE", "REFUND"] = "AUTHORIZATION_AND_CAPTURE"
    paymentMethod: str | None = None
    paymentCountry: str | None = None
    ipAddress: str | None = Field(default=None, max_length=45)
    parentTransactionId: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=255)
    algorithmSignature: str | None = None

    @field_validator("extraParameters")
    @classmethod
    def _extra_text(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, item in value.items():
            if isinstance(item, dict | list):
                raise ValueError(f"extraParameters.{key} debe ser un texto")
        return {k: _to_text(v) for k, v in value.items()}


Command = Literal[
    "PING",
    "GET_BANKS_LIST",
    "SUBMIT_TRANSACTION",
    "ORDER_DETAIL",
    "ORDER_DETAIL_BY_REFERENCE_CODE",
    "TRANSACTION_RESPONSE_DETAIL",
]


class ServiceRequest(_Wire):
    language: str = "es"
    command: Command
    merchant: MerchantAuth
    test: bool = False
    transaction: TransactionIn | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    bankListInformation: dict[str, Any] = Field(default_factory=dict)


class CheckoutForm(_Wire):
    """PayU WebCheckout's form fields (the optional payer fields pre-fill the checkout page)."""

    merchantId: str = Field(pattern=r"^\d{1,20}$")
    accountId: str = Field(pattern=r"^\d{1,20}$")
    description: str = Field(min_length=1, max_length=255)
    referenceCode: str = Field(min_length=1, max_length=255)
    amount: str = Field(min_length=1, max_length=24)
    tax: str = "0"
    taxReturnBase: str = "0"
    currency: Currency = "COP"
    signature: str = Field(min_length=32, max_length=128)
    algorithmSignature: str | None = None
    test: str = "0"
    lng: str = "es"
    buyerEmail: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=120)
    buyerFullName: str | None = Field(default=None, max_length=150)
    payerFullName: str | None = Field(default=None, max_length=150)
    payerEmail: str | None = Field(default=None, max_length=120)
    payerDocument: str | None = Field(default=None, max_length=20)
    payerDocumentType: str | None = Field(default=None, max_length=5)
    payerPhone: str | None = Field(default=None, max_length=20)
    mobilePhone: str | None = Field(default=None, max_length=20)
    telephone: str | None = Field(default=None, max_length=20)
    responseUrl: str | None = Field(default=None, max_length=300)
    confirmationUrl: str | None = Field(default=None, max_length=300)
    extra1: str | None = Field(default=None, max_length=255)
    extra2: str | None = Field(default=None, max_length=255)
    extra3: str | None = Field(default=None, max_length=255)


DOCUMENT_TYPES = ("CC", "CE", "NIT", "TI", "PP", "PPN", "RC", "DIE")


class PayForm(_Wire):
    """The checkout page's form (COL-16). Names are the page's, in Spanish."""

    terminos: Literal["on", "si", "true", "1"] | None = None
    medio: str | None = None
    tipo_persona: Literal["N", "J"] | None = None
    banco: str | None = None
    tipo_documento: str | None = None
    documento: str | None = Field(default=None, max_length=20)
    nombre: str | None = Field(default=None, max_length=150)
    correo: str | None = Field(default=None, max_length=120)
    celular: str | None = Field(default=None, max_length=20)
