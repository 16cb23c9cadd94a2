"""The collections service end to end in process: a real store (SQLite), fakes for coop, notify and
the gateway. The whole visit, completion exactly once (COL-19, COL-20), NET-06 retries, NET-07."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from reference_impl.flows.collections import models
from reference_impl.flows.collections.service import CollectionsService, GatewayAccountInfo
from reference_impl.flows.collections.state import CollectionsState
from reference_impl.peers.coop import (
    CoopAnswer,
    CoopCaps,
    CoopCredit,
    CoopEntity,
    CoopMember,
    CoopProduct,
    CoopProducts,
)
from reference_impl.peers.gateway import GatewayTransaction
from reference_impl.store import AuthorizationStore, GroupCommit, create_store_engine, upgrade
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.clock import Clock
from sandbox.kit.errors import SandboxError
from sandbox.kit.rules import RuleSet
from sandbox.protocols.payu.signatures import confirmation_signature

T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
KEY = "Rc8TqZ2mW5yLp9XvN3bK7dHs"


def product(pid: str, kind: str, status: str = "active", **kw: Any) -> CoopProduct:
    values: dict[str, Any] = dict(
        product_id=pid, type=kind, type_name={"AV": "Ahorros a la Vista", "CR": "Cupo de Crédito"}[kind],
        number_masked="****" + pid[-4:], status=status, currency="COP", balance_minor=0, available_minor=0,
        due_date=None, minimum_payment_minor=None, total_payment_minor=None, other_min_minor=100_000,
        other_max_minor=5_000_000_000, credit=kind == "CR", pse_debit=True, accepts_credit=True,
        caps=CoopCaps(None, None, None),
    )  # fmt: skip
    values.update(kw)
    return CoopProduct(**values)


class FakeCoop:
    def __init__(self) -> None:
        self.products_list = [
            product("av-7756", "AV"),
            product(
                "cr-7626",
                "CR",
                minimum_payment_minor=180_000,
                total_payment_minor=150_000_000,
                other_max_minor=150_000_000,
            ),
            product("av-9901", "AV", status="inactive"),
        ]
        self.credits: dict[str, tuple[dict[str, Any], CoopAnswer[Any]]] = {}
        self.calls: list[str] = []
        self.next_outcomes: list[str] = []  # "unknown" / "refused" to force the next credit calls

    async def entity(self, entity: str) -> CoopAnswer[CoopEntity]:
        enabled = entity != "SINCONVENIO"
        return CoopAnswer("ok", CoopEntity(entity, f"Cooperativa {entity.title()}", enabled, enabled, ("sms", "email")))

    async def lookup(self, entity: str, document_type: str, document_number: str) -> CoopAnswer[CoopMember]:
        if document_number != "1033370434":
            return CoopAnswer("refused", error="member_not_found", status=404)
        return CoopAnswer("ok", CoopMember("nick", "CC", document_number, "NICK", "RIVERA CAMINERO",
                                           "NICK RIVERA CAMINERO", "310****890", "n***@example.com", True))  # fmt: skip

    async def products(self, entity: str, member_id: str) -> CoopAnswer[CoopProducts]:
        return CoopAnswer("ok", CoopProducts(member_id, tuple(self.products_list)))

    async def apply_credit(self, entity: str, **body: Any) -> CoopAnswer[CoopCredit]:
        key = body.pop("idempotency_key")
        self.calls.append(key)
        forced = self.next_outcomes.pop(0) if self.next_outcomes else None
        if forced == "refused":
            return CoopAnswer("refused", error="product_inactive", status=422)
        if key in self.credits:
            first_body, answer = self.credits[key]
            assert first_body == body, "same key, another body"
            if forced != "unknown":
                return CoopAnswer("ok", answer.value, status=201, replayed=True)
        else:
            answer = CoopAnswer("ok", CoopCredit(f"tx-{len(self.credits) + 1}", body["product_id"], "****",
                                                 body["amount_minor"], body["reference"], 0, T0.isoformat()))  # fmt: skip
            self.credits[key] = (body, answer)  # applied (even when the answer is then lost)
        if forced == "unknown":
            return CoopAnswer("unknown", error="coop_timeout")
        return answer

    def applied(self) -> dict[str, int]:
        return {k: b["amount_minor"] for k, (b, _) in self.credits.items()}


class FakeNotify:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> bool:
        self.messages.append(message)
        return True

    def last_code(self) -> str:
        return str(self.messages[-1]["secret"])


class FakeGateway:
    def __init__(self) -> None:
        self.state: dict[str, list[GatewayTransaction]] = {}
        self.queries = 0

    def set(self, reference: str, state: str, amount_minor: int) -> None:
        self.state[reference] = [GatewayTransaction("gw-1", state, "AUTHORIZATION_AND_CAPTURE", state, "CUS-9",
                                                    "BANCOLOMBIA", amount_minor)]  # fmt: skip

    async def transactions_of(self, reference: str) -> list[GatewayTransaction] | None:
        self.queries += 1
        return self.state.get(reference, [])


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[CollectionsService, FakeCoop, FakeNotify, FakeGateway, Clock]]:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'switch.db'}")
    upgrade(engine)
    store = AuthorizationStore(engine, otp_key=b"k" * 32)
    coop, notify, gateway, clock = FakeCoop(), FakeNotify(), FakeGateway(), Clock.frozen(T0)
    service = CollectionsService(
        state=CollectionsState(store, GroupCommit.inline(engine, retryable=store.retryable, max_retries=8)),
        otp=store.otp, coop=coop, notify=notify, gateway=gateway,  # type: ignore[arg-type]
        account=GatewayAccountInfo("508030", "512322", KEY, 100_000, "http://gw/checkout", "http://sw/r", "http://sw/c"),
        contacts=lambda t, n: ("3104567890", "nick.rivera@example.com"),
        entities=["ALIANZA"], clock=clock, behaviour=Behaviour(RuleSet({})),
    )  # fmt: skip
    yield service, coop, notify, gateway, clock
    engine.dispose()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def visit_to_checkout(service: CollectionsService, notify: FakeNotify, amount: str = "20000.00") -> str:
    async def go() -> str:
        visit = await service.start("ALIANZA", "CC", "1.033.370.434")
        assert visit.sent_to == ["310****890", "n***@example.com"]
        assert [m["channel"] for m in notify.messages] == ["sms", "email"]
        with pytest.raises(SandboxError) as early:
            await service.products(visit.id)
        assert early.value.code == "otp_required"
        await service.verify_identity(visit.id, notify.last_code())
        _, products = await service.products(visit.id)
        assert [p.product_id for p in products] == ["av-7756", "cr-7626"]
        items = [models.SelectionItemIn(product_id="av-7756", option="free", amount=amount),
                 models.SelectionItemIn(product_id="cr-7626", option="minimum")]  # fmt: skip
        visit = await service.choose(visit.id, items, models.PayerIn())
        assert "$21.800,00 a 2 producto(s)" in notify.messages[-1]["text"]  # NET-07: the code names what it pays
        checkout = await service.begin(
            visit.id, models.BeginIn(otp=notify.last_code(), description="Cuota", terms=True)
        )
        assert checkout.form["referenceCode"] == visit.reference
        assert checkout.form["amount"] == "21800.00" and checkout.form["signature"]
        return checkout.payment.reference

    return run(go())


def confirm(service: CollectionsService, reference: str, total: str, state_pol: str = "4") -> str:
    minor = int(total.replace(".", ""))
    form = {"merchant_id": "508030", "reference_sale": reference, "state_pol": state_pol, "value": total,
            "currency": "COP", "transaction_id": "gw-1",
            "sign": confirmation_signature(KEY, "508030", reference, minor, "COP", state_pol)}  # fmt: skip
    return str(run(service.confirmation(form)))


def test_approved_payment_is_credited_once_whatever_arrives(world: Any) -> None:
    service, coop, notify, gateway, clock = world
    reference = visit_to_checkout(service, notify)
    assert service.payment(reference).state.value == "created"
    gateway.set(reference, "APPROVED", 2_180_000)
    assert confirm(service, reference, "21800.00") == "OK"
    assert confirm(service, reference, "21800.00") == "OK (confirmación repetida, sin efectos)"
    run(service.browser_return({"referenceCode": reference}))
    run(service.refresh(reference, by="test"))
    clock.advance(3600)
    run(service.job_requery(clock.now()))
    run(service.job_credits(clock.now()))
    payment = service.payment(reference)
    assert payment.state.value == "approved"
    assert [i.credit_state.value for i in payment.items] == ["applied", "applied"]
    assert coop.applied() == {f"recaudo-{reference}-1": 2_000_000, f"recaudo-{reference}-2": 180_000}
    assert len(coop.calls) == 2  # nothing credited twice, nothing even asked twice
    assert service.view(payment)["applied"] is True


def test_a_forged_or_foreign_confirmation_changes_nothing(world: Any) -> None:
    service, coop, notify, gateway, _ = world
    reference = visit_to_checkout(service, notify)
    gateway.set(reference, "APPROVED", 2_180_000)
    form = {"merchant_id": "508030", "reference_sale": reference, "state_pol": "4", "value": "21800.00",
            "currency": "COP", "transaction_id": "gw-1", "sign": "0" * 32}  # fmt: skip
    with pytest.raises(SandboxError) as bad:
        run(service.confirmation(form))
    assert bad.value.code == "invalid_signature"
    assert service.payment(reference).state.value == "created" and coop.calls == []


@pytest.mark.parametrize("state", ["DECLINED", "ERROR"])
def test_not_authorized_or_failed_credits_nothing(world: Any, state: str) -> None:
    service, coop, notify, gateway, _ = world
    reference = visit_to_checkout(service, notify)
    gateway.set(reference, state, 2_180_000)
    confirm(service, reference, "21800.00", "6" if state == "DECLINED" else "104")
    payment = service.payment(reference)
    assert payment.state.value == ("declined" if state == "DECLINED" else "failed")
    assert {i.credit_state.value for i in payment.items} == {"not_applicable"} and coop.calls == []


def test_pending_is_requeried_by_the_job_at_7_then_every_12_minutes(world: Any) -> None:
    service, coop, notify, gateway, clock = world
    reference = visit_to_checkout(service, notify)
    gateway.set(reference, "PENDING", 2_180_000)
    run(service.browser_return({"referenceCode": reference}))  # the member comes back: still pending
    assert service.payment(reference).state.value == "pending"
    clock.advance(6 * 60)
    assert run(service.job_requery(clock.now())) == 0
    clock.advance(60)
    assert run(service.job_requery(clock.now())) == 1
    gateway.set(reference, "APPROVED", 2_180_000)
    clock.advance(11 * 60)
    assert run(service.job_requery(clock.now())) == 0
    clock.advance(60)
    assert run(service.job_requery(clock.now())) == 1
    assert service.payment(reference).state.value == "approved"
    assert len(coop.calls) == 2


def test_coop_not_answering_is_retried_with_the_same_key_until_known(world: Any) -> None:
    service, coop, notify, gateway, clock = world
    reference = visit_to_checkout(service, notify)
    gateway.set(reference, "APPROVED", 2_180_000)
    coop.next_outcomes = ["unknown", "unknown", "unknown"]
    confirm(service, reference, "21800.00")
    payment = service.payment(reference)
    assert [i.credit_state.value for i in payment.items] == ["applying", "applying"]
    assert [p.reference for p in service.unapplied()] == [reference]  # visible to an operator
    clock.advance(30)
    run(service.job_credits(clock.now()))  # item 1: unknown again; item 2: replayed answer
    clock.advance(60)
    run(service.job_credits(clock.now()))
    payment = service.payment(reference)
    assert [i.credit_state.value for i in payment.items] == ["applied", "applied"]
    assert set(coop.calls) == {f"recaudo-{reference}-1", f"recaudo-{reference}-2"}  # always the same keys
    assert coop.applied() == {f"recaudo-{reference}-1": 2_000_000, f"recaudo-{reference}-2": 180_000}
    assert service.unapplied() == []


def test_a_credit_coop_does_not_answer_for_n_tries_is_flagged_and_counted_then_heals(world: Any) -> None:
    service, coop, notify, gateway, clock = world
    alert = service.alert_after
    reference = visit_to_checkout(service, notify)
    gateway.set(reference, "APPROVED", 2_180_000)
    coop.next_outcomes = ["unknown"] * (2 * alert)  # coop down for both items, alert_after tries each
    confirm(service, reference, "21800.00")

    def stuck() -> list[bool]:
        return [i["stuck"] for i in service.view(service.payment(reference))["items"]]

    assert stuck() == [False, False]
    for _ in range(alert - 1):
        clock.advance(600)
        run(service.job_credits(clock.now()))
    assert [i.attempts for i in service.payment(reference).items] == [alert, alert]
    assert stuck() == [True, True]  # the operator's now; the job still tries
    service.gateway.report = lambda a, b: asyncio.sleep(0, [])  # type: ignore[attr-defined]

    async def transactions_on(entity: str, day: date) -> CoopAnswer[Any]:
        return CoopAnswer("unknown", error="coop_timeout")

    service.coop.transactions_on = transactions_on  # type: ignore[attr-defined]
    report = run(service.reconcile(service.today()))
    assert report["totals"]["stuck"] == 2 and report["totals"]["unapplied"] == 2
    clock.advance(600)
    run(service.job_credits(clock.now()))  # coop back: the same keys, applied once
    assert stuck() == [False, False] and service.unapplied() == []
    assert coop.applied() == {f"recaudo-{reference}-1": 2_000_000, f"recaudo-{reference}-2": 180_000}
    assert run(service.reconcile(service.today()))["totals"]["stuck"] == 0


def test_changing_the_amounts_after_the_code_needs_a_new_code(world: Any) -> None:
    service, _, notify, _, clock = world

    async def go() -> None:
        visit = await service.start("ALIANZA", "CC", "1033370434")
        await service.verify_identity(visit.id, notify.last_code())
        one = [models.SelectionItemIn(product_id="av-7756", option="free", amount="20000.00")]
        visit = await service.choose(visit.id, one, models.PayerIn())
        code = notify.last_code()
        two = [models.SelectionItemIn(product_id="av-7756", option="free", amount="25000.00")]
        visit = await service.choose(visit.id, two, models.PayerIn())
        assert not service.code_matches_selection(visit)
        with pytest.raises(SandboxError) as stale:
            await service.begin(visit.id, models.BeginIn(otp=code, description="Cuota", terms=True))
        assert stale.value.code == "otp_binding_mismatch"
        with pytest.raises(SandboxError) as soon:
            await service.resend(visit.id)
        assert soon.value.code == "otp_resend_too_soon"
        clock.advance(30)
        await service.resend(visit.id)
        assert "$25.000,00" in notify.messages[-1]["text"]
        checkout = await service.begin(visit.id, models.BeginIn(otp=notify.last_code(), description="x", terms=True))
        assert checkout.payment.total_minor == 2_500_000

    run(go())


def test_the_identity_code_expires_locks_and_the_products_stay_hidden(world: Any) -> None:
    service, _, notify, _, clock = world

    async def go() -> None:
        visit = await service.start("ALIANZA", "CC", "1033370434")
        clock.advance(300)
        with pytest.raises(SandboxError) as late:
            await service.verify_identity(visit.id, notify.last_code())
        assert late.value.code == "otp_expired"
        await service.resend(visit.id)
        for left in (4, 3, 2, 1):
            with pytest.raises(SandboxError) as wrong:
                await service.verify_identity(visit.id, "000000" if notify.last_code() != "000000" else "111111")
            assert wrong.value.code == "otp_invalid" and f"{left} intento" in wrong.value.message
        with pytest.raises(SandboxError) as locked:
            await service.verify_identity(visit.id, "000000" if notify.last_code() != "000000" else "111111")
        assert locked.value.code == "otp_locked"
        with pytest.raises(SandboxError) as still:
            await service.verify_identity(visit.id, notify.last_code())
        assert still.value.code == "otp_locked"
        with pytest.raises(SandboxError):
            await service.products(visit.id)

    run(go())


def test_refusals_before_the_gateway(world: Any) -> None:
    service, _, notify, _, _ = world

    async def go() -> None:
        with pytest.raises(SandboxError) as disabled:
            await service.start("SINCONVENIO", "CC", "1033370434")
        assert (disabled.value.code, disabled.value.status) == ("service_disabled", 403)
        with pytest.raises(SandboxError) as unknown:
            await service.lookup("ALIANZA", "CC", "99999999")
        assert unknown.value.code == "member_not_found" and "NICK" not in unknown.value.message
        visit = await service.start("ALIANZA", "CC", "1033370434")
        await service.verify_identity(visit.id, notify.last_code())
        for items, code in [
            ([models.SelectionItemIn(product_id="av-9901", option="free", amount="20000.00")], "product_inactive"),
            ([models.SelectionItemIn(product_id="av-7756", option="free", amount="999.00")], "amount_below_minimum"),
            (
                [models.SelectionItemIn(product_id="cr-7626", option="other", amount="1500000.01")],
                "amount_above_maximum",
            ),
            ([models.SelectionItemIn(product_id="cr-7626", option="none")], "total_zero"),
        ]:
            with pytest.raises(SandboxError) as refused:
                await service.choose(visit.id, items, models.PayerIn())
            assert refused.value.code == code
        with pytest.raises(SandboxError) as payer:
            await service.choose(
                visit.id,
                [models.SelectionItemIn(product_id="av-7756", option="free", amount="20000.00")],
                models.PayerIn(
                    different=True,
                    document_type="CC",
                    document_number="52987654",
                    first_names="LAURA",
                    last_names="GÓMEZ",
                    email="laura@example.com",
                ),
            )
        assert (payer.value.code, payer.value.field) == ("missing_field", "payer.mobile")
        visit = await service.choose(
            visit.id, [models.SelectionItemIn(product_id="av-7756", option="free", amount="20000.00")], models.PayerIn()
        )
        code = notify.last_code()
        with pytest.raises(SandboxError) as terms:
            await service.begin(visit.id, models.BeginIn(otp=code, description="Cuota", terms=False))
        assert terms.value.code == "terms_required"
        with pytest.raises(SandboxError) as described:
            await service.begin(visit.id, models.BeginIn(otp=code, description=" ", terms=True))
        assert described.value.code == "description_required"

    run(go())


def test_reconcile_without_sources_names_them(world: Any) -> None:
    service, _, _, _, _ = world
    service.gateway.report = lambda a, b: asyncio.sleep(0, None)  # type: ignore[attr-defined]

    async def transactions_on(entity: str, day: date) -> CoopAnswer[Any]:
        return CoopAnswer("unknown", error="coop_timeout")

    service.coop.transactions_on = transactions_on  # type: ignore[attr-defined]
    report = run(service.reconcile(date(2026, 12, 3)))
    assert report["sources"] == {"gateway": "unavailable", "coop:ALIANZA": "unavailable"}
    with pytest.raises(SandboxError):
        run(service.reconcile(date(1999, 1, 1)))


class TimeoutOnceTransport:
    """coop's wire for the real CoopPeer: the first credit is applied but its answer never comes
    (PeerTimeout, as after coop_timeout_s); a retry with the same key gets the first answer replayed."""

    def __init__(self) -> None:
        self.applied: dict[str, dict[str, Any]] = {}
        self.calls = 0

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        from reference_impl.peers.transport import PeerResponse, PeerTimeout

        assert method == "POST" and path.endswith("/credits"), path
        self.calls += 1
        key = kwargs["headers"]["Idempotency-Key"]
        body = kwargs["json_body"]
        replay = key in self.applied
        self.applied.setdefault(key, {"transaction_id": f"tx-{len(self.applied) + 1}", "kind": "credit",
                                      "status": "applied", "product_id": body["product_id"], "number_masked": "****",
                                      "amount": body["amount"], "currency": "COP", "reference": body["reference"],
                                      "running_balance": "0.00", "applied_at": T0.isoformat()})  # fmt: skip
        if self.calls == 1:
            raise PeerTimeout("no answer in time")
        headers = {"idempotent-replayed": "true"} if replay else {}
        return PeerResponse(201, self.applied[key], headers)

    async def aclose(self) -> None:
        return None


def test_a_credit_that_times_out_is_retried_with_the_same_key_through_the_real_peer(world: Any) -> None:
    from reference_impl.peers.coop import CoopPeer

    service, coop, notify, gateway, clock = world
    reference = visit_to_checkout(service, notify)
    transport = TimeoutOnceTransport()
    peer = CoopPeer(transport, {"ALIANZA": "coop-alianza-key"})  # type: ignore[arg-type]
    coop.apply_credit = peer.apply_credit  # the fake's reads stay; the credits go through CoopPeer
    gateway.set(reference, "APPROVED", 2_180_000)
    confirm(service, reference, "21800.00")
    first, second = service.payment(reference).items
    assert (first.credit_state.value, first.last_error, first.attempts) == ("applying", "coop_timeout", 1)
    assert second.credit_state.value == "applied"  # the next item did not wait for the unknown one
    assert [p.reference for p in service.unapplied()] == [reference]
    clock.advance(30)
    run(service.job_credits(clock.now()))
    assert [i.credit_state.value for i in service.payment(reference).items] == ["applied", "applied"]
    assert len(transport.applied) == 2 and transport.calls == 3  # 2 keys, applied once each; 1 retry


def test_a_code_is_used_only_with_the_step_it_allows(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The code's use and the visit's move (identity code) or the payment's start (payment code)
    commit in one transaction: a write that fails after the code was checked — the switch dying
    there — leaves the code unused, so the member's re-sent code is accepted, never «ya se usó»."""
    service, _coop, notify, _gateway, _clock = world
    save_visit = CollectionsState._save_visit
    fail = {"left": 0}

    def dies_once(conn: Any, visit: Any) -> None:
        if fail["left"]:
            fail["left"] -= 1
            raise RuntimeError("the switch died here")
        save_visit(conn, visit)

    monkeypatch.setattr(CollectionsState, "_save_visit", staticmethod(dies_once))

    async def go() -> None:
        visit = await service.start("ALIANZA", "CC", "1033370434")
        code = notify.last_code()
        fail["left"] = 1
        with pytest.raises(RuntimeError):
            await service.verify_identity(visit.id, code)
        assert (await service.verify_identity(visit.id, code)).state.value == "verified"  # the same code again
        items = [models.SelectionItemIn(product_id="av-7756", option="free", amount="20000.00")]
        visit = await service.choose(visit.id, items, models.PayerIn())
        code = notify.last_code()
        fail["left"] = 1
        with pytest.raises(RuntimeError):
            await service.begin(visit.id, models.BeginIn(otp=code, description="Cuota", terms=True))
        assert service.state.payment(visit.reference or "") is None  # nothing started
        checkout = await service.begin(visit.id, models.BeginIn(otp=code, description="Cuota", terms=True))
        assert checkout.payment.reference == visit.reference

    run(go())
