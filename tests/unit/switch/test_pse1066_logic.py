"""The 1066 flow's pure decisions: the document, the limits with a product's caps, the portal's
throttle and lock, the payment's transitions, the retry pauses, the portal's password hashes and
the reconciliation's comparison."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from reference_impl.core.instants import US_PER_S
from reference_impl.core.limits import LimitPolicy
from reference_impl.flows.pse_bank import reconciliation
from reference_impl.flows.pse_bank.logic import (
    TRANSITIONS,
    Document,
    IllegalTransition,
    PaymentStatus,
    PsePayment,
    Refusal,
    close,
    decide_login,
    effective_policy,
    is_debitable,
    login_failed,
    login_succeeded,
    may_log_in,
    move,
    parse_document,
    remaining,
    retry_delay_s,
)
from reference_impl.flows.pse_bank.portal import PasswordHash, PortalDirectory
from sandbox.kit.masking import mask_email, mask_mobile
from sandbox.world import load_world


@pytest.mark.parametrize(
    ("kind", "number", "expected"),
    [
        ("CC", "1033370434", Document("CC", "1033370434")),
        ("cc", " 1.033.370.434 ", Document("CC", "1033370434")),
        ("CE", "987654", Document("CE", "987654")),
        ("PP", "ab12345", Document("PP", "AB12345")),
        ("CC", "12ab", "numero_documento"),
        ("CC", "", "numero_documento"),
        ("NIT", "900999000", "tipo_documento"),  # a company does not pay from a member's account
        ("XX", "1033370434", "tipo_documento"),
    ],
)
def test_the_document(kind: str, number: str, expected: Document | str) -> None:
    result = parse_document(kind, number)
    if isinstance(expected, Document):
        assert result == expected
    else:
        assert isinstance(result, Refusal)
        assert result.field == expected


@pytest.mark.parametrize(
    ("status", "pse_debit", "currency", "expected"),
    [("active", True, "COP", True), ("inactive", True, "COP", False), ("active", False, "COP", False),
     ("blocked", True, "COP", False), ("active", True, "USD", False)],
)  # fmt: skip
def test_which_accounts_may_be_debited(status: str, pse_debit: bool, currency: str, expected: bool) -> None:
    assert is_debitable(status, pse_debit, currency) is expected


def test_a_products_caps_replace_the_networks_where_it_has_them() -> None:
    network = LimitPolicy(300_000_000, 600_000_000, 5)
    assert effective_policy(network, None, None, None) == network
    assert effective_policy(network, 5_000_000, None, 0) == LimitPolicy(5_000_000, 600_000_000, 0)


def test_remaining_accounts() -> None:
    assert remaining(["a", "b", "c"], ["b"]) == ["a", "c"]
    assert remaining(["a"], ["a"]) == []


def test_the_portal_throttles_then_locks() -> None:
    now = 1_000 * US_PER_S
    state = None
    for failures in (1, 2):
        state = login_failed(state, "nrivera", now)
        assert (state.failures, state.locked) == (failures, False)
        assert decide_login(state, now).allowed
    state = login_failed(state, "nrivera", now)
    decision = decide_login(state, now)
    assert (decision.allowed, decision.code, decision.retry_after_s) == (False, "login_throttled", 30)
    assert decide_login(state, now + 30 * US_PER_S).allowed
    state = login_failed(state, "nrivera", now + 30 * US_PER_S)
    state = login_failed(state, "nrivera", now + 60 * US_PER_S)
    assert state.locked
    assert decide_login(state, now + 3600 * US_PER_S).code == "login_locked"
    assert login_succeeded(login_failed(None, "x", now), "x").failures == 0


def test_retry_pauses_grow_to_ten_minutes() -> None:
    assert [retry_delay_s(n) for n in (1, 2, 3, 4, 5, 6, 50)] == [30, 60, 120, 240, 480, 600, 600]


def payment(status: str = "started", **changes: object) -> PsePayment:
    base = PsePayment(
        "123", "10002", "FERRETERIA", "http://m/r", 1, "Factura", 48_000_000, 0, "2026-01-15T10:00:00-05:00",
        status, None, None, None, None, None, None, None, None, 0, None, None, None, None, None, None, None,
        "none", 0, None, None, "none", 0, None, None, 0, 0, None, 0,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_every_final_state_has_no_way_out_but_approved_to_reversed() -> None:
    assert TRANSITIONS[PaymentStatus.DECLINED] == frozenset()
    assert TRANSITIONS[PaymentStatus.REVERSED] == frozenset()
    assert TRANSITIONS[PaymentStatus.APPROVED] == frozenset({PaymentStatus.REVERSED})


@pytest.mark.parametrize(
    ("status", "entity", "expected"),
    [
        ("started", None, False),
        ("identified", None, False),  # the entity comes first
        ("identified", "ALIANZA", True),
        ("authenticated", "ALIANZA", True),  # a re-login: the browser lost its session
        ("authorized", "ALIANZA", True),  # ...or the member went on in another browser
        ("authorizing", "ALIANZA", False),  # never while coop is being asked
        ("posting", "ALIANZA", False),
        ("approved", "ALIANZA", False),
        ("declined", "ALIANZA", False),
        ("reversed", "ALIANZA", False),
    ],
)
def test_when_the_portal_login_is_where_a_payment_goes_on(status: str, entity: str | None, expected: bool) -> None:
    assert may_log_in(payment(status, entity=entity)) is expected


def test_closing_tells_ach_and_an_illegal_move_is_an_error() -> None:
    approved = close(payment("posting"), PaymentStatus.APPROVED, None, 5)
    assert (approved.ach_report, approved.ach_sync, approved.ach_next_us, approved.resolved_us) == ("OK", "due", 5, 5)
    declined = close(payment("authenticated"), PaymentStatus.DECLINED, "no_accounts_left", 7)
    assert (declined.ach_report, declined.reason_code) == ("NOT_AUTHORIZED", "no_accounts_left")
    with pytest.raises(IllegalTransition):
        close(payment("started"), PaymentStatus.APPROVED, None, 1)  # never approved without a post
    with pytest.raises(IllegalTransition):
        move(payment("declined"), PaymentStatus.AUTHORIZING, 1)


def test_passwords_are_salted_scrypt_hashes() -> None:
    first, second = PasswordHash.of("Redcoop.2024"), PasswordHash.of("Redcoop.2024")
    assert first.salt != second.salt and first.key != second.key
    assert first.matches("Redcoop.2024") and not first.matches("redcoop.2024")
    directory = PortalDirectory.from_world(load_world(None))
    user = directory.check("NRivera", "Redcoop.2024")
    assert user is not None and user.document_number == "1033370434"
    assert directory.check("nrivera", "wrong") is None
    assert directory.check("nobody", "Redcoop.2024") is None
    assert (mask_email("nick.rivera@example.com"), mask_mobile("3104567890")) == ("n***@example.com", "310****890")


@dataclass(frozen=True)
class Txn:
    transaction_id: str
    kind: str
    status: str
    amount_minor: int
    reference: str
    reversed: bool = False


def settled(status: str, cus: str, **changes: object) -> PsePayment:
    return payment(status, cus=cus, entity="ALIANZA", ach_sync="done", **changes)


def test_the_reconciliation_agrees_and_names_each_difference() -> None:
    payments = [settled("approved", "1"), settled("declined", "2"), settled("reversed", "3"),
                payment("posting", cus="4", entity="ALIANZA", coop_sync="post")]  # fmt: skip
    debits = [Txn("t1", "debit", "posted", 48_000_000, "PSE1066-1"), Txn("t2", "debit", "voided", 48_000_000, "PSE1066-2"),
              Txn("t3", "debit", "posted", 48_000_000, "PSE1066-3", reversed=True)]  # fmt: skip
    states = {"1": "OK", "2": "NOT_AUTHORIZED", "3": "FAILED", "4": "PENDING"}
    report = reconciliation.compare(payments, debits, [], states)
    assert report.differences == []
    assert report.in_progress == ["4"]
    assert report.totals["switch_approved"].count == report.totals["coop_posted"].count == 1
    wrong = reconciliation.compare(
        payments, [*debits, Txn("t9", "debit", "posted", 1, "PSE1066-99")], [], {**states, "2": "OK"}
    )
    assert sorted((d["cus"], d["party"]) for d in wrong.differences) == [("2", "ach"), ("99", "coop")]
