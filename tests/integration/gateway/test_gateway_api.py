"""The gateway's JSON API over real HTTP, against the real ACH: signatures (GW-01), minimum
(GW-02), confirmations (GW-04), refunds (GW-05), anti-fraud (GW-06), queries, re-queries."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sandbox.scripted.browser import BankStandIn
from sandbox.scripted.payu import ConfirmationInbox, PayuClient
from sandbox.testing import SandboxHandle


def submit(payu: PayuClient, reference: str, amount: str = "150000.00", **kwargs: Any) -> dict[str, Any]:
    answer = payu.submit_pse(reference, amount, **kwargs)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["code"] == "SUCCESS"
    return dict(body["transactionResponse"])


def refused(answer: requests.Response) -> tuple[str | None, str | None]:
    """PayU's refusal: HTTP 200, ``{"code": "ERROR", "error": text, <slot>: null}``; the sandbox's
    code and field in headers."""
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["code"] == "ERROR" and isinstance(body["error"], str) and body["error"], body
    slot = set(body) - {"code", "error"}
    assert len(slot) == 1 and body[slot.pop()] is None, body
    return answer.headers.get("x-sandbox-error"), answer.headers.get("x-sandbox-field")


def ach_transaction(sandbox: SandboxHandle, cus: str) -> dict[str, Any]:
    txns = sandbox.client.party("ach").state()["transactions"]
    return next(t for t in txns if t["trazabilityCode"] == cus)


def gateway_state(sandbox: SandboxHandle) -> dict[str, Any]:
    return sandbox.client.party("gateway").state()


def antifraud_reason(sandbox: SandboxHandle, tx_id: str) -> str | None:
    """The anti-fraud rule that refused a payment: the sandbox's own code, in its state only."""
    txs = [t for o in gateway_state(sandbox)["orders"] for t in o["transactions"]]
    return next(t["antifraud_reason"] for t in txs if t["id"] == tx_id)


def test_bank_list_starts_with_the_placeholder_and_is_cached_for_the_day(
    fresh_sandbox: SandboxHandle, payu: PayuClient
) -> None:
    banks = payu.command("GET_BANKS_LIST", bankListInformation={"paymentMethod": "PSE", "paymentCountry": "CO"})
    assert banks.status_code == 200, banks.text
    listed = banks.json()["banks"]
    assert listed[0] == {"id": "0", "description": "A continuación seleccione su banco", "pseCode": "0"}
    codes = [b["pseCode"] for b in listed]
    assert "1066" in codes and "1022" in codes
    names = [b["description"] for b in listed[1:]]
    assert names == sorted(names, key=str.upper)
    payu.command("GET_BANKS_LIST")
    assert gateway_state(fresh_sandbox)["bank_list"]["fetches"] == 1
    fresh_sandbox.client.advance_clock(86400)
    payu.command("GET_BANKS_LIST")
    assert gateway_state(fresh_sandbox)["bank_list"]["fetches"] == 2


def test_an_approved_payment_is_confirmed_once_signed_and_finalized_at_ach(
    fresh_sandbox: SandboxHandle, payu: PayuClient, inbox: ConfirmationInbox, bank_1022: BankStandIn
) -> None:
    tx = submit(payu, "API-OK-1", notify_url=inbox.url)
    assert tx["state"] == "PENDING" and tx["responseCode"] == "PENDING_TRANSACTION_CONFIRMATION"
    assert tx["extraParameters"]["BANK_URL"].startswith(fresh_sandbox.url("ach"))
    cus = tx["trazabilityCode"]
    ach = ach_transaction(fresh_sandbox, cus)
    assert (ach["referenceNumber1"], ach["referenceNumber2"], ach["referenceNumber3"]) == (
        "127.0.0.1", "CC", "79555111",
    )  # fmt: skip
    assert ach["entityCode"] == "10001" and ach["ticketId"] == tx["orderId"]

    assert bank_1022.confirm(cus, "OK", when=fresh_sandbox.client.now("ach"))["returnCode"] == "SUCCESS"
    assert payu.transaction(tx["transactionId"])["state"] == "PENDING"  # nothing learnt without asking ACH
    assert inbox.received == []

    page = requests.get(f"{fresh_sandbox.url('gateway')}/pse/retorno/{tx['transactionId']}", timeout=10)
    assert page.status_code == 200 and 'data-state="APPROVED"' in page.text
    requests.get(f"{fresh_sandbox.url('gateway')}/pse/retorno/{tx['transactionId']}", timeout=10)  # a reload

    assert len(inbox.received) == 1
    form = inbox.received[0]
    assert inbox.valid(form)
    assert (form["state_pol"], form["response_code_pol"], form["value"], form["currency"]) == (
        "4", "1", "150000.00", "COP",
    )  # fmt: skip
    assert form["transaction_id"] == tx["transactionId"] and form["cus"] == cus
    assert form["pse_bank"] == "BANCO UNION COLOMBIANO" and form["reference_sale"] == "API-OK-1"
    assert ach_transaction(fresh_sandbox, cus)["finalized"] is True
    detail = payu.transaction(tx["transactionId"])
    assert detail["state"] == "APPROVED" and detail["responseCode"] == "APPROVED"
    orders = payu.order_by_reference("API-OK-1")
    assert [o["status"] for o in orders] == ["CAPTURED"]


def test_a_wrong_signature_is_refused_and_nothing_reaches_ach(fresh_sandbox: SandboxHandle, payu: PayuClient) -> None:
    body = payu.payment_body("API-SIG-1", "150000.00", signature="0" * 32)
    answer = payu.call(body)
    assert refused(answer) == ("invalid_signature", "transaction.order.signature")
    assert "md5" in answer.json()["error"] and answer.json()["transactionResponse"] is None
    assert fresh_sandbox.client.party("ach").state()["transactions"] == []
    assert gateway_state(fresh_sandbox)["orders"] == []


def test_a_sha256_signature_is_accepted(fresh_sandbox: SandboxHandle, payu: PayuClient) -> None:
    import hashlib

    text = f"{payu.account.api_key}~{payu.account.merchant_id}~API-SHA-1~150000.00~COP"
    body = payu.payment_body("API-SHA-1", "150000.00", signature=hashlib.sha256(text.encode()).hexdigest())
    body["transaction"]["algorithmSignature"] = "SHA256"
    answer = payu.call(body)
    assert answer.status_code == 200 and answer.json()["transactionResponse"]["state"] == "PENDING"


@pytest.mark.parametrize(
    ("login", "key"), [("pRRXKOl8ikMmt9u", "otra-llave-equivocada"), ("nadie-existe", "4Vj8eK4rloUd272L48hsrarnUA")]
)
def test_wrong_credentials_are_refused(fresh_sandbox: SandboxHandle, login: str, key: str) -> None:
    answer = requests.post(
        f"{fresh_sandbox.url('gateway')}/payments-api/4.0/service.cgi",
        json={"command": "PING", "merchant": {"apiLogin": login, "apiKey": key}},
        timeout=10,
    )
    assert refused(answer) == ("invalid_credentials", "merchant.apiKey")


def test_below_the_accounts_minimum_is_refused(fresh_sandbox: SandboxHandle, payu: PayuClient) -> None:
    answer = payu.submit_pse("API-MIN-1", "9999.99")
    assert refused(answer) == ("amount_below_minimum", "transaction.order.additionalValues.TX_VALUE.value")
    assert submit(payu, "API-MIN-2", "10000.00")["state"] == "PENDING"  # the minimum itself is payable


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ("no es json", "malformed_json", None),
        ('{"command": "SUBMIT_TRANSACTION"}', "missing_field", "merchant"),
        ('{"command": "BORRAR", "merchant": {"apiLogin": "pRRXKOl8ikMmt9u", "apiKey": "4Vj8eK4rloUd272L48hsrarnUA"}}',
         "invalid_command", "command"),
        ("[1, 2]", "invalid_field", None),
        pytest.param("[" * 30_000, "json_too_deep", None, id="deeply-nested"),
        pytest.param('{"x": "' + "a" * 70_000 + '"}', "payload_too_large", None, id="too-large"),
    ],
)  # fmt: skip
def test_malformed_requests_get_payus_error_naming_the_field(
    fresh_sandbox: SandboxHandle, body: str, code: str, field: str | None
) -> None:
    answer = requests.post(
        f"{fresh_sandbox.url('gateway')}/payments-api/4.0/service.cgi",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert refused(answer) == (code, field)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"bank": "0"}, "bank_required", "transaction.extraParameters.FINANCIAL_INSTITUTION_CODE"),
        ({"user_type": "X"}, "invalid_field", "transaction.extraParameters.USER_TYPE"),
        ({"document": "12"}, "invalid_document", "transaction.extraParameters.PSE_REFERENCE3"),
        ({"user_type": "J"}, "invalid_document", "transaction.extraParameters.PSE_REFERENCE2"),
        ({"phone": "12345"}, "invalid_field", "transaction.payer.contactPhone"),
        ({"email": "sin-arroba"}, "invalid_field", "transaction.payer.emailAddress"),
    ],
)
def test_a_bad_payer_is_refused_before_ach(
    fresh_sandbox: SandboxHandle, payu: PayuClient, changes: dict[str, str], code: str, field: str
) -> None:
    answer = payu.submit_pse("API-PAYER", "150000.00", **changes)
    assert refused(answer) == (code, field)
    assert fresh_sandbox.client.party("ach").state()["transactions"] == []


def test_a_second_submit_of_a_pending_reference_returns_the_same_attempt(
    fresh_sandbox: SandboxHandle, payu: PayuClient
) -> None:
    first = submit(payu, "API-DUP-1")
    again = submit(payu, "API-DUP-1")
    assert again["transactionId"] == first["transactionId"]
    assert len(fresh_sandbox.client.party("ach").state()["transactions"]) == 1
    other_amount = payu.submit_pse("API-DUP-1", "160000.00")
    assert refused(other_amount) == ("duplicate_reference", "transaction.order.referenceCode")


@pytest.mark.parametrize(
    ("reference", "amount", "document", "reason"),
    [
        ("AF-BLOCKED", "150000.00", "11111111", "blocked_document"),
        ("AF-AMOUNT", "20000000.01", "79555111", "max_amount"),
    ],
)
def test_antifraud_refuses_before_the_bank(
    fresh_sandbox: SandboxHandle, payu: PayuClient, inbox: ConfirmationInbox,
    reference: str, amount: str, document: str, reason: str,
) -> None:  # fmt: skip
    tx = submit(payu, reference, amount, document=document, notify_url=inbox.url)
    assert (tx["state"], tx["responseCode"]) == ("DECLINED", "ANTIFRAUD_REJECTED")
    # PayU's fields carry PayU's codes: nothing came from the network, the rule is the sandbox's own.
    assert tx["paymentNetworkResponseCode"] is None and tx["paymentNetworkResponseErrorMessage"] is None
    assert tx["trazabilityCode"] is None
    assert antifraud_reason(fresh_sandbox, tx["transactionId"]) == reason
    assert fresh_sandbox.client.party("ach").state()["transactions"] == []
    assert [(f["state_pol"], f["response_code_pol"], f["response_message_pol"]) for f in inbox.received] == [
        ("6", "23", "ANTIFRAUD_REJECTED")
    ]


def test_antifraud_velocity_per_document(fresh_sandbox: SandboxHandle, payu: PayuClient) -> None:
    for n in range(5):  # the account allows 5 payments per payer per hour
        assert submit(payu, f"AF-VEL-{n}", email=f"pagador{n}@example.com")["state"] == "PENDING"
    sixth = submit(payu, "AF-VEL-5", email="pagador5@example.com")
    assert (sixth["state"], sixth["responseCode"]) == ("DECLINED", "ANTIFRAUD_REJECTED")
    assert antifraud_reason(fresh_sandbox, sixth["transactionId"]) == "velocity_document"
    assert len(fresh_sandbox.client.party("ach").state()["transactions"]) == 5
    fresh_sandbox.client.advance_clock(3600)
    assert submit(payu, "AF-VEL-6", email="pagador6@example.com")["state"] == "PENDING"


def test_a_behaviour_rule_can_decline_a_submit(fresh_sandbox: SandboxHandle, payu: PayuClient) -> None:
    fresh_sandbox.client.party("gateway").add_rule(
        {"match": {"operation": "gateway.submit", "fields": {"bank_code": "1051"}},
         "action": {"decline": "INSUFFICIENT_FUNDS"}}
    )  # fmt: skip
    tx = submit(payu, "RULE-1", bank="1051")
    assert (tx["state"], tx["responseCode"]) == ("DECLINED", "INSUFFICIENT_FUNDS")
    assert fresh_sandbox.client.party("ach").state()["transactions"] == []


def test_an_unreachable_bank_ends_in_error(fresh_sandbox: SandboxHandle, payu: PayuClient) -> None:
    tx = submit(payu, "UNREACH-1", bank="1101")
    assert (tx["state"], tx["responseCode"]) == ("ERROR", "BANK_UNREACHABLE")
    assert submit(payu, "UNREACH-1")["state"] == "PENDING"  # a new attempt on the same order is allowed


def test_a_pending_payment_is_requeried_at_7_then_every_12_minutes_until_final(
    fresh_sandbox: SandboxHandle, payu: PayuClient, inbox: ConfirmationInbox, bank_1022: BankStandIn
) -> None:
    tx = submit(payu, "REQ-1", notify_url=inbox.url)

    def queries() -> int:
        orders = gateway_state(fresh_sandbox)["orders"]
        return int(orders[0]["transactions"][0]["query_count"])

    fresh_sandbox.client.advance_clock(6 * 60 + 59)
    assert queries() == 0
    fresh_sandbox.client.advance_clock(1)  # minute 7
    assert queries() == 1
    fresh_sandbox.client.advance_clock(11 * 60)  # minute 18
    assert queries() == 1
    bank_1022.confirm(tx["trazabilityCode"], "OK", when=fresh_sandbox.client.now("ach"))
    fresh_sandbox.client.advance_clock(60)  # minute 19: the job finds OK, without any browser return
    assert queries() == 2
    assert payu.transaction(tx["transactionId"])["state"] == "APPROVED"
    assert [f["state_pol"] for f in inbox.received] == ["4"]
    fresh_sandbox.client.advance_clock(3600)
    assert queries() == 2  # final: no more queries


def test_a_customer_who_never_returns_ends_expired(
    fresh_sandbox: SandboxHandle, payu: PayuClient, inbox: ConfirmationInbox
) -> None:
    tx = submit(payu, "ABANDON-1", notify_url=inbox.url)
    for _ in range(4):
        fresh_sandbox.client.advance_clock(12 * 60)
    detail = payu.transaction(tx["transactionId"])
    assert (detail["state"], detail["responseCode"]) == ("EXPIRED", "EXPIRED_TRANSACTION")
    assert [(f["state_pol"], f["response_code_pol"]) for f in inbox.received] == [("5", "20")]


def test_confirmations_are_retried_with_back_off_until_acknowledged(
    fresh_sandbox: SandboxHandle, payu: PayuClient, inbox: ConfirmationInbox, bank_1022: BankStandIn
) -> None:
    inbox.status = 503
    tx = submit(payu, "RETRY-1", notify_url=inbox.url)
    bank_1022.confirm(tx["trazabilityCode"], "NOT_AUTHORIZED", when=fresh_sandbox.client.now("ach"))
    requests.get(f"{fresh_sandbox.url('gateway')}/pse/retorno/{tx['transactionId']}", timeout=10)
    assert len(inbox.received) == 1
    fresh_sandbox.client.advance_clock(59)
    assert len(inbox.received) == 1
    fresh_sandbox.client.advance_clock(1)  # +1 min
    assert len(inbox.received) == 2
    inbox.status = 200
    fresh_sandbox.client.advance_clock(120)  # +2 min
    assert len(inbox.received) == 3
    fresh_sandbox.client.advance_clock(86400)
    assert len(inbox.received) == 3  # acknowledged: never sent again
    assert [f["attempts"] for f in inbox.received] == ["1", "2", "3"]
    assert {f["transaction_id"] for f in inbox.received} == {tx["transactionId"]}  # the merchant's dedupe key
    assert all(inbox.valid(f) and f["state_pol"] == "6" for f in inbox.received)
    delivery = gateway_state(fresh_sandbox)["confirmations"][0]
    assert delivery["status"] == "delivered" and [a["outcome"] for a in delivery["attempts"]] == [
        "HTTP 503", "HTTP 503", "HTTP 200",
    ]  # fmt: skip


def test_confirmations_stop_after_9_attempts(
    fresh_sandbox: SandboxHandle, payu: PayuClient, inbox: ConfirmationInbox
) -> None:
    inbox.status = 500
    tx = submit(payu, "RETRY-9", document="11111111", notify_url=inbox.url)  # declined at once
    assert tx["state"] == "DECLINED"
    for _ in range(10):
        fresh_sandbox.client.advance_clock(4 * 3600)
    assert len(inbox.received) == 9
    delivery = gateway_state(fresh_sandbox)["confirmations"][0]
    assert delivery["status"] == "failed" and delivery["next_at"] is None


def test_full_refund_is_pending_then_approved_on_the_sandbox_clock_once(
    fresh_sandbox: SandboxHandle, payu: PayuClient, inbox: ConfirmationInbox, bank_1022: BankStandIn
) -> None:
    tx = submit(payu, "REF-1", "250000.00", notify_url=inbox.url)
    assert refused(payu.refund(tx["orderId"])) == ("not_approved", "transaction.order.id")
    bank_1022.confirm(tx["trazabilityCode"], "OK", when=fresh_sandbox.client.now("ach"))
    requests.get(f"{fresh_sandbox.url('gateway')}/pse/retorno/{tx['transactionId']}", timeout=10)
    assert gateway_state(fresh_sandbox)["balances"]["512321"] == {"balance_minor": 25000000, "refunded_minor": 0}
    assert refused(payu.refund(tx["orderId"], parent_transaction_id="otra")) == (
        "invalid_parent_transaction", "transaction.parentTransactionId",
    )  # fmt: skip

    refund = payu.refund(tx["orderId"], "Producto devuelto", parent_transaction_id=tx["transactionId"])
    assert refund.status_code == 200, refund.text
    r = refund.json()["transactionResponse"]
    assert (r["state"], r["pendingReason"], r["responseCode"], r["responseMessage"]) == (
        "PENDING", "PENDING_REVIEW", None, str(tx["orderId"]),
    )  # fmt: skip
    assert r["additionalInfo"]["transactionType"] == "REFUND"
    assert payu.order(tx["orderId"])["status"] == "CAPTURED"  # under review: the money has not moved
    assert refused(payu.refund(tx["orderId"])) == ("refund_in_progress", "transaction.order.id")
    confirmations = len(inbox.received)

    fresh_sandbox.client.advance_clock(9 * 60 + 59)
    assert payu.transaction(r["transactionId"])["state"] == "PENDING" and len(inbox.received) == confirmations
    fresh_sandbox.client.advance_clock(1)  # 10 minutes: the refunds job reviews it
    detail = payu.transaction(r["transactionId"])
    assert (detail["state"], detail["responseCode"], detail["pendingReason"]) == ("APPROVED", "APPROVED", None)
    order = payu.order_by_reference("REF-1")[0]
    assert order["status"] == "REFUNDED"
    refund_tx = next(t for t in order["transactions"] if t["type"] == "REFUND")
    assert refund_tx["parentTransactionId"] == tx["transactionId"] and refund_tx["id"] == r["transactionId"]
    assert gateway_state(fresh_sandbox)["balances"]["512321"] == {"balance_minor": 0, "refunded_minor": 25000000}
    refund_conf = inbox.received[-1]
    assert (refund_conf["transaction_type"], refund_conf["state_pol"]) == ("REFUND", "4")
    assert refund_conf["parent_transaction_id"] == tx["transactionId"]
    assert refund_conf["transaction_id"] == r["transactionId"] and inbox.valid(refund_conf)

    assert refused(payu.refund(tx["orderId"])) == ("already_refunded", "transaction.order.id")
    fresh_sandbox.client.advance_clock(3600)
    assert gateway_state(fresh_sandbox)["balances"]["512321"]["refunded_minor"] == 25000000
    assert len(inbox.received) == confirmations + 1


def test_a_refund_the_review_declines_leaves_the_order_captured(
    fresh_sandbox: SandboxHandle, payu: PayuClient, inbox: ConfirmationInbox, bank_1022: BankStandIn
) -> None:
    tx = submit(payu, "REF-2", "250000.00", notify_url=inbox.url)
    bank_1022.confirm(tx["trazabilityCode"], "OK", when=fresh_sandbox.client.now("ach"))
    requests.get(f"{fresh_sandbox.url('gateway')}/pse/retorno/{tx['transactionId']}", timeout=10)
    fresh_sandbox.client.party("gateway").add_rule(
        {"match": {"operation": "gateway.refund"}, "action": {"decline": "NOT_ACCEPTED_TRANSACTION"}, "times": 1}
    )
    r = payu.refund(tx["orderId"]).json()["transactionResponse"]
    assert r["state"] == "PENDING"
    fresh_sandbox.client.advance_clock(600)
    assert payu.transaction(r["transactionId"])["state"] == "DECLINED"
    assert payu.order(tx["orderId"])["status"] == "CAPTURED"
    assert [(f["transaction_type"], f["state_pol"]) for f in inbox.received][-1] == ("REFUND", "6")
    assert gateway_state(fresh_sandbox)["balances"]["512321"]["balance_minor"] == 25000000
    again = payu.refund(tx["orderId"]).json()["transactionResponse"]  # a new request may follow
    fresh_sandbox.client.advance_clock(600)
    assert payu.transaction(again["transactionId"])["state"] == "APPROVED"
