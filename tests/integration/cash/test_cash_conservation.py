"""NET-02 after a mixed run through the cashier's API: withdrawals, deposits, declines, a failed
registration, a registration so slow that the hold expired. Money is conserved and the
reconciliation of the day shows no differences."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cash_helpers import Net


def money(net: Net) -> tuple[int, int, int, dict[str, tuple[int, int]]]:
    cards = net.http.get(net.url("ceibo", "/_sandbox/cards"), timeout=10).json()["cards"]
    counters = net.counters()
    balances = sum(int(c["balance"]) for c in cards)
    pending = sum(int(c["pending"]) + int(c["pending_credit"]) for c in cards)
    drawers = sum(int(c["cash"]) for c in counters.values())
    per_counter = {k: (int(c["cash"]), int(c["settlement"])) for k, c in counters.items()}
    return balances, drawers, pending, per_counter


def test_money_is_conserved_and_reconciliation_is_clean_after_a_mixed_run(net: Net) -> None:
    balances0, drawers0, _, counters0 = money(net)

    def op(**body: Any) -> dict[str, Any]:
        answer = net.red(**body)
        assert answer.status_code == 201, answer.text
        result: dict[str, Any] = answer.json()
        return result

    token = net.soft_token
    outcomes = [
        op(
            operation="withdrawal",
            counter_id="RC-001",
            document_number="4567890",
            soft_token=token("DIMO-0001"),
            amount="300000",
        ),
        op(operation="deposit", counter_id="RC-002", phone="0984456789", amount="80000"),
        op(operation="deposit", counter_id="RC-001", document_number="4567890", amount="25000"),
        op(
            operation="withdrawal",
            counter_id="RC-002",
            document_number="2345678",
            soft_token=token("DIMO-0003"),
            amount="60000",
        ),
        op(
            operation="withdrawal",
            counter_id="RC-001",
            phone="0982234567",
            soft_token=token("DIMO-0002"),
            amount="1000",
        ),
        op(
            operation="withdrawal",
            counter_id="RC-099",
            document_number="6789012",
            soft_token=token("DIMO-0005"),
            amount="500000",
        ),
        op(operation="deposit", counter_id="RC-002", document_number="9999999", amount="1000"),
    ]
    assert [(o["status"], o["reason_code"]) for o in outcomes] == [
        ("completed", None),
        ("completed", None),
        ("completed", None),
        ("declined", "insufficient_funds"),
        ("declined", "card_blocked"),
        ("released", None),
        ("declined", "unknown_card"),
    ]

    # A registration so slow that the hold expires meanwhile: the late confirm is refused, no cash moves.
    net.sb.client.party("red").add_rule({"match": {"operation": "red.register"}, "action": {"delay_s": 1.5}})
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(
            net.red,
            operation="withdrawal",
            counter_id="RC-002",
            document_number="5678901",
            soft_token=token("DIMO-0004"),
            amount="40000",
            trace_number="SLOW-1",
        )
        deadline = 200
        while not net.switch("GET", "/withdrawals", params={"trace_number": "SLOW-1"}).json()["items"]:
            deadline -= 1
            assert deadline and not slow.done(), "the switch never saw the slow withdrawal"
        net.sb.client.advance_clock(121)  # CASH-10: the sweeper voids the hold while the network registers
        annulled = slow.result(timeout=30).json()
    assert (annulled["status"], annulled["reason_code"], annulled["cash_moved"]) == ("annulled", "expired", False)

    balances, drawers, pending, counters = money(net)
    assert pending == 0
    assert balances - balances0 == -300_000 + 80_000 + 25_000
    assert balances - drawers == balances0 - drawers0  # every guaraní off a card left a drawer, and back
    settlements = 0
    for counter_id, (cash, settlement) in counters.items():
        assert cash + settlement == counters0[counter_id][0], counter_id  # the drawer moved only when settled
        settlements += settlement
    assert balances + settlements == balances0  # value is conserved across CEIBO and the network's claims

    recon = net.switch("GET", "/reconciliation", params={"date": "2026-01-15"}).json()
    assert recon["sources"] == {"switch": "ok", "ceibo": "ok", "red": "ok"}
    assert recon["differences"] == [] and recon["difference_count"] == 0
    totals = recon["totals"]
    assert totals["switch"]["withdrawals_confirmed"] == totals["ceibo"]["debits_posted"] == totals["red"]["cash_out"]
    assert totals["switch"]["deposits_confirmed"] == totals["ceibo"]["credits_posted"] == totals["red"]["cash_in"]
    assert totals["red"]["cash_in"] == {"count": 2, "amount": "105000"}


def test_the_reconciliation_lists_what_a_party_did_alone(net: Net) -> None:
    stray = {"hold_id": "zz-1", "card_id": "DIMO-0004", "kind": "credit", "amount": "5000"}
    assert net.http.post(net.url("ceibo", "/ceibo/v1/holds"), json=stray, timeout=10).json()["result"] == "created"
    net.withdraw("ALONE-1")  # straight to the switch: the network never registered it
    recon = net.switch("GET", "/reconciliation", params={"date": "2026-01-15"}).json()
    found = {(d["kind"], tuple(d["parties"]), d["field"]) for d in recon["differences"]}
    assert found == {
        ("missing", ("ceibo", "switch"), "hold"),
        ("open", ("switch",), "status"),
        ("missing", ("switch", "red"), "registration"),
    }
    other_day = net.switch("GET", "/reconciliation", params={"date": "2026-01-14"}).json()
    assert other_day["differences"] == []
