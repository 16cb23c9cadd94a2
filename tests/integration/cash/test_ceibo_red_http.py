"""CEIBO and the collection network over real HTTP: CEIBO's API and control API, behaviour rules
(decline, delay past the switch's timeout, drop), the cashier's API and pages, the drawers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from cash_helpers import Net


def test_ceibo_card_lookup_and_soft_token_control_api(net: Net) -> None:
    by_phone = net.http.get(net.url("ceibo", "/ceibo/v1/cards"), params={"phone": "+595 981 123456"}, timeout=10)
    assert [c["card_id"] for c in by_phone.json()["cards"]] == ["DIMO-0001"]
    nobody = net.http.get(net.url("ceibo", "/ceibo/v1/cards"), params={"document_number": "1"}, timeout=10)
    assert nobody.json() == {"cards": []}
    both = net.http.get(net.url("ceibo", "/ceibo/v1/cards"), timeout=10)
    assert (both.status_code, both.json()["field"]) == (422, "document_number")
    token = net.http.get(net.url("ceibo", "/_sandbox/cards/DIMO-0002/soft-token"), timeout=10).json()
    assert re.fullmatch(r"\d{6}", token["code"]) and token["step_s"] == 30
    assert token["accepted_until"] == "2026-01-15T15:01:00+00:00"
    cards = net.http.get(net.url("ceibo", "/_sandbox/cards"), timeout=10).json()["cards"]
    assert {c["card_id"]: c["status"] for c in cards}["DIMO-0002"] == "blocked"
    assert set(cards[0]) >= {"card_id", "document_number", "phone", "status", "balance", "pending"}
    unknown = net.http.get(net.url("ceibo", "/_sandbox/cards/DIMO-9/soft-token"), timeout=10)
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_card")
    bulk = net.http.get(net.url("ceibo", "/_sandbox/soft-tokens"), params={"offset": 1, "limit": 2}, timeout=10)
    codes = bulk.json()["codes"]
    assert [c["card_id"] for c in codes] == ["DIMO-0002", "DIMO-0003"]
    assert codes[1]["code"] == net.soft_token("DIMO-0003") and codes[1]["document_number"] == "2345678"
    app = net.http.get(net.url("ceibo", "/app"), params={"q": "0981123456"}, timeout=10)
    assert app.status_code == 200 and f'data-soft-token="{net.soft_token("DIMO-0001")}"' in app.text


def test_ceibo_holds_answer_exists_conflict_and_refuse_a_hold_after_its_reversal(net: Net) -> None:
    hold = {"hold_id": "x-1", "card_id": "DIMO-0004", "kind": "credit", "amount": "1000"}
    url = net.url("ceibo", "/ceibo/v1/holds")
    assert net.http.post(url, json=hold, timeout=10).json()["result"] == "created"
    assert net.http.post(url, json=hold, timeout=10).json()["result"] == "exists"
    clash = net.http.post(url, json={**hold, "amount": "2000"}, timeout=10)
    assert (clash.status_code, clash.json()["error"]) == (409, "hold_id_conflict")
    gone = net.http.post(net.url("ceibo", "/ceibo/v1/holds/x-2/void"), timeout=10)
    assert (gone.status_code, gone.json()["error"]) == (404, "hold_not_found")
    late = net.http.post(url, json={**hold, "hold_id": "x-2"}, timeout=10)
    assert (late.status_code, late.json()["error"]) == (409, "already_voided")
    debit = net.http.post(url, json={**hold, "hold_id": "x-3", "kind": "debit"}, timeout=10)
    assert (debit.status_code, debit.json()["field"]) == (422, None)
    assert "soft_token" in debit.json()["message"]


@pytest.mark.parametrize("action", ["post", "void"])
def test_a_declined_hold_of_an_unknown_card_cannot_be_resolved(net: Net, action: str) -> None:
    declined = net.http.post(
        net.url("ceibo", "/ceibo/v1/holds"),
        json={"hold_id": "x-unknown", "card_id": "NO-SUCH-CARD", "kind": "credit", "amount": "1000"},
        timeout=10,
    )
    assert declined.json()["result"] == "declined"
    answer = net.http.post(net.url("ceibo", f"/ceibo/v1/holds/x-unknown/{action}"), timeout=10)
    assert (answer.status_code, answer.json()["error"], answer.json()["state"]) == (409, "hold_declined", "declined")


def test_a_forced_decline_at_ceibo_reaches_the_cashier(net: Net) -> None:
    net.sb.client.party("ceibo").add_rule(
        {
            "match": {"operation": "ceibo.hold", "fields": {"card_id": "DIMO-0001"}},
            "action": {"decline": "do_not_honour", "message": "Tarjeta observada."},
            "times": 1,
        }
    )
    answer = net.withdraw("R-1").json()
    assert (answer["status"], answer["reason_code"]) == ("declined", "do_not_honour")
    assert answer["message"] == "Tarjeta observada."
    assert net.withdraw("R-2").json()["status"] == "approved"  # the rule is spent; the code was not
    assert net.withdraw("R-3").json()["reason_code"] == "soft_token_reused"


@pytest.mark.parametrize(
    ("action", "reason", "ceibo_state"),
    [
        ({"delay_s": 1.5}, "issuer_timeout", "voided"),
        ({"drop": True}, "issuer_unavailable", "voided"),
        ({"error": {"status": 503}}, "issuer_unavailable", None),
    ],
    ids=["slower-than-the-switch", "answer-dropped", "server-error"],
)
def test_when_ceibo_does_not_answer_the_switch_declines_and_no_hold_remains(
    net: Net, action: dict[str, Any], reason: str, ceibo_state: str | None
) -> None:
    net.sb.client.party("ceibo").add_rule({"match": {"operation": "ceibo.hold"}, "action": action})
    answer = net.withdraw("N-1").json()
    assert (answer["status"], answer["reason_code"]) == ("declined", reason)
    held = [h["state"] for h in net.holds() if h["trace_number"] == "N-1"]
    assert held == ([ceibo_state] if ceibo_state else [])
    assert net.card("DIMO-0001")["pending"] == "0"
    recon = net.switch("GET", "/reconciliation", params={"date": "2026-01-15"}).json()
    assert [d for d in recon["differences"] if d["parties"] != ["switch", "red"]] == []


def test_the_cashier_api_hands_over_cash_only_when_confirmed(net: Net) -> None:
    op = net.red(
        operation="withdrawal",
        counter_id="RC-001",
        document_number="4567890",
        soft_token=net.soft_token("DIMO-0001"),
        amount="250000",
    )
    assert op.status_code == 201
    body = op.json()
    assert (body["status"], body["instruction"], body["cash_moved"]) == ("completed", "hand_over", True)
    assert body["drawer_cash"] == "19750000"
    again = net.http.get(net.url("red", f"/red/v1/operations/{body['trace_number']}"), timeout=10).json()
    assert again == body
    counters = net.counters()
    assert (counters["RC-001"]["cash"], counters["RC-001"]["settlement"]) == ("19750000", "250000")
    failed = net.red(operation="deposit", counter_id="RC-099", document_number="5678901", amount="40000").json()
    assert (failed["status"], failed["instruction"], failed["registered"]) == ("released", "none", False)
    assert net.counters()["RC-099"]["cash"] == "10000000"
    short = net.red(
        operation="withdrawal", counter_id="RC-003", document_number="4567890", soft_token="123456", amount="60000"
    )
    assert (short.status_code, short.json()["error"], short.json()["field"]) == (409, "drawer_short", "amount")


def test_a_red_register_rule_fails_the_registration(net: Net) -> None:
    net.sb.client.party("red").add_rule(
        {"match": {"operation": "red.register", "fields": {"status": "approved"}}, "action": {"error": {"status": 500}}}
    )
    op = net.red(operation="deposit", counter_id="RC-001", phone="0984456789", amount="10000").json()
    assert (op["status"], op["registered"]) == ("released", False)
    switch = net.switch("GET", f"/deposits/{op['switch_id']}").json()
    assert switch["status"] == "released"


def test_the_cashier_pages_drive_an_operation(net: Net) -> None:
    form = net.http.get(net.url("red", "/sicoop/extraccion"), params={"boca": "RC-002"}, timeout=10)
    trace = re.search(r'name="trace_number" value="([^"]+)"', form.text)
    assert form.status_code == 200 and trace
    data = {
        "trace_number": trace.group(1),
        "boca": "RC-002",
        "tipo_identificacion": "celular",
        "identificacion": "0981 123 456",
        "soft_token": net.soft_token("DIMO-0001"),
        "monto": "150.000",
    }
    done = net.http.post(net.url("red", "/sicoop/extraccion"), data=data, timeout=30)
    assert done.status_code == 200 and done.url.endswith(f"/sicoop/operaciones/{trace.group(1)}")
    assert 'data-status="completed" data-instruction="hand_over"' in done.text
    assert "Entregue ₲ 150.000 al titular." in done.text
    twice = net.http.post(net.url("red", "/sicoop/extraccion"), data=data, timeout=30)  # a double click
    assert 'data-status="completed"' in twice.text
    assert net.counters()["RC-002"]["cash"] == "14850000"
    bad = net.http.post(
        net.url("red", "/sicoop/deposito"), data={**data, "monto": "12,5", "trace_number": "B1"}, timeout=30
    )
    assert bad.status_code == 422 and "«Monto»" in bad.text
    for page in ("/sicoop", "/cajas", "/sicoop/deposito"):
        assert net.http.get(net.url("red", page), timeout=10).status_code == 200
    assert net.http.get(net.url("red", "/sicoop/operaciones/NOPE"), timeout=10).status_code == 404
