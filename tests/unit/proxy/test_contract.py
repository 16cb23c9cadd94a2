from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox.proxy.contract import ContractLedger, PartyContract, SpecIndex, report_markdown
from tests.unit.proxy.specs import party_spec

GOOD = {"trace_number": "000123", "amount": "150000", "soft_token": "482913"}


@pytest.fixture(scope="module")
def contract() -> PartyContract:
    return PartyContract("switch", party_spec())


@pytest.mark.parametrize(
    ("method", "path", "label", "operation_id"),
    [
        ("POST", "/sicoop/v1/withdrawals", "POST /sicoop/v1/withdrawals", "createWithdrawal"),
        ("POST", "/sicoop/v1/withdrawals/w-9/confirm", "POST /sicoop/v1/withdrawals/{withdrawal_id}/confirm",
         "confirmWithdrawal"),
        ("GET", "/sicoop/v1/withdrawals/pending?limit=3", "GET /sicoop/v1/withdrawals/pending", "listPending"),
        ("GET", "/sicoop/v1/withdrawals", None, None),
        ("POST", "/sicoop/v1/withdrawals/pending", None, None),
    ],
)  # fmt: skip
def test_index_finds_operations(method: str, path: str, label: str | None, operation_id: str | None) -> None:
    op = SpecIndex(party_spec()).find(method, path)
    assert (op.label if op else None, op.operation_id if op else None) == (label, operation_id)


def _request(contract: PartyContract, body: Any, **kwargs: Any) -> list[tuple[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    kwargs.setdefault("content_type", "application/json")
    _, violations = contract.check_request(caller="red", method="POST", path="/sicoop/v1/withdrawals", body=raw,
                                           **kwargs)  # fmt: skip
    return sorted((v.field, v.kind) for v in violations)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, []),
        ({"trace_number": "12"}, [("body.trace_number", "minLength")]),
        ({"amount": 150000}, [("body.amount", "type")]),
        ({"amount": "1.5"}, [("body.amount", "pattern")]),
        ({"counter_id": "x"}, [("body.counter_id", "anyOf")]),
        ({"tags": [1, "a"]}, [("body.tags[1]", "type")]),
        ({"soft_token": None}, [("body.soft_token", "type")]),
    ],
)
def test_request_body_violations_name_the_field(contract: PartyContract, change: dict[str, Any],
                                                 expected: list[tuple[str, str]]) -> None:  # fmt: skip
    assert _request(contract, {**GOOD, **change}) == expected


def test_missing_fields_are_named_one_by_one(contract: PartyContract) -> None:
    assert _request(contract, {"trace_number": "000123"}) == [
        ("body.amount", "required"), ("body.soft_token", "required")]  # fmt: skip


def test_missing_body(contract: PartyContract) -> None:
    assert _request(contract, b"") == [("body", "MissingRequiredRequestBody")]


def test_unknown_operation(contract: PartyContract) -> None:
    op, violations = contract.check_request(caller="red", method="DELETE", path="/sicoop/v1/withdrawals")
    assert op is None
    assert [(v.field, v.kind, v.operation) for v in violations] == [
        ("path", "unknown_operation", "DELETE /sicoop/v1/withdrawals")]  # fmt: skip


def test_query_parameter_type(contract: PartyContract) -> None:
    _, violations = contract.check_request(caller="red", method="GET", path="/sicoop/v1/withdrawals/pending",
                                           query=[("limit", "many")])  # fmt: skip
    assert [(v.field, v.direction) for v in violations] == [("query.limit", "request")]
    assert "many" in violations[0].problem


def test_secret_values_never_appear_in_problems(contract: PartyContract) -> None:
    _, violations = contract.check_request(
        caller="red", method="POST", path="/sicoop/v1/withdrawals", content_type="application/json",
        body=json.dumps({**GOOD, "soft_token": "48291"}).encode(),
    )  # fmt: skip
    (violation,) = violations
    assert violation.field == "body.soft_token" and "48291" not in violation.problem
    assert "oculto" in violation.problem


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (201, {"withdrawal_id": "w1", "status": "approved"}, []),
        (201, {"withdrawal_id": "w1"}, [("body.status", "required", "error")]),
        (201, {"withdrawal_id": 1, "status": "approved"}, [("body.withdrawal_id", "type", "error")]),
        (409, {"error": "conflict"}, [("status", "undocumented_status", "warning")]),
        (422, {"error": "invalid_field", "message": "x", "field": "amount"}, []),
    ],
)
def test_response_violations(contract: PartyContract, status: int, body: Any,
                             expected: list[tuple[str, str, str]]) -> None:  # fmt: skip
    violations = contract.check_response(caller="red", method="POST", path="/sicoop/v1/withdrawals", status=status,
                                         body=json.dumps(body).encode(), content_type="application/json")  # fmt: skip
    assert sorted((v.field, v.kind, v.severity) for v in violations) == expected
    assert all(v.status == status and v.direction == "response" for v in violations)


def test_ledger_counts_and_reports(contract: PartyContract) -> None:
    ledger = ContractLedger(keep=2)
    for _ in range(3):
        _, found = contract.check_request(caller="red", method="POST", path="/sicoop/v1/withdrawals",
                                          content_type="application/json",
                                          body=json.dumps({**GOOD, "trace_number": "1"}).encode())  # fmt: skip
        ledger.requests_checked += 1
        ledger.add(found)
    ledger.add(contract.check_response(caller="red", method="POST", path="/sicoop/v1/withdrawals", status=409,
                                       body=b"{}", content_type="application/json"))  # fmt: skip
    report = ledger.report()
    assert (report["errors"], report["warnings"], report["violations"]) == (3, 1, 4)
    assert report["summary"][0] == {
        "party": "switch", "operation": "POST /sicoop/v1/withdrawals", "direction": "request",
        "field": "body.trace_number", "kind": "minLength", "severity": "error", "count": 3,
        "problem": "'1' is too short", "caller": "red", "example_request_id": None,
    }  # fmt: skip
    assert len(report["recent"]) == 2
    md = report_markdown(report)
    assert "| error | switch | `POST /sicoop/v1/withdrawals` | request | `body.trace_number` |" in md
    assert "**3** errores, 1 avisos" in md
    ledger.clear()
    assert ledger.report()["summary"] == [] and "Ningún mensaje incumplió" in report_markdown(ledger.report())
