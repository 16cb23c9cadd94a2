"""CEIBO's state: the DIMO cards of the world, their books, and every hold, in memory and on disk.

Handlers run on one event loop and never await between reading and writing the state, so each
operation is atomic without locks. Resolved holds are kept up to :data:`MAX_FINAL_HOLDS` (the
oldest are dropped first); pending holds are always kept until resolved or expired.

Durable (NET-08): every changed card book, hold and tombstone is staged in CEIBO's
:class:`~sandbox.kit.durable.RowStore` (``<state_dir>/ceibo.db``), which the kit commits before
any answer leaves; at start the state is the world with the stored rows laid over it.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sandbox.kit.clock import from_us
from sandbox.kit.durable import RowStore
from sandbox.kit.money import format_amount
from sandbox.protocols.sicoop import business_day, report_page
from sandbox.sicoop.ceibo.logic import CardBook, Decision, Hold, HoldKind, HoldState
from sandbox.world import World

MAX_FINAL_HOLDS = 1_000_000
MAX_TOMBSTONES = 100_000


@dataclass(frozen=True, slots=True)
class CardProfile:
    """Who holds a card and how to reach it (never changes during a run)."""

    card_id: str
    entity: str | None
    holder_name: str
    holder_document: str
    phone: str
    soft_token_secret: str


def iso(us: int | None) -> str | None:
    return None if us is None else from_us(us).isoformat()


def pyg(minor: int) -> str:
    return format_amount(minor, "PYG")


def encode(kind: str, obj: Any) -> Any:
    """A row of CEIBO's store (``card``: a book; ``hold``; ``tomb``: when a void overtook its hold)."""
    if kind == "card":
        b: CardBook = obj
        return [b.status, b.balance_minor, b.pending_debit_minor, b.pending_credit_minor, b.last_token_step]
    if kind == "hold":
        h: Hold = obj
        return [
            h.card_id,
            h.kind.value,
            h.amount_minor,
            h.state.value,
            h.created_us,
            h.expires_us,
            h.resolved_us,
            h.reason_code,
            h.trace_number,
            h.counter_id,
        ]
    return obj


def decode_hold(hold_id: str, v: list[Any]) -> Hold:
    return Hold(hold_id, v[0], HoldKind(v[1]), v[2], HoldState(v[3]), v[4], v[5], v[6], v[7], v[8], v[9])


class CeiboState:
    def __init__(self, world: World, store: RowStore | None = None) -> None:
        self.world = world
        self.store = store if store is not None else RowStore.memory()
        self.profiles: dict[str, CardProfile] = {}
        self.books: dict[str, CardBook] = {}
        self.by_document: dict[str, list[str]] = {}
        self.by_phone: dict[str, list[str]] = {}
        self.holds: dict[str, Hold] = {}
        self._final: deque[str] = deque()
        #: Hold ids voided before the hold arrived (a reversal that overtook its authorization).
        self.tombstones: dict[str, int] = {}
        #: Hold ids by the business day they were created (append-only: the settlement report's
        #: pages); a day is forgotten once none of its holds is kept any more.
        self.by_day: dict[date, list[str]] = {}
        self._live: Counter[date] = Counter()
        self._from_world()
        self._load()

    # -- PartyState ------------------------------------------------------------------------------
    def reset(self) -> None:
        self._from_world()
        self.store.wipe()

    def _load(self) -> None:
        """Lay the stored rows over the world (a restart continues where it stopped)."""
        for card_id, v in self.store.rows("card"):
            if card_id in self.books:
                self.books[card_id] = CardBook(card_id, v[0], v[1], v[2], v[3], v[4])
        holds = [decode_hold(hold_id, v) for hold_id, v in self.store.rows("hold")]
        holds.sort(key=lambda h: (h.created_us, h.hold_id))
        for hold in holds:
            self._index(hold)
        self.tombstones.update(sorted(((k, int(v)) for k, v in self.store.rows("tomb")), key=lambda kv: kv[1]))

    def _from_world(self) -> None:
        self.profiles.clear()
        self.books.clear()
        self.by_document.clear()
        self.by_phone.clear()
        self.holds.clear()
        self._final.clear()
        self.tombstones.clear()
        self.by_day.clear()
        self._live.clear()
        for card in self.world.dimo_cards:
            self.profiles[card.card_id] = CardProfile(
                card.card_id,
                card.entity,
                card.holder_name,
                card.holder_document,
                card.phone,
                card.soft_token_secret,
            )
            self.books[card.card_id] = CardBook(card.card_id, card.status, card.balance_minor)
            self.by_document.setdefault(card.holder_document, []).append(card.card_id)
            self.by_phone.setdefault(card.phone, []).append(card.card_id)

    def export(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for hold in self.holds.values():
            counts[hold.state.value] = counts.get(hold.state.value, 0) + 1
        latest = list(self.holds.values())[-200:]
        return {
            "cards": [self.card_row(card_id) for card_id in list(self.books)[:1000]],
            "card_count": len(self.books),
            "holds_by_state": counts,
            "total_balance": pyg(sum(b.balance_minor for b in self.books.values())),
            "latest_holds": [hold_row(h) for h in reversed(latest)],
        }

    # -- cards -------------------------------------------------------------------------------------
    def find(self, *, document_number: str | None = None, phone: str | None = None) -> list[str]:
        if document_number is not None:
            return list(self.by_document.get(document_number, ()))
        if phone is not None:
            return list(self.by_phone.get(phone, ()))
        return []

    def card_row(self, card_id: str) -> dict[str, Any]:
        profile, book = self.profiles[card_id], self.books[card_id]
        return {
            "card_id": card_id,
            "document_number": profile.holder_document,
            "phone": profile.phone,
            "holder_name": profile.holder_name,
            "entity": profile.entity,
            "status": book.status,
            "currency": "PYG",
            "balance": pyg(book.balance_minor),
            "pending": pyg(book.pending_debit_minor),
            "pending_credit": pyg(book.pending_credit_minor),
            "available": pyg(book.available_minor),
        }

    # -- holds -------------------------------------------------------------------------------------
    def apply(self, decision: Decision) -> None:
        hold = decision.hold
        self.store.put("hold", hold.hold_id, hold)
        if decision.card is not None:
            self.books[decision.card.card_id] = decision.card
            self.store.put("card", decision.card.card_id, decision.card)
        self._index(hold)

    def set_book(self, book: CardBook) -> None:
        self.books[book.card_id] = book
        self.store.put("card", book.card_id, book)

    def _index(self, hold: Hold) -> None:
        if hold.hold_id not in self.holds:
            day = business_day(hold.created_us)
            self.by_day.setdefault(day, []).append(hold.hold_id)
            self._live[day] += 1
        self.holds[hold.hold_id] = hold
        if hold.state is not HoldState.PENDING:
            self._final.append(hold.hold_id)
            while len(self._final) > MAX_FINAL_HOLDS:
                old = self._final.popleft()
                if old in self.holds and self.holds[old].state is not HoldState.PENDING:
                    self._forget(self.holds.pop(old))

    def _forget(self, hold: Hold) -> None:
        self.store.delete("hold", hold.hold_id)
        day = business_day(hold.created_us)
        self._live[day] -= 1
        if self._live[day] <= 0:
            del self._live[day]
            self.by_day.pop(day, None)

    def tombstone(self, hold_id: str, now_us: int) -> None:
        self.tombstones[hold_id] = now_us
        self.store.put("tomb", hold_id, now_us)
        while len(self.tombstones) > MAX_TOMBSTONES:
            oldest = next(iter(self.tombstones))
            del self.tombstones[oldest]
            self.store.delete("tomb", oldest)

    def due(self, now_us: int) -> Iterator[Hold]:
        for hold in list(self.holds.values()):
            if hold.state is HoldState.PENDING and hold.expires_us <= now_us:
                yield hold

    def day_holds(self, day: date, page_token: str | None, page_size: int) -> tuple[list[Hold], str | None]:
        """One page of the holds created on a business day, oldest first (the settlement report)."""
        ids, next_token = report_page(self.by_day.get(day, ()), page_token, page_size)
        return [self.holds[i] for i in ids if i in self.holds], next_token

    def between(self, since_us: int | None, until_us: int | None) -> list[Hold]:
        return [
            h
            for h in self.holds.values()
            if (since_us is None or h.created_us >= since_us) and (until_us is None or h.created_us < until_us)
        ]


def hold_row(hold: Hold) -> dict[str, Any]:
    return {
        "hold_id": hold.hold_id,
        "card_id": hold.card_id,
        "kind": hold.kind.value,
        "amount": pyg(hold.amount_minor),
        "currency": "PYG",
        "state": hold.state.value,
        "reason_code": hold.reason_code,
        "created_at": iso(hold.created_us),
        "expires_at": iso(hold.expires_us),
        "resolved_at": iso(hold.resolved_us),
        "trace_number": hold.trace_number,
        "counter_id": hold.counter_id,
    }
