"""The switch's client of a cooperative's core banking: the coop contract v1 (``/coop/v1``,
:mod:`sandbox.protocols.coop`, ``docs/coop-api.md``).

One :class:`CoopPeer` speaks to one coop base URL for every entity, with each entity's key
(``Authorization: Bearer <key>``, :attr:`sandbox.world.model.Entity.core_api_key`). Requests go
through the switch's one HTTP stack (:mod:`reference_impl.peers.transport`).

Every call answers a :class:`CoopAnswer`, never an exception:

``ok``
    the core answered 2xx; ``value`` is the typed answer (``replayed`` when it is the first
    answer of an idempotency key, replayed).
``refused``
    the core answered 4xx with a code (``error``, ``message``, ``field``): a business refusal
    (``insufficient_funds``, ``already_posted``, ...) or bad input. Definitive.
``unknown``
    no usable answer: no answer in time (``coop_timeout``), could not connect or the answer was
    lost (``coop_unavailable``), a 5xx (``core_error``), or the first call with the key is still
    in flight (``idempotency_key_in_flight``). The operation may or may not have happened: retry
    with the **same** ``Idempotency-Key`` (a replay gives the first answer) or query by reference
    (:meth:`CoopPeer.transactions_by_reference`) until known (COOP-08).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Literal, TypeVar

from reference_impl.peers.transport import PeerError, PeerResponse, PeerTimeout, PeerTransport, peer_transport
from sandbox.kit.money import format_amount, parse_amount
from sandbox.protocols.coop import (
    API_PREFIX,
    CURRENCY,
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_KEY_IN_FLIGHT,
    REPLAYED_HEADER,
)
from sandbox.world import World

log = logging.getLogger("reference_impl.peers.coop")

T = TypeVar("T")

COOP_TIMEOUT = "coop_timeout"
COOP_UNAVAILABLE = "coop_unavailable"
COOP_BAD_ANSWER = "coop_bad_answer"

Outcome = Literal["ok", "refused", "unknown"]


# -- typed answers ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CoopAnswer(Generic[T]):
    outcome: Outcome
    value: T | None = None
    error: str | None = None
    message: str | None = None
    field: str | None = None
    status: int | None = None
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def unknown(self) -> bool:
        return self.outcome == "unknown"


@dataclass(frozen=True, slots=True)
class CoopEntity:
    entity: str
    name: str
    collections_enabled: bool
    pse_debit_enabled: bool
    otp_channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CoopMember:
    member_id: str
    document_type: str
    document_number: str
    first_names: str
    last_names: str
    full_name: str
    mobile_masked: str
    email_masked: str
    has_products: bool


@dataclass(frozen=True, slots=True)
class CoopCaps:
    per_transaction_max_minor: int | None
    per_day_max_minor: int | None
    per_day_count: int | None


@dataclass(frozen=True, slots=True)
class CoopProduct:
    product_id: str
    type: str
    type_name: str
    number_masked: str
    status: str
    currency: str
    balance_minor: int
    available_minor: int
    due_date: date | None
    minimum_payment_minor: int | None
    total_payment_minor: int | None
    other_min_minor: int | None
    other_max_minor: int | None
    credit: bool
    pse_debit: bool
    accepts_credit: bool
    caps: CoopCaps


@dataclass(frozen=True, slots=True)
class CoopProducts:
    member_id: str
    products: tuple[CoopProduct, ...]


@dataclass(frozen=True, slots=True)
class CoopDebit:
    debit_id: str
    status: str
    product_id: str
    number_masked: str
    amount_minor: int
    reference: str
    authorized_at: str
    expires_at: str
    available_minor: int


@dataclass(frozen=True, slots=True)
class CoopPosting:
    debit_id: str
    status: str
    transaction_id: str
    amount_minor: int
    running_balance_minor: int


@dataclass(frozen=True, slots=True)
class CoopVoid:
    debit_id: str
    status: str


@dataclass(frozen=True, slots=True)
class CoopCredit:
    transaction_id: str
    product_id: str
    number_masked: str
    amount_minor: int
    reference: str
    running_balance_minor: int
    applied_at: str


@dataclass(frozen=True, slots=True)
class CoopReversal:
    transaction_id: str
    reversal_id: str
    amount_minor: int
    running_balance_minor: int


@dataclass(frozen=True, slots=True)
class CoopTransaction:
    transaction_id: str
    kind: str
    status: str
    product_id: str
    number_masked: str
    amount_minor: int
    reference: str
    idempotency_key: str | None
    created_at: str
    posted_at: str | None
    reversed: bool
    reversal_id: str | None
    running_balance_minor: int | None
    reverses: str | None = None


@dataclass(frozen=True, slots=True)
class CoopDay:
    day: date
    transactions: tuple[CoopTransaction, ...]
    credits_minor: int
    debits_minor: int
    reversals_minor: int


# -- parsing of answers ---------------------------------------------------------------------------------
def _minor(value: Any) -> int:
    return parse_amount(value, CURRENCY)


def _opt_minor(value: Any) -> int | None:
    return None if value is None else _minor(value)


def _entity(b: dict[str, Any]) -> CoopEntity:
    return CoopEntity(
        b["entity"], b["name"], bool(b["collections_enabled"]), bool(b["pse_debit_enabled"]), tuple(b["otp_channels"])
    )


def _member(b: dict[str, Any]) -> CoopMember:
    return CoopMember(
        b["member_id"],
        b["document_type"],
        b["document_number"],
        b["first_names"],
        b["last_names"],
        b["full_name"],
        b["mobile_masked"],
        b["email_masked"],
        bool(b["has_products"]),
    )


def _product(p: dict[str, Any]) -> CoopProduct:
    caps = p.get("caps") or {}
    return CoopProduct(
        product_id=p["product_id"],
        type=p["type"],
        type_name=p["type_name"],
        number_masked=p["number_masked"],
        status=p["status"],
        currency=p["currency"],
        balance_minor=_minor(p["balance"]),
        available_minor=_minor(p["available"]),
        due_date=None if p.get("due_date") is None else date.fromisoformat(p["due_date"]),
        minimum_payment_minor=_opt_minor(p.get("minimum_payment")),
        total_payment_minor=_opt_minor(p.get("total_payment")),
        other_min_minor=_opt_minor(p.get("other_min")),
        other_max_minor=_opt_minor(p.get("other_max")),
        credit=bool(p["credit"]),
        pse_debit=bool(p["pse_debit"]),
        accepts_credit=bool(p["accepts_credit"]),
        caps=CoopCaps(
            _opt_minor(caps.get("per_transaction_max")), _opt_minor(caps.get("per_day_max")), caps.get("per_day_count")
        ),
    )


def _products(b: dict[str, Any]) -> CoopProducts:
    return CoopProducts(b["member_id"], tuple(_product(p) for p in b["products"]))


def _debit(b: dict[str, Any]) -> CoopDebit:
    return CoopDebit(
        b["debit_id"],
        b["status"],
        b["product_id"],
        b["number_masked"],
        _minor(b["amount"]),
        b["reference"],
        b["authorized_at"],
        b["expires_at"],
        _minor(b["available"]),
    )


def _posting(b: dict[str, Any]) -> CoopPosting:
    return CoopPosting(
        b["debit_id"], b["status"], b["transaction_id"], _minor(b["amount"]), _minor(b["running_balance"])
    )


def _void(b: dict[str, Any]) -> CoopVoid:
    return CoopVoid(b["debit_id"], b["status"])


def _credit(b: dict[str, Any]) -> CoopCredit:
    return CoopCredit(
        b["transaction_id"],
        b["product_id"],
        b["number_masked"],
        _minor(b["amount"]),
        b["reference"],
        _minor(b["running_balance"]),
        b["applied_at"],
    )


def _reversal(b: dict[str, Any]) -> CoopReversal:
    return CoopReversal(b["transaction_id"], b["reversal_id"], _minor(b["amount"]), _minor(b["running_balance"]))


def _transaction(t: dict[str, Any]) -> CoopTransaction:
    return CoopTransaction(
        transaction_id=t["transaction_id"],
        kind=t["kind"],
        status=t["status"],
        product_id=t["product_id"],
        number_masked=t["number_masked"],
        amount_minor=_minor(t["amount"]),
        reference=t["reference"],
        idempotency_key=t.get("idempotency_key"),
        created_at=t["created_at"],
        posted_at=t.get("posted_at"),
        reversed=bool(t.get("reversed")),
        reversal_id=t.get("reversal_id"),
        running_balance_minor=_opt_minor(t.get("running_balance")),
        reverses=t.get("reverses"),
    )


def _transactions(b: dict[str, Any]) -> tuple[CoopTransaction, ...]:
    return tuple(_transaction(t) for t in b["transactions"])


def _day(b: dict[str, Any]) -> CoopDay:
    totals = b["totals"]
    return CoopDay(
        date.fromisoformat(b["date"]),
        _transactions(b),
        _minor(totals["credits"]),
        _minor(totals["debits"]),
        _minor(totals["reversals"]),
    )


# -- the peer ---------------------------------------------------------------------------------------------
class CoopPeer:
    """The coop contract's client. ``keys``: entity code → its core API key (from the world)."""

    def __init__(self, transport: PeerTransport, keys: Mapping[str, str]) -> None:
        self._transport = transport
        self._keys = dict(keys)

    @classmethod
    def for_world(
        cls, base_url: str, world: World, *, party: str, timeout_s: float, proxy_url: str | None = None
    ) -> CoopPeer:
        """The peer at ``base_url`` with every entity's key from the world, over the switch's HTTP
        stack (keeping answers' headers: ``Idempotent-Replayed``). In the switch's app::

            coop = CoopPeer.for_world(ctx.peers.url("coop"), ctx.world, party=ctx.name,
                                      timeout_s=settings.coop_timeout_s, proxy_url=ctx.peers.proxy_url)
        """
        transport = peer_transport(
            base_url, party=party, timeout_s=timeout_s, proxy_url=proxy_url, response_headers=True
        )
        return cls(transport, {e.code: e.core_api_key for e in world.entities})

    async def aclose(self) -> None:
        await self._transport.aclose()

    def _headers(self, entity: str, idempotency_key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._keys.get(entity, '')}"}
        if idempotency_key is not None:
            headers[IDEMPOTENCY_KEY_HEADER] = idempotency_key
        return headers

    async def _call(
        self,
        parse: Any,
        method: str,
        path: str,
        entity: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        timeout_s: float | None = None,
    ) -> CoopAnswer[Any]:
        try:
            response: PeerResponse = await self._transport.request(
                method,
                f"{API_PREFIX}/entities/{entity}{path}",
                params=params,
                json_body=body,
                timeout_s=timeout_s,
                headers=self._headers(entity, idempotency_key),
            )
        except PeerTimeout:
            return CoopAnswer("unknown", error=COOP_TIMEOUT)
        except PeerError as exc:
            log.info("coop unavailable on %s %s: %s", method, path, exc)
            return CoopAnswer("unknown", error=COOP_UNAVAILABLE)
        status = response.status
        replayed = (response.header(REPLAYED_HEADER) or "").lower() == "true"
        if 200 <= status < 300:
            try:
                return CoopAnswer("ok", parse(response.body), status=status, replayed=replayed)
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("coop answered %s %s with an unreadable body: %r", method, path, exc)
                return CoopAnswer("unknown", error=COOP_BAD_ANSWER, status=status)
        code, message, field = response.field("error"), response.field("message"), response.field("field")
        if status >= 500 or code == IDEMPOTENCY_KEY_IN_FLIGHT or not isinstance(code, str):
            return CoopAnswer(
                "unknown", error=code if isinstance(code, str) else f"http_{status}", message=message, status=status
            )
        return CoopAnswer("refused", error=code, message=message, field=field, status=status, replayed=replayed)

    # -- reads
    async def entity(self, entity: str) -> CoopAnswer[CoopEntity]:
        return await self._call(_entity, "GET", "", entity)

    async def lookup(self, entity: str, document_type: str, document_number: str) -> CoopAnswer[CoopMember]:
        params = {"document_type": document_type, "document_number": document_number}
        return await self._call(_member, "GET", "/members", entity, params=params)

    async def products(self, entity: str, member_id: str) -> CoopAnswer[CoopProducts]:
        return await self._call(_products, "GET", f"/members/{member_id}/products", entity)

    # -- money
    async def authorize_debit(
        self,
        entity: str,
        *,
        product_id: str,
        amount_minor: int,
        reference: str,
        idempotency_key: str,
        description: str | None = None,
    ) -> CoopAnswer[CoopDebit]:
        body: dict[str, Any] = {
            "product_id": product_id,
            "amount": format_amount(amount_minor, CURRENCY),
            "currency": CURRENCY,
            "reference": reference,
        }
        if description is not None:
            body["description"] = description
        return await self._call(_debit, "POST", "/debits", entity, body=body, idempotency_key=idempotency_key)

    async def post_debit(self, entity: str, debit_id: str, *, idempotency_key: str) -> CoopAnswer[CoopPosting]:
        return await self._call(_posting, "POST", f"/debits/{debit_id}/post", entity, idempotency_key=idempotency_key)

    async def void_debit(self, entity: str, debit_id: str, *, idempotency_key: str) -> CoopAnswer[CoopVoid]:
        return await self._call(_void, "POST", f"/debits/{debit_id}/void", entity, idempotency_key=idempotency_key)

    async def apply_credit(
        self,
        entity: str,
        *,
        product_id: str,
        amount_minor: int,
        reference: str,
        payment_option: Literal["minimum", "total", "other", "free"],
        idempotency_key: str,
        description: str | None = None,
    ) -> CoopAnswer[CoopCredit]:
        body: dict[str, Any] = {
            "product_id": product_id,
            "amount": format_amount(amount_minor, CURRENCY),
            "currency": CURRENCY,
            "reference": reference,
            "payment_option": payment_option,
        }
        if description is not None:
            body["description"] = description
        return await self._call(_credit, "POST", "/credits", entity, body=body, idempotency_key=idempotency_key)

    async def reverse(
        self, entity: str, transaction_id: str, *, reason: str, idempotency_key: str, reference: str | None = None
    ) -> CoopAnswer[CoopReversal]:
        body: dict[str, Any] = {"reason": reason}
        if reference is not None:
            body["reference"] = reference
        return await self._call(
            _reversal,
            "POST",
            f"/transactions/{transaction_id}/reversal",
            entity,
            body=body,
            idempotency_key=idempotency_key,
        )

    # -- queries (the truth after a timeout: COOP-08)
    async def transaction(self, entity: str, transaction_id: str) -> CoopAnswer[CoopTransaction]:
        return await self._call(_transaction, "GET", f"/transactions/{transaction_id}", entity)

    async def transactions_by_reference(self, entity: str, reference: str) -> CoopAnswer[tuple[CoopTransaction, ...]]:
        return await self._call(_transactions, "GET", "/transactions", entity, params={"reference": reference})

    async def transactions_on(self, entity: str, day: date) -> CoopAnswer[CoopDay]:
        return await self._call(_day, "GET", "/transactions", entity, params={"date": day.isoformat()})


__all__ = [
    "COOP_BAD_ANSWER",
    "COOP_TIMEOUT",
    "COOP_UNAVAILABLE",
    "CoopAnswer",
    "CoopCaps",
    "CoopCredit",
    "CoopDay",
    "CoopDebit",
    "CoopEntity",
    "CoopMember",
    "CoopPeer",
    "CoopPosting",
    "CoopProduct",
    "CoopProducts",
    "CoopReversal",
    "CoopTransaction",
    "CoopVoid",
]
