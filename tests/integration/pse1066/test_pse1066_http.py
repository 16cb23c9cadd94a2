"""The 1066 front over HTTP in the whole sandbox: a collecting entity creates a PSE payment with
bank 1066 at ACH, the member goes through the PSE portal to the switch, pays from a cooperative
account with the code from the notify inbox, and ACH, coop and the switch agree (PSE-03..12)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from sandbox.scripted.coopcentral import CoopMember
from sandbox.scripted.pse import PayerBrowser, PseClient, example_payment
from sandbox.testing import SandboxHandle
from sandbox.world import load_world

_tickets = itertools.count(770_000)


def create(sandbox: SandboxHandle, value: str) -> tuple[PseClient, str, str]:
    world = load_world(sandbox.config.world)
    entity = next(e for e in world.pse_entities if e.entity_code == "10002")
    pse = PseClient(sandbox.url("ach"), entity.client_id, entity.client_secret)
    answer = pse.create(
        example_payment(
            "10002",
            "1066",
            value,
            ticket_id=next(_tickets),
            service_code="2001",
            solicited=sandbox.client.now("ach"),
            email="nick.rivera@example.com",
            entityurl=f"{sandbox.url('merchant')}/pse/retorno",
        )
    )
    assert answer.code == "SUCCESS", answer.body
    return pse, answer.body["trazabilityCode"], answer.body["pseURL"]


def go_to_bank(sandbox: SandboxHandle, pse_url: str) -> CoopMember:
    browser = PayerBrowser()
    landed = browser.go_to_bank(pse_url, "nick.rivera@example.com")
    assert landed.status_code == 200, landed.text[:300]
    assert landed.url.startswith(f"{sandbox.url('switch')}/pse/banco/")
    member = CoopMember(sandbox.url("switch"), http=browser.http)
    member.cus = landed.url.rsplit("/", 1)[-1]
    member.page = landed
    return member


def state_at_ach(pse: PseClient, cus: str) -> dict[str, Any]:
    answer = pse.query("10002", cus)
    assert answer.code == "SUCCESS", answer.body
    body: dict[str, Any] = answer.body
    return body


def test_a_member_pays_from_a_cooperative_account_end_to_end(fresh_sandbox: SandboxHandle) -> None:
    pse, cus, pse_url = create(fresh_sandbox, "480000.00")
    member = go_to_bank(fresh_sandbox, pse_url)
    assert member.state == "documento"
    assert "$480.000,00" in member.page.text and cus in member.page.text
    assert member.document("CC", "1033370434").status_code == 200
    assert member.state == "entidades"
    assert "Cooperativa Alianza" in member.page.text and "Cooperativa Olohzo" in member.page.text
    member.entity("ALIANZA")
    assert member.state == "portal-usuario"
    member.login("nrivera", "Redcoop.2024")
    assert member.state == "cuentas", member.page.text[:2000]
    assert set(member.accounts()) == {"****7756", "****6764", "****7626"}
    member.pay("****7756")
    assert member.state == "codigo", member.page.text[:2000]
    code = fresh_sandbox.client.notify.latest_secret("3104567890")
    assert code is not None
    assert fresh_sandbox.client.notify.latest_secret("nick.rivera@example.com") == code
    member.code(code)
    assert member.state == "approved", member.page.text[:2000]
    assert member.authorization
    assert member.back_url == f"{fresh_sandbox.url('merchant')}/pse/retorno"
    info = state_at_ach(pse, cus)
    assert info["transactionState"] == "OK"
    assert info["authorizationID"] == member.authorization
    switch = fresh_sandbox.client.party("switch")
    payment = switch.request("GET", f"/pse/v1/payments/{cus}")
    assert (payment["status"], payment["account"], payment["ach_sync"]) == ("approved", "****7756", "done")
    report = switch.request("GET", "/pse/v1/reconciliation")
    assert report["difference_count"] == 0, report
    assert report["totals"]["coop_posted"] == {"count": 1, "amount_minor": 48_000_000}
    # NET-05: neither the portal password nor the security code is in any party's journal
    for party in ("switch", "ach", "coop", "notify"):
        journal = json.dumps(fresh_sandbox.client.party(party).journal(limit=500))
        assert "Redcoop.2024" not in journal, party
        assert f"={code}" not in journal and f'\\"{code}\\"' not in journal and f'"{code}"' not in journal, party
        assert "bank-1066-ach-5e08" not in journal, party


def test_all_accounts_declined_cancels_and_ach_learns_not_authorized(fresh_sandbox: SandboxHandle) -> None:
    pse, cus, pse_url = create(fresh_sandbox, "60000.00")
    member = go_to_bank(fresh_sandbox, pse_url)
    member.document("CC", "80123456")
    member.entity("ALIANZA")
    member.login("psuarez", "Redcoop.2024")
    reasons = []
    for masked in ("****0001", "****0002", "****0003"):
        member.pay(masked)
        reasons.append(member.codes[-1] if member.codes else member.state)
    assert reasons == ["insufficient_funds", "over_transaction_cap", "no_accounts_left"], member.page.text[:1500]
    assert member.state == "declined"
    assert member.back_url
    assert state_at_ach(pse, cus)["transactionState"] == "NOT_AUTHORIZED"


@pytest.mark.parametrize("action", ["drop"])
def test_coop_losing_the_answer_to_the_post_is_posted_once(fresh_sandbox: SandboxHandle, action: str) -> None:
    pse, cus, pse_url = create(fresh_sandbox, "100000.00")
    member = go_to_bank(fresh_sandbox, pse_url)
    member.document("CC", "1033370434")
    member.entity("ALIANZA")
    member.login("nrivera", "Redcoop.2024")
    member.pay("****7756")
    coop = fresh_sandbox.client.party("coop")
    coop.add_rule({"match": {"operation": "coop.post"}, "action": {action: True}, "times": 1})
    member.code(fresh_sandbox.client.notify.latest_secret("3104567890") or "")
    assert member.state == "posting", member.page.text[:1500]
    fresh_sandbox.client.party("switch").request("POST", "/_sandbox/clock", json={"advance_s": 60})
    member.get("/resultado")
    assert member.state == "approved", member.page.text[:1500]
    assert state_at_ach(pse, cus)["transactionState"] == "OK"
    report = fresh_sandbox.client.party("switch").request("GET", "/pse/v1/reconciliation")
    assert report["difference_count"] == 0, report
    assert report["totals"]["coop_posted"]["count"] == 1


def test_a_browser_without_the_session_logs_in_again_and_takes_the_payment_over(fresh_sandbox: SandboxHandle) -> None:
    """The answer that carried the portal session can be lost (the switch killed, a dropped
    connection), or the member goes on in another browser: that browser is shown the portal's
    login again — never a redirect loop — and the last login takes the payment over where it is."""
    pse, cus, pse_url = create(fresh_sandbox, "120000.00")
    first = go_to_bank(fresh_sandbox, pse_url)
    first.document("CC", "1033370434")
    first.entity("ALIANZA")
    first.login("nrivera", "Redcoop.2024")
    assert first.state == "cuentas", first.page.text[:2000]

    other = CoopMember(fresh_sandbox.url("switch"))  # another browser: no cookie for this CUS
    landed = other.land(cus)
    assert landed.status_code == 200 and other.state == "portal-usuario", landed.text[:2000]
    assert "ingrese de nuevo para continuar" in landed.text
    assert other.login("nrivera", "wrong-password").status_code == 401 and other.state == "portal-clave"
    other.login("nrivera", "Redcoop.2024")
    assert other.state == "cuentas", other.page.text[:2000]
    other.pay("****7756")
    assert other.state == "codigo", other.page.text[:2000]

    # the last login won: the first browser's session ended; it logs in again and lands on the code
    assert first.get("/cuentas").status_code == 200 and first.state == "portal-usuario"
    first.login("nrivera", "Redcoop.2024")
    assert first.state == "codigo", first.page.text[:2000]
    code = fresh_sandbox.client.notify.latest_secret("3104567890")
    assert code is not None
    assert other.code(code).status_code == 200 and other.state == "portal-usuario"  # its session ended
    first.code(code)
    assert first.state == "approved", first.page.text[:2000]
    assert state_at_ach(pse, cus)["transactionState"] == "OK"
    # once the member's part is over, the portal sends every browser to the result
    assert other.land(cus).status_code == 200 and other.state == "approved"
    report = fresh_sandbox.client.party("switch").request("GET", "/pse/v1/reconciliation")
    assert report["difference_count"] == 0, report
