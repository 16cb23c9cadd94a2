"""ACH's PSE NF API over real HTTP: token, every FAIL_* path, double payment, query, finalize."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import requests

from sandbox.scripted.pse import PseClient, example_payment
from sandbox.testing import SandboxHandle

ACCESS_DENIED = "FAIL_ACCESSDENIED"
DELETE = object()


def _token(base: str, **kwargs: Any) -> requests.Response:
    return requests.post(f"{base}/oauth/client_credential/accesstoken", timeout=10, **kwargs)


# -- OAuth token -----------------------------------------------------------------------------------
def test_token_with_basic_auth_is_apigee_shaped(fresh_sandbox: SandboxHandle) -> None:
    response = _token(
        fresh_sandbox.url("ach"),
        params={"grant_type": "client_credentials"},
        auth=("tornillo-pse", "tornillo-secret-8d2b"),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "BearerToken"
    assert body["expires_in"] == "3599"
    assert body["client_id"] == "tornillo-pse"
    assert body["status"] == "approved"
    assert len(body["access_token"]) >= 20
    assert response.headers["cache-control"] == "no-store"


def test_token_with_form_fields(fresh_sandbox: SandboxHandle) -> None:
    response = _token(
        fresh_sandbox.url("ach"),
        data={
            "grant_type": "client_credentials",
            "client_id": "zonapagos-sandbox",
            "client_secret": "zp-secret-2f9c1e7a",
        },
    )
    assert response.status_code == 200
    assert response.json()["application_name"] == "ZONA PAGOS SANDBOX"


@pytest.mark.parametrize(
    ("kwargs", "status", "error", "field"),
    [
        ({"params": {"grant_type": "client_credentials"}, "auth": ("tornillo-pse", "wrong")}, 401, "invalid_client",
         "client_id"),
        ({"params": {"grant_type": "client_credentials"}, "auth": ("nobody", "x")}, 401, "invalid_client", "client_id"),
        ({"params": {"grant_type": "client_credentials"}}, 401, "invalid_client", "client_id"),
        ({"params": {"grant_type": "password"}, "auth": ("tornillo-pse", "tornillo-secret-8d2b")}, 400,
         "unsupported_grant_type", "grant_type"),
        ({"auth": ("tornillo-pse", "tornillo-secret-8d2b")}, 400, "unsupported_grant_type", "grant_type"),
    ],
)  # fmt: skip
def test_token_refusals(
    fresh_sandbox: SandboxHandle, kwargs: dict[str, Any], status: int, error: str, field: str
) -> None:
    response = _token(fresh_sandbox.url("ach"), **kwargs)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["field"] == field
    assert body["error_description"]


# -- access to the methods ------------------------------------------------------------------------
def test_missing_bearer_is_access_denied(fresh_sandbox: SandboxHandle) -> None:
    response = requests.post(
        f"{fresh_sandbox.url('ach')}/psewebapinf/api/GetBankListNF",
        params={"apikey": "tornillo-pse"},
        json={"entityCode": "10002"},
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["returnCode"] == ACCESS_DENIED
    assert response.json()["field"] == "Authorization"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_unknown_token_and_wrong_apikey_are_access_denied(pse: PseClient) -> None:
    answer = pse.call("GetBankListNF", {"entityCode": "10002"}, token="not-a-token")
    assert (answer.status, answer.code, answer.body["field"]) == (401, ACCESS_DENIED, "Authorization")
    answer = pse.call("GetBankListNF", {"entityCode": "10002"}, apikey="zonapagos-sandbox")
    assert (answer.status, answer.code, answer.body["field"]) == (401, ACCESS_DENIED, "apikey")


def test_expired_token_is_access_denied_and_a_new_one_works(fresh_sandbox: SandboxHandle, pse: PseClient) -> None:
    token = pse.token()
    assert pse.bank_list("10002").status == 200
    fresh_sandbox.client.advance_clock(3599)
    assert pse.bank_list("10002").status == 200, "still valid one second before expiry"
    fresh_sandbox.client.advance_clock(1)
    answer = pse.call("GetBankListNF", {"entityCode": "10002"}, token=token)
    assert (answer.status, answer.code) == (401, ACCESS_DENIED)
    assert "venció" in answer.body["errorDetails"]
    pse.token(force=True)
    assert pse.bank_list("10002").status == 200


def test_an_entity_acts_only_on_its_own_entity_code(pse: PseClient, new_payment: Callable[..., Any]) -> None:
    cus, _ = new_payment()
    for answer in (
        pse.bank_list("10001"),
        pse.query("10001", cus),
        pse.finalize("10001", cus, "X-1"),
        pse.create(example_payment("10001", "1022", "1000.00", ticket_id=5, service_code="1001")),
    ):
        assert (answer.status, answer.code, answer.body["field"]) == (401, ACCESS_DENIED, "entityCode"), answer.body


def test_unknown_method_names_the_method(pse: PseClient) -> None:
    answer = pse.call("PayEverythingNF", {})
    assert answer.status == 404
    assert answer.body["field"] == "method"
    assert "GetBankListNF" in answer.body["errorDetails"]


def test_method_names_are_case_insensitive(pse: PseClient) -> None:
    assert pse.call("getbanklistnf", {"entityCode": "10002"}).status == 200


# -- bank list ---------------------------------------------------------------------------------------
def test_bank_list_is_enabled_banks_sorted_a_to_z(pse: PseClient) -> None:
    answer = pse.bank_list("10002")
    assert answer.status == 200
    assert isinstance(answer.body, list)
    names = [b["financialInstitutionName"] for b in answer.body]
    assert names == sorted(names)
    codes = [b["financialInstitutionCode"] for b in answer.body]
    assert "1009" not in codes, "a disabled bank is left out"
    assert {"1022", "1007", "1051", "1066", "1101"} <= set(codes)
    assert set(answer.body[0]) == {"financialInstitutionCode", "financialInstitutionName"}


def test_bank_list_accepts_an_empty_body(pse: PseClient, fresh_sandbox: SandboxHandle) -> None:
    response = requests.post(
        f"{fresh_sandbox.url('ach')}/psewebapinf/api/GetBankListNF",
        params={"apikey": "tornillo-pse"},
        headers={"Authorization": f"Bearer {pse.token()}"},
        timeout=10,
    )
    assert response.status_code == 200 and len(response.json()) >= 5


# -- create ---------------------------------------------------------------------------------------------
def test_create_answers_cus_portal_url_and_cycle(
    fresh_sandbox: SandboxHandle, new_payment: Callable[..., Any], info: Callable[[str], dict[str, Any]]
) -> None:
    cus, answer = new_payment("150000.00", ticket_id=424242, vatValue="12000.00")
    body = answer.body
    assert set(body) >= {"returnCode", "errorDetails", "trazabilityCode", "pseURL", "transactionCycle"}
    assert cus.isdigit()
    assert body["pseURL"].startswith(fresh_sandbox.url("ach") + "/pse/pago?enc=")
    assert body["transactionCycle"] == 3  # Thursday 10:00 in Bogotá
    got = info(cus)
    assert got["transactionState"] == "PENDING"
    assert got["ticketId"] == 424242
    assert got["transactionValue"] == "150000.00"
    assert got["vatValue"] == "12000.00"
    assert got["financialInstitutionCode"] == "1022"
    assert got["serviceCode"] == "2001"
    assert got["soliciteDate"] == "2026-01-15T10:00:00-05:00"
    assert got["bankProcessDate"] is None and got["authorizationID"] is None
    assert got["transactionCycle"] == 3
    assert (got["referenceNumber1"], got["referenceNumber2"], got["referenceNumber3"]) == (
        "127.0.0.1", "CC", "1020304050",
    )  # fmt: skip


def test_create_accepts_json_numbers_as_decimals(new_payment: Callable[..., Any], info: Callable[..., Any]) -> None:
    cus, _ = new_payment("0", transactionValue=20000.5, vatValue=0, ticket_id="987")
    got = info(cus)
    assert (got["transactionValue"], got["vatValue"], got["ticketId"]) == ("20000.50", "0.00", 987)


def test_empty_optional_fields_are_not_given(new_payment: Callable[..., Any]) -> None:
    cus, _ = new_payment(cellphoneNumber="", address="", referenceNumber3="")
    assert cus


CREATE_FAILURES: list[tuple[str, dict[str, Any], int, str, str]] = [
    ("unknown entity", {"entityCode": "99999"}, 200, "FAIL_ENTITYNOTEXISTSORDISABLED", "entityCode"),
    ("unknown bank", {"financialInstitutionCode": "9999"}, 200, "FAIL_BANKNOTEXISTSORDISABLED",
     "financialInstitutionCode"),
    ("disabled bank", {"financialInstitutionCode": "1009"}, 200, "FAIL_BANKNOTEXISTSORDISABLED",
     "financialInstitutionCode"),
    ("unreachable bank", {"financialInstitutionCode": "1101"}, 200, "FAIL_BANKUNREACHEABLE",
     "financialInstitutionCode"),
    ("service of another entity", {"serviceCode": "1001"}, 200, "FAIL_SERVICENOTEXISTS", "serviceCode"),
    ("service code too long", {"serviceCode": "12345678901"}, 400, "FAIL_INVALIDPARAMETERS", "serviceCode"),
    ("zero amount", {"transactionValue": "0"}, 400, "FAIL_INVALIDAMOUNT", "transactionValue"),
    ("negative amount", {"transactionValue": "-5.00"}, 400, "FAIL_INVALIDAMOUNT", "transactionValue"),
    ("three decimals", {"transactionValue": "10.001"}, 400, "FAIL_INVALIDAMOUNT", "transactionValue"),
    ("not a number", {"transactionValue": "mucho"}, 400, "FAIL_INVALIDAMOUNT", "transactionValue"),
    ("missing amount", {"transactionValue": DELETE}, 400, "FAIL_INVALIDAMOUNT", "transactionValue"),
    ("VAT above the value", {"vatValue": "200000.00"}, 400, "FAIL_INVALIDAMOUNT", "vatValue"),
    ("UTC date", {"soliciteDate": "2026-01-15T15:00:00+00:00"}, 400, "FAIL_INVALIDSOLICITDATE", "soliciteDate"),
    ("naive date", {"soliciteDate": "2026-01-15T10:00:00"}, 400, "FAIL_INVALIDSOLICITDATE", "soliciteDate"),
    ("future date", {"soliciteDate": "2026-01-15T11:00:00-05:00"}, 400, "FAIL_INVALIDSOLICITDATE", "soliciteDate"),
    ("old date", {"soliciteDate": "2026-01-13T10:00:00-05:00"}, 400, "FAIL_INVALIDSOLICITDATE", "soliciteDate"),
    ("not a date", {"soliciteDate": "mañana"}, 400, "FAIL_INVALIDSOLICITDATE", "soliciteDate"),
    ("empty description", {"paymentDescription": "  "}, 400, "FAIL_DESCRIPTIONNOTFOUND", "paymentDescription"),
    ("no description", {"paymentDescription": DELETE}, 400, "FAIL_DESCRIPTIONNOTFOUND", "paymentDescription"),
    ("quote in description", {"paymentDescription": 'Pago "urgente"'}, 400, "FAIL_INVALIDPARAMETERS",
     "paymentDescription"),
    ("pipe in reference", {"referenceNumber2": "CC|1"}, 400, "FAIL_INVALIDPARAMETERS", "referenceNumber2"),
    ("company without NIT", {"userType": "company"}, 400, "FAIL_INVALIDPARAMETERS", "identificationType"),
    ("person with NIT", {"identificationType": "NIT", "identificationNumber": "900123456"}, 400,
     "FAIL_INVALIDPARAMETERS", "identificationType"),
    ("short cédula", {"identificationNumber": "123"}, 400, "FAIL_INVALIDPARAMETERS", "identificationNumber"),
    ("unknown document type", {"identificationType": "XX"}, 400, "FAIL_INVALIDPARAMETERS", "identificationType"),
    ("user type", {"userType": "alien"}, 400, "FAIL_INVALIDPARAMETERS", "userType"),
    ("ticket not a number", {"ticketId": "T-1"}, 400, "FAIL_INVALIDPARAMETERS", "ticketId"),
    ("return URL", {"entityurl": "javascript:alert(1)"}, 400, "FAIL_INVALIDPARAMETERS", "entityurl"),
    ("e-mail", {"email": "sin-arroba"}, 400, "FAIL_INVALIDPARAMETERS", "email"),
    ("mobile", {"cellphoneNumber": "12345"}, 400, "FAIL_INVALIDPARAMETERS", "cellphoneNumber"),
    ("missing bank", {"financialInstitutionCode": DELETE}, 400, "FAIL_INVALIDPARAMETERS",
     "financialInstitutionCode"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "overrides", "status", "code", "field"), CREATE_FAILURES, ids=[c[0] for c in CREATE_FAILURES]
)
def test_create_refusals(
    pse: PseClient, case: str, overrides: dict[str, Any], status: int, code: str, field: str
) -> None:
    body = example_payment("10002", "1022", "150000.00", ticket_id=31337)
    for key, value in overrides.items():
        if value is DELETE:
            body.pop(key)
        else:
            body[key] = value
    answer = pse.create(body)
    assert (answer.status, answer.code, answer.body["field"]) == (status, code, field), answer.body
    assert answer.body["errorDetails"], "the refusal explains itself"
    assert answer.body["trazabilityCode"] is None and answer.body["pseURL"] is None
    if status == 400:
        assert field in answer.body["errorDetails"], "bad input names the field"


def test_company_with_nit_is_accepted(new_payment: Callable[..., Any]) -> None:
    cus, _ = new_payment(userType="company", identificationType="NIT", identificationNumber="900999000")
    assert cus


def test_disabled_entity_gets_a_token_but_cannot_collect(fresh_sandbox: SandboxHandle) -> None:
    suspended = PseClient(fresh_sandbox.url("ach"), "suspendido-pse", "suspendido-secret-77c0")
    answer = suspended.create(example_payment("10004", "1022", "1000.00", ticket_id=1, service_code="4001"))
    assert (answer.status, answer.code, answer.body["field"]) == (200, "FAIL_ENTITYNOTEXISTSORDISABLED", "entityCode")


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [(b"{not json", "application/json"), (b"[1, 2]", "application/json"), (b'"texto"', "application/json")],
)
def test_malformed_bodies_are_invalid_parameters(pse: PseClient, fresh_sandbox: SandboxHandle, raw: bytes,
                                                 content_type: str) -> None:  # fmt: skip
    response = requests.post(
        f"{fresh_sandbox.url('ach')}/psewebapinf/api/CreateTransactionPaymentNF",
        params={"apikey": "tornillo-pse"},
        data=raw,
        headers={"Authorization": f"Bearer {pse.token()}", "Content-Type": content_type},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["returnCode"] == "FAIL_INVALIDPARAMETERS"
    assert response.json()["field"] == "body"


# -- double payment control -------------------------------------------------------------------------
def test_a_ticket_pending_or_ok_cannot_be_paid_again(
    fresh_sandbox: SandboxHandle, pse: PseClient, bank_1022: Any, info: Callable[[str], dict[str, Any]]
) -> None:
    first = pse.create(example_payment("10002", "1022", "5000.00", ticket_id=777))
    assert first.code == "SUCCESS"
    cus = first.body["trazabilityCode"]
    again = pse.create(example_payment("10002", "1022", "5000.00", ticket_id=777))
    assert (again.code, again.body["field"]) == ("FAIL_TRANSACTIONNOTALLOWED", "ticketId")
    assert cus in again.body["errorDetails"]
    # The same ticket number of another entity is another payment.
    zona = PseClient(fresh_sandbox.url("ach"), "zonapagos-sandbox", "zp-secret-2f9c1e7a")
    assert (
        zona.create(example_payment("10001", "1022", "5000.00", ticket_id=777, service_code="1001")).code == "SUCCESS"
    )
    # Declined by the bank: the ticket may be paid again.
    assert bank_1022.confirm(cus, info(cus), "NOT_AUTHORIZED").code == "SUCCESS"
    retry = pse.create(example_payment("10002", "1022", "5000.00", ticket_id=777))
    assert retry.code == "SUCCESS"
    # Paid (OK): never again.
    cus2 = retry.body["trazabilityCode"]
    assert bank_1022.confirm(cus2, info(cus2), "OK").code == "SUCCESS"
    assert pse.create(example_payment("10002", "1022", "5000.00", ticket_id=777)).code == "FAIL_TRANSACTIONNOTALLOWED"


# -- query and finalize --------------------------------------------------------------------------------
def test_query_of_unknown_or_foreign_cus(fresh_sandbox: SandboxHandle, pse: PseClient, new_payment: Any) -> None:
    answer = pse.query("10002", "123")
    assert (answer.status, answer.code, answer.body["field"]) == (200, "FAIL_INVALIDTRAZABILITYCODE", "trazabilityCode")
    cus, _ = new_payment()
    zona = PseClient(fresh_sandbox.url("ach"), "zonapagos-sandbox", "zp-secret-2f9c1e7a")
    assert zona.query("10001", cus).code == "FAIL_INVALIDTRAZABILITYCODE", "another entity's CUS is not revealed"
    bad = pse.query("10002", "CUS-12")
    assert (bad.status, bad.code, bad.body["field"]) == (400, "FAIL_INVALIDPARAMETERS", "trazabilityCode")


def test_finalize_only_after_a_final_state_and_once(
    pse: PseClient, bank_1022: Any, new_payment: Any, info: Callable[[str], dict[str, Any]]
) -> None:
    cus, _ = new_payment()
    early = pse.finalize("10002", cus, "PED-1")
    assert (early.code, early.body["field"]) == ("FAIL_INVALIDSTATE", "trazabilityCode")
    assert bank_1022.confirm(cus, info(cus), "OK").code == "SUCCESS"
    done = pse.finalize("10002", cus, "PED-1")
    assert (done.code, done.body["transactionState"]) == ("SUCCESS", "OK")
    assert pse.finalize("10002", cus, "PED-1").code == "SUCCESS", "the same finalize again is a replay"
    other = pse.finalize("10002", cus, "PED-2")
    assert (other.code, other.body["field"]) == ("FAIL_INVALIDSTATE", "entityAuthorizationId")
    assert pse.finalize("10002", "999", "PED-1").code == "FAIL_INVALIDTRAZABILITYCODE"
    missing = pse.call("FinalizeTransactionPaymentNF", {"entityCode": "10002", "trazabilityCode": cus})
    assert (missing.status, missing.code, missing.body["field"]) == (
        400,
        "FAIL_INVALIDPARAMETERS",
        "entityAuthorizationId",
    )


# -- cycles ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("moment", "cycle"),
    [("2026-01-15T07:59:00-05:00", 1), ("2026-01-15T08:00:00-05:00", 2), ("2026-01-15T21:30:00-05:00", 8),
     ("2026-01-17T12:00:00-05:00", 1)],
)  # fmt: skip
def test_transaction_cycle_follows_the_sandbox_clock(
    fresh_sandbox: SandboxHandle, pse: PseClient, moment: str, cycle: int
) -> None:
    at = datetime.fromisoformat(moment)
    fresh_sandbox.set_clock(at)
    answer = pse.create(example_payment("10002", "1022", "1000.00", ticket_id=42, solicited=at))
    assert answer.code == "SUCCESS", answer.body
    assert answer.body["transactionCycle"] == cycle


# -- secrets stay out of the journal (NET-05) -----------------------------------------------------------
def test_journal_never_shows_the_client_secret_or_the_token(fresh_sandbox: SandboxHandle, pse: PseClient) -> None:
    requests.post(
        f"{fresh_sandbox.url('ach')}/oauth/client_credential/accesstoken",
        data={"grant_type": "client_credentials", "client_id": "tornillo-pse", "client_secret": "tornillo-secret-8d2b"},
        timeout=10,
    )
    token = pse.token()
    pse.bank_list("10002")
    text = json.dumps(fresh_sandbox.client.party("ach").journal(limit=50))
    assert "oauth/client_credential/accesstoken" in text
    assert "tornillo-secret-8d2b" not in text
    assert token not in text
