"""The banks' in-memory state: accounts from the world, consistency, sessions, reset."""

from __future__ import annotations

from datetime import datetime, timedelta

from sandbox.bank.logic import Payment, PaymentStatus
from sandbox.bank.state import BankStore, Movement
from sandbox.world import load_world

T0 = datetime.fromisoformat("2026-01-15T10:00:00-05:00")


def test_accounts_come_from_the_world_and_exports_mask_them() -> None:
    store = BankStore(load_world(None))
    assert "1066" not in store.banks, "the switch plays 1066"
    assert {"1022", "1007", "1051"} <= set(store.banks)
    exported = store.export()
    numbers = [a["account"] for a in exported["accounts"]]
    assert "****0011" in numbers and all(n.startswith("****") for n in numbers)
    assert exported["consistent"] is True


def test_consistency_catches_a_balance_without_movement_and_a_debit_without_payment() -> None:
    store = BankStore(load_world(None))
    account = store.accounts["102200000011"]
    account.balance_minor -= 1
    assert not store.consistent()
    account.balance_minor += 1
    account.apply(Movement(T0, "debit", -500, "777", "x"))
    assert store.consistent(), "a movement with no payment of its CUS is not a payment debit"
    store.add_payment(
        Payment(cus="777", bank_code="1022", username="aprobado", account_number="102200000011", entity_code="1",
                entity_name="E", entity_url="", description="", ticket_id=1, value_minor=500, vat_minor=0,
                solicite_date="", created_at=T0, status=PaymentStatus.APPROVED, debited=False, report="OK")
    )  # fmt: skip
    assert not store.consistent(), "the payment says not debited but the account moved"


def test_sessions_expire_and_are_per_bank() -> None:
    store = BankStore(load_world(None))
    session = store.open_session("1022", "aprobado", T0 + timedelta(minutes=30))
    assert store.session(session.sid, "1022", T0) == session
    assert store.session(session.sid, "1007", T0) is None
    assert store.session(session.sid, "1022", T0 + timedelta(minutes=30)) is None
    assert session.sid not in store.sessions


def test_reset_restores_the_world() -> None:
    store = BankStore(load_world(None))
    store.accounts["102200000011"].apply(Movement(T0, "debit", -100, "1", "x"))
    store.open_session("1022", "aprobado", T0)
    store.reset()
    assert store.accounts["102200000011"].balance_minor == 1_000_000_000
    assert store.sessions == {} and store.payments == {}
