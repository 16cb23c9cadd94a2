"""The banks' state, in memory: accounts and their movements, online-banking sessions, payments.

``reset()`` goes back to the world's ``bank_customers``; ``export()`` (``GET /_sandbox/state``)
shows account numbers masked (``****0011``) and never a password or a session id.
Every movement is kept, so the balance of an account is always its opening balance plus its
movements (a test can check it at any time: :meth:`BankStore.consistent`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sandbox.bank.logic import Delivery, Payment, PaymentStatus
from sandbox.kit.masking import mask_account
from sandbox.kit.money import format_amount
from sandbox.world.model import BankCustomer, World

MAX_SESSIONS: Final = 50_000
MAX_PAYMENTS: Final = 500_000


@dataclass(slots=True)
class Movement:
    at: datetime
    kind: str  # "debit" | "reversal"
    amount_minor: int  # signed: debits negative
    cus: str
    description: str


@dataclass(slots=True)
class Account:
    bank_code: str
    number: str
    type: str
    owner: str  # username
    opening_minor: int
    balance_minor: int
    movements: list[Movement] = field(default_factory=list)

    @property
    def masked(self) -> str:
        return mask_account(self.number)

    def apply(self, movement: Movement) -> None:
        self.balance_minor += movement.amount_minor
        self.movements.append(movement)


@dataclass(frozen=True, slots=True)
class Session:
    sid: str
    bank_code: str
    username: str
    expires_at: datetime


class BankStore:
    def __init__(self, world: World) -> None:
        self.world = world
        self.banks = {b.code: b for b in world.banks if b.simulated_by == "bank"}
        self.customers: dict[tuple[str, str], BankCustomer] = {}
        self.accounts: dict[str, Account] = {}
        self.sessions: dict[str, Session] = {}
        self.payments: dict[str, Payment] = {}
        self.reset()

    def reset(self) -> None:
        self.customers = {(c.bank, c.username): c for c in self.world.bank_customers}
        self.accounts = {
            a.number: Account(c.bank, a.number, a.type, c.username, a.balance_minor, a.balance_minor)
            for c in self.world.bank_customers
            for a in c.accounts
        }
        self.sessions.clear()
        self.payments.clear()

    def export(self) -> dict[str, Any]:
        return {
            "accounts": [
                {"bank": a.bank_code, "owner": a.owner, "account": a.masked, "type": a.type,
                 "balance": format_amount(a.balance_minor, "COP"), "balance_minor": a.balance_minor,
                 "opening_minor": a.opening_minor,
                 "movements": [{"at": m.at.isoformat(), "kind": m.kind, "amount_minor": m.amount_minor,
                                "cus": m.cus} for m in a.movements]}
                for a in self.accounts.values()
            ],
            "payments": [
                {"cus": p.cus, "bank": p.bank_code, "username": p.username,
                 "account": mask_account(p.account_number) if p.account_number else None,
                 "status": p.status.value, "report": p.report, "delivery": p.delivery.value,
                 "ach_code": p.ach_code, "debited": p.debited, "value_minor": p.value_minor,
                 "authorization_id": p.authorization_id, "attempts": p.attempts,
                 "resolve_at": p.resolve_at.isoformat() if p.resolve_at else None}
                for p in self.payments.values()
            ],
            "sessions_active": len(self.sessions),
            "consistent": self.consistent(),
        }  # fmt: skip

    def consistent(self) -> bool:
        """Every balance is its opening plus its movements; every standing debit has a payment."""
        for account in self.accounts.values():
            if account.balance_minor != account.opening_minor + sum(m.amount_minor for m in account.movements):
                return False
        for payment in self.payments.values():
            if payment.account_number is None:
                continue
            moved = sum(m.amount_minor for m in self.accounts[payment.account_number].movements if m.cus == payment.cus)
            if moved != (-payment.value_minor if payment.debited else 0):
                return False
        return True

    # -- customers and sessions --------------------------------------------------------------
    def customer(self, bank_code: str, username: str) -> BankCustomer | None:
        return self.customers.get((bank_code, username.strip().lower()))

    def accounts_of(self, bank_code: str, username: str) -> list[Account]:
        return [a for a in self.accounts.values() if a.bank_code == bank_code and a.owner == username]

    def open_session(self, bank_code: str, username: str, expires_at: datetime) -> Session:
        while len(self.sessions) >= MAX_SESSIONS:
            self.sessions.pop(next(iter(self.sessions)))
        session = Session(secrets.token_urlsafe(24), bank_code, username, expires_at)
        self.sessions[session.sid] = session
        return session

    def session(self, sid: str | None, bank_code: str, now: datetime) -> Session | None:
        if not sid:
            return None
        session = self.sessions.get(sid)
        if session is None or session.bank_code != bank_code:
            return None
        if session.expires_at <= now:
            self.sessions.pop(sid, None)
            return None
        return session

    def close_session(self, sid: str | None) -> None:
        if sid:
            self.sessions.pop(sid, None)

    def purge_sessions(self, now: datetime) -> int:
        expired = [sid for sid, s in self.sessions.items() if s.expires_at <= now]
        for sid in expired:
            del self.sessions[sid]
        return len(expired)

    # -- payments ------------------------------------------------------------------------------
    def add_payment(self, payment: Payment) -> None:
        if len(self.payments) >= MAX_PAYMENTS:
            raise RuntimeError(f"the bank keeps at most {MAX_PAYMENTS} payments; reset the sandbox")
        self.payments[payment.cus] = payment

    def due_confirmations(self, now: datetime) -> list[Payment]:
        return [
            p
            for p in self.payments.values()
            if p.delivery is Delivery.DUE and (p.next_attempt_at is None or p.next_attempt_at <= now)
        ]

    def due_resolutions(self, now: datetime) -> list[Payment]:
        return [
            p
            for p in self.payments.values()
            if p.status is PaymentStatus.PENDING and p.resolve_at is not None and p.resolve_at <= now
        ]
