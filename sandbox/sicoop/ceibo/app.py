"""ceibo: the CEIBO card processor of DIMO cards (port 8004).

CEIBO keeps the DIMO cards (holder's cédula and phone, status, balance, the app's soft-token
secret) and their **holds**, with ISO 8583-like semantics over JSON:

=========================================  ======================================================
``GET  /ceibo/v1/cards?document_number=``   card lookup by cédula (or ``?phone=09xxxxxxxx``)
``GET  /ceibo/v1/cards/{card_id}``          balance inquiry
``POST /ceibo/v1/holds``                    authorization (0100): reserve an amount; the acquirer
                                            (the switch) chooses ``hold_id``, so a retry answers
                                            ``result: exists`` instead of holding twice
``POST /ceibo/v1/holds/{id}/post``          completion (0220): the reserved money moves
``POST /ceibo/v1/holds/{id}/void``          reversal (0400): the reservation is released; a void
                                            of an unknown id is remembered, so a hold that arrives
                                            after its own reversal is refused (``already_voided``)
``GET  /ceibo/v1/holds/{id}``               query
=========================================  ======================================================

Business answers are HTTP 200 with ``result`` (``created``, ``exists``, ``declined`` with a
``reason_code``: ``unknown_card``, ``card_blocked``, ``wrong_soft_token``, ``soft_token_reused``,
``insufficient_funds``; ``posted``, ``voided``). A second resolution is ``409`` with
``already_posted``, ``already_voided``, ``expired`` or ``hold_declined``. A hold nobody resolves
expires after ``expires_in_s`` (default 3600 s; the switch sends its own timeout plus a margin).

Debits need the holder's soft-token (``soft_token``): a TOTP of 6 digits in 30-second steps,
accepted in its step and the next, single use per card (:mod:`sandbox.sicoop.ceibo.softtoken`).

Control API (besides the kit's): ``GET /_sandbox/cards``, ``GET /_sandbox/cards/{id}/soft-token``
(what the DIMO app shows), ``GET /_sandbox/soft-tokens?offset=&limit=`` (the same for many cards, for
load tests), ``POST /_sandbox/cards/{id}/status``, ``GET /_sandbox/holds``.
Pages: ``/app`` (the DIMO app: a holder's cards and their current code) and ``/tarjetas``.

Behaviour rules: operations ``ceibo.lookup`` (``document_number``, ``phone``), ``ceibo.hold``
(``card_id``, ``kind``, ``counter_id``, ``trace_number``, ``document_number``, ``phone``),
``ceibo.post`` and ``ceibo.void`` (``hold_id``, ``card_id``, ``kind``). ``decline`` refuses with
that code (a declined hold, or a 409 for post/void); ``delay_s`` carries the operation out and
answers that many real seconds later (a timeout at the caller: NET-06); ``drop`` carries it out
and closes the connection without an answer; ``error`` does nothing and answers the HTTP error.
``pending`` has no meaning for a card processor's synchronous answers and is ignored.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from sandbox.kit.clock import from_us, to_us
from sandbox.kit.errors import Conflict, Forced, InvalidInput, NotFound
from sandbox.kit.fast import FastRequest, FastResponse, FastRoutes
from sandbox.kit.paraguay import normalize_phone
from sandbox.kit.party import Job, PartyContext, create_party_app
from sandbox.kit.rules import Action, RuleSet
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
from sandbox.sicoop.ceibo.models import (
    CARD_ID_PATTERN,
    HOLD_ID_PATTERN,
    CardOut,
    CardsFound,
    CardStatusIn,
    CardSummary,
    HoldIn,
    HoldOut,
)
from sandbox.sicoop.ceibo.softtoken import STEP_S, check_code, shown_code
from sandbox.sicoop.ceibo.state import CeiboState, hold_row, iso, pyg

OPERATIONS = {
    "ceibo.lookup": {"document_number", "phone"},
    "ceibo.hold": {"card_id", "kind", "counter_id", "trace_number", "document_number", "phone"},
    "ceibo.post": {"hold_id", "card_id", "kind"},
    "ceibo.void": {"hold_id", "card_id", "kind"},
}

HOLD_ID_PATH = PathParam(pattern=HOLD_ID_PATTERN)
LOOKUP_DOCUMENT_PATTERN = r"^\d{1,12}$"
LOOKUP_PHONE_MAX = 20
_LOOKUP_DOCUMENT = re.compile(r"[0-9]{1,12}")  # the lean lookup takes plain ASCII digits only
CARD_ID_PATH = PathParam(pattern=CARD_ID_PATTERN)

_REFUSALS_ES = {
    "already_posted": "La retención ya fue aplicada.",
    "already_voided": "La retención ya fue anulada.",
    "expired": "La retención venció antes de resolverse.",
    "hold_declined": "La autorización fue rechazada: no hay retención que resolver.",
    "hold_not_due": "La retención aún no venció.",
}


class DroppedResponse(Response):
    """Starts an answer, then closes the connection: the caller never learns the outcome."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]})


async def _after(action: Action | None) -> Response | None:
    """Honour ``delay_s`` and ``drop`` once the operation is done."""
    if action is None:
        return None
    if action.delay_s:
        await asyncio.sleep(action.delay_s)
    return DroppedResponse() if action.drop else None


async def _before(action: Action | None) -> None:
    """``error`` answers before anything is done."""
    if action is not None and action.error is not None:
        if action.delay_s:
            await asyncio.sleep(action.delay_s)
        raise Forced(action.error.message, code=action.error.code, status=action.error.status)


def build(ctx: PartyContext) -> FastAPI:
    state = CeiboState(ctx.world)
    api = APIRouter(prefix="/ceibo/v1", tags=["ceibo"])
    control = APIRouter(prefix="/_sandbox", tags=["control"])
    pages = APIRouter(include_in_schema=False)

    def rules(ruleset: RuleSet, op: str, fields: dict[str, Any], amount_minor: int | None = None) -> Action | None:
        return ruleset.evaluate(op, fields, amount_minor=amount_minor, exponent=0)

    def view(hold_id: str, result: str) -> HoldOut:
        hold = state.holds[hold_id]
        book = state.books.get(hold.card_id)
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

    def summary(card_id: str) -> CardSummary:
        profile, book = state.profiles[card_id], state.books[card_id]
        return CardSummary(card_id=card_id, status=book.status, entity=profile.entity, holder_name=profile.holder_name)

    # -- cards ---------------------------------------------------------------------------------
    @api.get("/cards", response_model=CardsFound, summary="Card lookup by cédula or phone")
    async def lookup(
        request: Request,
        document_number: Annotated[str | None, Query(pattern=LOOKUP_DOCUMENT_PATTERN)] = None,
        phone: Annotated[str | None, Query(max_length=LOOKUP_PHONE_MAX)] = None,
    ) -> CardsFound:
        return await do_lookup(request.app.state.rules, document_number, phone)  # type: ignore[return-value]

    async def do_lookup(ruleset: RuleSet, document_number: str | None, phone: str | None) -> CardsFound | Response:
        if (document_number is None) == (phone is None):
            raise InvalidInput("Indique document_number o phone (uno de los dos).", field="document_number")
        if phone is not None:
            try:
                phone = normalize_phone(phone)
            except ValueError as exc:
                raise InvalidInput(f"El campo «phone» {exc}.", field="phone") from None
        action = rules(ruleset, "ceibo.lookup", {"document_number": document_number, "phone": phone})
        await _before(action)
        if action is not None and action.decline:
            found: list[str] = []
        else:
            found = state.find(document_number=document_number, phone=phone)
        out = CardsFound(cards=[summary(c) for c in found])
        dropped = await _after(action)
        return dropped or out

    @api.get("/cards/{card_id}", response_model=CardOut, summary="Balance inquiry")
    async def card(card_id: str) -> CardOut:
        if card_id not in state.books:
            raise NotFound(f"No existe la tarjeta {card_id}.", code="unknown_card", field="card_id")
        row = state.card_row(card_id)
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

    # -- holds ---------------------------------------------------------------------------------
    @api.post("/holds", response_model=HoldOut, summary="Authorization: reserve an amount (hold)")
    async def create_hold(body: HoldIn, request: Request) -> HoldOut:
        return await do_hold(request.app.state.rules, body)  # type: ignore[return-value]

    async def do_hold(ruleset: RuleSet, body: HoldIn) -> HoldOut | Response:
        now_us = ctx.clock.now_us()
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
            return view(body.hold_id, "declined" if existing.state is HoldState.DECLINED else "exists")
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
        action = rules(ruleset, "ceibo.hold", fields, body.amount_minor)
        await _before(action)
        token = None
        if req.kind is HoldKind.DEBIT and profile is not None and book is not None and body.soft_token is not None:
            token = check_code(profile.soft_token_secret, body.soft_token, now_us / 1_000_000, book.last_token_step)
        decision = decide_hold(
            req, book, token=token, now_us=now_us, forced_decline=action.decline if action is not None else None
        )
        state.apply(decision)
        out = view(body.hold_id, "created" if decision.hold.state is HoldState.PENDING else "declined")
        if action is not None and action.decline and action.message:
            out.message = action.message
        dropped = await _after(action)
        return dropped or out

    @api.get("/holds/{hold_id}", response_model=HoldOut, summary="Query a hold")
    async def get_hold(hold_id: str) -> HoldOut:
        if hold_id not in state.holds:
            raise NotFound(f"No existe la retención {hold_id}.", code="hold_not_found", field="hold_id")
        return view(hold_id, "found")

    async def resolve(ruleset: RuleSet, hold_id: str, action_kind: HoldAction) -> HoldOut | Response:
        op = f"ceibo.{action_kind.value}"
        hold = state.holds.get(hold_id)
        fields = {
            "hold_id": hold_id,
            "card_id": hold.card_id if hold else None,
            "kind": hold.kind.value if hold else None,
        }
        action = rules(ruleset, op, fields, hold.amount_minor if hold else None)
        await _before(action)
        if action is not None and action.decline:
            raise Conflict(
                action.message or "Operación rechazada por una regla del sandbox.", code=action.decline, field="hold_id"
            )
        now_us = ctx.clock.now_us()
        if hold is None:
            if action_kind is HoldAction.VOID:
                state.tombstone(hold_id, now_us)  # a reversal that overtook its authorization
            raise NotFound(f"No existe la retención {hold_id}.", code="hold_not_found", field="hold_id")
        book = state.books.get(hold.card_id)
        if book is None:  # only a declined hold names a card CEIBO does not have
            raise Conflict(
                _REFUSALS_ES["hold_declined"], code="hold_declined", field="hold_id", extra={"state": hold.state.value}
            )
        try:
            decision = decide_resolve(hold, action_kind, book, now_us=now_us)
        except Refused as refused:
            raise Conflict(
                _REFUSALS_ES.get(refused.code, refused.code),
                code=refused.code,
                field="hold_id",
                extra={"state": hold.state.value},
            ) from None
        state.apply(decision)
        if decision.error is not None:
            raise Conflict(_REFUSALS_ES["expired"], code="expired", field="hold_id", extra={"state": "expired"})
        out = view(hold_id, "posted" if action_kind is HoldAction.POST else "voided")
        dropped = await _after(action)
        return dropped or out

    @api.post("/holds/{hold_id}/post", response_model=HoldOut, summary="Completion: post a hold")
    async def post_hold(hold_id: Annotated[str, HOLD_ID_PATH], request: Request) -> Any:
        return await resolve(request.app.state.rules, hold_id, HoldAction.POST)

    @api.post("/holds/{hold_id}/void", response_model=HoldOut, summary="Reversal: void a hold")
    async def void_hold(hold_id: Annotated[str, HOLD_ID_PATH], request: Request) -> Any:
        return await resolve(request.app.state.rules, hold_id, HoldAction.VOID)

    # -- control API ---------------------------------------------------------------------------
    @control.get("/cards")
    async def list_cards(
        document_number: Annotated[str | None, Query(max_length=12)] = None,
        phone: Annotated[str | None, Query(max_length=20)] = None,
        limit: Annotated[int, Query(ge=1, le=1_000_000)] = 1000,
    ) -> dict[str, Any]:
        if document_number is not None or phone is not None:
            ids = state.find(document_number=document_number, phone=phone)
        else:
            ids = list(state.books)[:limit]
        return {"cards": [state.card_row(c) for c in ids], "count": len(state.books)}

    @control.get("/cards/{card_id}/soft-token")
    async def soft_token(card_id: Annotated[str, CARD_ID_PATH]) -> dict[str, Any]:
        profile = state.profiles.get(card_id)
        if profile is None:
            raise NotFound(f"No existe la tarjeta {card_id}.", code="unknown_card", field="card_id")
        shown = shown_code(profile.soft_token_secret, ctx.clock.now_us() / 1_000_000)
        return {
            "card_id": card_id,
            "code": shown.code,
            "step_s": STEP_S,
            "shown_from": from_us(shown.shown_from_s * 1_000_000).isoformat(),
            "accepted_until": from_us(shown.accepted_until_s * 1_000_000).isoformat(),
        }

    @control.get("/soft-tokens")
    async def soft_tokens(
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    ) -> dict[str, Any]:
        """What the app shows for many cards at once (for load tests: one code per card per 30 s)."""
        now_s = ctx.clock.now_us() / 1_000_000
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

    @control.post("/cards/{card_id}/status")
    async def set_status(card_id: Annotated[str, CARD_ID_PATH], body: CardStatusIn) -> dict[str, Any]:
        book = state.books.get(card_id)
        if book is None:
            raise NotFound(f"No existe la tarjeta {card_id}.", code="unknown_card", field="card_id")
        state.books[card_id] = replace(book, status=body.status)
        return state.card_row(card_id)

    @control.get("/holds")
    async def list_holds(
        since: datetime | None = None,
        until: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=2_000_000)] = 100_000,
    ) -> dict[str, Any]:
        for name, value in (("since", since), ("until", until)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput(f"El campo «{name}» debe incluir la zona horaria.", field=name)
        found = state.between(
            None if since is None else to_us(since),
            None if until is None else to_us(until),
        )
        return {"holds": [hold_row(h) for h in found[:limit]], "count": len(found)}

    # -- pages ---------------------------------------------------------------------------------
    def render(request: Request, template: str, **values: Any) -> HTMLResponse:
        return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
            request, template, {"party": ctx.name, **values}
        )

    @pages.get("/app", response_class=HTMLResponse)
    async def app_page(request: Request, q: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
        now_s = ctx.clock.now_us() / 1_000_000
        ids: list[str] = []
        error = None
        if q:
            text = q.strip()
            if text.isdigit() and not text.startswith("09"):
                ids = state.find(document_number=text)
            else:
                try:
                    ids = state.find(phone=normalize_phone(text))
                except ValueError:
                    error = "Ingrese su cédula o su número de celular (09xxxxxxxx)."
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
                    "next_at": from_us(next_s * 1_000_000),
                }
            )
        return render(request, "app.html", title="App DIMO", q=q or "", cards=cards, error=error)

    @pages.get("/tarjetas", response_class=HTMLResponse)
    async def cards_page(request: Request) -> HTMLResponse:
        rows = [state.card_row(c) for c in list(state.books)[:500]]
        holds = [hold_row(h) for h in reversed(list(state.holds.values())[-200:])]
        return render(request, "tarjetas.html", title="CEIBO · tarjetas y retenciones", cards=rows, holds=holds)

    # -- jobs ----------------------------------------------------------------------------------
    async def expire_holds(now: datetime) -> int:
        now_us = to_us(now)
        done = 0
        for hold in state.due(now_us):
            state.apply(decide_resolve(hold, HoldAction.EXPIRE, state.books[hold.card_id], now_us=now_us))
            done += 1
        return done

    # -- the hot routes, answered before FastAPI's machinery (sandbox.kit.fast) -----------------
    # The FastAPI routes above document and validate them, and answer whatever is not plainly valid.
    def answer(out: BaseModel | Response) -> FastResponse | Response:
        return FastResponse(200, out.model_dump_json().encode()) if isinstance(out, BaseModel) else out

    async def fast_lookup(request: FastRequest) -> FastResponse | Response | None:
        query = parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
        if len(query) != 1:
            return None
        [(name, value)] = query
        if name == "document_number" and _LOOKUP_DOCUMENT.fullmatch(value):
            return answer(await do_lookup(request.app_state.rules, value, None))
        if name == "phone" and len(value) <= LOOKUP_PHONE_MAX:
            return answer(await do_lookup(request.app_state.rules, None, value))
        return None

    async def fast_hold(request: FastRequest) -> FastResponse | Response | None:
        if not request.json_body():
            return None
        try:
            body = HoldIn.model_validate_json(request.body)
        except ValidationError:
            return None  # the FastAPI route answers, naming the field
        return answer(await do_hold(request.app_state.rules, body))

    async def fast_resolve(request: FastRequest) -> FastResponse | Response:
        action_kind = HoldAction.POST if request.params["action"] == "post" else HoldAction.VOID
        return answer(await resolve(request.app_state.rules, request.params["hold_id"], action_kind))

    fast = FastRoutes()
    fast.add("GET", "/ceibo/v1/cards", fast_lookup, reads_body=False)
    fast.add("POST", "/ceibo/v1/holds", fast_hold)
    hold_ids = HOLD_ID_PATTERN.removeprefix("^").removesuffix("$")
    fast.add(
        "POST", rf"^/ceibo/v1/holds/(?P<hold_id>{hold_ids})/(?P<action>post|void)$", fast_resolve, reads_body=False
    )

    app = create_party_app(
        ctx,
        title="ceibo · procesador de tarjetas DIMO",
        description=(__doc__ or "").split("\n\n")[0].replace("\n", " "),
        state=state,
        routers=[api, pages],
        extra_control=[control],
        operations=OPERATIONS,
        jobs=[Job("ceibo.expire_holds", expire_holds)],
        pages=[("App DIMO (soft-token de cada tarjeta)", "/app"), ("Tarjetas y retenciones", "/tarjetas")],
        templates_dir=Path(__file__).with_name("templates"),
        fast_routes=fast,
    )
    app.description = __doc__ or ""  # the whole API guide in OpenAPI (/docs)
    return app
