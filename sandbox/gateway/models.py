"""Protocol models of the gateway: what crosses the wire, with PayU's field names.

* :class:`ServiceRequest` — the JSON API (``POST /payments-api/4.0/service.cgi`` and its alias
  ``/reports-api/4.0/service.cgi``). JSON numbers are read as :class:`~decimal.Decimal` (never
  floats); unknown fields (``deviceSessionId``, ``cookie``, ``userAgent``, ...) are ignored, as
  the real service does.
* :class:`CheckoutForm` — the web checkout form a merchant's page posts (``POST /checkout``).
* :class:`PayForm` — what the person fills in on the checkout page ("Pagar").

What goes out, in PayU's shapes (pure functions of the records; the signing key is passed in):
API answers (:func:`transaction_response`, :func:`order_detail`), confirmation forms (GW-04,
:func:`confirmation_form`) and the response page's parameters (:func:`response_params`).
Confirmations are form fields; ``sign`` is
``md5(apiKey~merchant_id~reference_sale~new_value~currency~state_pol)``. A refund is confirmed
too, as its own transaction: ``transaction_type=REFUND``, ``state_pol=4`` (the refund was
approved), ``transaction_id`` = the refund's id, ``parent_transaction_id`` = the payment's id.
A merchant must look at ``transaction_type`` before treating ``state_pol=4`` as a payment.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from sandbox.gateway.records import Order, Transaction
from sandbox.kit.money import format_amount
from sandbox.protocols.payu.codes import (
    POL_TRANSACTION_STATE,
    STATE_POL,
    TxState,
    response_code_pol,
    response_message,
)
from sandbox.protocols.payu.signatures import confirmation_signature, response_page_signature
from sandbox.protocols.payu.wire import COMMANDS, epoch_ms, money
from sandbox.world.model import GatewayAccount


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


def _none_as_empty(value: object) -> object:
    return {} if value is None else value


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
    language: str | None = "es"
    signature: str | None = Field(default=None, max_length=128)
    notifyUrl: str | None = Field(default=None, max_length=300)
    additionalValues: Annotated[dict[str, Money], BeforeValidator(_none_as_empty)] = Field(default_factory=dict)
    buyer: Person | None = None


#: An object a client may send as ``null`` (PayU's SDKs serialize unset fields as null).
Extra = Annotated[dict[str, Any], BeforeValidator(_none_as_empty)]


class TransactionIn(_Wire):
    order: OrderIn
    payer: Person | None = None
    extraParameters: Extra = Field(default_factory=dict)
    #: Checked by the service (an unsupported type is PayU's ERROR, not a validation error).
    type: str = Field(default="AUTHORIZATION_AND_CAPTURE", max_length=32)
    paymentMethod: str | None = None
    paymentCountry: str | None = None
    ipAddress: str | None = Field(default=None, max_length=45)
    parentTransactionId: IdText | None = None
    reason: str | None = Field(default=None, max_length=255)
    algorithmSignature: str | None = None

    @field_validator("extraParameters")
    @classmethod
    def _extra_text(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, item in value.items():
            if isinstance(item, dict | list):
                raise ValueError(f"extraParameters.{key} debe ser un texto")
        return {k: _to_text(v) for k, v in value.items()}


class ServiceRequest(_Wire):
    """One request of PayU's JSON API. ``command`` is checked by the service against
    :data:`~sandbox.protocols.payu.wire.COMMANDS` (an unknown one is PayU's ERROR answer)."""

    language: str | None = "es"
    command: str = Field(min_length=1, max_length=40)
    merchant: MerchantAuth
    test: bool | None = False
    transaction: TransactionIn | None = None
    details: Extra = Field(default_factory=dict)
    bankListInformation: Extra = Field(default_factory=dict)

    @property
    def known_command(self) -> bool:
        return self.command in COMMANDS


class CheckoutForm(_Wire):
    """PayU WebCheckout's form fields (the optional payer fields pre-fill the checkout page)."""

    merchantId: str = Field(pattern=r"^[0-9]{1,20}$")
    accountId: str = Field(pattern=r"^[0-9]{1,20}$")
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


# --- what goes out ------------------------------------------------------------------------------
#: PayU's ids for PSE: ``payment_method`` (the method's id, also GET_PAYMENT_METHODS' ``id``) and
#: ``payment_method_type`` / ``payment_method_id`` / ``polPaymentMethodType`` (4 = PSE).
PSE_METHOD_ID = "25"
PSE_METHOD_TYPE = "4"


def _local(moment: datetime | None, tz: tzinfo) -> str | None:
    """Form fields' dates (confirmation and response pages): local text, as PayU posts them."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if moment else None


def _network_code(tx: Transaction) -> str | None:
    """What the financial network (ACH PSE) answered: its transaction state, or the return code
    with which it refused to create the payment. Never a code of the gateway's own."""
    if tx.ach_state:
        return tx.ach_state
    if tx.ach_return_code and tx.ach_return_code.startswith("FAIL_"):
        return tx.ach_return_code
    return None


def _pending_reason(tx: Transaction) -> str | None:
    if tx.state is not TxState.PENDING:
        return None
    return "PENDING_REVIEW" if tx.type == "REFUND" else "AWAITING_NOTIFICATION"


def transaction_response(order: Order, tx: Transaction, *, ids: bool = True, nested: bool = False) -> dict[str, Any]:
    """PayU's ``transactionResponse``: with ``orderId``/``transactionId`` in a SUBMIT_TRANSACTION
    answer, without them in TRANSACTION_RESPONSE_DETAIL (``ids=False``); inside ORDER_DETAIL's
    transactions (``nested=True``) also without ``referenceQuestionnaire`` and ``additionalInfo``
    (the transaction's ``type`` says what it is there)."""
    extra: dict[str, Any] = {}
    if tx.cycle is not None:
        extra["TRANSACTION_CYCLE"] = str(tx.cycle)
    if tx.bank_url and tx.state is TxState.PENDING:
        extra["BANK_URL"] = tx.bank_url
    pending_refund = tx.type == "REFUND" and tx.state is TxState.PENDING
    message = str(order.order_id) if pending_refund else (tx.message or response_message(tx.response_code))
    body: dict[str, Any] = {"orderId": order.order_id, "transactionId": tx.id} if ids else {}
    body |= {
        "state": tx.state.value,
        "paymentNetworkResponseCode": _network_code(tx),
        "paymentNetworkResponseErrorMessage": tx.network_message,
        "trazabilityCode": tx.cus,
        "authorizationCode": tx.authorization_id,
        "pendingReason": _pending_reason(tx),
        # A refund under review has no response code yet; PayU names the order in the message.
        "responseCode": None if pending_refund else tx.response_code,
        "errorCode": None,
        "responseMessage": message,
        "transactionDate": None,
        "transactionTime": None,
        "operationDate": epoch_ms(tx.final_at or tx.updated_at),
        "extraParameters": extra or None,
    }
    if nested:
        return body
    body |= {
        "referenceQuestionnaire": None,
        "additionalInfo": {
            "paymentNetwork": "PSE",
            "rejectionType": "NONE",
            "responseNetworkMessage": None,
            "travelAgencyAuthorizationCode": None,
            "cardType": None,
            "transactionType": tx.type,
        },
    }
    return body


def transaction_detail(order: Order, tx: Transaction) -> dict[str, Any]:
    """One transaction of ORDER_DETAIL (``result.payload.transactions[]``)."""
    extra: dict[str, str | None] = {
        "RESPONSE_URL": order.response_url,
        "FINANCIAL_INSTITUTION_CODE": tx.bank_code,
        "FINANCIAL_INSTITUTION_NAME": tx.bank_name,
        "USER_TYPE": tx.user_type,
        "PSE_REFERENCE1": tx.payer_ip,
        "PSE_REFERENCE2": tx.document_type,
        "PSE_REFERENCE3": tx.document_number,
    }
    return {
        "id": tx.id,
        "order": None,
        "creditCard": None,
        "type": tx.type,
        "parentTransactionId": tx.parent_id,
        "paymentMethod": tx.payment_method,
        "source": None,
        "paymentCountry": "CO",
        "transactionResponse": transaction_response(order, tx, ids=False, nested=True),
        "deviceSessionId": None,
        "ipAddress": tx.payer_ip,
        "cookie": None,
        "userAgent": None,
        "expirationDate": None,
        "payer": {
            "merchantPayerId": None,
            "fullName": tx.payer_name,
            "billingAddress": None,
            "emailAddress": tx.payer_email,
            "contactPhone": tx.payer_phone,
            "dniNumber": tx.document_number,
        },
        "additionalValues": {
            "TX_VALUE": money(tx.amount_minor, tx.currency),
            "TX_TAX": money(tx.tax_minor, tx.currency),
        },
        "extraParameters": {k: v for k, v in extra.items() if v is not None},
    }


def order_detail(order: Order, status: str, transactions: list[Transaction]) -> dict[str, Any]:
    """ORDER_DETAIL's ``result.payload`` (one element of ORDER_DETAIL_BY_REFERENCE_CODE's list)."""
    return {
        "id": order.order_id,
        "accountId": int(order.account_id),
        "status": status,
        "referenceCode": order.reference_code,
        "description": order.description,
        "airlineCode": None,
        "language": order.language,
        "notifyUrl": order.confirmation_url,
        "shippingAddress": None,
        "buyer": {
            "merchantBuyerId": None,
            "fullName": order.buyer_name,
            "emailAddress": order.buyer_email,
            "contactPhone": order.buyer_phone,
        },
        "transactions": [transaction_detail(order, t) for t in transactions],
        "additionalValues": {
            "TX_VALUE": money(order.amount_minor, order.currency),
            "TX_TAX": money(order.tax_minor, order.currency),
            "TX_TAX_RETURN_BASE": money(order.tax_return_base_minor, order.currency),
        },
    }


#: GET_PAYMENT_METHODS: what this gateway processes (PSE in Colombia, nothing else).
PAYMENT_METHODS: tuple[dict[str, Any], ...] = (
    {"id": PSE_METHOD_ID, "description": "PSE", "country": "CO", "enabled": True, "reason": None},
)


def confirmation_form(
    account: GatewayAccount, order: Order, tx: Transaction, *, attempt: int, tz: tzinfo
) -> dict[str, str]:
    """The form-encoded body of a confirmation (everything as text)."""
    state_pol = STATE_POL[tx.state]
    sign = confirmation_signature(
        account.api_key, account.merchant_id, order.reference_code, tx.amount_minor, tx.currency, state_pol
    )
    when = _local(tx.final_at or tx.updated_at, tz)
    fields: dict[str, str | None] = {
        "merchant_id": account.merchant_id,
        "account_id": account.account_id,
        "state_pol": str(state_pol),
        "response_code_pol": str(response_code_pol(tx.response_code)),
        "response_message_pol": tx.response_code,
        "reference_sale": order.reference_code,
        "reference_pol": str(order.order_id),
        "sign": sign,
        "value": format_amount(tx.amount_minor, tx.currency),
        "tax": format_amount(tx.tax_minor, tx.currency),
        "currency": tx.currency,
        "transaction_id": tx.id,
        "transaction_type": tx.type,
        "parent_transaction_id": tx.parent_id,
        "transaction_date": when,
        "date": when.replace("-", ".") if when else None,
        "description": order.description,
        "email_buyer": order.buyer_email,
        "payment_method": PSE_METHOD_ID,
        "payment_method_id": PSE_METHOD_TYPE,
        "payment_method_type": PSE_METHOD_TYPE,
        "payment_method_name": tx.payment_method,
        "cus": tx.cus,
        "pse_bank": tx.bank_name,
        "pse_reference1": tx.payer_ip,
        "pse_reference2": tx.document_type,
        "pse_reference3": tx.document_number,
        "authorization_code": tx.authorization_id,
        "error_code_bank": _network_code(tx) if tx.state is not TxState.APPROVED else None,
        "error_message_bank": tx.network_message,
        "extra1": order.extra1,
        "extra2": order.extra2,
        "extra3": order.extra3,
        "test": "1" if order.test else "0",
        "attempts": str(attempt),
    }
    return {k: v for k, v in fields.items() if v is not None}


def response_params(account: GatewayAccount, order: Order, tx: Transaction, tz: tzinfo) -> dict[str, str]:
    """Query parameters of the merchant's response page (``responseUrl``), PayU style, signed
    with the response page's rule (value rounded to one decimal, half to even)."""
    state_pol = STATE_POL[tx.state]
    signature = response_page_signature(
        account.api_key, account.merchant_id, order.reference_code, tx.amount_minor, tx.currency, state_pol
    )
    fields: dict[str, str | None] = {
        "merchantId": account.merchant_id,
        "merchant_name": account.name,
        "transactionState": str(state_pol),
        "lapTransactionState": tx.state.value,
        "polTransactionState": str(POL_TRANSACTION_STATE[tx.state]),
        "polResponseCode": str(response_code_pol(tx.response_code)),
        "lapResponseCode": tx.response_code,
        "message": tx.state.value,
        "referenceCode": order.reference_code,
        "reference_pol": str(order.order_id),
        "transactionId": tx.id,
        "description": order.description,
        "trazabilityCode": tx.cus,
        "TX_VALUE": format_amount(tx.amount_minor, tx.currency),
        "TX_TAX": format_amount(tx.tax_minor, tx.currency),
        "currency": tx.currency,
        "lng": order.language,
        "buyerEmail": order.buyer_email,
        "cus": tx.cus,
        "pseBank": tx.bank_name,
        "pseCycle": str(tx.cycle) if tx.cycle is not None else None,
        "pseReference1": tx.payer_ip,
        "pseReference2": tx.document_type,
        "pseReference3": tx.document_number,
        "authorizationCode": tx.authorization_id,
        "polPaymentMethod": PSE_METHOD_ID,
        "lapPaymentMethod": tx.payment_method,
        "polPaymentMethodType": PSE_METHOD_TYPE,
        "lapPaymentMethodType": "PSE",
        "processingDate": _local(tx.final_at or tx.updated_at, tz),
        "extra1": order.extra1,
        "extra2": order.extra2,
        "extra3": order.extra3,
        "signature": signature,
    }
    return {k: v for k, v in fields.items() if v is not None}


def response_url(base: str, params: dict[str, str]) -> str:
    return f"{base}{'&' if '?' in base else '?'}{urlencode(params)}"
