"""The gateway against PayU Latam's documented examples (issue 17, item 6): each documented
request runs unchanged, and each answer has the documented response's shape — the same keys at
every level, the same JSON types (epoch-millisecond dates, numeric amounts), PayU's codes.

Every call goes through :func:`sdk_call`, which reads an answer the way PayU's client libraries
do (PHP SDK ``ApiServiceUtil::sendRequest``, Java/.NET ``HttpClientHelper``): anything but HTTP
200 is a connection failure, ``code != "SUCCESS"`` is an exception carrying ``error``.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
import requests
import simplejson

from sandbox.protocols.payu.wire import PAYMENTS_PATH, QUERIES_PATH
from sandbox.scripted.browser import BankStandIn
from sandbox.scripted.payu import ConfirmationInbox
from sandbox.testing import SandboxHandle
from tests.integration.gateway import payu_examples as doc

#: Maps whose keys vary with the payment (PayU's ``extraParameters`` and ``additionalValues``).
OPEN_MAPS = frozenset({"extraParameters", "additionalValues"})


class PayuSdkError(Exception):
    """What a PayU SDK raises: ``code`` ERROR (with PayU's ``error``) or a non-200 answer."""


def sdk_call(base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(
        base + path,
        data=simplejson.dumps(body),
        headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"},
        timeout=15,
    )
    if answer.status_code != 200:
        raise PayuSdkError(f"the http response status is not 200: {answer.status_code}")
    assert answer.headers["content-type"].startswith("application/json")
    decoded: dict[str, Any] = simplejson.loads(answer.text, use_decimal=True)
    if decoded.get("code") != "SUCCESS":
        raise PayuSdkError(decoded.get("error"))
    return decoded


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def assert_shape(documented: Any, ours: Any, path: str = "") -> None:
    """``ours`` has ``documented``'s shape (a documented null stands for "may be null")."""
    if documented is None:
        return
    assert kind(ours) in (kind(documented), "null"), f"{path}: {kind(ours)} where PayU sends {kind(documented)}"
    if isinstance(documented, dict) and isinstance(ours, dict):
        name = path.rsplit(".", 1)[-1]
        if name in OPEN_MAPS:
            sample = next(iter(documented.values()), None)
            for key, value in ours.items():
                assert_shape(sample, value, f"{path}.{key}")
            return
        assert set(ours) == set(documented), (
            f"{path or 'answer'}: keys {sorted(set(ours) - set(documented))} are not PayU's, "
            f"{sorted(set(documented) - set(ours))} are missing"
        )
        for key, value in documented.items():
            assert_shape(value, ours[key], f"{path}.{key}" if path else key)
    if isinstance(documented, list) and isinstance(ours, list) and documented:
        for n, item in enumerate(ours):
            assert_shape(documented[0], item, f"{path}[{n}]")


@pytest.fixture
def gateway(fresh_sandbox: SandboxHandle) -> str:
    return fresh_sandbox.url("gateway")


def pse_request(notify_url: str) -> dict[str, Any]:
    body = copy.deepcopy(doc.PSE_REQUEST)
    body["transaction"]["order"]["notifyUrl"] = notify_url  # the only change: nothing leaves the machine
    return body


def test_ping_answers_exactly_the_documented_body(gateway: str) -> None:
    assert sdk_call(gateway, PAYMENTS_PATH, doc.PING_REQUEST) == doc.PING_RESPONSE
    assert sdk_call(gateway, QUERIES_PATH, doc.PING_REQUEST) == {"code": "SUCCESS", "error": None, "result": None}


def test_get_payment_methods_lists_pse(gateway: str) -> None:
    answer = sdk_call(gateway, PAYMENTS_PATH, doc.GET_PAYMENT_METHODS_REQUEST)
    assert_shape(doc.GET_PAYMENT_METHODS_RESPONSE, answer)
    assert answer["paymentMethods"] == [
        {"id": "25", "description": "PSE", "country": "CO", "enabled": True, "reason": None}
    ]


def test_get_banks_list_starts_with_pses_placeholder(gateway: str) -> None:
    answer = sdk_call(gateway, PAYMENTS_PATH, doc.GET_BANKS_LIST_REQUEST)
    assert_shape(doc.GET_BANKS_LIST_RESPONSE, answer)
    banks = answer["banks"]
    assert (banks[0]["description"], banks[0]["pseCode"]) == ("A continuación seleccione su banco", "0")
    assert {"1022", "1066"} <= {b["pseCode"] for b in banks}


def test_bogus_credentials_are_payus_error_with_http_200(gateway: str) -> None:
    body = {**doc.GET_PAYMENT_METHODS_REQUEST, "merchant": {"apiLogin": "pRRXKOl8ikMmt9u", "apiKey": "bogus"}}
    answer = requests.post(gateway + PAYMENTS_PATH, json=body, timeout=15)
    assert answer.status_code == 200
    assert_shape(doc.BOGUS_CREDENTIALS_RESPONSE, answer.json())
    assert answer.json()["code"] == "ERROR" and answer.json()["error"]
    with pytest.raises(PayuSdkError, match="Credenciales"):
        sdk_call(gateway, PAYMENTS_PATH, body)


def test_a_refund_without_order_is_payus_error(gateway: str) -> None:
    body = copy.deepcopy(doc.REFUND_REQUEST)
    del body["transaction"]["order"]
    answer = requests.post(gateway + PAYMENTS_PATH, json=body, timeout=15)
    assert answer.status_code == 200
    assert_shape(doc.FAILED_REFUND_RESPONSE, answer.json())
    assert "transaction.order" in answer.json()["error"]


def test_a_query_error_is_payus_error_with_a_null_result(gateway: str) -> None:
    answer = requests.post(gateway + QUERIES_PATH, json=doc.ORDER_DETAIL_REQUEST, timeout=15)
    assert answer.status_code == 200
    assert_shape(doc.QUERY_ERROR_RESPONSE, answer.json())
    assert answer.json()["code"] == "ERROR" and answer.json()["result"] is None


def test_the_documented_pse_payment_its_queries_and_its_refund(
    fresh_sandbox: SandboxHandle, gateway: str, inbox: ConfirmationInbox, bank_1022: BankStandIn
) -> None:
    # SUBMIT_TRANSACTION: PayU's PSE example, signature and all.
    submitted = sdk_call(gateway, PAYMENTS_PATH, pse_request(inbox.url))
    assert_shape(doc.PSE_RESPONSE, submitted)
    tx = submitted["transactionResponse"]
    assert (tx["state"], tx["responseCode"], tx["pendingReason"]) == (
        "PENDING", "PENDING_TRANSACTION_CONFIRMATION", "AWAITING_NOTIFICATION",
    )  # fmt: skip
    assert tx["extraParameters"]["BANK_URL"].startswith(fresh_sandbox.url("ach"))
    assert tx["operationDate"] == 1768489200000  # the sandbox clock, 2026-01-15T15:00Z, in ms
    assert tx["paymentNetworkResponseErrorMessage"] is None

    # The payer approves at the bank; the gateway learns it from ACH.
    bank_1022.confirm(tx["trazabilityCode"], "OK", when=fresh_sandbox.client.now("ach"))
    requests.get(f"{gateway}/pse/retorno/{tx['transactionId']}", timeout=10)

    # ORDER_DETAIL, ORDER_DETAIL_BY_REFERENCE_CODE, TRANSACTION_RESPONSE_DETAIL.
    order_request = copy.deepcopy(doc.ORDER_DETAIL_REQUEST)
    order_request["details"]["orderId"] = tx["orderId"]
    order = sdk_call(gateway, QUERIES_PATH, order_request)
    assert_shape(doc.ORDER_DETAIL_RESPONSE, order)
    payload = order["result"]["payload"]
    assert (payload["id"], payload["accountId"], payload["status"]) == (tx["orderId"], 512321, "CAPTURED")
    assert payload["additionalValues"]["TX_VALUE"] == {"value": 65000, "currency": "COP"}
    assert payload["additionalValues"]["TX_TAX"] == {"value": 10378, "currency": "COP"}
    payment = payload["transactions"][0]
    assert (payment["id"], payment["type"], payment["transactionResponse"]["state"]) == (
        tx["transactionId"], "AUTHORIZATION_AND_CAPTURE", "APPROVED",
    )  # fmt: skip
    assert payment["transactionResponse"]["paymentNetworkResponseCode"] == "OK"  # ACH's transactionState

    by_reference = sdk_call(gateway, QUERIES_PATH, doc.ORDER_DETAIL_BY_REFERENCE_CODE_REQUEST)
    assert_shape(doc.ORDER_DETAIL_BY_REFERENCE_CODE_RESPONSE, by_reference)
    assert [o["id"] for o in by_reference["result"]["payload"]] == [tx["orderId"]]

    detail_request = copy.deepcopy(doc.TRANSACTION_RESPONSE_DETAIL_REQUEST)
    detail_request["details"]["transactionId"] = tx["transactionId"]
    detail = sdk_call(gateway, QUERIES_PATH, detail_request)
    assert_shape(doc.TRANSACTION_RESPONSE_DETAIL_RESPONSE, detail)
    assert (detail["result"]["payload"]["state"], detail["result"]["payload"]["responseCode"]) == (
        "APPROVED", "APPROVED",
    )  # fmt: skip

    # REFUND: PayU's example on this order and payment, answered PENDING (under review).
    refund_request = copy.deepcopy(doc.REFUND_REQUEST)
    refund_request["transaction"]["order"]["id"] = str(tx["orderId"])
    refund_request["transaction"]["parentTransactionId"] = tx["transactionId"]
    refund = sdk_call(gateway, PAYMENTS_PATH, refund_request)
    assert_shape(doc.REFUND_RESPONSE, refund)
    r = refund["transactionResponse"]
    assert (r["state"], r["pendingReason"], r["responseCode"], r["responseMessage"]) == (
        "PENDING", "PENDING_REVIEW", None, str(tx["orderId"]),
    )  # fmt: skip
    fresh_sandbox.client.advance_clock(600)  # the review, on the sandbox clock
    after = sdk_call(gateway, QUERIES_PATH, order_request)["result"]["payload"]
    assert after["status"] == "REFUNDED"
    refund_tx = next(t for t in after["transactions"] if t["type"] == "REFUND")
    assert refund_tx["parentTransactionId"] == tx["transactionId"]
    assert refund_tx["transactionResponse"]["state"] == "APPROVED"
    assert [(f["transaction_type"], f["state_pol"]) for f in inbox.received] == [
        ("AUTHORIZATION_AND_CAPTURE", "4"), ("REFUND", "4"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("documented", "ours", "why"),
    [
        (doc.PING_RESPONSE, {**doc.PING_RESPONSE, "message": "x"}, "not PayU's"),
        (doc.PING_RESPONSE, {"code": "SUCCESS", "error": None}, "missing"),
        (doc.PSE_RESPONSE, {**doc.PSE_RESPONSE, "transactionResponse": {
            **doc.PSE_RESPONSE["transactionResponse"], "operationDate": "2021-06-23T13:12:14"}}, "string where"),
        (doc.ORDER_DETAIL_RESPONSE, {**doc.ORDER_DETAIL_RESPONSE, "result": {
            "payload": {**doc.ORDER, "accountId": "512321"}}}, "string where"),
    ],
)  # fmt: skip
def test_the_shape_check_catches_what_payu_would_not_send(documented: Any, ours: dict[str, Any], why: str) -> None:
    with pytest.raises(AssertionError, match=why):
        assert_shape(documented, ours)
