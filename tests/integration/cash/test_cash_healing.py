"""The network heals (issue 16, item 3): the switch keeps sending a post or void to CEIBO, with the
same hold id, until CEIBO acknowledges it — whatever CEIBO answered meanwhile (down, restarting
without the hold, another state) — and what is not acknowledged after ``issuer_alert_after`` tries
is on the operator's list (never dropped)."""

from __future__ import annotations

import pytest
from cash_helpers import Cash
from test_cash_service import command

from reference_impl.flows.cash.logic import CashKind

pytestmark = pytest.mark.anyio


async def _sync_until_quiet(cash: Cash, rounds: int) -> None:
    for _ in range(rounds):
        cash.clock.advance(61)  # past the longest back-off
        await cash.service.sync_issuer(cash.clock.now())


async def test_a_confirm_ceibo_does_not_know_yet_is_sent_again_until_ceibo_has_the_hold(cash: Cash) -> None:
    body = (await cash.service.open(command())).body
    saved = cash.ceibo.holds.pop(body["id"])  # CEIBO restarting: it answers, but without the hold
    done = await cash.service.resolve(CashKind.WITHDRAWAL, body["id"], "confirm", "red")
    assert done.body["status"] == "confirmed" and done.body["issuer_state"] == "absent"
    alert = cash.service.settings.issuer_alert_after
    await _sync_until_quiet(cash, alert - 2)
    assert cash.ceibo.calls.count("post") == alert - 1
    assert (await cash.service.issuer_pending())["items"] == []  # not yet for the operator
    listed = (await cash.service.issuer_pending(stuck_only=False))["items"]
    assert [(t["id"], t["issuer_sync"], t["issuer_attempts"]) for t in listed] == [(body["id"], "post", alert - 1)]
    await _sync_until_quiet(cash, 1)
    [stuck] = (await cash.service.issuer_pending())["items"]
    assert (stuck["id"], stuck["stuck"], stuck["issuer_attempts"]) == (body["id"], True, alert)

    cash.ceibo.holds[body["id"]] = saved  # CEIBO is back with its state
    await _sync_until_quiet(cash, 1)
    assert cash.ceibo.holds[body["id"]]["state"] == "posted"
    txn = await cash.service.get(CashKind.WITHDRAWAL, body["id"])
    assert (txn["status"], txn["issuer_state"]) == ("confirmed", "posted")
    assert (await cash.service.issuer_pending(stuck_only=False))["items"] == []
    events = [e["event"] for e in await cash.service.events(CashKind.WITHDRAWAL, body["id"])]
    assert events.count("issuer_retry") == alert and events[-1] == "issuer_posted"


async def test_a_post_ceibo_answers_with_another_state_is_kept_for_the_operator_at_once(cash: Cash) -> None:
    body = (await cash.service.open(command())).body
    cash.ceibo.holds[body["id"]]["state"] = "voided"  # CEIBO released what the switch confirmed
    done = await cash.service.resolve(CashKind.WITHDRAWAL, body["id"], "confirm", "red")
    assert (done.body["status"], done.body["issuer_state"]) == ("confirmed", "voided")
    [stuck] = (await cash.service.issuer_pending())["items"]
    assert (stuck["id"], stuck["issuer_sync"], stuck["stuck"]) == (body["id"], "post", True)
    await _sync_until_quiet(cash, 2)  # still sent: never dropped
    assert cash.ceibo.calls.count("post") == 3
    events = [e["event"] for e in await cash.service.events(CashKind.WITHDRAWAL, body["id"])]
    assert events.count("issuer_diverged") == 3
