"""Collections' pure decisions: payable products, amounts (COL-03), total (COL-12), payer (COL-04,
COL-13), the OTP binding (NET-07), the payment's life (COL-19, COL-20) and the reconciliation."""

from __future__ import annotations

import pytest

from reference_impl.flows.collections import logic
from reference_impl.flows.collections.logic import (
    CreditState,
    GatewayTx,
    ItemRecord,
    Payer,
    PaymentRecord,
    PayState,
    ProductInfo,
    Refusal,
    RequestedItem,
)

M = 60 * 1_000_000
AV = ProductInfo("av1", "AV", "Ahorros a la Vista", "****7756", "active", other_min_minor=100_000,
                 other_max_minor=5_000_000_000)  # fmt: skip
CR = ProductInfo("cr1", "CR", "Cupo de Crédito", "****7626", "active", minimum_payment_minor=180_000,
                 total_payment_minor=150_000_000, other_min_minor=100_000, other_max_minor=150_000_000)  # fmt: skip
PO = ProductInfo("po1", "PO", "Aportes Sociales", "****8768", "active")
OFF = ProductInfo("av2", "AV", "Ahorros a la Vista", "****9901", "inactive")
CLOSED = ProductInfo("ob1", "OB", "Obligación", "****9902", "closed", total_payment_minor=1)
ALL = [AV, CR, PO, OFF, CLOSED]


def test_payable_products_are_the_active_col02_ones() -> None:
    assert [p.product_id for p in logic.payable(ALL)] == ["av1", "cr1", "po1"]
    assert logic.payable([OFF, CLOSED]) == []  # «No hay productos disponibles»
    assert AV.label == "Ahorros a la Vista(****7756)"
    assert CR.credit and not AV.credit


@pytest.mark.parametrize(
    ("product", "item", "code"),
    [
        (None, RequestedItem("x", "free", 100), "product_not_found"),
        (OFF, RequestedItem("av2", "free", 100_000), "product_inactive"),
        (CR, RequestedItem("cr1", "minimum", 180_001), "amount_not_allowed"),
        (CR, RequestedItem("cr1", "total", 1), "amount_not_allowed"),
        (CR, RequestedItem("cr1", "other", 99_999), "amount_below_minimum"),
        (CR, RequestedItem("cr1", "other", 150_000_001), "amount_above_maximum"),
        (AV, RequestedItem("av1", "free", 99_999), "amount_below_minimum"),
        (AV, RequestedItem("av1", "free", 5_000_000_001), "amount_above_maximum"),
        (AV, RequestedItem("av1", "minimum", None), "option_not_available"),
        (PO, RequestedItem("po1", "total", None), "option_not_available"),
        (CR, RequestedItem("cr1", "other", None), "missing_field"),
        (CR, RequestedItem("cr1", "bogus", 1), "invalid_field"),
    ],
)
def test_each_amount_is_checked_against_the_product_rules(
    product: ProductInfo | None, item: RequestedItem, code: str
) -> None:
    with pytest.raises(Refusal) as refused:
        logic.check_item(product, item, "items[0]")
    assert refused.value.code == code
    assert refused.value.field and refused.value.field.startswith("items[0]")


def test_accepted_amounts() -> None:
    assert logic.check_item(CR, RequestedItem("cr1", "none"), "i") is None
    assert logic.check_item(CR, RequestedItem("cr1", "minimum"), "i").amount_minor == 180_000  # type: ignore[union-attr]
    assert logic.check_item(CR, RequestedItem("cr1", "total", 150_000_000), "i").option == "total"  # type: ignore[union-attr]
    assert logic.check_item(CR, RequestedItem("cr1", "free", 200_000), "i").option == "other"  # type: ignore[union-attr]
    assert logic.check_item(AV, RequestedItem("av1", "other", 2_000_000), "i").option == "free"  # type: ignore[union-attr]
    assert logic.check_item(AV, RequestedItem("av1", "free", 0), "i") is None
    assert logic.check_item(PO, RequestedItem("po1", "free", 1), "i").amount_minor == 1  # type: ignore[union-attr]


def test_the_total_must_be_greater_than_zero_and_reach_the_gateway_minimum() -> None:
    with pytest.raises(Refusal) as refused:
        logic.decide_selection(ALL, [RequestedItem("cr1", "none"), RequestedItem("av1", "free", 0)])
    assert (refused.value.code, refused.value.field) == ("total_zero", "items")
    with pytest.raises(Refusal) as low:
        logic.decide_selection(ALL, [RequestedItem("po1", "free", 500)], minimum_total_minor=100_000)
    assert low.value.code == "total_below_minimum"
    with pytest.raises(Refusal) as twice:
        logic.decide_selection(ALL, [RequestedItem("av1", "free", 100_000), RequestedItem("av1", "free", 100_000)])
    assert twice.value.code == "duplicate_product"
    chosen = logic.decide_selection(ALL, [RequestedItem("av1", "free", 2_000_000), RequestedItem("cr1", "minimum")])
    assert chosen.total_minor == 2_180_000
    assert [i.product_id for i in chosen.items] == ["av1", "cr1"]


MEMBER = Payer(False, "CC", "1033370434", "NICK", "RIVERA CAMINERO", "nick@example.com", "3104567890")
OTHER = {"document_type": "CC", "document_number": "52987654", "first_names": "LAURA", "last_names": "GÓMEZ",
         "email": "laura@example.com", "mobile": "3157654321"}  # fmt: skip


def test_the_payer_defaults_to_the_member() -> None:
    assert logic.decide_payer(False, {}, MEMBER) is MEMBER


@pytest.mark.parametrize("missing", list(logic.PAYER_FIELDS))
def test_a_different_depositor_must_give_every_field(missing: str) -> None:
    with pytest.raises(Refusal) as refused:
        logic.decide_payer(True, {**OTHER, missing: ""}, MEMBER)
    assert (refused.value.code, refused.value.field) == ("missing_field", f"payer.{missing}")


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [("document_number", "12", "payer.document_number"), ("document_type", "NIT", "payer.document_type"),
     ("email", "no-es-correo", "payer.email"), ("mobile", "12345", "payer.mobile")],
)  # fmt: skip
def test_a_different_depositor_must_give_well_formed_fields(name: str, value: str, field: str) -> None:
    with pytest.raises(Refusal) as refused:
        logic.decide_payer(True, {**OTHER, name: value}, MEMBER)
    assert (refused.value.code, refused.value.field) == ("invalid_field", field)


def test_a_complete_depositor_pays() -> None:
    payer = logic.decide_payer(True, OTHER, MEMBER)
    assert payer.different and payer.full_name == "LAURA GÓMEZ"


def test_the_binding_changes_with_any_amount_product_or_member() -> None:
    one = logic.decide_selection(ALL, [RequestedItem("av1", "free", 2_000_000)])
    other = logic.decide_selection(ALL, [RequestedItem("av1", "free", 2_000_100)])
    more = logic.decide_selection(ALL, [RequestedItem("av1", "free", 2_000_000), RequestedItem("po1", "free", 1)])
    base = logic.selection_binding("ALIANZA", "m1", one)
    assert base == logic.selection_binding("ALIANZA", "m1", one)
    assert len({base, logic.selection_binding("ALIANZA", "m1", other), logic.selection_binding("ALIANZA", "m1", more),
                logic.selection_binding("ALIANZA", "m2", one), logic.selection_binding("OLOHZO", "m1", one)}) == 5  # fmt: skip
    assert logic.identity_binding("ALIANZA", "m1") != base


def test_description_is_mandatory() -> None:
    with pytest.raises(Refusal) as refused:
        logic.check_description("   ")
    assert refused.value.code == "description_required"
    assert logic.check_description(" Cuota de diciembre ") == "Cuota de diciembre"


# -- the payment's life -------------------------------------------------------------------------------
def tx(state: str, amount: int = 2_000_000, kind: str = "AUTHORIZATION_AND_CAPTURE", tid: str = "t1") -> GatewayTx:
    return GatewayTx(tid, state, kind, None, "CUS1", "BANCO", amount)


@pytest.mark.parametrize(
    ("txs", "state"),
    [
        ([], None),
        ([tx("PENDING")], PayState.PENDING),
        ([tx("APPROVED")], PayState.APPROVED),
        ([tx("DECLINED")], PayState.DECLINED),
        ([tx("ERROR")], PayState.FAILED),
        ([tx("EXPIRED")], PayState.FAILED),
        ([tx("DECLINED", tid="a"), tx("APPROVED", tid="b")], PayState.APPROVED),
        ([tx("APPROVED", kind="REFUND")], None),
        ([tx("APPROVED", amount=1)], None),  # an approved amount other than the total is never applied
    ],
)
def test_the_outcome_comes_from_the_gateway_transactions(txs: list[GatewayTx], state: PayState | None) -> None:
    assert logic.outcome_of(txs, 2_000_000).state is state


def test_a_final_state_never_changes_and_pending_moves_forward() -> None:
    for final in (PayState.APPROVED, PayState.DECLINED, PayState.FAILED, PayState.EXPIRED):
        for reported in (PayState.PENDING, PayState.APPROVED, PayState.FAILED, None):
            assert logic.settle(final, reported, created_us=0, now_us=10**12) is final
    assert logic.settle(PayState.CREATED, PayState.PENDING, created_us=0, now_us=0) is PayState.PENDING
    assert logic.settle(PayState.PENDING, PayState.APPROVED, created_us=0, now_us=0) is PayState.APPROVED
    assert logic.settle(PayState.CREATED, None, created_us=0, now_us=119 * M) is PayState.CREATED
    assert logic.settle(PayState.CREATED, None, created_us=0, now_us=120 * M) is PayState.EXPIRED


def test_queries_at_7_minutes_then_every_12() -> None:
    assert logic.next_query_us(0, 0) == 7 * M
    assert logic.next_query_us(0, 7 * M - 1) == 7 * M
    assert logic.next_query_us(0, 7 * M) == 19 * M
    assert logic.next_query_us(0, 20 * M) == 31 * M


def payment(state: PayState = PayState.CREATED) -> PaymentRecord:
    items = [ItemRecord("R1", n, f"p{n}", "AV", "Ahorros", "****1", "free", 1_000_000) for n in (1, 2)]
    return PaymentRecord("R1", "s", "ALIANZA", "m1", "NICK", {}, "d", 2_000_000, "COP", state, 0, 0, items=items)


def test_approval_marks_every_item_to_apply_once_and_a_decline_voids_them() -> None:
    p = payment()
    assert logic.apply_outcome(p, logic.outcome_of([tx("APPROVED")], 2_000_000), 5 * M)
    assert p.state is PayState.APPROVED and p.next_query_us is None and p.final_us == 5 * M
    assert [i.credit_state for i in p.items] == [CreditState.APPLYING, CreditState.APPLYING]
    assert len(p.unapplied) == 2
    logic.credit_result(p.items[0], "ok", now_us=6 * M, transaction_id="c1", error=None)
    logic.credit_result(p.items[0], "ok", now_us=7 * M, transaction_id="c2", error=None)  # a second answer: no effect
    assert (p.items[0].credit_state, p.items[0].coop_transaction_id, p.items[0].attempts) == (
        CreditState.APPLIED,
        "c1",
        1,
    )
    logic.credit_result(p.items[1], "unknown", now_us=6 * M, transaction_id=None, error="coop_timeout")
    assert p.items[1].credit_state is CreditState.APPLYING and p.items[1].next_us == 6 * M + 30_000_000
    logic.credit_result(p.items[1], "unknown", now_us=7 * M, transaction_id=None, error="coop_timeout")
    assert p.items[1].next_us == 7 * M + 60_000_000
    logic.credit_result(p.items[1], "refused", now_us=8 * M, transaction_id=None, error="product_inactive")
    assert p.items[1].credit_state is CreditState.REFUSED and [i.seq for i in p.unapplied] == [2]
    # a later report changes nothing
    assert not logic.apply_outcome(p, logic.outcome_of([tx("DECLINED")], 2_000_000), 9 * M)
    declined = payment(PayState.PENDING)
    logic.apply_outcome(declined, logic.outcome_of([tx("DECLINED")], 2_000_000), M)
    assert declined.state is PayState.DECLINED
    assert {i.credit_state for i in declined.items} == {CreditState.VOID} and declined.unapplied == []


def test_one_key_per_item() -> None:
    assert logic.credit_key("0000000025", 1) == "recaudo-0000000025-1"
    assert logic.next_apply_us(99, 0) == logic.APPLY_RETRY_MAX_S * 1_000_000


def test_reconciliation_lines_name_each_reference() -> None:
    lines = logic.reconcile_lines(
        [("R1", "ALIANZA", "approved", 100), ("R2", "ALIANZA", "declined", 50), ("R3", "ALIANZA", "approved", 70)],
        {"R1": 100, "R3": 70, "R9": 5},
        {"R1": 100, "R3": 30},
    )
    by_ref = {line.reference: line for line in lines}
    assert by_ref["R1"].difference_minor == 0 and by_ref["R2"].difference_minor == 0
    assert by_ref["R3"].difference_minor == -40
    assert by_ref["R9"].state == "unknown" and by_ref["R9"].difference_minor == -5
