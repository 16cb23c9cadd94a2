"""Validation of ACH requests and the create decision (pure: no HTTP, no clock)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from sandbox.ach.failures import AchFailure, as_return_code
from sandbox.ach.lifecycle import Payer, Transaction
from sandbox.ach.logic import check_create, document_problem, sort_banks
from sandbox.ach.models import (
    ConfirmTransactionPaymentRequest,
    CreateTransactionPaymentRequest,
    parse_json,
    transaction_information,
    validate,
)
from sandbox.ach.receipts import receipt_message
from sandbox.protocols.pse.codes import ReturnCode, TxnState, http_status
from sandbox.world.model import Bank, PseEntity

NOW = datetime.fromisoformat("2026-01-15T10:00:00-05:00")
CALLER = PseEntity(entity_code="10002", name="TORNILLO", nit="900123456", client_id="t", client_secret="s",
                   service_codes=("2001",))  # fmt: skip
BANK = Bank(code="1022", name="BANCO UNION COLOMBIANO")


def body(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "entityCode": "10002", "financialInstitutionCode": "1022", "serviceCode": "2001",
        "transactionValue": "150000.00", "vatValue": "0", "ticketId": 5, "entityurl": "https://m.example/r",
        "userType": "person", "soliciteDate": "2026-01-15T10:00:00-05:00", "paymentDescription": "Factura",
        "identificationType": "CC", "identificationNumber": "1020304050", "fullName": "CAMILA",
        "email": "camila@example.com",
    }  # fmt: skip
    out.update(changes)
    return out


def failure(model: type[Any], data: Any) -> AchFailure:
    with pytest.raises(AchFailure) as err:
        validate(model, data)
    return err.value


def test_amounts_are_centavos_and_json_numbers_are_decimals() -> None:
    raw = json.dumps(body(transactionValue="__V__", vatValue="__W__")).replace('"__V__"', "20000.5")
    data = parse_json(raw.replace('"__W__"', "0.10"))
    assert isinstance(data["transactionValue"], Decimal)
    req = validate(CreateTransactionPaymentRequest, data)
    assert (req.transactionValue, req.vatValue) == (2_000_050, 10)


def test_floats_never_become_amounts() -> None:
    err = failure(CreateTransactionPaymentRequest, body(transactionValue=0.1))
    assert (err.code, err.field) == (ReturnCode.FAIL_INVALIDAMOUNT, "transactionValue")


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"transactionValue": True}, ReturnCode.FAIL_INVALIDAMOUNT, "transactionValue"),
        ({"vatValue": "-1"}, ReturnCode.FAIL_INVALIDAMOUNT, "vatValue"),
        ({"paymentDescription": None}, ReturnCode.FAIL_DESCRIPTIONNOTFOUND, "paymentDescription"),
        ({"paymentDescription": "x" * 81}, ReturnCode.FAIL_INVALIDPARAMETERS, "paymentDescription"),
        ({"fullName": 'Ana "la" Pérez'}, ReturnCode.FAIL_INVALIDPARAMETERS, "fullName"),
        ({"referenceNumber1": "a|b"}, ReturnCode.FAIL_INVALIDPARAMETERS, "referenceNumber1"),
        ({"soliciteDate": 20260115}, ReturnCode.FAIL_INVALIDSOLICITDATE, "soliciteDate"),
        ({"ticketId": 0}, ReturnCode.FAIL_INVALIDPARAMETERS, "ticketId"),
        ({"ticketId": 10**18}, ReturnCode.FAIL_INVALIDPARAMETERS, "ticketId"),
        ({"entityCode": "ABC"}, ReturnCode.FAIL_INVALIDPARAMETERS, "entityCode"),
    ],
)
def test_each_bad_field_gets_its_code_and_is_named(changes: dict[str, Any], code: ReturnCode, field: str) -> None:
    err = failure(CreateTransactionPaymentRequest, body(**changes))
    assert (err.code, err.field) == (code, field)
    assert f"«{field}»" in err.details


def test_unknown_fields_are_ignored_and_blank_optionals_are_none() -> None:
    req = validate(CreateTransactionPaymentRequest, body(somethingNew="x", address="", cellphoneNumber="  "))
    assert req.address is None and req.cellphoneNumber is None


def test_spanish_messages_for_choices() -> None:
    err = failure(CreateTransactionPaymentRequest, body(userType="x"))
    assert "'person' o 'company'" in err.details


def test_confirm_state_must_be_a_pse_state() -> None:
    err = failure(ConfirmTransactionPaymentRequest, {"trazabilityCode": "1", "financialInstitutionCode": "1022",
                  "entityCode": "1", "transactionValue": "1", "ticketId": 1, "bankProcessDate": NOW.isoformat(),
                  "transactionState": "APPROVED"})  # fmt: skip
    assert (err.code, err.field) == (ReturnCode.FAIL_INVALIDPARAMETERS, "transactionState")


def test_malformed_json_names_the_body() -> None:
    with pytest.raises(AchFailure) as err:
        parse_json(b"{nope")
    assert (err.value.code, err.value.field) == (ReturnCode.FAIL_INVALIDPARAMETERS, "body")


# -- the create decision ----------------------------------------------------------------------------
def decide(*, entity: PseEntity | None = CALLER, bank: Bank | None = BANK, open_ticket: Transaction | None = None,
           now: datetime = NOW, **changes: Any) -> None:  # fmt: skip
    req = validate(CreateTransactionPaymentRequest, body(**changes))
    check_create(req, caller=CALLER, entity=entity, bank=bank, open_ticket=open_ticket, now=now)


def code_of(**kwargs: Any) -> tuple[ReturnCode, str | None]:
    with pytest.raises(AchFailure) as err:
        decide(**kwargs)
    return err.value.code, err.value.field


def test_a_valid_request_passes() -> None:
    decide()


def test_the_order_of_checks_puts_bad_input_before_business() -> None:
    # A bad VAT and an unknown bank: the bad input (400) is answered first.
    assert code_of(bank=None, vatValue="200000") == (ReturnCode.FAIL_INVALIDAMOUNT, "vatValue")
    assert code_of(entity=None, bank=None) == (ReturnCode.FAIL_ENTITYNOTEXISTSORDISABLED, "entityCode")
    assert code_of(bank=None, serviceCode="9") == (ReturnCode.FAIL_SERVICENOTEXISTS, "serviceCode")


def test_entity_checks() -> None:
    other = CALLER.model_copy(update={"entity_code": "10001"})
    assert code_of(entity=other, entityCode="10001") == (ReturnCode.FAIL_ACCESSDENIED, "entityCode")
    disabled = CALLER.model_copy(update={"enabled": False})
    assert code_of(entity=disabled) == (ReturnCode.FAIL_ENTITYNOTEXISTSORDISABLED, "entityCode")


def test_bank_checks() -> None:
    assert code_of(bank=BANK.model_copy(update={"enabled": False}))[0] is ReturnCode.FAIL_BANKNOTEXISTSORDISABLED
    assert code_of(bank=BANK.model_copy(update={"behaviour": "unreachable"}))[0] is ReturnCode.FAIL_BANKUNREACHEABLE


@pytest.mark.parametrize(
    ("solicited", "ok"),
    [("2026-01-15T10:10:00-05:00", True), ("2026-01-15T10:10:01-05:00", False), ("2026-01-14T10:00:00-05:00", True),
     ("2026-01-14T09:59:59-05:00", False), ("2026-01-15T15:00:00+00:00", False)],
)  # fmt: skip
def test_solicit_date_window(solicited: str, ok: bool) -> None:
    if ok:
        decide(soliciteDate=solicited)
    else:
        assert code_of(soliciteDate=solicited) == (ReturnCode.FAIL_INVALIDSOLICITDATE, "soliciteDate")


def _transaction(state: TxnState) -> Transaction:
    return Transaction(
        trazability_code="1", entity_code="10002", financial_institution_code="1022", service_code="2001",
        value_minor=1, vat_minor=0, ticket_id=5, entity_url="http://x", user_type="person",
        references=(None, None, None), solicite_date=NOW, payment_description="F",
        payer=Payer("CC", "1020304050", "C", "c@example.com"), created_at=NOW, cycle=3,
        cycle_date=date(2026, 1, 15), portal_token="p", state=state,
    )  # fmt: skip


@pytest.mark.parametrize("state", [TxnState.PENDING, TxnState.OK])
def test_double_payment_control(state: TxnState) -> None:
    assert code_of(open_ticket=_transaction(state)) == (ReturnCode.FAIL_TRANSACTIONNOTALLOWED, "ticketId")


@pytest.mark.parametrize(
    ("doc_type", "number", "ok"),
    [("CC", "1033370434", True), ("CC", "12345", False), ("CE", "987654", True), ("NIT", "900123456", True),
     ("NIT", "90012", False), ("PP", "AB12345", True), ("PP", "AB-1", False), ("TI", "1234567890", True),
     ("XX", "1", False)],
)  # fmt: skip
def test_document_rules(doc_type: str, number: str, ok: bool) -> None:
    assert (document_problem(doc_type, number) is None) is ok


def test_bank_list_sorting_ignores_accents_and_leaves_out_disabled() -> None:
    banks = [Bank(code="1", name="BANCOLOMBIA"), Bank(code="2", name="ÁGUILA BANCO"), Bank(code="3", name="BANCO Z"),
             Bank(code="4", name="APAGADO", enabled=False)]  # fmt: skip
    assert [b.code for b in sort_banks(banks)] == ["2", "3", "1"]


def test_http_status_by_kind_of_code() -> None:
    assert http_status(ReturnCode.SUCCESS) == 200
    assert http_status(ReturnCode.FAIL_INVALIDPARAMETERS) == 400
    assert http_status(ReturnCode.FAIL_DESCRIPTIONNOTFOUND) == 400
    assert http_status(ReturnCode.FAIL_ACCESSDENIED) == 401
    assert http_status(ReturnCode.FAIL_BANKUNREACHEABLE) == 200


def test_rule_decline_codes_are_checked_per_operation() -> None:
    allowed = frozenset({ReturnCode.FAIL_RISK})
    assert as_return_code("FAIL_RISK", allowed) is ReturnCode.FAIL_RISK
    assert as_return_code("FAIL_BANKUNREACHABLE", allowed) is None  # the English spelling is not ACH's
    assert as_return_code("FAIL_TIMEOUT", allowed) is None


def test_information_and_receipt_of_a_transaction() -> None:
    done = replace(_transaction(TxnState.OK), value_minor=15_000_000, vat_minor=50,
                   payment_description="Pago {secret} de prueba", authorization_id="A1")  # fmt: skip
    info = transaction_information(done)
    assert (info["transactionValue"], info["vatValue"], info["authorizationID"]) == ("150000.00", "0.50", "A1")
    message = receipt_message(done, entity_name="TORNILLO", bank_name="BANCO UNION")
    assert message["channel"] == "email" and message["kind"] == "receipt"
    assert message["to"] == "c@example.com" and message["reference"] == "1"
    assert "{secret}" not in message["text"], "user text never becomes a placeholder"
    assert "$150.000,00" in message["text"] and "Aprobada" in message["subject"]
