"""What the gateway sends out, in PayU's shapes: API answers, confirmation forms, response-page
parameters. Pure functions of the state (the signing key is passed in).

Confirmations (GW-04) are form fields; ``sign`` is
``md5(apiKey~merchant_id~reference_sale~new_value~currency~state_pol)``. A refund is confirmed
too, as its own transaction: ``transaction_type=REFUND``, ``state_pol=4`` (the refund was
approved), ``transaction_id`` = the refund's id, ``parent_transaction_id`` = the payment's id.
A merchant must look at ``transaction_type`` before treating ``state_pol=4`` as a payment.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from sandbox.gateway.state import Order, Transaction
from sandbox.kit.money import format_amount
from sandbox.protocols.payu.codes import STATE_POL, TxState, response_code_pol, response_message
from sandbox.protocols.payu.signatures import confirmation_signature
from sandbox.world.model import GatewayAccount

#: PayU's ids for PSE (payment_method / payment_method_type).
PSE_METHOD_ID = "25"
PSE_METHOD_TYPE = "4"


def _local(moment: datetime | None, tz: tzinfo) -> str | None:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if moment else None


def transaction_response(order: Order, tx: Transaction, tz: tzinfo) -> dict[str, Any]:
    """``transactionResponse`` of SUBMIT_TRANSACTION (and of each transaction in ORDER_DETAIL)."""
    extra: dict[str, Any] = {}
    if tx.bank_url and tx.state is TxState.PENDING:
        extra["BANK_URL"] = tx.bank_url
    if tx.cycle is not None:
        extra["TRANSACTION_CYCLE"] = str(tx.cycle)
    return {
        "orderId": order.order_id,
        "transactionId": tx.id,
        "state": tx.state.value,
        "paymentNetworkResponseCode": tx.ach_state,
        "paymentNetworkResponseErrorMessage": tx.antifraud_reason or tx.ach_return_code,
        "trazabilityCode": tx.cus,
        "authorizationCode": tx.authorization_id,
        "pendingReason": "AWAITING_NOTIFICATION" if tx.state is TxState.PENDING else None,
        "responseCode": tx.response_code,
        "errorCode": None,
        "responseMessage": tx.message or response_message(tx.response_code),
        "transactionDate": _local(tx.created_at, tz),
        "operationDate": _local(tx.final_at, tz),
        "extraParameters": extra or None,
        "additionalInfo": {"transactionType": tx.type, "parentTransactionId": tx.parent_id},
    }


def transaction_detail(order: Order, tx: Transaction, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": tx.id,
        "type": tx.type,
        "paymentMethod": tx.payment_method,
        "paymentCountry": "CO",
        "source": "WEB" if order.source == "checkout" else "API",
        "parentTransactionId": tx.parent_id,
        "transactionResponse": transaction_response(order, tx, tz),
        "payer": {
            "fullName": tx.payer_name,
            "emailAddress": tx.payer_email,
            "dniType": tx.document_type,
            "dniNumber": tx.document_number,
        },
        "extraParameters": {
            "FINANCIAL_INSTITUTION_CODE": tx.bank_code,
            "FINANCIAL_INSTITUTION_NAME": tx.bank_name,
            "USER_TYPE": tx.user_type,
            "PSE_REFERENCE1": tx.payer_ip,
            "PSE_REFERENCE2": tx.document_type,
            "PSE_REFERENCE3": tx.document_number,
        },
        "additionalValues": {
            "TX_VALUE": {"value": format_amount(tx.amount_minor, tx.currency), "currency": tx.currency},
            "TX_TAX": {"value": format_amount(tx.tax_minor, tx.currency), "currency": tx.currency},
        },
    }


def order_detail(order: Order, status: str, transactions: list[Transaction], tz: tzinfo) -> dict[str, Any]:
    return {
        "id": order.order_id,
        "accountId": int(order.account_id),
        "status": status,
        "referenceCode": order.reference_code,
        "description": order.description,
        "language": order.language,
        "buyer": {"emailAddress": order.buyer_email, "fullName": order.buyer_name},
        "additionalValues": {
            "TX_VALUE": {"value": format_amount(order.amount_minor, order.currency), "currency": order.currency},
            "TX_TAX": {"value": format_amount(order.tax_minor, order.currency), "currency": order.currency},
            "TX_TAX_RETURN_BASE": {
                "value": format_amount(order.tax_return_base_minor, order.currency),
                "currency": order.currency,
            },
        },
        "transactions": [transaction_detail(order, t, tz) for t in transactions],
    }


def confirmation_form(
    account: GatewayAccount, order: Order, tx: Transaction, *, attempt: int, tz: tzinfo
) -> dict[str, str]:
    """The form-encoded body of a confirmation (everything as text)."""
    state_pol = STATE_POL[tx.state]
    sign = confirmation_signature(
        account.api_key, account.merchant_id, order.reference_code, tx.amount_minor, tx.currency, state_pol
    )
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
        "transaction_date": _local(tx.final_at or tx.updated_at, tz),
        "description": order.description,
        "email_buyer": order.buyer_email,
        "payment_method": PSE_METHOD_ID,
        "payment_method_type": PSE_METHOD_TYPE,
        "payment_method_name": tx.payment_method,
        "cus": tx.cus,
        "pse_bank": tx.bank_name,
        "pse_reference1": tx.payer_ip,
        "pse_reference2": tx.document_type,
        "pse_reference3": tx.document_number,
        "authorization_code": tx.authorization_id,
        "antifraud_reason": tx.antifraud_reason,
        "extra1": order.extra1,
        "extra2": order.extra2,
        "extra3": order.extra3,
        "test": "1" if order.test else "0",
        "attempts": str(attempt),
    }
    return {k: v for k, v in fields.items() if v is not None}


def response_params(account: GatewayAccount, order: Order, tx: Transaction, tz: tzinfo) -> dict[str, str]:
    """Query parameters of the merchant's response page (``responseUrl``), PayU style."""
    state_pol = STATE_POL[tx.state]
    signature = confirmation_signature(
        account.api_key, account.merchant_id, order.reference_code, tx.amount_minor, tx.currency, state_pol
    )
    fields: dict[str, str | None] = {
        "merchantId": account.merchant_id,
        "merchant_name": account.name,
        "transactionState": str(state_pol),
        "lapTransactionState": tx.state.value,
        "polResponseCode": str(response_code_pol(tx.response_code)),
        "lapResponseCode": tx.response_code,
        "message": tx.state.value,
        "referenceCode": order.reference_code,
        "reference_pol": str(order.order_id),
        "transactionId": tx.id,
        "description": order.description,
        "TX_VALUE": format_amount(tx.amount_minor, tx.currency),
        "TX_TAX": format_amount(tx.tax_minor, tx.currency),
        "currency": tx.currency,
        "buyerEmail": order.buyer_email,
        "cus": tx.cus,
        "pseBank": tx.bank_name,
        "pseCycle": str(tx.cycle) if tx.cycle is not None else None,
        "pseReference1": tx.payer_ip,
        "pseReference2": tx.document_type,
        "pseReference3": tx.document_number,
        "lapPaymentMethod": tx.payment_method,
        "processingDate": _local(tx.final_at or tx.updated_at, tz),
        "extra1": order.extra1,
        "extra2": order.extra2,
        "extra3": order.extra3,
        "signature": signature,
    }
    return {k: v for k, v in fields.items() if v is not None}


def response_url(base: str, params: dict[str, str]) -> str:
    return f"{base}{'&' if '?' in base else '?'}{urlencode(params)}"
