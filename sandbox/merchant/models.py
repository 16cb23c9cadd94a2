"""What crosses the merchant's wire, with PayU's and notify's field names. Pure builders.

* :func:`checkout_form` — the signed WebCheckout form the customer's browser posts to the gateway
  ("Paga con PayU");
* :func:`gateway_command` / :func:`refund_request` — the PayU API bodies the merchant sends
  (``ORDER_DETAIL_BY_REFERENCE_CODE``, ``TRANSACTION_RESPONSE_DETAIL``; a ``REFUND``);
* :data:`CONFIRMATION_REQUIRED` — the fields a confirmation (``POST /payu/confirmacion``) must carry;
* :func:`receipt_message` — the customer's copy of a payment's result, as notify takes it.
"""

from __future__ import annotations

from typing import Any, Final

from sandbox.kit.money import format_amount, format_display
from sandbox.merchant.logic import LABELS, PayState
from sandbox.protocols.payu.signatures import request_signature
from sandbox.world.model import Customer, GatewayAccount

#: Fields a PayU confirmation must carry (checked in this order).
CONFIRMATION_REQUIRED: Final = ("merchant_id", "reference_sale", "state_pol", "value", "currency", "sign",
                                "transaction_id")  # fmt: skip


def checkout_form(
    account: GatewayAccount,
    *,
    reference_code: str,
    amount_minor: int,
    currency: str,
    invoice_number: str,
    description: str,
    customer: Customer,
    response_url: str,
    confirmation_url: str,
) -> dict[str, str]:
    """PayU WebCheckout's fields, signed with the account's API key (empty fields left out)."""
    amount = format_amount(amount_minor, currency)
    form = {
        "merchantId": account.merchant_id,
        "accountId": account.account_id,
        "description": f"Factura {invoice_number} · {description}",
        "referenceCode": reference_code,
        "amount": amount,
        "tax": "0.00",
        "taxReturnBase": "0.00",
        "currency": currency,
        "signature": request_signature(account.api_key, account.merchant_id, reference_code, amount, currency),
        "test": "1",
        "lng": "es",
        "buyerEmail": customer.email,
        "buyerFullName": customer.name,
        "payerDocumentType": customer.document_type.value,
        "payerDocument": customer.document_number,
        "mobilePhone": customer.mobile or "",
        "responseUrl": response_url,
        "confirmationUrl": confirmation_url,
        "extra1": invoice_number,
    }
    return {k: v for k, v in form.items() if v}


def _merchant(account: GatewayAccount) -> dict[str, str]:
    return {"apiLogin": account.api_login, "apiKey": account.api_key}


def gateway_command(account: GatewayAccount, command: str, details: dict[str, Any]) -> dict[str, Any]:
    """A query command of PayU's API (``ORDER_DETAIL_BY_REFERENCE_CODE``, ``TRANSACTION_RESPONSE_DETAIL``)."""
    return {"language": "es", "command": command, "merchant": _merchant(account), "test": False, "details": details}


def refund_request(
    account: GatewayAccount, *, order_id: str | None, reason: str, parent_transaction_id: str | None
) -> dict[str, Any]:
    """A full refund of a gateway order (``SUBMIT_TRANSACTION`` of type ``REFUND``)."""
    return {
        "language": "es",
        "command": "SUBMIT_TRANSACTION",
        "merchant": _merchant(account),
        "test": False,
        "transaction": {
            "order": {"id": order_id},
            "type": "REFUND",
            "reason": reason,
            "parentTransactionId": parent_transaction_id,
        },
    }


def receipt_message(
    *,
    merchant_name: str,
    to: str,
    invoice_number: str,
    amount_minor: int,
    currency: str,
    state: PayState,
    reference_code: str,
    cus: str | None,
    bank_name: str | None,
    channel: str,
) -> dict[str, Any]:
    """The ``POST {notify}/messages`` body of the customer's copy (GW-03)."""
    amount = format_display(amount_minor, currency)
    text = (
        f"{merchant_name}: el pago de la factura {invoice_number} por {amount} quedó "
        f"{LABELS[state].upper()}. Referencia {reference_code}"
        + (f", CUS {cus}" if cus else "")
        + (f", banco {bank_name}" if bank_name else "")
        + f". Medio: {'PayU' if channel == 'payu' else 'PSE'}."
    )
    return {
        "channel": "email",
        "to": to,
        "subject": f"Pago de la factura {invoice_number}: {LABELS[state]}",
        "text": text,
        "kind": "receipt",
        "reference": reference_code,
    }
