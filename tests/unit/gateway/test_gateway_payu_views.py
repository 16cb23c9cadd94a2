"""What the gateway sends out: the confirmation form and the response-page parameters verify
with the documented signature (a merchant's check), and carry the PSE fields."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sandbox.gateway.models import confirmation_form, response_params, response_url, transaction_response
from sandbox.gateway.records import Order, Transaction
from sandbox.protocols.payu.codes import TxState
from sandbox.protocols.payu.signatures import verify_confirmation_signature, verify_response_page_signature
from sandbox.world import load_world

T0 = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
TZ = ZoneInfo("America/Bogota")
ACCOUNT = load_world(None).gateway_accounts[0]


def order() -> Order:
    return Order(
        order_id=840000001, merchant_id=ACCOUNT.merchant_id, account_id=ACCOUNT.account_id,
        reference_code="FV-1001-1", description="Tornillos", amount_minor=15000, tax_minor=0,
        tax_return_base_minor=0, currency="COP", buyer_email="a@example.com", created_at=T0, token="t",
        source="checkout", extra1="FV-1001",
    )  # fmt: skip


def tx(state: TxState = TxState.APPROVED) -> Transaction:
    return Transaction(
        id="tx-1", order_id=840000001, type="AUTHORIZATION_AND_CAPTURE", state=state, response_code="APPROVED",
        created_at=T0, updated_at=T0, final_at=T0, amount_minor=15000, tax_minor=0, currency="COP",
        bank_code="1022", bank_name="BANCO UNION COLOMBIANO", document_type="CC", document_number="79555111",
        payer_ip="10.0.0.1", cus="998877", cycle=1,
    )  # fmt: skip


def test_confirmation_form_is_signed_with_new_value() -> None:
    form = confirmation_form(ACCOUNT, order(), tx(), attempt=2, tz=TZ)
    assert form["value"] == "150.00" and form["state_pol"] == "4" and form["response_code_pol"] == "1"
    assert form["attempts"] == "2" and form["extra1"] == "FV-1001"
    assert (form["cus"], form["pse_bank"], form["pse_reference1"], form["pse_reference3"]) == (
        "998877", "BANCO UNION COLOMBIANO", "10.0.0.1", "79555111",
    )  # fmt: skip
    assert verify_confirmation_signature(
        form["sign"], api_key=ACCOUNT.api_key, merchant_id=form["merchant_id"], reference_sale=form["reference_sale"],
        amount_minor=15000, currency="COP", state_pol=form["state_pol"],
    )  # fmt: skip
    assert all(isinstance(v, str) for v in form.values())
    assert ACCOUNT.api_key not in form.values()


def test_response_page_parameters_are_signed_with_the_response_page_rule() -> None:
    params = response_params(ACCOUNT, order(), tx(TxState.DECLINED), TZ)
    assert params["transactionState"] == "6" and params["lapTransactionState"] == "DECLINED"
    assert params["polTransactionState"] == "6" and params["lapPaymentMethodType"] == "PSE"
    assert verify_response_page_signature(
        params["signature"], api_key=ACCOUNT.api_key, merchant_id=ACCOUNT.merchant_id, reference_code="FV-1001-1",
        amount_minor=15000, currency="COP", transaction_state="6",
    )  # fmt: skip


def test_a_value_whose_second_decimal_is_not_zero_signs_differently_on_each_page() -> None:
    """150.25: the confirmation signs "150.25", the response page "150.2" (half to even)."""
    odd = order()
    odd.amount_minor = 15025
    paid = tx()
    paid.amount_minor = 15025
    params = response_params(ACCOUNT, odd, paid, TZ)
    text = f"{ACCOUNT.api_key}~{ACCOUNT.merchant_id}~FV-1001-1~150.2~COP~4"
    assert params["signature"] == hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    form = confirmation_form(ACCOUNT, odd, paid, attempt=1, tz=TZ)
    text = f"{ACCOUNT.api_key}~{ACCOUNT.merchant_id}~FV-1001-1~150.25~COP~4"
    assert form["sign"] == hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    assert params["signature"] != form["sign"]
    assert response_url("http://m/payu/respuesta", {"a": "1 2"}) == "http://m/payu/respuesta?a=1+2"
    assert response_url("http://m/r?x=1", {"a": "b"}) == "http://m/r?x=1&a=b"


def test_a_pending_answer_carries_the_bank_url() -> None:
    pending = tx(TxState.PENDING)
    pending.bank_url = "http://ach/pse/pago?enc=x"
    pending.response_code = "PENDING_TRANSACTION_CONFIRMATION"
    answer = transaction_response(order(), pending)
    assert answer["state"] == "PENDING" and answer["responseCode"] == "PENDING_TRANSACTION_CONFIRMATION"
    assert answer["extraParameters"] == {"BANK_URL": "http://ach/pse/pago?enc=x", "TRANSACTION_CYCLE": "1"}
    assert answer["trazabilityCode"] == "998877" and answer["pendingReason"] == "AWAITING_NOTIFICATION"
    assert answer["operationDate"] == 1768489200000  # 2026-01-15T15:00Z in epoch milliseconds
    assert answer["transactionDate"] is None and answer["paymentNetworkResponseErrorMessage"] is None
