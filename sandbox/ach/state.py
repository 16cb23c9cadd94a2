"""ACH's state, in memory: tokens, transactions, PSE users, receipts still to e-mail.

``reset()`` goes back to the world (the world's PSE users, nothing else); ``export()`` is what
``GET /_sandbox/state`` shows (never a token or a secret). Every collection has a bound.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sandbox.ach.lifecycle import Transaction
from sandbox.ach.models import public_view
from sandbox.protocols.pse.codes import TxnState
from sandbox.world.model import PseUser, World

MAX_TOKENS: Final = 50_000
MAX_TRANSACTIONS: Final = 500_000
MAX_USERS: Final = 100_000
EXPIRED_TOKEN_MEMORY: Final = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    client_id: str
    entity_code: str
    issued_at: datetime
    expires_at: datetime


class CapacityError(RuntimeError):
    """A bounded collection is full."""


class AchStore:
    def __init__(self, world: World) -> None:
        self.world = world
        self.tokens: OrderedDict[str, AccessToken] = OrderedDict()
        self.transactions: dict[str, Transaction] = {}
        self.by_portal_token: dict[str, str] = {}
        self.by_ticket: dict[tuple[str, int], list[str]] = {}
        self.users: dict[str, PseUser] = {}
        self.registered: list[str] = []  # e-mails registered at the portal since the reset
        self.receipts_due: OrderedDict[str, int] = OrderedDict()  # CUS → delivery attempts
        self.receipts_sent: dict[str, str] = {}  # CUS → state the receipt told
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        self.tokens.clear()
        self.transactions.clear()
        self.by_portal_token.clear()
        self.by_ticket.clear()
        self.users = {u.email.lower(): u for u in self.world.pse_users}
        self.registered.clear()
        self.receipts_due.clear()
        self.receipts_sent.clear()

    def export(self) -> dict[str, Any]:
        counts: dict[str, int] = {s.value: 0 for s in TxnState}
        for txn in self.transactions.values():
            counts[txn.state.value] += 1
        return {
            "transactions": [dict(public_view(t)) for t in self.transactions.values()],
            "counts": counts,
            "tokens_active": len(self.tokens),
            "registered_users": [
                {"email": u.email, "person_type": u.person_type, "document_type": u.document_type.value,
                 "document_number": u.document_number, "full_name": u.full_name}
                for u in (self.users[e] for e in self.registered)
            ],
            "receipts_due": list(self.receipts_due),
            "receipts_sent": dict(self.receipts_sent),
        }  # fmt: skip

    # -- tokens ----------------------------------------------------------------------------
    def add_token(self, token: AccessToken) -> None:
        while len(self.tokens) >= MAX_TOKENS:
            self.tokens.popitem(last=False)
        self.tokens[token.token] = token

    def purge_tokens(self, now: datetime) -> int:
        """Forget tokens expired for over an hour (until then ACH can say "expired", not "unknown")."""
        expired = [t for t, rec in self.tokens.items() if rec.expires_at + EXPIRED_TOKEN_MEMORY <= now]
        for t in expired:
            del self.tokens[t]
        return len(expired)

    # -- transactions ----------------------------------------------------------------------
    def new_trazability_code(self) -> str:
        """A fresh CUS: 10 digits, unique in this store."""
        while True:
            cus = str(1_000_000_000 + secrets.randbelow(9_000_000_000))
            if cus not in self.transactions:
                return cus

    def new_portal_token(self) -> str:
        while True:
            token = secrets.token_urlsafe(18)
            if token not in self.by_portal_token:
                return token

    def open_for_ticket(self, entity_code: str, ticket_id: int) -> Transaction | None:
        """The PENDING or OK transaction of this ticket (double-payment control), if any."""
        for cus in self.by_ticket.get((entity_code, ticket_id), ()):
            txn = self.transactions[cus]
            if txn.state in (TxnState.PENDING, TxnState.OK):
                return txn
        return None

    def add(self, txn: Transaction) -> None:
        if len(self.transactions) >= MAX_TRANSACTIONS:
            raise CapacityError(f"ACH keeps at most {MAX_TRANSACTIONS} transactions; reset the sandbox")
        self.transactions[txn.trazability_code] = txn
        self.by_portal_token[txn.portal_token] = txn.trazability_code
        self.by_ticket.setdefault((txn.entity_code, txn.ticket_id), []).append(txn.trazability_code)

    def put(self, txn: Transaction) -> None:
        """Store a new value of an existing transaction."""
        assert txn.trazability_code in self.transactions
        self.transactions[txn.trazability_code] = txn

    def get(self, cus: str) -> Transaction | None:
        return self.transactions.get(cus)

    def by_portal(self, token: str) -> Transaction | None:
        cus = self.by_portal_token.get(token)
        return None if cus is None else self.transactions.get(cus)

    def pending(self) -> list[Transaction]:
        return [t for t in self.transactions.values() if t.state is TxnState.PENDING]

    # -- PSE users (PSE-01) ------------------------------------------------------------------
    def user(self, email: str) -> PseUser | None:
        return self.users.get(email.strip().lower())

    def register(self, user: PseUser) -> None:
        if len(self.users) >= MAX_USERS:
            raise CapacityError(f"ACH keeps at most {MAX_USERS} PSE users")
        self.users[user.email.lower()] = user
        self.registered.append(user.email.lower())
