"""The switch's SICOOP API over real HTTP, with CEIBO and the network running: every endpoint,
every refusal naming its field (NET-03), replays (CASH-11, NET-01), concurrency, the sweeper."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from cash_helpers import Net


def test_withdrawal_confirm_and_every_read(net: Net) -> None:
    answer = net.withdraw("H-1")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "approved" and body["reason_code"] is None and body["card_id"] == "DIMO-0001"
    assert body["amount"] == "100000" and body["currency"] == "PYG"
    assert body["hold_expires_at"] == "2026-01-15T15:02:00+00:00"
    assert net.card("DIMO-0001")["pending"] == "100000"
    confirmed = net.switch("POST", f"/withdrawals/{body['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert net.card("DIMO-0001")["balance"] == "4900000" and net.card("DIMO-0001")["pending"] == "0"
    got = net.switch("GET", f"/withdrawals/{body['id']}")
    assert got.json()["status"] == "confirmed" and got.json()["issuer_state"] == "posted"
    by_trace = net.switch("GET", "/withdrawals", params={"trace_number": "H-1"}).json()["items"]
    assert [t["id"] for t in by_trace] == [body["id"]]
    assert net.switch("GET", "/deposits", params={"trace_number": "H-1"}).json()["items"] == []
    events = net.switch("GET", f"/withdrawals/{body['id']}/events").json()["events"]
    assert [e["actor"] for e in events][:2] == ["client:RC-001", "ceibo"]
    assert all(e["at"].startswith("2026-01-15T15:00:00") for e in events)  # sandbox time


def test_deposit_release_and_replays(net: Net) -> None:
    answer = net.deposit("H-2")
    assert answer.status_code == 201 and answer.json()["status"] == "approved"
    again = net.deposit("H-2")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == answer.json()
    conflict = net.deposit("H-2", amount="60000")
    assert conflict.status_code == 422  # answered already: 422; 409 only while the first is in flight
    assert conflict.json()["error"] == "idempotency_conflict" and conflict.json()["field"] == "trace_number"
    txn = answer.json()["id"]
    released = net.switch("POST", f"/deposits/{txn}/release")
    assert released.status_code == 200 and released.json()["status"] == "released"
    assert net.switch("POST", f"/deposits/{txn}/release").json()["status"] == "released"
    refused = net.switch("POST", f"/deposits/{txn}/confirm")
    assert refused.status_code == 409 and refused.json()["error"] == "already_released"
    assert refused.json()["transaction"]["status"] == "released"
    assert net.card("DIMO-0004")["balance"] == "100000"


def test_a_declined_withdrawal_is_an_answer_with_a_reason(net: Net) -> None:
    declined = net.withdraw("H-3", card="DIMO-0003", amount="60000")
    assert declined.status_code == 201
    assert (declined.json()["status"], declined.json()["reason_code"]) == ("declined", "insufficient_funds")
    assert declined.json()["hold_expires_at"] is None
    refused = net.switch("POST", f"/withdrawals/{declined.json()['id']}/confirm")
    assert refused.status_code == 409 and refused.json()["error"] == "transaction_declined"


def test_the_sweeper_voids_an_abandoned_hold_and_a_late_confirm_is_refused(net: Net) -> None:
    txn = net.withdraw("H-4").json()["id"]
    net.sb.client.advance_clock(119)
    assert net.card("DIMO-0001")["pending"] == "100000"
    net.sb.client.advance_clock(1)
    assert net.card("DIMO-0001")["pending"] == "0"
    assert net.switch("GET", f"/withdrawals/{txn}").json()["status"] == "expired"
    late = net.switch("POST", f"/withdrawals/{txn}/confirm")
    assert late.status_code == 409 and late.json()["error"] == "expired"
    assert net.card("DIMO-0001")["balance"] == "5000000"


def test_the_same_trace_sent_concurrently_holds_once(net: Net) -> None:
    body = {
        "trace_number": "H-5",
        "counter_id": "RC-001",
        "document_number": "4567890",
        "soft_token": net.soft_token("DIMO-0001"),
        "amount": "100000",
    }
    url = net.url("switch", "/sicoop/v1/withdrawals")
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: requests.post(url, json=body, timeout=30), range(8)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") != "true" for a in answers) == 1
    assert len([h for h in net.holds() if h["trace_number"] == "H-5"]) == 1
    assert net.card("DIMO-0001")["pending"] == "100000"


def _withdrawal(**changes: Any) -> dict[str, Any]:
    body = {
        "trace_number": "V-1",
        "counter_id": "RC-001",
        "document_number": "4567890",
        "soft_token": "123456",
        "amount": "100000",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("body", "error", "field_name"),
    [
        (_withdrawal(document_number=None), "missing_field", "document_number"),
        (_withdrawal(phone="0981123456"), "invalid_field", "phone"),
        (_withdrawal(amount="10.5"), "invalid_field", "amount"),
        (_withdrawal(amount="-100"), "invalid_field", "amount"),
        (_withdrawal(amount="0"), "invalid_field", "amount"),
        (_withdrawal(amount=100000), "invalid_field", "amount"),
        (_withdrawal(amount="cien mil"), "invalid_field", "amount"),
        (_withdrawal(counter_id="RC-404"), "unknown_counter", "counter_id"),
        (_withdrawal(soft_token=None), "missing_field", "soft_token"),
        (_withdrawal(soft_token="12345"), "invalid_field", "soft_token"),
        (_withdrawal(document_number="123456789"), "invalid_field", "document_number"),
        (_withdrawal(document_number=None, phone="12345"), "invalid_field", "phone"),
        (_withdrawal(trace_number=""), "invalid_field", "trace_number"),
        (_withdrawal(trace_number="x" * 41), "invalid_field", "trace_number"),
        (_withdrawal(currency="USD"), "invalid_field", "currency"),
        (_withdrawal(extra="?"), "invalid_field", "extra"),
    ],
    ids=[
        "neither-id",
        "both-ids",
        "decimals",
        "negative",
        "zero",
        "json-number",
        "text",
        "unknown-counter",
        "no-token",
        "short-token",
        "long-cedula",
        "bad-phone",
        "empty-trace",
        "long-trace",
        "currency",
        "extra",
    ],
)
def test_bad_withdrawals_are_refused_naming_the_field(
    net: Net, body: dict[str, Any], error: str, field_name: str
) -> None:
    answer = net.switch("POST", "/withdrawals", json=body)
    assert answer.status_code == 422, answer.text
    assert (answer.json()["error"], answer.json()["field"]) == (error, field_name)
    assert answer.json()["message"]
    assert net.holds() == []


def test_a_deposit_refuses_a_soft_token_and_messages_speak_spanish(net: Net) -> None:
    answer = net.deposit("V-2", soft_token="123456")
    assert (answer.status_code, answer.json()["field"]) == (422, "soft_token")
    decimals = net.deposit("V-3", amount="10.5").json()
    assert decimals["message"] == "El campo «amount» debe expresarse sin decimales en PYG."


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("POST", "/withdrawals/wd-0000000000000000/confirm", 404, "transaction_not_found"),
        ("POST", "/deposits/dp-0000000000000000/release", 404, "transaction_not_found"),
        ("GET", "/withdrawals/wd-0000000000000000", 404, "transaction_not_found"),
        ("GET", "/withdrawals/nope", 422, "invalid_field"),
        ("POST", "/transfers/wd-0000000000000000/confirm", 422, "invalid_field"),
        ("GET", "/withdrawals", 422, "missing_field"),
        ("GET", "/reconciliation?date=15-01-2026", 422, "invalid_field"),
        ("GET", "/reconciliation?date=9999-12-31", 422, "invalid_field"),
        ("GET", "/reconciliation?date=0001-01-01", 422, "invalid_field"),
        ("GET", "/reconciliation?date=0", 422, "invalid_field"),
        ("GET", "/reconciliation", 422, "missing_field"),
        ("POST", "/withdrawals", 422, "malformed_json"),
    ],
)
def test_unknown_transactions_and_bad_paths_are_clear_4xx(
    net: Net, method: str, path: str, status: int, error: str
) -> None:
    kwargs = {"data": b"{nope", "headers": {"Content-Type": "application/json"}} if method == "POST" else {}
    answer = net.switch(method, path, **kwargs)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error


def test_a_confirm_of_a_withdrawal_under_the_deposit_path_is_not_found(net: Net) -> None:
    txn = net.withdraw("H-6").json()["id"]
    answer = net.switch("POST", f"/deposits/{txn}/confirm")
    assert answer.status_code == 404


def test_the_soft_token_is_masked_in_the_journals(net: Net) -> None:
    code = net.soft_token("DIMO-0001")
    net.switch("POST", "/withdrawals", json=_withdrawal(trace_number="M-1", soft_token=code))
    for party in ("switch", "ceibo"):
        text = str(net.sb.client.party(party).journal(limit=20))
        assert "soft_token" in text and code not in text, party


def test_the_switch_pages_show_transactions_and_the_reconciliation(net: Net) -> None:
    txn = net.withdraw("P-1").json()["id"]
    listing = net.http.get(net.url("switch", "/sicoop"), timeout=10)
    assert listing.status_code == 200 and txn in listing.text
    detail = net.http.get(net.url("switch", f"/sicoop/transacciones/{txn}"), timeout=10)
    assert detail.status_code == 200 and "hold_opened" in detail.text
    missing = net.http.get(net.url("switch", "/sicoop/transacciones/wd-0000000000000000"), timeout=10)
    assert missing.status_code == 404
    page = net.http.get(net.url("switch", "/sicoop/conciliacion"), params={"date": "2026-01-15"}, timeout=10)
    assert page.status_code == 200 and "diferencia" in page.text
    for day in ("9999-12-31", "0001-01-01"):  # out of range: today's report and the reason, never a 500
        odd = net.http.get(net.url("switch", "/sicoop/conciliacion"), params={"date": day}, timeout=10)
        assert odd.status_code == 200 and "2000-01-01" in odd.text and "diferencia" in odd.text


def test_each_party_documents_its_api_in_openapi(net: Net) -> None:
    for party, path, words in (
        ("switch", "/sicoop/v1/withdrawals", "idempotency_conflict"),
        ("ceibo", "/ceibo/v1/holds/{hold_id}/void", "already_voided"),
        ("red", "/red/v1/operations", "registration: fail"),
    ):
        spec = net.http.get(net.url(party, "/openapi.json"), timeout=10).json()
        assert path in spec["paths"], party
        assert words in spec["info"]["description"], party
