"""JWE bodies with real client-side encryption, and behaviour rules that force ACH's answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from sandbox.protocols.pse import jwe
from sandbox.scripted.pse import BankSideClient, PseClient, example_payment
from sandbox.testing import SandboxHandle

JWE_KEY = "c2FuZGJveC1qd2Uta2V5LWZvci1jb29wLXNhbmRib3g"
Info = Callable[[str], dict[str, Any]]


@pytest.fixture
def cifrado(fresh_sandbox: SandboxHandle) -> PseClient:
    return PseClient(fresh_sandbox.url("ach"), "cifrado-pse", "cifrado-secret-51aa", jwe_key=JWE_KEY)


def test_jwe_round_trip_create_and_query(fresh_sandbox: SandboxHandle, cifrado: PseClient) -> None:
    created = cifrado.create(example_payment("10003", "1007", "42000.00", ticket_id=9, service_code="3001"))
    assert created.content_type.startswith("application/jose"), "the answer is encrypted"
    assert created.code == "SUCCESS", created.body
    cus = created.body["trazabilityCode"]
    queried = cifrado.query("10003", cus)
    assert (queried.code, queried.body["transactionValue"]) == ("SUCCESS", "42000.00")
    banks = cifrado.bank_list("10003")
    assert isinstance(banks.body, list) and banks.content_type.startswith("application/jose")


def test_jwe_answer_is_opaque_without_the_key(fresh_sandbox: SandboxHandle, cifrado: PseClient) -> None:
    token = jwe.encrypt(json.dumps({"entityCode": "10003"}).encode(), JWE_KEY)
    response = requests.post(
        f"{fresh_sandbox.url('ach')}/psewebapinf/api/GetBankListNF",
        params={"apikey": "cifrado-pse"},
        data=json.dumps(token),  # a JSON string holding the token is accepted too
        headers={"Authorization": f"Bearer {cifrado.token()}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200
    assert "BANCO" not in response.text
    assert json.loads(jwe.decrypt(response.text, JWE_KEY))[0]["financialInstitutionCode"]


def test_jwe_refusals_are_encrypted_too(cifrado: PseClient) -> None:
    answer = cifrado.create(example_payment("10003", "1101", "1000.00", ticket_id=10, service_code="3001"))
    assert answer.content_type.startswith("application/jose")
    assert answer.code == "FAIL_BANKUNREACHEABLE"


def _raw(sandbox: SandboxHandle, client_id: str, token: str, data: bytes) -> requests.Response:
    return requests.post(
        f"{sandbox.url('ach')}/psewebapinf/api/GetTransactionInformationNF",
        params={"apikey": client_id},
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": jwe.CONTENT_TYPE},
        timeout=10,
    )


def test_plain_json_or_a_wrong_key_is_refused_for_a_jwe_entity(
    fresh_sandbox: SandboxHandle, cifrado: PseClient
) -> None:
    token = cifrado.token()
    plain = _raw(fresh_sandbox, "cifrado-pse", token, b'{"entityCode": "10003", "trazabilityCode": "1"}')
    wrong = _raw(fresh_sandbox, "cifrado-pse", token, jwe.encrypt(b"{}", "eHh4" * 10 + "eHg").encode())
    for response in (plain, wrong):
        assert response.status_code == 400
        assert response.json()["returnCode"] == "FAIL_INVALIDPARAMETERS"
        assert response.json()["field"] == "body"


def test_jwe_to_an_entity_without_a_key_is_refused(fresh_sandbox: SandboxHandle, pse: PseClient) -> None:
    response = _raw(fresh_sandbox, "tornillo-pse", pse.token(), jwe.encrypt(b"{}", JWE_KEY).encode())
    assert response.status_code == 400
    assert "JWE" in response.json()["errorDetails"]


# -- behaviour rules ---------------------------------------------------------------------------------------
def test_rule_forces_a_create_code_by_amount(fresh_sandbox: SandboxHandle, pse: PseClient) -> None:
    fresh_sandbox.client.party("ach").add_rule(
        {"match": {"operation": "ach.create", "amount": {"min": "1000000.00"}}, "action": {"decline": "FAIL_RISK"}}
    )
    big = pse.create(example_payment("10002", "1022", "1000000.00", ticket_id=1))
    assert (big.status, big.code) == (200, "FAIL_RISK")
    small = pse.create(example_payment("10002", "1022", "999999.99", ticket_id=2))
    assert small.code == "SUCCESS"


def test_rule_with_a_code_this_operation_cannot_answer(fresh_sandbox: SandboxHandle, pse: PseClient) -> None:
    fresh_sandbox.client.party("ach").add_rule(
        {"match": {"operation": "ach.create"}, "action": {"decline": "FAIL_BANKUNREACHABLE"}}
    )
    answer = pse.create(example_payment("10002", "1022", "1000.00", ticket_id=3))
    assert answer.code == "FAIL_GENERICERROR"
    assert "FAIL_BANKUNREACHABLE" in answer.body["errorDetails"]


def test_rule_makes_the_query_lag_once(
    fresh_sandbox: SandboxHandle, pse: PseClient, bank_1022: BankSideClient, new_payment: Any, info: Info
) -> None:
    cus, _ = new_payment()
    bank_1022.confirm(cus, info(cus), "OK")
    fresh_sandbox.client.party("ach").add_rule(
        {"match": {"operation": "ach.query", "fields": {"trazabilityCode": cus}}, "action": {"pending": True},
         "times": 1}
    )  # fmt: skip
    lagging = pse.query("10002", cus).body
    assert (lagging["transactionState"], lagging["authorizationID"]) == ("PENDING", None)
    assert info(cus)["transactionState"] == "OK"


def test_rule_error_answers_an_http_error(fresh_sandbox: SandboxHandle, pse: PseClient, new_payment: Any) -> None:
    cus, _ = new_payment()
    fresh_sandbox.client.party("ach").add_rule(
        {"match": {"operation": "ach.query"}, "action": {"error": {"status": 503, "code": "ach_down"}}}
    )
    answer = pse.query("10002", cus)
    assert answer.status == 503 and answer.body["error"] == "ach_down"


def test_rule_refuses_a_bank_confirmation(
    fresh_sandbox: SandboxHandle, bank_1022: BankSideClient, new_payment: Any, info: Info
) -> None:
    cus, _ = new_payment()
    fresh_sandbox.client.party("ach").add_rule(
        {"match": {"operation": "ach.confirm", "fields": {"transactionState": "OK"}},
         "action": {"decline": "FAIL_GENERICERROR", "message": "ACH en mantenimiento"}}
    )  # fmt: skip
    answer = bank_1022.confirm(cus, info(cus), "OK")
    assert (answer.code, answer.body["errorDetails"]) == ("FAIL_GENERICERROR", "ACH en mantenimiento")
    assert info(cus)["transactionState"] == "PENDING"


def test_rules_name_unknown_fields(fresh_sandbox: SandboxHandle) -> None:
    response = requests.post(
        f"{fresh_sandbox.url('ach')}/_sandbox/rules",
        json={"match": {"operation": "ach.create", "fields": {"monto": "1"}}, "action": {"decline": "FAIL_RISK"}},
        timeout=10,
    )
    assert response.status_code == 422
    assert response.json()["error"] == "unknown_field"
