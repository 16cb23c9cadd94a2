"""coop's contract through its real app: reads, debits (authorize, post, void, expiry), credits,
reversals, queries, idempotency, magic cents, behaviour rules, bad input, restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.unit.coop.conftest import ALIANZA, Coop, make_coop


# -- reads -------------------------------------------------------------------------------------------
def test_the_entity_needs_its_key(coop: Coop) -> None:
    assert coop.get("").json() == {
        "entity": "ALIANZA",
        "name": "Cooperativa Alianza",
        "collections_enabled": True,
        "pse_debit_enabled": True,
        "otp_channels": ["sms", "email"],
    }
    assert coop.client.get("/coop/v1/entities/ALIANZA").json()["error"] == "unauthorized"
    wrong = coop.client.get("/coop/v1/entities/ALIANZA", headers={"Authorization": "Bearer coop-olohzo-key"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "unauthorized")
    missing = coop.client.get("/coop/v1/entities/NOPE", headers=coop.auth())
    assert (missing.status_code, missing.json()["error"]) == (404, "entity_not_found")


def test_lookup_masks_contact_data_and_accepts_dotted_numbers(coop: Coop) -> None:
    found = coop.get("/members", document_type="CC", document_number="1.033.370.434")
    assert found.status_code == 200
    body = found.json()
    assert body["full_name"] == "NICK RIVERA CAMINERO"
    assert (body["mobile_masked"], body["email_masked"]) == ("310****890", "n***@example.com")
    assert "3104567890" not in found.text and "nick.rivera@example.com" not in found.text
    assert body["has_products"] is True


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"document_type": "XX", "document_number": "1033370434"}, 422, "document_type"),
        ({"document_type": "CC", "document_number": "12"}, 422, "document_number"),
        ({"document_type": "CC", "document_number": "45.67.890"}, 422, "document_number"),
        ({"document_type": "CC", "document_number": "１２３４５６"}, 422, "document_number"),
        ({"document_type": "CC"}, 422, "document_number"),
    ],
)
def test_lookup_bad_input_names_the_field(coop: Coop, params: dict[str, str], status: int, field: str) -> None:
    answer = coop.get("/members", **params)
    assert (answer.status_code, answer.json()["field"]) == (status, field)


def test_an_unknown_member_reveals_nothing(coop: Coop) -> None:
    answer = coop.get("/members", document_type="CC", document_number="99999999")
    assert (answer.status_code, answer.json()["error"]) == (404, "member_not_found")
    # Sofía is a member of OLOHZO only
    elsewhere = coop.get("/members", document_type="CE", document_number="987654")
    assert elsewhere.status_code == 404


def test_products_have_every_col02_field_whatever_their_status(coop: Coop) -> None:
    laura = coop.get("/members", document_type="CC", document_number="52987654").json()
    assert laura["has_products"] is False
    products = coop.get(f"/members/{laura['member_id']}/products").json()["products"]
    assert sorted(p["status"] for p in products) == ["closed", "inactive"]
    cr = coop.product("7626")
    assert cr["type"] == "CR" and cr["credit"] is True
    assert (cr["balance"], cr["available"], cr["minimum_payment"], cr["total_payment"]) == (
        "1500000.00",
        "3000000.00",
        "1800.00",
        "1500000.00",
    )
    assert cr["due_date"] == "2026-12-30" and cr["number_masked"] == "****7626"
    assert "5301237626" not in str(cr)
    assert set(cr["caps"]) == {"per_transaction_max", "per_day_max", "per_day_count"}


# -- debits ------------------------------------------------------------------------------------------
def test_authorize_then_post_moves_the_money_once(coop: Coop) -> None:
    av = coop.product("7756")
    debit = coop.debit(av["product_id"], "50000.00")
    assert debit.status_code == 201, debit.text
    body = debit.json()
    assert (body["status"], body["available"], body["number_masked"]) == ("authorized", "2450000.00", "****7756")
    assert body["expires_at"] == "2026-01-15T15:15:00+00:00"
    assert coop.product("7756")["balance"] == "2500000.00"
    posted = coop.post(f"/debits/{body['debit_id']}/post", key="post-1")
    assert posted.status_code == 200
    assert posted.json() == {
        "debit_id": body["debit_id"],
        "status": "posted",
        "transaction_id": body["debit_id"],
        "amount": "50000.00",
        "running_balance": "2450000.00",
    }
    again = coop.post(f"/debits/{body['debit_id']}/post", key="post-1")
    assert again.json() == posted.json() and again.headers["Idempotent-Replayed"] == "true"
    other = coop.post(f"/debits/{body['debit_id']}/post", key="post-2")
    assert (other.status_code, other.json()["error"]) == (409, "already_posted")
    product = coop.product("7756")
    assert (product["balance"], product["available"]) == ("2450000.00", "2450000.00")


def test_void_releases_the_hold_and_cannot_be_posted_after(coop: Coop) -> None:
    av = coop.product("7756")
    debit_id = coop.debit(av["product_id"], "100000.00").json()["debit_id"]
    assert coop.product("7756")["available"] == "2400000.00"
    voided = coop.post(f"/debits/{debit_id}/void")
    assert voided.json()["status"] == "voided"
    assert coop.product("7756")["available"] == "2500000.00"
    late = coop.post(f"/debits/{debit_id}/post")
    assert (late.status_code, late.json()["error"]) == (409, "already_voided")


def test_a_hold_expires_on_the_sandbox_clock_and_the_funds_return(coop: Coop) -> None:
    av = coop.product("7756")
    debit_id = coop.debit(av["product_id"], "100000.00").json()["debit_id"]
    coop.advance(14 * 60)
    assert coop.get(f"/transactions/{debit_id}").json()["status"] == "authorized"
    coop.advance(60)
    assert coop.get(f"/transactions/{debit_id}").json()["status"] == "expired"
    assert coop.product("7756")["available"] == "2500000.00"
    late = coop.post(f"/debits/{debit_id}/post")
    assert (late.status_code, late.json()["error"]) == (409, "hold_expired")


def test_a_post_after_the_hold_timed_out_but_before_the_sweep_is_hold_expired(coop: Coop) -> None:
    av = coop.product("7756")
    debit_id = coop.debit(av["product_id"], "100000.00").json()["debit_id"]
    coop.clock.advance(15 * 60)  # no jobs ran
    late = coop.post(f"/debits/{debit_id}/post")
    assert (late.status_code, late.json()["error"]) == (409, "hold_expired")
    assert coop.product("7756")["available"] == "2500000.00"


@pytest.mark.parametrize(
    ("member", "tail", "amount", "status", "code"),
    [
        ("CC:80123456", "0001", "20000.01", 422, "insufficient_funds"),
        ("CC:80123456", "0002", "50000.01", 422, "over_cap"),
        ("CC:80123456", "0003", "1.00", 422, "over_cap"),
        ("CC:52987654", "9901", "1.00", 422, "product_inactive"),
        ("CC:1033370434", "8768", "1.00", 422, "product_not_debitable"),
    ],
)
def test_debit_declines_of_the_world(coop: Coop, member: str, tail: str, amount: str, status: int, code: str) -> None:
    product = coop.product(tail, member)
    answer = coop.debit(product["product_id"], amount)
    assert (answer.status_code, answer.json()["error"]) == (status, code)


def test_an_entity_without_the_service_refuses_debits_and_credits(coop: Coop) -> None:
    andres = coop.product("0001", "CC:1098765432", entity="SINCONVENIO")
    debit = coop.debit(andres["product_id"], "1000.00", entity="SINCONVENIO")
    assert (debit.status_code, debit.json()["error"]) == (403, "service_disabled")
    credit = coop.credit(andres["product_id"], "1000.00", entity="SINCONVENIO")
    assert (credit.status_code, credit.json()["error"]) == (403, "service_disabled")


def test_a_product_of_another_entity_is_not_found(coop: Coop) -> None:
    olohzo = coop.product("5511", entity="OLOHZO")
    answer = coop.debit(olohzo["product_id"], "1000.00")
    assert (answer.status_code, answer.json()["error"], answer.json()["field"]) == (
        404,
        "product_not_found",
        "product_id",
    )


def test_debits_on_a_credit_line_draw_on_the_credit(coop: Coop) -> None:
    cr = coop.product("7626")
    debit_id = coop.debit(cr["product_id"], "100000.00").json()["debit_id"]
    assert coop.post(f"/debits/{debit_id}/post").json()["running_balance"] == "1600000.00"
    after = coop.product("7626")
    assert (after["balance"], after["available"]) == ("1600000.00", "2900000.00")


# -- credits -------------------------------------------------------------------------------------------
def test_credit_rules_of_a_loan(coop: Coop) -> None:
    cr = coop.product("7626")["product_id"]
    cases = [
        ("1800.01", "minimum", 422, "amount_not_allowed"),
        ("1400000.00", "total", 422, "amount_not_allowed"),
        ("999.99", "other", 422, "amount_below_minimum"),
        ("1500000.01", "other", 422, "amount_above_maximum"),
        ("5000.00", "free", 422, "amount_not_allowed"),
    ]
    for amount, option, status, code in cases:
        answer = coop.credit(cr, amount, option)
        assert (answer.status_code, answer.json()["error"]) == (status, code), (amount, option)
    paid = coop.credit(cr, "1800.00", "minimum")
    assert paid.status_code == 201 and paid.json()["running_balance"] == "1498200.00"
    after = coop.product("7626")
    assert (after["minimum_payment"], after["total_payment"], after["available"]) == (
        "0.00",
        "1498200.00",
        "3001800.00",
    )


def test_a_deposit_to_savings_and_its_reversal(coop: Coop) -> None:
    av = coop.product("7756")["product_id"]
    deposit = coop.credit(av, "200000.00")
    assert deposit.status_code == 201
    tx = deposit.json()["transaction_id"]
    assert deposit.json()["running_balance"] == "2700000.00"
    reversal = coop.post(f"/transactions/{tx}/reversal", {"reason": "pago no confirmado"})
    assert reversal.status_code == 201
    assert reversal.json()["reversed"] is True and reversal.json()["running_balance"] == "2500000.00"
    assert reversal.json()["reversal_id"] != tx
    original = coop.get(f"/transactions/{tx}").json()
    assert (original["status"], original["reversed"], original["reversal_id"]) == (
        "reversed",
        True,
        reversal.json()["reversal_id"],
    )
    twice = coop.post(f"/transactions/{tx}/reversal", {"reason": "otra vez"})
    assert (twice.status_code, twice.json()["error"]) == (409, "already_reversed")


def test_only_posted_debits_and_applied_credits_are_reversed(coop: Coop) -> None:
    av = coop.product("7756")["product_id"]
    debit_id = coop.debit(av, "1000.00").json()["debit_id"]
    answer = coop.post(f"/transactions/{debit_id}/reversal", {"reason": "x"})
    assert (answer.status_code, answer.json()["error"]) == (409, "transaction_not_reversible")
    unknown = coop.post("/transactions/NOPE/reversal", {"reason": "x"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "transaction_not_found")


def test_a_credit_to_an_inactive_product_is_refused(coop: Coop) -> None:
    closed = coop.product("9902", "CC:52987654")["product_id"]
    answer = coop.credit(closed, "1000.00", "other")
    assert (answer.status_code, answer.json()["error"]) == (422, "product_inactive")


# -- queries -----------------------------------------------------------------------------------------------
def test_queries_by_reference_and_day(coop: Coop) -> None:
    av = coop.product("7756")["product_id"]
    debit_id = coop.debit(av, "1000.00", reference="PSE-77").json()["debit_id"]
    coop.post(f"/debits/{debit_id}/post")
    assert coop.credit(av, "1500.00", reference="PSE-77").status_code == 201
    by_ref = coop.get("/transactions", reference="PSE-77").json()["transactions"]
    assert [t["kind"] for t in by_ref] == ["debit", "credit"]
    assert by_ref[0]["idempotency_key"] and by_ref[0]["number_masked"] == "****7756"
    day = coop.get("/transactions", date="2026-01-15").json()
    assert day["totals"] == {"credits": "1500.00", "debits": "1000.00", "reversals": "0.00"}
    assert coop.get("/transactions", date="2026-01-16").json()["transactions"] == []
    for bad in ("2026-13-01", "15/01/2026", "9999-12-31"):
        answer = coop.get("/transactions", date=bad)
        assert (answer.status_code, answer.json()["field"]) == (422, "date"), bad
    assert coop.get("/transactions").status_code == 422


# -- idempotency ---------------------------------------------------------------------------------------------
def test_idempotency_replay_conflict_and_missing_key(coop: Coop) -> None:
    av = coop.product("7756")["product_id"]
    first = coop.debit(av, "1000.00", key="same")
    replay = coop.debit(av, "1000.00", key="same")
    assert replay.status_code == 201 and replay.json() == first.json()
    assert (first.headers["Idempotent-Replayed"], replay.headers["Idempotent-Replayed"]) == ("false", "true")
    reused = coop.debit(av, "2000.00", key="same")
    assert (reused.status_code, reused.json()["error"], reused.json()["field"]) == (
        422,
        "idempotency_key_reused",
        "Idempotency-Key",
    )
    missing = coop.debit(av, "1000.00", key=None)
    assert (missing.status_code, missing.json()["error"]) == (400, "idempotency_key_missing")
    bad = coop.debit(av, "1000.00", key="con espacio")
    assert (bad.status_code, bad.json()["field"]) == (422, "Idempotency-Key")
    assert coop.product("7756")["available"] == "2499000.00"


def test_a_declined_call_is_replayed_as_declined(coop: Coop) -> None:
    poor = coop.product("0001", "CC:80123456")["product_id"]
    first = coop.debit(poor, "30000.00", key="poor")
    again = coop.debit(poor, "30000.00", key="poor")
    assert first.json()["error"] == "insufficient_funds" == again.json()["error"]
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_key_in_flight_answers_409(coop: Coop) -> None:
    """While a delayed answer (.92) is held back, a retry with its key is told to wait (409); once
    answered, the retry gets the first answer (replay)."""
    av = coop.product("7756")["product_id"]
    body = {"product_id": av, "amount": "1000.92", "currency": "COP", "reference": "SLOW-1"}
    headers = {**coop.auth(), "Idempotency-Key": "slow"}
    during: list[httpx.Response] = []

    async def retry_meanwhile(seconds: float) -> None:
        transport = httpx.ASGITransport(app=coop.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://coop") as client:
            during.append(await client.post(f"{ALIANZA}/debits", json=body, headers=headers))

    coop.app.state.behaviour.sleep = retry_meanwhile
    first = coop.client.post(f"{ALIANZA}/debits", json=body, headers=headers)
    assert first.status_code == 201
    assert [(r.status_code, r.json()["error"]) for r in during] == [(409, "idempotency_key_in_flight")]
    after = coop.client.post(f"{ALIANZA}/debits", json=body, headers=headers)
    assert after.json() == first.json() and after.headers["Idempotent-Replayed"] == "true"
    assert len(coop.get("/transactions", reference="SLOW-1").json()["transactions"]) == 1


# -- magic cents ---------------------------------------------------------------------------------------------
def test_91_is_a_core_error_and_nothing_is_applied(coop: Coop) -> None:
    av = coop.product("7756")["product_id"]
    answer = coop.debit(av, "1000.91", key="k91")
    assert (answer.status_code, answer.json()["error"]) == (500, "core_error")
    assert coop.product("7756")["available"] == "2500000.00"
    assert coop.credit(av, "1000.91").status_code == 500
    assert coop.product("7756")["balance"] == "2500000.00"


def test_92_is_applied_and_answered_late(coop: Coop) -> None:
    av = coop.product("7756")["product_id"]
    answer = coop.credit(av, "1000.92", reference="LATE-1")
    assert answer.status_code == 201 and coop.slept == [15.0]
    assert coop.get("/transactions", reference="LATE-1").json()["transactions"][0]["status"] == "applied"


def test_93_is_applied_and_the_answer_lost(coop: Coop) -> None:
    av = coop.product("7756")["product_id"]
    lost = coop.debit(av, "1000.93", key="lost", reference="LOST-1")
    assert lost.content == b""  # the answer started, then the connection closed: no body ever came
    found = coop.get("/transactions", reference="LOST-1").json()["transactions"]
    assert [t["status"] for t in found] == ["authorized"]
    replay = coop.debit(av, "1000.93", key="lost", reference="LOST-1")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"


# -- behaviour rules -----------------------------------------------------------------------------------------------
def test_behaviour_rules_decline_and_error(coop: Coop) -> None:
    av = coop.product("7756")["product_id"]
    coop.rule("coop.debit", {"decline": "insufficient_funds"})
    assert coop.debit(av, "1.00").json()["error"] == "insufficient_funds"
    coop.rule("coop.credit", {"error": {"status": 503, "code": "core_down", "message": "Caído"}})
    answer = coop.credit(av, "1000.00", key="err")
    assert (answer.status_code, answer.json()["error"]) == (503, "core_down")
    coop.client.delete("/_sandbox/rules")
    assert coop.credit(av, "1000.00", key="err").status_code == 201  # the key stayed free
    coop.rule("coop.lookup", {"decline": "member_not_found"})
    assert coop.get("/members", document_type="CC", document_number="1033370434").status_code == 404


# -- bad input ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"amount": "0.00"}, "invalid_amount", "amount"),
        ({"amount": "-5.00"}, "invalid_amount", "amount"),
        ({"amount": "1.001"}, "invalid_amount", "amount"),
        ({"amount": "1e3"}, "invalid_amount", "amount"),
        ({"amount": "١٠٠"}, "invalid_amount", "amount"),
        ({"amount": 1000}, "invalid_field", "amount"),
        ({"currency": "USD"}, "invalid_field", "currency"),
        ({"reference": ""}, "invalid_field", "reference"),
        ({"product_id": "a b"}, "invalid_field", "product_id"),
        ({"extra": 1}, "invalid_field", "extra"),
        ({"description": "x" * 141}, "invalid_field", "description"),
    ],
)
def test_bad_debit_bodies_name_the_field(coop: Coop, change: dict[str, object], code: str, field: str) -> None:
    body = {"product_id": "P1", "amount": "1.00", "currency": "COP", "reference": "R1", **change}
    answer = coop.post("/debits", body)
    assert (answer.status_code, answer.json()["error"], answer.json()["field"]) == (422, code, field)


def test_reset_and_restart(tmp_path: Path) -> None:
    party = make_coop(tmp_path)
    coop = next(party)
    av = coop.product("7756")["product_id"]
    coop.credit(av, "1000.00", key="before-restart")
    party.close()
    again = make_coop(tmp_path)
    coop2 = next(again)
    assert coop2.product("7756")["balance"] == "2501000.00"
    assert coop2.credit(av, "1000.00", key="before-restart").headers["Idempotent-Replayed"] == "true"
    assert coop2.client.post("/_sandbox/reset").status_code == 200
    assert coop2.product("7756")["balance"] == "2500000.00"
    assert coop2.client.get("/_sandbox/state").json()["state"]["products"]
    again.close()


# -- pages ------------------------------------------------------------------------------------------------------------
def test_the_back_office_shows_members_products_balances_and_the_days_movements(coop: Coop) -> None:
    av = coop.product("7756")["product_id"]
    debit_id = coop.debit(av, "50000.00", reference="PAGE-1").json()["debit_id"]
    coop.post(f"/debits/{debit_id}/post")
    home = coop.client.get("/backoffice", headers={"Accept": "text/html"})
    assert home.status_code == 200 and "Cooperativa Sin Convenio" in home.text and "No habilitado" in home.text
    page = coop.client.get("/backoffice/ALIANZA", headers={"Accept": "text/html"})
    assert page.status_code == 200
    text = page.text
    assert "NICK RIVERA CAMINERO" in text and "310****890" in text and "4001237756" not in text
    assert "$2.450.000,00" in text and "Aplicada" in text and "Cerrada" in text
    assert "15/01/2026 10:00 (hora de Colombia, UTC−5)" in text and 'data-movements="1"' in text
    assert "SANDBOX" in text and "None" not in text
    other_day = coop.client.get("/backoffice/ALIANZA", params={"fecha": "2026-01-14"}, headers={"Accept": "text/html"})
    assert 'data-movements="0"' in other_day.text
    bad = coop.client.get("/backoffice/ALIANZA", params={"fecha": "14/01/2026"}, headers={"Accept": "text/html"})
    assert bad.status_code == 422 and "fecha" in bad.text and '{"error"' not in bad.text
    assert coop.client.get("/backoffice/NOPE", headers={"Accept": "text/html"}).status_code == 404


def test_fifty_identical_calls_at_once_share_commits_and_give_one_effect(coop: Coop) -> None:
    """Group commit: the calls that arrive together are decided in one transaction, in order; the
    first holds, the 49 others replay it (the same key, read in the same transaction)."""
    av = coop.product("7756")["product_id"]
    body = {"product_id": av, "amount": "1000.00", "currency": "COP", "reference": "FIFTY"}
    headers = {**coop.auth(), "Idempotency-Key": "fifty"}

    async def fire() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=coop.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://coop") as client:
            return list(
                await asyncio.gather(*(client.post(f"{ALIANZA}/debits", json=body, headers=headers) for _ in range(50)))
            )

    answers = asyncio.run(fire())
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["debit_id"] for a in answers}) == 1
    assert sorted(a.headers["Idempotent-Replayed"] for a in answers) == ["false"] + ["true"] * 49
    assert coop.product("7756")["available"] == "2499000.00"
    assert len(coop.get("/transactions", reference="FIFTY").json()["transactions"]) == 1
