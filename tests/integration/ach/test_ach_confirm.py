"""The banks' side of ACH: authentication, ConfirmTransactionPayment misuse, timeouts, receipts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from sandbox.scripted.pse import BankSideClient, PayerBrowser, PseClient
from sandbox.testing import SandboxHandle

Info = Callable[[str], dict[str, Any]]


def test_bank_side_needs_the_bank_credential(fresh_sandbox: SandboxHandle, new_payment: Any, info: Info) -> None:
    cus, _ = new_payment()
    base = fresh_sandbox.url("ach")
    for auth in (None, ("1022", "wrong-secret"), ("9999", "x"), ("1066", "bank-1022-ach-7f3a")):
        response = requests.post(
            f"{base}/psebancos/api/GetTransactionInformation",
            json={"trazabilityCode": cus, "financialInstitutionCode": "1022"},
            auth=auth,
            timeout=10,
        )
        assert response.status_code == 401, auth
        assert response.json()["returnCode"] == "FAIL_ACCESSDENIED"
    bearer = requests.post(
        f"{base}/psebancos/api/ConfirmTransactionPayment",
        json={},
        headers={"Authorization": "Bearer something"},
        timeout=10,
    )
    assert bearer.status_code == 401, "an entity's token is not a bank credential"


def test_a_bank_sees_only_its_own_transactions(fresh_sandbox: SandboxHandle, new_payment: Any) -> None:
    cus, _ = new_payment(bank="1022")
    bancolombia = BankSideClient(fresh_sandbox.url("ach"), "1007", "bank-1007-ach-2c9d")
    foreign = bancolombia.information(cus)
    assert (foreign.status, foreign.code) == (200, "FAIL_INVALIDTRAZABILITYCODE")
    pretending = bancolombia.call(
        "GetTransactionInformation", {"trazabilityCode": cus, "financialInstitutionCode": "1022"}
    )
    assert (pretending.status, pretending.code, pretending.body["field"]) == (
        401, "FAIL_ACCESSDENIED", "financialInstitutionCode",
    )  # fmt: skip


def test_bank_information_shows_what_the_bank_needs(bank_1022: BankSideClient, new_payment: Any) -> None:
    cus, _ = new_payment("99000.00", paymentDescription="Factura FV-1001")
    answer = bank_1022.information(cus)
    assert answer.code == "SUCCESS"
    body = answer.body
    assert body["entityName"] == "FERRETERIA EL TORNILLO SAS"
    assert body["transactionValue"] == "99000.00"
    assert body["paymentDescription"] == "Factura FV-1001"
    assert body["entityurl"] == "http://127.0.0.1:9/retorno"
    assert body["payerEmail"] == "camila.torres@example.com"
    assert body["transactionState"] == "PENDING"


CONFIRM_MISUSE = [
    ("unknown CUS", {"trazabilityCode": "9"}, 200, "FAIL_INVALIDTRAZABILITYCODE", "trazabilityCode"),
    ("other entity", {"entityCode": "10001"}, 200, "FAIL_INCONSISTENTDATA", "entityCode"),
    ("other ticket", {"ticketId": 1}, 200, "FAIL_INCONSISTENTDATA", "ticketId"),
    ("other request date", {"soliciteDate": "2026-01-15T09:00:00-05:00"}, 200, "FAIL_INCONSISTENTDATA", "soliciteDate"),
    ("other value", {"transactionValue": "149999.99"}, 200, "FAIL_INVALIDAUTHORIZEDAMOUNT", "transactionValue"),
    ("other VAT", {"vatValue": "1.00"}, 200, "FAIL_INVALIDAUTHORIZEDAMOUNT", "vatValue"),
    ("OK without authorization", {"authorizationId": None}, 400, "FAIL_INVALIDPARAMETERS", "authorizationId"),
    ("unknown state", {"transactionState": "APPROVED"}, 400, "FAIL_INVALIDPARAMETERS", "transactionState"),
    ("bad process date", {"bankProcessDate": "ayer"}, 400, "FAIL_INVALIDPARAMETERS", "bankProcessDate"),
    ("bad amount", {"transactionValue": "1.234"}, 400, "FAIL_INVALIDAMOUNT", "transactionValue"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "overrides", "status", "code", "field"), CONFIRM_MISUSE, ids=[c[0] for c in CONFIRM_MISUSE]
)
def test_confirm_misuse(
    bank_1022: BankSideClient, new_payment: Any, info: Info, case: str, overrides: dict[str, Any], status: int,
    code: str, field: str,
) -> None:  # fmt: skip
    cus, _ = new_payment()
    answer = bank_1022.confirm(cus, info(cus), "OK", **overrides)
    assert (answer.status, answer.code, answer.body["field"]) == (status, code, field), answer.body
    assert info(cus)["transactionState"] == "PENDING", "a refused confirmation changes nothing"


def test_confirm_ok_then_replay_then_conflict(bank_1022: BankSideClient, new_payment: Any, info: Info) -> None:
    cus, _ = new_payment()
    data = info(cus)
    ok = bank_1022.confirm(cus, data, "OK", authorizationId="778899", bankProcessDate="2026-01-15T10:03:00-05:00")
    assert (ok.code, ok.body["transactionState"]) == ("SUCCESS", "OK")
    after = info(cus)
    assert after["transactionState"] == "OK"
    assert after["authorizationID"] == "778899"
    assert after["bankProcessDate"] == "2026-01-15T10:03:00-05:00"
    replay = bank_1022.confirm(cus, data, "OK", authorizationId="778899")
    assert replay.code == "SUCCESS", "the same confirmation again is accepted (PSE-12)"
    conflict = bank_1022.confirm(cus, data, "NOT_AUTHORIZED")
    assert (conflict.code, conflict.body["field"]) == ("FAIL_INVALIDSTATE", "transactionState")
    assert info(cus)["transactionState"] == "OK"


def test_abandoned_transaction_fails_after_twenty_minutes_and_refuses_late_confirmations(
    fresh_sandbox: SandboxHandle, bank_1022: BankSideClient, new_payment: Any, info: Info
) -> None:
    cus, _ = new_payment()
    fresh_sandbox.client.advance_clock(19 * 60 + 59)
    assert info(cus)["transactionState"] == "PENDING"
    fresh_sandbox.client.advance_clock(1)
    assert info(cus)["transactionState"] == "FAILED"
    late = bank_1022.confirm(cus, info(cus), "OK")
    assert late.code == "FAIL_INVALIDSTATE"
    receipts = fresh_sandbox.client.notify.messages("camila.torres@example.com", kind="receipt")
    assert len(receipts) == 1 and "Fallida" in receipts[0]["subject"] and cus in receipts[0]["text"]


def test_bank_pending_waits_for_the_bank_beyond_the_abandon_timeout(
    fresh_sandbox: SandboxHandle, bank_1022: BankSideClient, new_payment: Any, info: Info
) -> None:
    cus, _ = new_payment()
    assert bank_1022.confirm(cus, info(cus), "PENDING").code == "SUCCESS"
    assert bank_1022.confirm(cus, info(cus), "PENDING").code == "SUCCESS", "a repeated PENDING is a replay"
    fresh_sandbox.client.advance_clock(3 * 3600)
    assert info(cus)["transactionState"] == "PENDING"
    assert bank_1022.confirm(cus, info(cus), "OK").code == "SUCCESS"
    assert info(cus)["transactionState"] == "OK"


def test_bank_pending_fails_after_a_day_without_result(
    fresh_sandbox: SandboxHandle, bank_1022: BankSideClient, new_payment: Any, info: Info
) -> None:
    cus, _ = new_payment()
    bank_1022.confirm(cus, info(cus), "PENDING")
    fresh_sandbox.client.advance_clock(24 * 3600)
    assert info(cus)["transactionState"] == "FAILED"


def test_receipt_email_goes_once_to_the_pse_registered_email(
    fresh_sandbox: SandboxHandle, pse: PseClient, bank_1022: BankSideClient, new_payment: Any, info: Info
) -> None:
    cus, answer = new_payment("150000.00")
    browser = PayerBrowser()
    went = browser.go_to_bank(answer.body["pseURL"], "nick.rivera@example.com")
    assert went.status_code == 200, went.text
    data = info(cus)
    bank_1022.confirm(cus, data, "OK", authorizationId="556677")
    bank_1022.confirm(cus, data, "OK", authorizationId="556677")
    fresh_sandbox.client.tick_all(["ach"])
    receipts = fresh_sandbox.client.notify.messages("nick.rivera@example.com", kind="receipt")
    assert len(receipts) == 1, "one receipt, whatever the number of confirmations"
    text = receipts[0]["text"]
    for piece in (cus, "$150.000,00", "FERRETERIA EL TORNILLO SAS", "BANCO UNION COLOMBIANO", "Aprobada", "556677"):
        assert piece in text
    assert receipts[0]["from_party"] == "ach"
    assert fresh_sandbox.client.notify.messages("camila.torres@example.com", kind="receipt") == []


def test_receipt_waits_for_notify_and_is_sent_by_the_job(
    fresh_sandbox: SandboxHandle, bank_1022: BankSideClient, new_payment: Any, info: Info
) -> None:
    notify = fresh_sandbox.client.party("notify")
    notify.add_rule({"match": {"operation": "notify.email"}, "action": {"error": {"status": 503}}, "times": 1})
    cus, _ = new_payment()
    assert bank_1022.confirm(cus, info(cus), "NOT_AUTHORIZED").code == "SUCCESS"
    assert fresh_sandbox.client.notify.messages("camila.torres@example.com", kind="receipt") == []
    assert cus in fresh_sandbox.client.party("ach").state()["receipts_due"]
    fresh_sandbox.client.tick_all(["ach"])
    receipts = fresh_sandbox.client.notify.messages("camila.torres@example.com", kind="receipt")
    assert len(receipts) == 1 and "Rechazada" in receipts[0]["subject"]
    state = fresh_sandbox.client.party("ach").state()
    assert state["receipts_due"] == [] and state["receipts_sent"][cus] == "NOT_AUTHORIZED"
