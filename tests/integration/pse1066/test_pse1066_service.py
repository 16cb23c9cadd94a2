"""The 1066 flow's service on a real database with in-memory coop, ACH and notify: every path of a
payment (PSE-04..12), the limits with the products' caps, the portal's throttle and lock, the OTP
policy, exactly once under double clicks and two tabs (PSE-12), timeouts that end in a defined state
(NET-06) and a reconciliation with zero differences (NET-02)."""

from __future__ import annotations

import asyncio

import pytest
from pse1066_helpers import MERCHANT_URL, Pse, product_id
from sqlalchemy import select

from reference_impl.core.limits import LimitPolicy, LimitRule
from reference_impl.flows.pse_bank.logic import Refusal
from reference_impl.flows.pse_bank.service import NeedsLogin, PsePageError
from reference_impl.store.limits import LimitPolicies
from reference_impl.store.tables import limit_counters

pytestmark = pytest.mark.anyio

NICK = ("CC", "1033370434", "nrivera")
PEDRO = ("CC", "80123456", "psuarez")
AV_7756, AV_6764, CR_7626 = product_id("4001237756"), product_id("4001236764"), product_id("5301237626")


async def logged_in(pse: Pse, cus: str, who: tuple[str, str, str] = NICK, entity: str = "ALIANZA") -> str:
    """Front → document → entity → portal login; the browser's session token."""
    s = pse.service
    await s.start(cus)
    identified = await s.identify(cus, who[0], who[1])
    assert not isinstance(identified, Refusal), identified
    assert entity in identified.entities
    chosen = await s.choose_entity(cus, entity)
    assert not isinstance(chosen, Refusal)
    result = await s.login(cus, who[2], "Redcoop.2024")
    assert not isinstance(result, Refusal), result
    payment, token = result
    assert payment.status == "authenticated"
    return token


async def authorized(pse: Pse, cus: str, product: str = AV_7756, who: tuple[str, str, str] = NICK) -> str:
    token = await logged_in(pse, cus, who)
    payment, refusal = await pse.service.pay(cus, token, product)
    assert refusal is None, refusal
    assert payment.status == "authorized"
    return token


def counter(pse: Pse, product: str) -> int:
    with pse.engine.connect() as conn:
        found = conn.execute(
            select(limit_counters.c.count).where(limit_counters.c.subject_id == f"ALIANZA:{product}")
        ).scalar()
    return int(found or 0)


# -- PSE-04, PSE-05, PSE-06 -----------------------------------------------------------------------------
async def test_the_document_lists_the_entities_where_it_has_debitable_products(pse: Pse) -> None:
    cus = pse.ach.add("1001")
    await pse.service.start(cus)
    result = await pse.service.identify(cus, "CC", "1.033.370.434")
    assert not isinstance(result, Refusal)
    assert result.entities == ["ALIANZA", "OLOHZO"]
    laura = await pse.service.identify(cus, "CC", "52987654")  # only inactive products
    assert not isinstance(laura, Refusal)
    assert laura.entities == []
    bad = await pse.service.identify(cus, "CC", "12ab")
    assert isinstance(bad, Refusal)
    assert bad.field == "numero_documento"
    assert (await pse.service.identify(cus, "XX", "1033370434")).field == "tipo_documento"  # type: ignore[union-attr]


async def test_a_core_not_answering_is_never_shown_as_nothing_to_pay_with(pse: Pse) -> None:
    cus = pse.ach.add("1001")
    await pse.service.start(cus)
    # NICK's only entities: ALIANZA down, OLOHZO answers → OLOHZO listed (he can pay from it)
    pse.coop.modes["lookup:ALIANZA"] = ["down"]
    partial = await pse.service.identify(cus, "CC", "1033370434")
    assert not isinstance(partial, Refusal) and partial.entities == ["OLOHZO"]
    # PEDRO has products at ALIANZA only: ALIANZA down → try again (503), not "no products"
    pse.coop.modes["lookup:ALIANZA"] = ["down"]
    with pytest.raises(PsePageError) as down:
        await pse.service.identify(cus, "CC", "80123456")
    assert down.value.status == 503
    again = await pse.service.identify(cus, "CC", "80123456")  # the core is back
    assert not isinstance(again, Refusal) and again.entities == ["ALIANZA"]


async def test_a_wrong_password_is_refused_then_throttled_then_the_user_is_locked(pse: Pse) -> None:
    cus = pse.ach.add("1002")
    await pse.service.start(cus)
    await pse.service.identify(cus, "CC", "1033370434")
    await pse.service.choose_entity(cus, "ALIANZA")
    codes = []
    for _ in range(5):
        refused = await pse.service.login(cus, "nrivera", "mala-clave")
        assert isinstance(refused, Refusal)
        codes.append(refused.code)
        pse.clock.advance(31)
    assert codes == ["login_failed", "login_failed", "login_failed", "login_failed", "login_locked"]
    early = await pse.service.login(cus, "nrivera", "Redcoop.2024")
    assert isinstance(early, Refusal)
    assert early.code == "login_locked"  # even the right password, once locked
    assert "bloqueado" in early.message


async def test_after_the_free_failures_the_next_try_waits(pse: Pse) -> None:
    cus = pse.ach.add("1003")
    await pse.service.start(cus)
    await pse.service.identify(cus, "CC", "1033370434")
    await pse.service.choose_entity(cus, "ALIANZA")
    for _ in range(3):
        await pse.service.login(cus, "nrivera", "mala-clave")
    throttled = await pse.service.login(cus, "nrivera", "Redcoop.2024")
    assert isinstance(throttled, Refusal)
    assert throttled.code == "login_throttled"
    pse.clock.advance(30)
    assert not isinstance(await pse.service.login(cus, "nrivera", "Redcoop.2024"), Refusal)


async def test_another_members_portal_user_does_not_log_in(pse: Pse) -> None:
    cus = pse.ach.add("1004")
    await pse.service.start(cus)
    await pse.service.identify(cus, "CC", "1033370434")
    await pse.service.choose_entity(cus, "ALIANZA")
    refused = await pse.service.login(cus, "psuarez", "Redcoop.2024")
    assert isinstance(refused, Refusal)
    assert refused.code == "login_failed"


# -- PSE-07, PSE-10, PSE-11 ----------------------------------------------------------------------------
async def test_an_approved_payment_posts_once_and_confirms_ok_to_ach(pse: Pse) -> None:
    cus = pse.ach.add("2001")
    token = await logged_in(pse, cus)
    accounts = await pse.service.accounts(await pse.service.require(cus))
    assert [a.masked for a in accounts] == ["****7756", "****6764", "****7626"]  # PO is not debitable
    payment, refusal = await pse.service.pay(cus, token, AV_7756)
    assert refusal is None
    assert payment.status == "authorized"
    sms = [m for m in pse.notify.messages if m["channel"] == "sms"]
    mails = [m for m in pse.notify.messages if m["channel"] == "email"]
    assert [m["to"] for m in sms] == ["3104567890"]
    assert [m["to"] for m in mails] == ["nick.rivera@example.com"]
    assert "$480.000,00" in sms[0]["text"]
    assert "{secret}" in sms[0]["text"]
    code = pse.notify.latest_code("3104567890")
    done, refusal = await pse.service.confirm(cus, token, code)
    assert refusal is None
    assert done.status == "approved"
    assert done.authorization_id
    assert [d["amount"] for d in pse.coop.posted()] == [48_000_000]
    assert pse.ach.confirms[-1]["state"] == "OK"
    assert pse.ach.confirms[-1]["authorization_id"] == done.authorization_id
    assert done.ach_sync == "done"
    assert pse.service.view(done)["return_url"] == MERCHANT_URL


async def test_without_the_portal_session_nothing_can_be_paid(pse: Pse) -> None:
    cus = pse.ach.add("2002")
    await logged_in(pse, cus)
    with pytest.raises(NeedsLogin):
        await pse.service.pay(cus, "another-browser", AV_7756)


# -- PSE-08, PSE-09 ------------------------------------------------------------------------------------
async def test_declined_for_funds_then_another_account_is_approved(pse: Pse) -> None:
    cus = pse.ach.add("3001", value="900000.00")  # AV ****6764 has 800.000
    token = await logged_in(pse, cus)
    payment, refusal = await pse.service.pay(cus, token, AV_6764)
    assert refusal is not None
    assert refusal.code == "insufficient_funds"
    assert payment.status == "authenticated"
    assert counter(pse, AV_6764) == 0  # the count is given back
    accounts = {a.masked: a.declined for a in await pse.service.accounts(payment)}
    assert accounts == {"****7756": None, "****6764": "insufficient_funds", "****7626": None}
    _, refusal = await pse.service.pay(cus, token, AV_6764)
    assert refusal is not None
    assert refusal.code == "product_declined"
    payment, refusal = await pse.service.pay(cus, token, AV_7756)
    assert refusal is None
    assert payment.status == "authorized"
    done, _ = await pse.service.confirm(cus, token, pse.notify.latest_code("3104567890"))
    assert done.status == "approved"
    assert counter(pse, AV_7756) == 1


async def test_over_the_networks_cap_is_declined_and_another_account_pays(pse: Pse) -> None:
    cus = pse.ach.add("3002", value="2900000.00")  # the world's CR cap is 5.000.000: lowered here
    token = await logged_in(pse, cus)
    pse.service.policies = LimitPolicies(
        [LimitRule("ALIANZA", "CR", LimitPolicy(per_transaction_max_minor=200_000_000))], pse.service.settings.tz
    )
    _, refusal = await pse.service.pay(cus, token, CR_7626)
    assert refusal is not None
    assert refusal.code == "over_transaction_cap"
    assert "tope" in refusal.message
    assert "authorize" not in pse.coop.calls  # the network's limits come before coop
    accounts = {a.masked: a.declined for a in await pse.service.accounts(await pse.service.require(cus))}
    assert accounts["****7626"] == "over_transaction_cap"
    _, refusal = await pse.service.pay(cus, token, AV_7756)  # 2.500.000 < 2.900.000: no funds either
    assert refusal is not None
    assert refusal.code == "insufficient_funds"


async def test_every_account_declines_and_ach_learns_not_authorized(pse: Pse) -> None:
    cus = pse.ach.add("3003", value="60000.00")
    token = await logged_in(pse, cus, PEDRO)
    reasons = []
    for number in ("4001240001", "5301240002", "4001240003"):
        payment, refusal = await pse.service.pay(cus, token, product_id(number))
        assert refusal is not None
        reasons.append(refusal.code)
    assert reasons == ["insufficient_funds", "over_transaction_cap", "over_frequency"]
    assert payment.status == "declined"
    assert payment.reason_code == "no_accounts_left"
    assert pse.ach.confirms[-1]["state"] == "NOT_AUTHORIZED"
    assert pse.ach.transactions[cus]["transactionState"] == "NOT_AUTHORIZED"
    assert pse.coop.posted() == []


async def test_the_frequency_limit_counts_debits_of_the_day(pse: Pse) -> None:
    for i in range(5):  # Alianza AV: 5 debits a day
        cus = pse.ach.add(f"31{i:02d}", value="1000.00")
        token = await authorized(pse, cus)
        await pse.service.confirm(cus, token, pse.notify.latest_code("3104567890"))
        pse.clock.advance(60)
    cus = pse.ach.add("3199", value="1000.00")
    token = await logged_in(pse, cus)
    _, refusal = await pse.service.pay(cus, token, AV_7756)
    assert refusal is not None
    assert refusal.code == "over_frequency"


# -- PSE-10: the OTP ----------------------------------------------------------------------------------
async def test_an_expired_code_is_refused_and_a_new_one_pays(pse: Pse) -> None:
    cus = pse.ach.add("4001")
    token = await authorized(pse, cus)
    old = pse.notify.latest_code("3104567890")
    pse.clock.advance(5 * 60)
    payment, refusal = await pse.service.confirm(cus, token, old)
    assert refusal is not None
    assert refusal.code == "otp_expired"
    assert payment.status == "authorized"
    _, refusal = await pse.service.resend(cus, token)
    assert refusal is None
    done, refusal = await pse.service.confirm(cus, token, pse.notify.latest_code("3104567890"))
    assert refusal is None
    assert done.status == "approved"


async def test_five_wrong_codes_lock_it_and_the_payment_is_cancelled(pse: Pse) -> None:
    cus = pse.ach.add("4002")
    token = await authorized(pse, cus)
    right = pse.notify.latest_code("3104567890")
    wrong = "000000" if right != "000000" else "111111"
    codes = []
    for _ in range(5):
        _, refusal = await pse.service.confirm(cus, token, wrong)
        assert refusal is not None
        codes.append(refusal.code)
    assert codes == ["otp_invalid"] * 4 + ["otp_locked"]
    payment = await pse.service.require(cus)
    assert payment.status == "declined"
    assert payment.reason_code == "otp_locked"
    assert [d["status"] for d in pse.coop.debits.values()] == ["voided"]
    assert pse.ach.confirms[-1]["state"] == "NOT_AUTHORIZED"


# -- PSE-12: exactly once ------------------------------------------------------------------------------
async def test_a_double_pagar_asks_coop_once(pse: Pse) -> None:
    cus = pse.ach.add("5001")
    token = await logged_in(pse, cus)
    pse.coop.gate = asyncio.Event()
    first = asyncio.create_task(pse.service.pay(cus, token, AV_7756))
    await asyncio.wait_for(pse.coop.arrived.wait(), 30)  # the first click is at coop, held there
    second = await pse.service.pay(cus, token, AV_6764)  # the second click finds it under way
    assert second[0].status == "authorizing"
    pse.coop.gate.set()
    payment, refusal = await first
    assert (payment.status, refusal) == ("authorized", None)
    assert pse.coop.calls.count("authorize") == 1
    assert len(pse.coop.debits) == 1
    assert (await pse.service.require(cus)).status == "authorized"


async def test_two_tabs_confirming_post_once(pse: Pse) -> None:
    cus = pse.ach.add("5002")
    token = await authorized(pse, cus)
    code = pse.notify.latest_code("3104567890")
    results = await asyncio.gather(*(pse.service.confirm(cus, token, code) for _ in range(3)))
    assert {p.status for p, _ in results} <= {"approved", "posting"}
    assert pse.coop.calls.count("post") == 1
    assert len(pse.coop.posted()) == 1
    assert (await pse.service.require(cus)).status == "approved"
    again, refusal = await pse.service.confirm(cus, token, code)  # the browser's back button, resubmitted
    assert again.status == "approved"
    assert refusal is None
    assert pse.coop.calls.count("post") == 1


# -- NET-06: timeouts end in a defined state ---------------------------------------------------------
async def test_coop_timing_out_on_the_post_is_posted_again_with_the_same_key(pse: Pse) -> None:
    cus = pse.ach.add("6001")
    token = await authorized(pse, cus)
    pse.coop.modes["post"] = ["lost"]  # posted at coop, the answer lost
    payment, _ = await pse.service.confirm(cus, token, pse.notify.latest_code("3104567890"))
    assert payment.status == "posting"
    assert pse.ach.confirms == []  # nothing told to ACH while the debit is unknown
    pse.clock.advance(30)
    assert await pse.service.sync_coop() == 1
    done = await pse.service.require(cus)
    assert done.status == "approved"
    assert len(pse.coop.posted()) == 1  # the retry was a replay, not a second debit
    assert pse.ach.confirms[-1]["state"] == "OK"


async def test_coop_not_answering_an_authorization_is_asked_again_and_voided(pse: Pse) -> None:
    cus = pse.ach.add("6002")
    token = await logged_in(pse, cus)
    pse.coop.modes["authorize"] = ["lost"]
    payment, refusal = await pse.service.pay(cus, token, AV_7756)
    assert refusal is not None
    assert refusal.code == "coop_unavailable"
    assert payment.status == "authenticated"
    assert [d["status"] for d in pse.coop.debits.values()] == ["voided"]  # the job replayed it, then voided
    assert counter(pse, AV_7756) == 0
    payment, refusal = await pse.service.pay(cus, token, AV_7756)  # the member tries again
    assert refusal is None
    assert payment.status == "authorized"


async def test_ach_not_acknowledging_is_retried_on_the_sandbox_clock(pse: Pse) -> None:
    cus = pse.ach.add("6003")
    token = await authorized(pse, cus)
    pse.ach.confirm_modes = ["down", "down"]
    payment, _ = await pse.service.confirm(cus, token, pse.notify.latest_code("3104567890"))
    assert payment.status == "approved"
    assert payment.ach_sync == "due"
    assert await pse.service.sync_ach() == 0  # not due yet (30 s)
    pse.clock.advance(30)
    await pse.service.sync_ach()
    assert (await pse.service.require(cus)).ach_sync == "due"
    pse.clock.advance(60)
    await pse.service.sync_ach()
    done = await pse.service.require(cus)
    assert done.ach_sync == "done"
    assert [c["state"] for c in pse.ach.confirms] == ["OK", "OK", "OK"]
    assert pse.ach.transactions[cus]["transactionState"] == "OK"


async def test_ach_refusing_the_ok_for_good_reverses_the_debit(pse: Pse) -> None:
    cus = pse.ach.add("6004")
    token = await authorized(pse, cus)
    pse.ach.confirm_modes = ["refuse"]
    payment, _ = await pse.service.confirm(cus, token, pse.notify.latest_code("3104567890"))
    assert payment.status == "reversed"
    assert [d["reversed"] for d in pse.coop.posted()] == [True]
    assert [c["state"] for c in pse.ach.confirms] == ["OK", "NOT_AUTHORIZED"]  # then the merchant learns it
    assert pse.ach.transactions[cus]["transactionState"] == "NOT_AUTHORIZED"
    assert (await pse.service.require(cus)).ach_sync == "done"
    report = await pse.service.reconcile(pse.service.today())
    assert report["difference_count"] == 0, report["differences"]


# -- cancel, abandon, and the merchant may try again --------------------------------------------------
async def test_cancel_after_the_authorization_voids_it_and_tells_ach(pse: Pse) -> None:
    cus = pse.ach.add("7001")
    token = await authorized(pse, cus)
    payment = await pse.service.cancel(cus, token)
    assert payment.status == "declined"
    assert payment.reason_code == "cancelled"
    assert [d["status"] for d in pse.coop.debits.values()] == ["voided"]
    assert pse.ach.transactions[cus]["transactionState"] == "NOT_AUTHORIZED"
    assert counter(pse, AV_7756) == 0


async def test_an_abandoned_payment_is_cancelled_before_ach_gives_it_up(pse: Pse) -> None:
    cus = pse.ach.add("7002")
    await authorized(pse, cus)
    pse.clock.advance(14 * 60)
    assert await pse.service.sweep() == 0
    pse.clock.advance(61)
    assert await pse.service.sweep() == 1
    payment = await pse.service.require(cus)
    assert (payment.status, payment.reason_code) == ("declined", "abandoned")
    assert pse.ach.transactions[cus]["transactionState"] == "NOT_AUTHORIZED"
    assert [d["status"] for d in pse.coop.debits.values()] == ["voided"]


# -- NET-02: the reconciliation -----------------------------------------------------------------------
async def test_the_reconciliation_shows_zero_differences_after_a_mixed_run(pse: Pse) -> None:
    approved = pse.ach.add("8001")
    token = await authorized(pse, approved)
    await pse.service.confirm(approved, token, pse.notify.latest_code("3104567890"))
    slow = pse.ach.add("8002")
    token = await authorized(pse, slow, AV_6764)
    pse.coop.modes["post"] = ["lost"]
    pse.ach.confirm_modes = ["down"]
    await pse.service.confirm(slow, token, pse.notify.latest_code("3104567890"))
    cancelled = pse.ach.add("8003")
    token = await authorized(pse, cancelled, CR_7626)
    await pse.service.cancel(cancelled, token)
    during = await pse.service.reconcile(pse.service.today())
    assert during["difference_count"] == 0, during["differences"]
    assert during["in_progress"] == [slow, cancelled]  # the post's answer lost; ACH down for the cancel
    pse.clock.advance(60)
    await pse.service.sync_coop()
    pse.clock.advance(60)
    await pse.service.sync_ach()
    report = await pse.service.reconcile(pse.service.today())
    assert report["difference_count"] == 0, report["differences"]
    assert report["in_progress"] == []
    totals = report["totals"]
    assert (
        totals["switch_approved"]
        == totals["coop_posted"]
        == totals["ach_ok"]
        == {
            "count": 2,
            "amount_minor": 96_000_000,
        }
    )
    pse.coop.debits[next(iter(pse.coop.debits))]["reversed"] = True  # someone reverses at coop behind our back
    broken = await pse.service.reconcile(pse.service.today())
    assert broken["difference_count"] == 1
    assert broken["differences"][0]["party"] == "coop"


async def test_an_authorization_orphaned_by_a_dead_process_is_cancelled_and_voided(pse: Pse) -> None:
    cus = pse.ach.add("7003")
    token = await logged_in(pse, cus)
    pse.coop.gate = asyncio.Event()  # the core never answers: the request is stuck, as if its process died
    stuck = asyncio.create_task(pse.service.pay(cus, token, AV_7756))
    await asyncio.wait_for(pse.coop.arrived.wait(), 30)
    assert (await pse.service.require(cus)).status == "authorizing"
    pse.clock.advance(16 * 60)
    pse.coop.gate.set()
    stuck.cancel()  # the dead process's answer never lands
    pse.coop.gate = None
    assert await pse.service.sweep() == 1
    payment = await pse.service.require(cus)
    assert (payment.status, payment.reason_code) == ("declined", "abandoned")
    assert pse.ach.transactions[cus]["transactionState"] == "NOT_AUTHORIZED"
    assert [d["status"] for d in pse.coop.debits.values()] == ["voided"]  # asked again with its key, then voided
    assert counter(pse, AV_7756) == 0


# -- issue 16, item 3: what coop has not acknowledged after N tries is the operator's, and counted ---------
async def test_a_post_coop_does_not_acknowledge_for_n_tries_is_listed_and_counted_then_heals(pse: Pse) -> None:
    alert = pse.service.settings.coop_alert_after
    cus = pse.ach.add("8101")
    token = await authorized(pse, cus)
    pse.coop.modes["post"] = ["down"] * (alert + 1)  # coop down: nothing posted, no answer
    payment, _ = await pse.service.confirm(cus, token, pse.notify.latest_code("3104567890"))
    assert payment.status == "posting"
    every = await pse.service.coop_pending(stuck_only=False)
    assert [(i["cus"], i["operation"], i["attempts"], i["stuck"]) for i in every["items"]] == [(cus, "post", 1, False)]
    assert every["items"][0]["idempotency_key"] == f"pse1066:{cus}:post"
    assert (await pse.service.coop_pending())["items"] == []  # not yet the operator's
    early = await pse.service.reconcile(pse.service.today())
    assert (early["difference_count"], early["in_progress"]) == (0, [cus])
    for _ in range(alert - 1):
        pse.clock.advance(600)
        assert await pse.service.sync_coop() == 1
    stuck = await pse.service.coop_pending()
    assert [(i["cus"], i["attempts"], i["stuck"]) for i in stuck["items"]] == [(cus, alert, True)]
    report = await pse.service.reconcile(pse.service.today())
    assert [(d["cus"], d["party"], d["field"], d["found"]) for d in report["differences"]] == [
        (cus, "coop", "coop_sync", alert)
    ]
    assert "asiento del débito" in report["differences"][0]["message"]
    assert pse.coop.posted() == [] and pse.ach.confirms == []
    pse.clock.advance(600)
    await pse.service.sync_coop()  # the last "down"
    assert (await pse.service.require(cus)).status == "posting"  # the switch never gives up
    pse.clock.advance(600)
    await pse.service.sync_coop()  # coop is back: posted with the same key
    assert (await pse.service.require(cus)).status == "approved"
    assert len(pse.coop.posted()) == 1
    assert (await pse.service.coop_pending(stuck_only=False))["items"] == []
    healed = await pse.service.reconcile(pse.service.today())
    assert (healed["difference_count"], healed["in_progress"]) == (0, []), healed


async def test_an_unanswered_authorization_still_to_void_is_listed_and_keeps_the_day_open(pse: Pse) -> None:
    cus = pse.ach.add("8102")
    token = await logged_in(pse, cus)
    pse.coop.modes["authorize"] = ["down", "down"]  # the first call and the job's replay both unanswered
    payment, refusal = await pse.service.pay(cus, token, AV_7756)
    assert refusal is not None and payment.status == "authenticated"
    await pse.service.cancel(cus, token)
    pending = await pse.service.coop_pending(stuck_only=False)
    assert [(i["cus"], i["operation"], i["attempt"]) for i in pending["items"]] == [(cus, "resolve", 1)]
    report = await pse.service.reconcile(pse.service.today())
    assert (report["difference_count"], report["in_progress"]) == (0, [cus])
    pse.clock.advance(60)
    await pse.service.sync_attempts()
    assert (await pse.service.coop_pending(stuck_only=False))["items"] == []
    done = await pse.service.reconcile(pse.service.today())
    assert (done["difference_count"], done["in_progress"]) == (0, [])
