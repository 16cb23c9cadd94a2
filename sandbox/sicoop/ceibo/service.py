"""CEIBO's use cases: card lookup and balance, holds (authorize, post, void, query, expire), the
soft-tokens the DIMO app shows, and the day's holds report.

:class:`CeiboService` reads and writes :class:`~sandbox.sicoop.ceibo.state.CeiboState`, asks the pure
decisions of :mod:`sandbox.sicoop.ceibo.logic` and applies behaviour rules only through
:meth:`sandbox.kit.behaviour.Behaviour.at` (operations in :data:`OPERATIONS`). Handlers run on one
event loop and never await between reading and writing the state, so each operation is atomic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

from sandbox.kit.behaviour import Behaviour
from sandbox.kit.clock import Clock, from_us, to_us
from sandbox.kit.errors import Conflict, InvalidInput, NotFound
from sandbox.protocols.paraguay import normalize_cedula, normalize_phone
from sandbox.protocols.sicoop import (
    CardOut,
    CardsFound,
    CardSummary,
    HoldIn,
    HoldOut,
    HoldReportItem,
    HoldsReport,
    check_report_day,
)
from sandbox.sicoop.ceibo.logic import (
    HoldAction,
    HoldKind,
    HoldRequest,
    HoldState,
    Refused,
    decide_hold,
    decide_resolve,
    reason_message,
)
from sandbox.sicoop.ceibo.softtoken import STEP_S, check_code, shown_code
from sandbox.sicoop.ceibo.state import CeiboState, hold_row, iso, pyg

#: Behaviour-rule operations of CEIBO and the fields each exposes (docs/magic-values.md).
OPERATIONS: Final[dict[str, set[str]]] = {
    "ceibo.lookup": {"document_number", "phone"},
    "ceibo.hold": {"card_id", "kind", "counter_id", "trace_number", "document_number", "phone"},
    "ceibo.post": {"hold_id", "card_id", "kind"},
    "ceibo.void": {"hold_id", "card_id", "kind"},
}

REFUSALS_ES: Final = {
    "already_posted": "La retención ya fue aplicada.",
    "already_voided": "La retención ya fue anulada.",
    "expired": "La retención venció antes de resolverse.",
    "hold_declined": "La autorización fue rechazada: no hay retención que resolver.",
    "hold_not_due": "La retención aún no venció.",
}


@dataclass(frozen=True, slots=True)
class AppCards:
    """What the DIMO app page shows for a search: the cards with their current code, or an error."""

    cards: list[dict[str, Any]]
    error: str | None


class CeiboService:
    def __init__(self, state: CeiboState, clock: Clock, behaviour: Behaviour) -> None:
        self.state = state
        self.clock = clock
        self.behaviour = behaviour

    # -- views ------------------------------------------------------------------------------------
    def view(self, hold_id: str, result: str) -> HoldOut:
        hold = self.state.holds[hold_id]
        book = self.state.books.get(hold.card_id)
        return HoldOut(
            hold_id=hold.hold_id,
            result=result,
            state=hold.state.value,
            card_id=hold.card_id,
            kind=hold.kind.value,
            amount=pyg(hold.amount_minor),
            reason_code=hold.reason_code,
            message=reason_message(hold.reason_code) if hold.reason_code else None,
            available=None if book is None else pyg(book.available_minor),
            created_at=iso(hold.created_us) or "",
            expires_at=iso(hold.expires_us) or "",
            resolved_at=iso(hold.resolved_us),
            trace_number=hold.trace_number,
            counter_id=hold.counter_id,
        )

    def summary(self, card_id: str) -> CardSummary:
        profile, book = self.state.profiles[card_id], self.state.books[card_id]
        return CardSummary(card_id=card_id, status=book.status, entity=profile.entity, holder_name=profile.holder_name)

    # -- cards ------------------------------------------------------------------------------------
    async def lookup(self, document_number: str | None, phone: str | None) -> CardsFound:
        """The cards of a holder, by cédula or phone (exactly one of them)."""
        if (document_number is None) == (phone is None):
            raise InvalidInput("Indique document_number o phone (uno de los dos).", field="document_number")
        if phone is not None:
            try:
                phone = normalize_phone(phone)
            except ValueError as exc:
                raise InvalidInput(f"El campo «phone» {exc}.", field="phone") from None
        fields = {"document_number": document_number, "phone": phone}
        async with self.behaviour.at("ceibo.lookup", fields, exponent=0) as forced:
            found = [] if forced.decline else self.state.find(document_number=document_number, phone=phone)
            return CardsFound(cards=[self.summary(c) for c in found])

    def card(self, card_id: str) -> CardOut:
        """A card's balance."""
        if card_id not in self.state.books:
            raise NotFound(f"No existe la tarjeta {card_id}.", code="unknown_card", field="card_id")
        row = self.state.card_row(card_id)
        return CardOut(
            card_id=card_id,
            status=row["status"],
            entity=row["entity"],
            holder_name=row["holder_name"],
            balance=row["balance"],
            available=row["available"],
            pending_debit=row["pending"],
            pending_credit=row["pending_credit"],
        )

    # -- holds ------------------------------------------------------------------------------------
    async def hold(self, body: HoldIn) -> HoldOut:
        """Authorization: reserve an amount (a replay answers ``exists``)."""
        state = self.state
        now_us = self.clock.now_us()
        req = HoldRequest(
            body.hold_id,
            body.card_id,
            HoldKind(body.kind),
            body.amount_minor,
            body.expires_in_s,
            body.trace_number,
            body.counter_id,
        )
        if body.hold_id in state.tombstones:
            raise Conflict("La retención fue anulada antes de llegar.", code="already_voided", field="hold_id")
        existing = state.holds.get(body.hold_id)
        if existing is not None:
            if not existing.same_request(req):
                raise Conflict(
                    "Ya existe una retención con ese id y otros datos.", code="hold_id_conflict", field="hold_id"
                )
            return self.view(body.hold_id, "declined" if existing.state is HoldState.DECLINED else "exists")
        profile = state.profiles.get(body.card_id)
        book = state.books.get(body.card_id)
        fields = {
            "card_id": body.card_id,
            "kind": body.kind,
            "counter_id": body.counter_id,
            "trace_number": body.trace_number,
            "document_number": profile.holder_document if profile else None,
            "phone": profile.phone if profile else None,
        }
        async with self.behaviour.at("ceibo.hold", fields, amount_minor=body.amount_minor, exponent=0) as forced:
            token = None
            if req.kind is HoldKind.DEBIT and profile is not None and book is not None and body.soft_token is not None:
                token = check_code(profile.soft_token_secret, body.soft_token, now_us / 1_000_000, book.last_token_step)
            decline = forced.decline
            decision = decide_hold(req, book, token=token, now_us=now_us, forced_decline=decline)
            state.apply(decision)
            out = self.view(body.hold_id, "created" if decision.hold.state is HoldState.PENDING else "declined")
            if decline and forced.message:
                out.message = forced.message
            return out

    def get_hold(self, hold_id: str) -> HoldOut:
        if hold_id not in self.state.holds:
            raise NotFound(f"No existe la retención {hold_id}.", code="hold_not_found", field="hold_id")
        return self.view(hold_id, "found")

    async def resolve(self, hold_id: str, action: HoldAction) -> HoldOut:
        """Completion (post) or reversal (void) of a hold."""
        state = self.state
        hold = state.holds.get(hold_id)
        fields = {
            "hold_id": hold_id,
            "card_id": hold.card_id if hold else None,
            "kind": hold.kind.value if hold else None,
        }
        amount = hold.amount_minor if hold else None
        async with self.behaviour.at(f"ceibo.{action.value}", fields, amount_minor=amount, exponent=0) as forced:
            if forced.decline:
                raise Conflict(
                    forced.message or "Operación rechazada por una regla del sandbox.",
                    code=forced.decline,
                    field="hold_id",
                )
            now_us = self.clock.now_us()
            if hold is None:
                if action is HoldAction.VOID:
                    state.tombstone(hold_id, now_us)  # a reversal that overtook its authorization
                raise NotFound(f"No existe la retención {hold_id}.", code="hold_not_found", field="hold_id")
            book = state.books.get(hold.card_id)
            if book is None:  # only a declined hold names a card CEIBO does not have
                raise Conflict(
                    REFUSALS_ES["hold_declined"],
                    code="hold_declined",
                    field="hold_id",
                    extra={"state": hold.state.value},
                )
            try:
                decision = decide_resolve(hold, action, book, now_us=now_us)
            except Refused as refused:
                raise Conflict(
                    REFUSALS_ES.get(refused.code, refused.code),
                    code=refused.code,
                    field="hold_id",
                    extra={"state": hold.state.value},
                ) from None
            state.apply(decision)
            if decision.error is not None:
                raise Conflict(REFUSALS_ES["expired"], code="expired", field="hold_id", extra={"state": "expired"})
            return self.view(hold_id, "posted" if action is HoldAction.POST else "voided")

    def holds_report(self, day: date, page_token: str | None, page_size: int) -> HoldsReport:
        """The settlement report of a business day: every hold created that day and its state now."""
        check_report_day(day)
        found, next_token = self.state.day_holds(day, page_token, page_size)
        return HoldsReport(
            date=day.isoformat(),
            holds=[HoldReportItem.model_validate(hold_row(h)) for h in found],
            next_page_token=next_token,
        )

    async def expire_due(self, now: datetime) -> int:
        """Expire the pending holds whose deadline passed (the ``ceibo.expire_holds`` job)."""
        now_us = to_us(now)
        done = 0
        for hold in self.state.due(now_us):
            self.state.apply(decide_resolve(hold, HoldAction.EXPIRE, self.state.books[hold.card_id], now_us=now_us))
            done += 1
        return done

    # -- the sandbox's control API and pages ------------------------------------------------------
    def cards(self, document_number: str | None, phone: str | None, limit: int) -> dict[str, Any]:
        if document_number is not None or phone is not None:
            ids = self.state.find(document_number=document_number, phone=phone)
        else:
            ids = list(self.state.books)[:limit]
        return {"cards": [self.state.card_row(c) for c in ids], "count": len(self.state.books)}

    def soft_token(self, card_id: str) -> dict[str, Any]:
        """What the DIMO app shows for one card now."""
        profile = self.state.profiles.get(card_id)
        if profile is None:
            raise NotFound(f"No existe la tarjeta {card_id}.", code="unknown_card", field="card_id")
        shown = shown_code(profile.soft_token_secret, self.clock.now_us() / 1_000_000)
        return {
            "card_id": card_id,
            "code": shown.code,
            "step_s": STEP_S,
            "shown_from": from_us(shown.shown_from_s * 1_000_000).isoformat(),
            "accepted_until": from_us(shown.accepted_until_s * 1_000_000).isoformat(),
        }

    def soft_tokens(self, offset: int, limit: int) -> dict[str, Any]:
        """What the app shows for many cards at once (for load tests: one code per card per 30 s)."""
        state = self.state
        now_s = self.clock.now_us() / 1_000_000
        ids = list(state.profiles)[offset : offset + limit]
        return {
            "step_s": STEP_S,
            "codes": [
                {
                    "card_id": c,
                    "document_number": state.profiles[c].holder_document,
                    "phone": state.profiles[c].phone,
                    "status": state.books[c].status,
                    "code": shown_code(state.profiles[c].soft_token_secret, now_s).code,
                }
                for c in ids
            ],
        }

    def set_status(self, card_id: str, status: str) -> dict[str, Any]:
        book = self.state.books.get(card_id)
        if book is None:
            raise NotFound(f"No existe la tarjeta {card_id}.", code="unknown_card", field="card_id")
        self.state.set_book(replace(book, status=status))
        return self.state.card_row(card_id)

    def holds_between(self, since: datetime | None, until: datetime | None, limit: int) -> dict[str, Any]:
        for name, value in (("since", since), ("until", until)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput(f"El campo «{name}» debe incluir la zona horaria.", field=name)
        found = self.state.between(
            None if since is None else to_us(since),
            None if until is None else to_us(until),
        )
        return {"holds": [hold_row(h) for h in found[:limit]], "count": len(found)}

    def app_cards(self, q: str | None) -> AppCards:
        """The DIMO app: a holder's cards (by cédula or phone) with the code each shows now."""
        state = self.state
        now_s = self.clock.now_us() / 1_000_000
        ids: list[str] = []
        error = None
        if q:
            try:
                ids = state.find(phone=normalize_phone(q))
            except ValueError:
                try:  # a cédula, with or without the dots people write (4.567.890)
                    ids = state.find(document_number=normalize_cedula(q))
                except ValueError:
                    error = "Ingrese su cédula (4567890 o 4.567.890) o su número de celular (09xxxxxxxx)."
            if not ids and error is None:
                error = "No hay tarjetas DIMO para esa cédula o celular."
        cards = []
        for card_id in ids:
            shown = shown_code(state.profiles[card_id].soft_token_secret, now_s)
            spent = state.books[card_id].last_token_step
            next_s = shown.shown_from_s + STEP_S
            cards.append(
                {
                    **state.card_row(card_id),
                    "code": shown.code,
                    "seconds_left": max(1, round(next_s - now_s)),
                    # CASH-12: a code accepted once is spent; the app says so, and when the next comes.
                    "used": spent is not None and spent >= shown.step,
                    "next_at": from_us(round(next_s * 1_000_000)),
                }
            )
        return AppCards(cards, error)

    def latest(self, cards: int = 500, holds: int = 200) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The first cards and the newest holds (the ``/tarjetas`` page)."""
        rows = [self.state.card_row(c) for c in list(self.state.books)[:cards]]
        latest = [hold_row(h) for h in reversed(list(self.state.holds.values())[-holds:])]
        return rows, latest
