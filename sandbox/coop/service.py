"""coop's use cases: the coop contract v1 (``/coop/v1``), built with its state, the sandbox clock,
the behaviour rules and its settings. Each use case checks its input, then decides through
:mod:`sandbox.coop.logic` and persists through :mod:`sandbox.coop.state` in one transaction.

Money-moving calls (debit, post, void, credit, reversal) follow the idempotency contract: the
call claims its ``Idempotency-Key`` and stores its answer — success or refusal — in the same
transaction as its effect; a retry with the same key and body gets that answer again
(``replayed``), with another body ``idempotency_key_reused`` (422), while the first is still being
answered ``idempotency_key_in_flight`` (409). Nothing is stored when nothing was applied
(``core_error``, a behaviour rule's ``error``): the key stays free.

Forced outcomes: an amount's cents (``.91`` core error, ``.92`` applied and answered after
``core_delay_s``, ``.93`` applied and the connection dropped) on debits and credits; behaviour
rules (``/_sandbox/rules``) on every operation of :data:`OPERATIONS`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection

from sandbox.config import ConfigError
from sandbox.coop import logic
from sandbox.coop.logic import Book, DebitAction, DebitState, Refusal
from sandbox.coop.state import CoopState, Movement, StoredKey, cop, movement_row
from sandbox.kit.behaviour import Behaviour, Dropped, Forcing
from sandbox.kit.clock import Clock, from_us
from sandbox.kit.errors import Conflict, InvalidInput, NotFound, SandboxError, field_path
from sandbox.kit.masking import mask_email, mask_mobile
from sandbox.kit.parsing import AmountError, DayError, DocumentError, normalize_document_number, parse_amount, parse_day
from sandbox.protocols.colombia import DOCUMENT_NAMES, document_problem
from sandbox.protocols.coop import (
    CORE_ERROR,
    CURRENCY,
    DEFAULT_CORE_DELAY_S,
    DEFAULT_HOLD_TIMEOUT_S,
    ENTITY_NOT_FOUND,
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_KEY_IN_FLIGHT,
    IDEMPOTENCY_KEY_MISSING,
    IDEMPOTENCY_KEY_REUSED,
    INVALID_AMOUNT,
    KEY_RETENTION_S,
    MAGIC_CORE_ERROR,
    MAGIC_DELAY,
    MAGIC_DROP,
    MEMBER_NOT_FOUND,
    TRANSACTION_NOT_FOUND,
    UNAUTHORIZED,
    CreditIn,
    DebitIn,
    ReversalIn,
    magic_of,
)
from sandbox.world.model import PRODUCT_TYPE_NAMES, Entity

OPERATIONS: Final[dict[str, set[str]]] = {
    "coop.lookup": {"entity", "document_type", "document_number"},
    "coop.products": {"entity", "member_id"},
    "coop.debit": {"entity", "product_id", "reference", "currency"},
    "coop.post": {"entity", "debit_id"},
    "coop.void": {"entity", "debit_id"},
    "coop.credit": {"entity", "product_id", "reference", "payment_option", "currency"},
    "coop.reversal": {"entity", "transaction_id", "reason"},
}

TYPE_NAMES: Final[dict[str, str]] = {t.value: name for t, name in PRODUCT_TYPE_NAMES.items()}
_KEY_CHARS: Final = frozenset(chr(c) for c in range(0x21, 0x7F))


class CoopSettings(BaseModel):
    """coop's options (``[parties.coop] options`` in ``sandbox.toml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: An authorized debit nobody posts or voids expires after this (sandbox seconds).
    hold_timeout_s: int = Field(default=DEFAULT_HOLD_TIMEOUT_S, ge=1, le=7 * 24 * 3600)
    #: How late a ``.92`` answer leaves (real seconds).
    core_delay_s: float = Field(default=DEFAULT_CORE_DELAY_S, ge=0, le=600)
    #: Idempotency keys are kept at least this long (sandbox seconds; the contract: ≥ 24 h).
    key_retention_s: int = Field(default=KEY_RETENTION_S, ge=KEY_RETENTION_S, le=90 * 86400)
    #: SQLite's ``synchronous``: FULL (a commit is on disk before it is acknowledged) or NORMAL.
    sqlite_synchronous: str = Field(default="FULL", pattern="^(FULL|NORMAL|EXTRA)$")

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> CoopSettings:
        try:
            return cls.model_validate(options)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ConfigError(f"[parties.coop] options.{field_path(err['loc']) or '(raíz)'}: {err['msg']}") from None


@dataclass(frozen=True, slots=True)
class Answer:
    """A money-moving call's answer: HTTP status and body, and whether it is a replay."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def refusal_body(refusal: Refusal) -> dict[str, Any]:
    return {"error": refusal.code, "message": refusal.message, "field": refusal.field}


def _raise(refusal: Refusal) -> None:
    raise SandboxError(refusal.message, code=refusal.code, field=refusal.field, status=refusal.status)


def new_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(10)}"


Decide = Callable[[Connection, int, Forcing], tuple[int, dict[str, Any]]]


class CoopService:
    def __init__(self, state: CoopState, clock: Clock, behaviour: Behaviour, settings: CoopSettings) -> None:
        self.state = state
        self.clock = clock
        self.behaviour = behaviour
        self.settings = settings
        self.zone = ZoneInfo(state.world.network.timezone)

    # -- entities and auth ------------------------------------------------------------------------------
    def entity(self, code: str) -> Entity:
        entity = self.state.entities.get(code)
        if entity is None:
            raise NotFound(f"No existe la entidad {code}.", code=ENTITY_NOT_FOUND, field="entity")
        return entity

    def authenticate(self, code: str, key: str | None) -> Entity:
        """The entity, when ``key`` is its core API key (404 for an unknown entity, else 401)."""
        entity = self.entity(code)
        if key is None or not hmac.compare_digest(key.encode(), entity.core_api_key.encode()):
            raise SandboxError(
                "Se requiere la clave de la entidad: Authorization: Bearer <clave>.",
                code=UNAUTHORIZED,
                status=401,
                field="Authorization",
            )
        return entity

    def entity_info(self, entity: Entity) -> dict[str, Any]:
        return {
            "entity": entity.code,
            "name": entity.name,
            "collections_enabled": entity.collections_enabled,
            "pse_debit_enabled": entity.pse_debit_enabled,
            "otp_channels": list(entity.otp_channels),
        }

    # -- members and products ------------------------------------------------------------------------------
    async def lookup(self, entity: Entity, document_type: str, document_number: str) -> dict[str, Any]:
        if document_type not in DOCUMENT_NAMES:
            raise InvalidInput(
                f"El campo «document_type» debe ser uno de: {', '.join(DOCUMENT_NAMES)}.", field="document_type"
            )
        try:
            number = normalize_document_number(document_number)
        except DocumentError as exc:
            raise InvalidInput(f"El campo «document_number» {exc}.", field="document_number") from None
        problem = document_problem(document_type, number)
        if problem is not None:
            field = "document_type" if problem.about == "type" else "document_number"
            raise InvalidInput(f"El campo «{field}»: {problem.message}.", field=field)
        fields = {"entity": entity.code, "document_type": document_type, "document_number": number}
        async with self.behaviour.at("coop.lookup", fields) as forced:
            if forced.decline:
                _raise(Refusal.of(forced.decline, forced.message))
            view = self.state.member_by_document(entity.code, document_type, number)
            if view is None:
                raise NotFound("No hay un asociado con ese documento en esta entidad.", code=MEMBER_NOT_FOUND)
            with self.state.reading() as conn:
                books = self.state.books_of(conn, entity.code, view.member_id)
            member = view.member
            return {
                "member_id": view.member_id,
                "document_type": member.document_type.value,
                "document_number": member.document_number,
                "first_names": member.first_names,
                "last_names": member.last_names,
                "full_name": member.full_name,
                "mobile_masked": mask_mobile(member.mobile),
                "email_masked": mask_email(member.email),
                "has_products": any(b.status == "active" for b in books),
            }

    async def products(self, entity: Entity, member_id: str) -> dict[str, Any]:
        async with self.behaviour.at("coop.products", {"entity": entity.code, "member_id": member_id}) as forced:
            if forced.decline:
                _raise(Refusal.of(forced.decline, forced.message))
            if self.state.member(entity.code, member_id) is None:
                raise NotFound(
                    "No hay un asociado con ese id en esta entidad.", code=MEMBER_NOT_FOUND, field="member_id"
                )
            with self.state.reading() as conn:
                books = self.state.books_of(conn, entity.code, member_id)
            return {"member_id": member_id, "products": [product_row(b) for b in books]}

    # -- money-moving calls --------------------------------------------------------------------------------
    @staticmethod
    def checked_key(key: str | None) -> str:
        if key is None or key == "":
            raise SandboxError(
                "Falta el encabezado Idempotency-Key (obligatorio en operaciones que mueven dinero).",
                code=IDEMPOTENCY_KEY_MISSING,
                status=400,
                field=IDEMPOTENCY_KEY_HEADER,
            )
        if len(key) > 255 or not set(key) <= _KEY_CHARS:
            raise InvalidInput(
                "El encabezado Idempotency-Key debe tener de 1 a 255 caracteres ASCII visibles.",
                field=IDEMPOTENCY_KEY_HEADER,
            )
        return key

    @staticmethod
    def amount_minor(text: str) -> int:
        try:
            return parse_amount(text, CURRENCY, allow_zero=False)
        except AmountError as exc:
            raise InvalidInput(f"El campo «amount» {exc}.", code=INVALID_AMOUNT, field="amount") from None

    def business_day(self, now_us: int) -> str:
        return from_us(now_us).astimezone(self.zone).date().isoformat()

    async def _money(
        self,
        operation: str,
        entity: Entity,
        key: str | None,
        request: list[Any],
        fields: dict[str, Any],
        decide: Decide,
        amount_minor: int | None = None,
    ) -> Answer:
        """The idempotent frame of every money-moving call (see the module's docstring)."""
        key = self.checked_key(key)
        fingerprint = hashlib.sha256(json.dumps([operation, *request], sort_keys=True).encode()).hexdigest()
        magic = None if amount_minor is None else magic_of(amount_minor)
        forcing = self.behaviour.forcing(operation, fields, amount_minor=amount_minor)
        delayed = bool(forcing.delay_s) or magic == MAGIC_DELAY
        code = entity.code
        stored = False
        try:
            async with self.behaviour.applying(operation, forcing) as forced:

                def unit(conn: Connection) -> StoredKey | Answer | None:
                    held = self.state.held_key(conn, code, key)
                    if held is not None:
                        return held
                    if magic == MAGIC_CORE_ERROR:
                        return None  # nothing applied, nothing kept: the key stays free
                    now_us = self.clock.now_us()
                    status, body = decide(conn, now_us, forced)
                    self.state.keep_answer(conn, code, key, fingerprint, now_us, status, body, released=not delayed)
                    return Answer(status, body)

                outcome = await self.state.run(unit)
                if outcome is None:
                    raise SandboxError(
                        "Error del core bancario; no se aplicó nada (monto terminado en .91).",
                        code=CORE_ERROR,
                        status=500,
                    )
                if isinstance(outcome, StoredKey):
                    return self._replay(outcome, fingerprint)
                stored = True
                if magic == MAGIC_DELAY:
                    await self.behaviour.sleep(self.settings.core_delay_s)
                if magic == MAGIC_DROP:
                    raise Dropped(operation)
                return outcome
        finally:
            if stored and delayed:
                await self.state.run(lambda conn: self.state.release(conn, code, key))

    @staticmethod
    def _replay(held: StoredKey, fingerprint: str) -> Answer:
        if held.fingerprint != fingerprint:
            raise InvalidInput(
                "La Idempotency-Key ya se usó con otra solicitud; use una clave nueva para otra operación.",
                code=IDEMPOTENCY_KEY_REUSED,
                field=IDEMPOTENCY_KEY_HEADER,
            )
        if held.status is None or held.body is None or not held.released:
            raise Conflict(
                "La primera solicitud con esta Idempotency-Key aún está en curso; reintente en unos segundos.",
                code=IDEMPOTENCY_KEY_IN_FLIGHT,
                field=IDEMPOTENCY_KEY_HEADER,
            )
        return Answer(held.status, held.body, replayed=True)

    async def debit(self, entity: Entity, key: str | None, body: DebitIn) -> Answer:
        amount = self.amount_minor(body.amount)
        fields = {
            "entity": entity.code,
            "product_id": body.product_id,
            "reference": body.reference,
            "currency": body.currency,
        }

        def decide(conn: Connection, now_us: int, forced: Forcing) -> tuple[int, dict[str, Any]]:
            book = self.state.book(conn, entity.code, body.product_id)
            day = self.business_day(now_us)
            daily_caps = book is not None and (book.per_day_count is not None or book.per_day_max_minor is not None)
            usage = self.state.day_usage(conn, book.product_id, day) if book and daily_caps else logic.DayUsage()
            refusal = logic.check_debit(
                service_enabled=entity.pse_debit_enabled,
                book=book,
                amount_minor=amount,
                usage=usage,
                forced_decline=forced.decline,
                forced_message=forced.message,
            )
            if refusal is not None:
                return refusal.status, refusal_body(refusal)
            assert book is not None
            held = logic.hold(book, amount)
            self.state.save_book(conn, held)
            debit_id = new_id("D")
            expires_us = now_us + self.settings.hold_timeout_s * 1_000_000
            self.state.add_movement(
                conn,
                Movement(
                    transaction_id=debit_id,
                    entity=entity.code,
                    kind="debit",
                    status=DebitState.AUTHORIZED.value,
                    product_id=book.product_id,
                    amount_minor=amount,
                    reference=body.reference,
                    description=body.description,
                    idempotency_key=key,
                    created_us=now_us,
                    business_day=day,
                    expires_us=expires_us,
                ),
            )
            return 201, {
                "debit_id": debit_id,
                "status": "authorized",
                "product_id": book.product_id,
                "number_masked": logic.mask_number(book.number),
                "amount": cop(amount),
                "currency": CURRENCY,
                "reference": body.reference,
                "authorized_at": from_us(now_us).isoformat(),
                "expires_at": from_us(expires_us).isoformat(),
                "available": cop(held.available_minor),
            }

        request = [entity.code, body.model_dump(mode="json")]
        return await self._money("coop.debit", entity, key, request, fields, decide, amount)

    async def resolve(self, entity: Entity, key: str | None, debit_id: str, action: DebitAction) -> Answer:
        operation = f"coop.{action.value}"
        fields = {"entity": entity.code, "debit_id": debit_id}

        def decide(conn: Connection, now_us: int, forced: Forcing) -> tuple[int, dict[str, Any]]:
            debit = self.state.movement(conn, entity.code, debit_id)
            if debit is None or debit.kind != "debit":
                refusal = Refusal.of(TRANSACTION_NOT_FOUND, "No existe el débito en esta entidad.", field="debit_id")
                return refusal.status, refusal_body(refusal)
            if forced.decline:
                refusal = Refusal.of(forced.decline, forced.message)
                return refusal.status, refusal_body(refusal)
            state = DebitState(debit.status)
            expired = debit.expires_us is not None and now_us >= debit.expires_us
            outcome = logic.resolve(state, action, expired=expired)
            book = self.state.book(conn, entity.code, debit.product_id)
            assert book is not None
            if isinstance(outcome, Refusal):
                if expired and state is DebitState.AUTHORIZED:
                    self._expire(conn, debit, book)
                return outcome.status, refusal_body(outcome)
            released = logic.release(book, debit.amount_minor)
            if action is DebitAction.POST:
                effect = logic.posting_effect(book, debit.amount_minor)
                after = logic.apply(released, effect)
                self.state.save_book(conn, after)
                self.state.update_movement(
                    conn,
                    debit_id,
                    status=DebitState.POSTED.value,
                    posted_us=now_us,
                    running_balance=after.balance_minor,
                    effect=effect,
                )
                return 200, {
                    "debit_id": debit_id,
                    "status": "posted",
                    "transaction_id": debit_id,
                    "amount": cop(debit.amount_minor),
                    "running_balance": cop(after.balance_minor),
                }
            self.state.save_book(conn, released)
            self.state.update_movement(conn, debit_id, status=DebitState.VOIDED.value)
            return 200, {"debit_id": debit_id, "status": "voided", "available": cop(released.available_minor)}

        request = [entity.code, debit_id]
        return await self._money(operation, entity, key, request, fields, decide)

    def _expire(self, conn: Connection, debit: Movement, book: Book) -> None:
        self.state.save_book(conn, logic.release(book, debit.amount_minor))
        self.state.update_movement(conn, debit.transaction_id, status=DebitState.EXPIRED.value)

    async def credit(self, entity: Entity, key: str | None, body: CreditIn) -> Answer:
        amount = self.amount_minor(body.amount)
        fields = {
            "entity": entity.code,
            "product_id": body.product_id,
            "reference": body.reference,
            "payment_option": body.payment_option,
            "currency": body.currency,
        }

        def decide(conn: Connection, now_us: int, forced: Forcing) -> tuple[int, dict[str, Any]]:
            book = self.state.book(conn, entity.code, body.product_id)
            refusal = logic.check_credit(
                service_enabled=entity.collections_enabled,
                book=book,
                amount_minor=amount,
                payment_option=body.payment_option,
                forced_decline=forced.decline,
                forced_message=forced.message,
            )
            if refusal is not None:
                return refusal.status, refusal_body(refusal)
            assert book is not None
            effect = logic.credit_effect(book, amount)
            after = logic.apply(book, effect)
            self.state.save_book(conn, after)
            transaction_id = new_id("C")
            self.state.add_movement(
                conn,
                Movement(
                    transaction_id=transaction_id,
                    entity=entity.code,
                    kind="credit",
                    status="applied",
                    product_id=book.product_id,
                    amount_minor=amount,
                    reference=body.reference,
                    description=body.description,
                    idempotency_key=key,
                    created_us=now_us,
                    business_day=self.business_day(now_us),
                    posted_us=now_us,
                    running_balance_minor=after.balance_minor,
                    effect=effect,
                ),
            )
            return 201, {
                "transaction_id": transaction_id,
                "kind": "credit",
                "status": "applied",
                "product_id": book.product_id,
                "number_masked": logic.mask_number(book.number),
                "amount": cop(amount),
                "currency": CURRENCY,
                "reference": body.reference,
                "running_balance": cop(after.balance_minor),
                "applied_at": from_us(now_us).isoformat(),
            }

        request = [entity.code, body.model_dump(mode="json")]
        return await self._money("coop.credit", entity, key, request, fields, decide, amount)

    async def reversal(self, entity: Entity, key: str | None, transaction_id: str, body: ReversalIn) -> Answer:
        fields = {"entity": entity.code, "transaction_id": transaction_id, "reason": body.reason}

        def decide(conn: Connection, now_us: int, forced: Forcing) -> tuple[int, dict[str, Any]]:
            original = self.state.movement(conn, entity.code, transaction_id)
            if original is None:
                missing = Refusal.of(
                    TRANSACTION_NOT_FOUND, "No existe la transacción en esta entidad.", field="transaction_id"
                )
                return missing.status, refusal_body(missing)
            refusal: Refusal | None = (
                Refusal.of(forced.decline, forced.message)
                if forced.decline
                else logic.check_reversal(original.kind, original.status, original.reversed)
            )
            if refusal is not None:
                return refusal.status, refusal_body(refusal)
            book = self.state.book(conn, entity.code, original.product_id)
            assert book is not None
            assert original.effect is not None
            effect = original.effect.inverse()
            after = logic.apply(book, effect)
            self.state.save_book(conn, after)
            reversal_id = new_id("R")
            self.state.add_movement(
                conn,
                Movement(
                    transaction_id=reversal_id,
                    entity=entity.code,
                    kind="reversal",
                    status="applied",
                    product_id=book.product_id,
                    amount_minor=original.amount_minor,
                    reference=body.reference or original.reference,
                    description=body.reason,
                    idempotency_key=key,
                    created_us=now_us,
                    business_day=self.business_day(now_us),
                    posted_us=now_us,
                    reverses=transaction_id,
                    running_balance_minor=after.balance_minor,
                    effect=effect,
                ),
            )
            self.state.update_movement(conn, transaction_id, reversed=True, reversal_id=reversal_id)
            return 201, {
                "transaction_id": transaction_id,
                "reversed": True,
                "reversal_id": reversal_id,
                "amount": cop(original.amount_minor),
                "running_balance": cop(after.balance_minor),
            }

        request = [entity.code, transaction_id, body.model_dump(mode="json")]
        return await self._money("coop.reversal", entity, key, request, fields, decide)

    # -- queries ---------------------------------------------------------------------------------------------
    def transaction(self, entity: Entity, transaction_id: str) -> dict[str, Any]:
        with self.state.reading() as conn:
            found = self.state.movement(conn, entity.code, transaction_id)
        if found is None:
            raise NotFound(
                "No existe la transacción en esta entidad.", code=TRANSACTION_NOT_FOUND, field="transaction_id"
            )
        return self._row(found)

    def _row(self, m: Movement) -> dict[str, Any]:
        return movement_row(m, self.state.numbers.get(m.product_id))

    def transactions(self, entity: Entity, reference: str | None, day: str | None) -> dict[str, Any]:
        if (reference is None) == (day is None):
            raise InvalidInput("Indique exactamente uno de «reference» o «date».", field="reference" if day else "date")
        if reference is not None:
            with self.state.reading() as conn:
                found = self.state.by_reference(conn, entity.code, reference)
            return {"transactions": [self._row(m) for m in found]}
        try:
            parsed = parse_day(day)
        except DayError as exc:
            raise InvalidInput(f"El campo «date» {exc}.", field="date") from None
        with self.state.reading() as conn:
            found = self.state.on_day(conn, entity.code, parsed.isoformat())
        totals = {"credit": 0, "debit": 0, "reversal": 0}
        for m in found:
            if m.kind == "debit" and m.status == "posted":
                totals["debit"] += m.amount_minor
            elif m.kind in ("credit", "reversal"):
                totals[m.kind] += m.amount_minor
        return {
            "date": parsed.isoformat(),
            "transactions": [self._row(m) for m in found],
            "totals": {
                "credits": cop(totals["credit"]),
                "debits": cop(totals["debit"]),
                "reversals": cop(totals["reversal"]),
            },
        }

    # -- jobs ----------------------------------------------------------------------------------------------------
    async def expire_due(self, now: datetime) -> int:
        """Authorized debits whose hold timed out: expired, their funds back (a Job)."""
        now_us = self.clock.now_us()

        def unit(conn: Connection) -> int:
            due = self.state.due_debits(conn, now_us)
            for debit in due:
                book = self.state.book(conn, debit.entity, debit.product_id)
                if book is not None:
                    self._expire(conn, debit, book)
            return len(due)

        return await self.state.run(unit)

    async def purge_keys(self, now: datetime) -> int:
        """Idempotency keys older than the retention (≥ 24 sandbox hours) are forgotten (a Job)."""
        before_us = self.clock.now_us() - self.settings.key_retention_s * 1_000_000
        return await self.state.run(lambda conn: self.state.purge_keys(conn, before_us))

    # -- back office (pages) ---------------------------------------------------------------------------------------
    def entities(self) -> list[Entity]:
        return list(self.state.entities.values())

    def today(self) -> str:
        return self.business_day(self.clock.now_us())

    def backoffice(self, code: str, day: str | None) -> dict[str, Any]:
        """What a cooperative's operator looks at: its members, their products and balances, and
        the movements of one day (today by default, in the network's time zone)."""
        entity = self.entity(code)
        try:
            shown = parse_day(day) if day else parse_day(self.today())
        except DayError as exc:
            raise InvalidInput(f"El campo «fecha» {exc}.", field="fecha") from None
        with self.state.reading() as conn:
            books = self.state.books_of_entity(conn, entity.code)
            moves = self.state.on_day(conn, entity.code, shown.isoformat())
        members = []
        for member_id in dict.fromkeys(b.member_id for b in books):
            member = self.state.member(entity.code, member_id)
            if member is None:
                continue
            own = [product_row(b) | {"held": cop(b.held_minor)} for b in books if b.member_id == member_id]
            members.append(
                {
                    "member_id": member_id,
                    "full_name": member.full_name,
                    "document": f"{member.document_type.value} {member.document_number}",
                    "mobile_masked": mask_mobile(member.mobile),
                    "email_masked": mask_email(member.email),
                    "products": own,
                }
            )
        day_report = self.transactions(entity, None, shown.isoformat())
        return {
            "entity": self.entity_info(entity),
            "day": shown.isoformat(),
            "members": members,
            "movements": [self._row(m) for m in moves],
            "totals": day_report["totals"],
            "held": cop(sum(b.held_minor for b in books)),
        }


def product_row(b: Book) -> dict[str, Any]:
    return {
        "product_id": b.product_id,
        "type": b.type,
        "type_name": TYPE_NAMES.get(b.type, b.type),
        "number_masked": logic.mask_number(b.number),
        "status": b.status,
        "currency": CURRENCY,
        "balance": cop(b.balance_minor),
        "available": cop(b.available_minor),
        "due_date": b.due_date,
        "minimum_payment": cop(b.minimum_payment_minor),
        "total_payment": cop(b.total_payment_minor),
        "other_min": cop(b.other_min_minor),
        "other_max": cop(b.other_max_minor),
        "credit": b.credit,
        "pse_debit": b.pse_debit,
        "accepts_credit": b.accepts_credit,
        "caps": {
            "per_transaction_max": cop(b.per_transaction_max_minor),
            "per_day_max": cop(b.per_day_max_minor),
            "per_day_count": b.per_day_count,
        },
    }


__all__ = ["OPERATIONS", "Answer", "CoopService", "CoopSettings", "product_row"]
