"""Collections (RedCoop Pagos PSE): the pure decisions. Values in, decision out; no I/O, no clock.

Checks are listed in order, each with the code it returns (:class:`Refusal`):

* what a member may pay (COL-02, COL-11): :func:`payable` — active products of a COL-02 type that
  accept credits; credit products (OB, CR, TC) offer No pagar / Pago mínimo / Pago total / Otro
  valor, the others a free amount (consignación);
* one chosen amount (COL-03), :func:`check_item`: ``product_not_found`` → ``product_inactive`` →
  ``option_not_available`` (e.g. «Pago mínimo» on a product without one) → ``amount_not_allowed``
  (minimum/total must be exactly that payment) → ``amount_below_minimum`` → ``amount_above_maximum``;
* the selection (COL-12), :func:`decide_selection`: every item checked, then ``total_zero`` when
  nothing is paid, ``total_below_minimum`` under the gateway account's minimum;
* the payer (COL-04, COL-13), :func:`decide_payer`: the member by default; a different depositor
  must give document type and number, names, surnames, e-mail and mobile (``missing_field``,
  ``invalid_field``, naming the field);
* the description (COL-14): ``description_required``;
* what the OTP authorizes (NET-07): :func:`selection_binding` (entity + member + items and amounts);
* the payment's life (COL-19): :func:`outcome_of` reads the gateway's transactions of the order
  (APPROVED → approved, DECLINED → declined, ERROR/EXPIRED → failed, PENDING → pending);
  :func:`settle` moves a payment only forward, final states never change;
  :func:`next_query_us` — a payment not final is queried 7 minutes after creation, then every 12.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final

from reference_impl.core.otp import binding_digest
from sandbox.protocols.colombia import DOCUMENT_NAMES, document_problem, is_email, is_mobile

__all__ = [
    "APPLY_RETRY_MAX_S",
    "COL02_TYPES",
    "CREDIT_TYPES",
    "DETAIL_PRODUCT",
    "QUERY_EVERY_S",
    "QUERY_FIRST_S",
    "ChosenItem",
    "CreditState",
    "Outcome",
    "PayState",
    "Payer",
    "ProductInfo",
    "Refusal",
    "RequestedItem",
    "Selection",
    "check_item",
    "decide_payer",
    "decide_selection",
    "next_apply_us",
    "next_query_us",
    "outcome_of",
    "payable",
    "selection_binding",
    "settle",
]

US: Final = 1_000_000
#: COL-14: the product name the payment detail shows.
DETAIL_PRODUCT: Final = "PSE recaudos"
#: COL-02: the payable product types.
COL02_TYPES: Final = frozenset({"OB", "CR", "AV", "TC", "PO", "AC", "AP", "CC", "DE", "DS"})
CREDIT_TYPES: Final = frozenset({"OB", "CR", "TC"})
#: COL-19: the first query of a payment not final, after its creation; then every ``QUERY_EVERY_S``.
QUERY_FIRST_S: Final = 7 * 60
QUERY_EVERY_S: Final = 12 * 60
#: A payment whose order never reached the gateway (the member left before it) ends ``expired``.
NO_ORDER_EXPIRY_S: Final = 2 * 3600
#: NET-06: a credit whose outcome is unknown is retried with the same key, backing off up to this.
APPLY_RETRY_MAX_S: Final = 600
DESCRIPTION_MAX: Final = 140


class Refusal(Exception):
    """A refused input: a stable ``code``, a Spanish ``message``, the ``field`` at fault."""

    def __init__(self, code: str, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status


# -- products (COL-02, COL-03, COL-11) ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProductInfo:
    """What the switch knows of a member's product (from coop's answer)."""

    product_id: str
    type: str
    type_name: str
    number_masked: str
    status: str
    due_date: date | None = None
    minimum_payment_minor: int | None = None
    total_payment_minor: int | None = None
    other_min_minor: int | None = None
    other_max_minor: int | None = None
    accepts_credit: bool = True

    @property
    def credit(self) -> bool:
        return self.type in CREDIT_TYPES

    @property
    def label(self) -> str:
        """«Ahorros a la Vista(****7756)», as the seed writes it."""
        return f"{self.type_name}({self.number_masked})"


def payable(products: Iterable[ProductInfo]) -> list[ProductInfo]:
    """COL-11: the products the member may pay or deposit to (empty: «No hay productos disponibles»)."""
    return [p for p in products if p.status == "active" and p.accepts_credit and p.type in COL02_TYPES]


class Option(StrEnum):
    NONE = "none"  # No pagar
    MINIMUM = "minimum"  # Pago mínimo
    TOTAL = "total"  # Pago total
    OTHER = "other"  # Otro valor
    FREE = "free"  # a deposit (savings, contributions)


@dataclass(frozen=True, slots=True)
class RequestedItem:
    product_id: str
    option: str
    amount_minor: int | None = None  # None: the option's own amount (minimum / total)


@dataclass(frozen=True, slots=True)
class ChosenItem:
    product_id: str
    type: str
    type_name: str
    number_masked: str
    option: str  # the coop contract's payment_option: minimum | total | other | free
    amount_minor: int

    @property
    def label(self) -> str:
        return f"{self.type_name}({self.number_masked})"


def _money(minor: int) -> str:
    whole, cents = divmod(minor, 100)
    return f"${whole:,}".replace(",", ".") + f",{cents:02d}"


def check_item(product: ProductInfo | None, item: RequestedItem, field: str) -> ChosenItem | None:
    """COL-03: one product and its chosen amount; None for «No pagar» / an empty amount."""
    if product is None:
        raise Refusal("product_not_found", "El producto no es de este asociado.", f"{field}.product_id", 404)
    if product.status != "active" or not product.accepts_credit:
        raise Refusal("product_inactive", f"El producto {product.label} no está activo.", f"{field}.product_id")
    try:
        option = Option(item.option)
    except ValueError:
        raise Refusal(
            "invalid_field", "La opción de pago debe ser none, minimum, total, other o free.", f"{field}.option"
        ) from None
    if option is Option.NONE:
        return None
    if product.credit and option is Option.FREE:
        option = Option.OTHER
    if not product.credit and option in (Option.MINIMUM, Option.TOTAL):
        raise Refusal("option_not_available", f"El producto {product.label} recibe un valor libre.", f"{field}.option")
    if not product.credit and option is Option.OTHER:
        option = Option.FREE
    fixed = {Option.MINIMUM: product.minimum_payment_minor, Option.TOTAL: product.total_payment_minor}
    if option in fixed:
        expected = fixed[option]
        if expected is None or expected <= 0:
            raise Refusal(
                "option_not_available", f"El producto {product.label} no tiene esa opción.", f"{field}.option"
            )
        if item.amount_minor is not None and item.amount_minor != expected:
            raise Refusal(
                "amount_not_allowed",
                f"El {'pago mínimo' if option is Option.MINIMUM else 'pago total'} de {product.label} es "
                f"{_money(expected)}.",
                f"{field}.amount",
            )
        amount = expected
    else:
        if item.amount_minor is None or item.amount_minor == 0:
            if option is Option.FREE:
                return None
            raise Refusal("missing_field", "Escriba el valor a pagar.", f"{field}.amount")
        amount = item.amount_minor
        if amount < 0:
            raise Refusal("invalid_amount", "El valor no puede ser negativo.", f"{field}.amount")
        if product.other_min_minor is not None and amount < product.other_min_minor:
            raise Refusal(
                "amount_below_minimum",
                f"El valor mínimo para {product.label} es {_money(product.other_min_minor)}.",
                f"{field}.amount",
            )
        upper = [v for v in (product.other_max_minor, product.total_payment_minor if product.credit else None) if v]
        if upper and amount > min(upper):
            raise Refusal(
                "amount_above_maximum",
                f"El valor máximo para {product.label} es {_money(min(upper))}.",
                f"{field}.amount",
            )
    return ChosenItem(product.product_id, product.type, product.type_name, product.number_masked, option.value, amount)


@dataclass(frozen=True, slots=True)
class Selection:
    items: tuple[ChosenItem, ...]

    @property
    def total_minor(self) -> int:
        return sum(i.amount_minor for i in self.items)


def decide_selection(
    products: Sequence[ProductInfo], requested: Sequence[RequestedItem], *, minimum_total_minor: int = 0
) -> Selection:
    """COL-03 for each item (in order), then COL-12: the total must be greater than zero (and at
    least the gateway account's minimum)."""
    by_id = {p.product_id: p for p in products}
    seen: set[str] = set()
    chosen: list[ChosenItem] = []
    for n, item in enumerate(requested):
        where = f"items[{n}]"
        if item.product_id in seen:
            raise Refusal("duplicate_product", "Cada producto se paga una sola vez.", f"{where}.product_id")
        seen.add(item.product_id)
        picked = check_item(by_id.get(item.product_id), item, where)
        if picked is not None:
            chosen.append(picked)
    selection = Selection(tuple(chosen))
    if selection.total_minor <= 0:
        raise Refusal("total_zero", "Elija al menos un producto y un valor: el total debe ser mayor que cero.", "items")
    if selection.total_minor < minimum_total_minor:
        raise Refusal(
            "total_below_minimum",
            f"El total debe ser de al menos {_money(minimum_total_minor)} para pagar por PSE.",
            "items",
        )
    return selection


def selection_binding(entity: str, member_id: str, selection: Selection) -> str:
    """NET-07: what the payment code authorizes — the member, the products and their amounts."""
    return binding_digest(
        {
            "entity": entity,
            "member": member_id,
            "items": [[i.product_id, i.option, i.amount_minor] for i in selection.items],
            "total": selection.total_minor,
        }
    )


def identity_binding(entity: str, member_id: str) -> str:
    """The identity code (COL-10) authorizes showing this member's products at this entity."""
    return binding_digest({"entity": entity, "member": member_id, "purpose": "products"})


# -- the payer (COL-04, COL-13) ---------------------------------------------------------------------------
PAYER_FIELDS: Final = ("document_type", "document_number", "first_names", "last_names", "email", "mobile")


@dataclass(frozen=True, slots=True)
class Payer:
    different: bool
    document_type: str
    document_number: str
    first_names: str
    last_names: str
    email: str
    mobile: str

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_names}".strip()


def decide_payer(different: bool, given: Mapping[str, str | None], member: Payer) -> Payer:
    """COL-13: the member pays unless «¿Depositante diferente al asociado?»; COL-04: then every
    field is required (checked in :data:`PAYER_FIELDS` order) and well formed."""
    if not different:
        return member
    values = {name: (given.get(name) or "").strip() for name in PAYER_FIELDS}
    for name in PAYER_FIELDS:
        if not values[name]:
            raise Refusal("missing_field", f"El campo «{_PAYER_LABELS[name]}» del depositante es obligatorio.",
                          f"payer.{name}")  # fmt: skip
    if values["document_type"] not in DOCUMENT_NAMES or values["document_type"] == "NIT":
        raise Refusal("invalid_field", "El depositante es una persona natural: elija su tipo de documento.",
                      "payer.document_type")  # fmt: skip
    problem = document_problem(values["document_type"], values["document_number"], "N")
    if problem is not None:
        where = "payer.document_type" if problem.about == "type" else "payer.document_number"
        raise Refusal("invalid_field", f"Documento del depositante: {problem.message}.", where)
    if not is_email(values["email"]):
        raise Refusal("invalid_field", "El correo del depositante no es válido.", "payer.email")
    if not is_mobile(values["mobile"]):
        raise Refusal("invalid_field", "El celular del depositante debe tener 10 dígitos y empezar por 3.",
                      "payer.mobile")  # fmt: skip
    for name in ("first_names", "last_names"):
        if len(values[name]) > 60:
            raise Refusal("invalid_field", "Los nombres y apellidos tienen hasta 60 caracteres.", f"payer.{name}")
    return Payer(True, **values)


_PAYER_LABELS: Final = {
    "document_type": "Tipo de documento",
    "document_number": "Número de documento",
    "first_names": "Nombres",
    "last_names": "Apellidos",
    "email": "Correo electrónico",
    "mobile": "Número de celular",
}


def check_description(text: str | None) -> str:
    """COL-14: the description is mandatory (1–140 characters)."""
    value = (text or "").strip()
    if not value:
        raise Refusal("description_required", "La descripción del pago es obligatoria.", "description")
    if len(value) > DESCRIPTION_MAX:
        raise Refusal("invalid_field", f"La descripción tiene hasta {DESCRIPTION_MAX} caracteres.", "description")
    return value


def check_document(document_type: str, document_number: str) -> None:
    """COL-01: a document type and number are all it takes to start."""
    if document_type not in DOCUMENT_NAMES or document_type == "NIT":
        raise Refusal("invalid_field", "Elija un tipo de documento de persona natural.", "document_type")
    problem = document_problem(document_type, document_number)
    if problem is not None:
        raise Refusal("invalid_field", f"El {problem.message}.", "document_number")


# -- the payment's life (COL-19, COL-20) ----------------------------------------------------------------
class PayState(StrEnum):
    CREATED = "created"  # the browser was sent to the gateway
    PENDING = "pending"  # the gateway (PSE) says PENDING
    APPROVED = "approved"
    DECLINED = "declined"  # NOT_AUTHORIZED at the bank
    FAILED = "failed"  # FAILED / ERROR / EXPIRED at PSE
    EXPIRED = "expired"  # no order ever reached the gateway


FINAL: Final = frozenset({PayState.APPROVED, PayState.DECLINED, PayState.FAILED, PayState.EXPIRED})


class CreditState(StrEnum):
    WAITING = "waiting"  # the payment is not approved (yet)
    APPLYING = "applying"  # approved; the credit is to be applied (or retried: its outcome was unknown)
    APPLIED = "applied"
    REFUSED = "refused"  # coop refused it: money received, product not credited (an operator's case)
    VOID = "not_applicable"  # the payment was not approved: nothing to apply


@dataclass(frozen=True, slots=True)
class GatewayTx:
    """One transaction of the order at the gateway, as the query reports it."""

    transaction_id: str
    state: str  # APPROVED | DECLINED | PENDING | ERROR | EXPIRED
    type: str = "AUTHORIZATION_AND_CAPTURE"
    response_code: str | None = None
    cus: str | None = None
    bank: str | None = None
    amount_minor: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    state: PayState | None  # None: nothing at the gateway yet
    transaction: GatewayTx | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)


_GATEWAY: Final = {
    "APPROVED": PayState.APPROVED,
    "DECLINED": PayState.DECLINED,
    "PENDING": PayState.PENDING,
    "ERROR": PayState.FAILED,
    "EXPIRED": PayState.FAILED,
}


def outcome_of(transactions: Sequence[GatewayTx], total_minor: int) -> Outcome:
    """The payment's state from its order's transactions at the gateway: an approved payment of
    the whole amount wins, then one still pending, then the last final one. A refund is no
    payment; an approved amount other than the total is a problem (reported, not applied)."""
    payments = [t for t in transactions if t.type != "REFUND" and t.state in _GATEWAY]
    problems: list[str] = []
    for t in payments:
        if t.state == "APPROVED":
            if t.amount_minor is not None and t.amount_minor != total_minor:
                problems.append(f"amount_mismatch:{t.transaction_id}")
                continue
            return Outcome(PayState.APPROVED, t, tuple(problems))
    pending = [t for t in payments if t.state == "PENDING"]
    if pending:
        return Outcome(PayState.PENDING, pending[-1], tuple(problems))
    final = [t for t in payments if t.state != "APPROVED"]
    if final:
        return Outcome(_GATEWAY[final[-1].state], final[-1], tuple(problems))
    return Outcome(None, None, tuple(problems))


def settle(current: PayState, reported: PayState | None, *, created_us: int, now_us: int) -> PayState:
    """The payment's next state: forward only (created → pending → final); a final state never
    changes (COL-20). With nothing at the gateway ``NO_ORDER_EXPIRY_S`` after creation: expired."""
    if current in FINAL:
        return current
    if reported is None:
        return PayState.EXPIRED if now_us - created_us >= NO_ORDER_EXPIRY_S * US else current
    if reported is PayState.PENDING:
        return PayState.PENDING
    return reported


def next_query_us(created_us: int, now_us: int) -> int:
    """COL-19: a payment not final is queried 7 minutes after its creation, then every 12 minutes
    (the first of those instants after ``now_us``)."""
    first = created_us + QUERY_FIRST_S * US
    if now_us < first:
        return first
    periods = (now_us - first) // (QUERY_EVERY_S * US) + 1
    return first + periods * QUERY_EVERY_S * US


def next_apply_us(attempts: int, now_us: int) -> int:
    """NET-06: when to retry a credit whose outcome is unknown (30 s, 60 s, ... up to 10 min)."""
    delay: int = min(30 << min(max(attempts - 1, 0), 10), APPLY_RETRY_MAX_S)
    return now_us + delay * US


def needs_operator(item: ItemRecord, alert_after: int) -> bool:
    """An item of an approved payment the operator must look at (issue 16, item 3): coop refused
    its credit, or has not answered it after ``alert_after`` tries (the job keeps trying)."""
    return item.credit_state is CreditState.REFUSED or (
        item.credit_state is CreditState.APPLYING and item.attempts >= alert_after
    )


def credit_key(reference: str, seq: int) -> str:
    """COL-20: the one Idempotency-Key of an item's credit at coop, whoever applies it, however often."""
    return f"recaudo-{reference}-{seq}"


# -- reconciliation (issue item 4) ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReferenceLine:
    reference: str
    entity: str
    approved_minor: int  # what PSE (the gateway/ACH) approved for the reference
    credited_minor: int  # what coop credited for the reference
    expected_minor: int  # what the switch meant to credit (its items)
    state: str

    @property
    def difference_minor(self) -> int:
        return self.credited_minor - self.approved_minor


def reconcile_lines(
    payments: Sequence[tuple[str, str, str, int]],
    approved: Mapping[str, int],
    credited: Mapping[str, int],
) -> list[ReferenceLine]:
    """Per reference: ``payments`` are the switch's (reference, entity, state, total); ``approved``
    the sums PSE approved, ``credited`` the sums coop credited (both by reference). Every reference
    of any side gets a line."""
    lines: list[ReferenceLine] = []
    known = set()
    for reference, entity, state, total in payments:
        known.add(reference)
        lines.append(
            ReferenceLine(
                reference,
                entity,
                approved.get(reference, 0),
                credited.get(reference, 0),
                total if state == PayState.APPROVED else 0,
                state,
            )
        )
    for reference in sorted((set(approved) | set(credited)) - known):
        lines.append(ReferenceLine(reference, "", approved.get(reference, 0), credited.get(reference, 0), 0, "unknown"))
    return lines


# -- the records the state keeps ---------------------------------------------------------------------------
class SessionState(StrEnum):
    IDENTIFYING = "identifying"  # the identity code was sent (COL-10)
    VERIFIED = "verified"  # the code was accepted: products are shown
    CONFIRMING = "confirming"  # a selection is chosen, its payment code sent (NET-07)
    STARTED = "started"  # the payment went to the gateway


SESSION_TTL_S: Final = 30 * 60


@dataclass(slots=True)
class Visit:
    """A member's visit to ``/recaudos/{entity}`` (a session), kept by the switch."""

    id: str
    state: SessionState
    created_us: int
    expires_us: int
    entity: str
    member_id: str
    document_type: str
    document_number: str
    full_name: str
    sent_to: list[str]
    selection: list[dict[str, object]] | None = None
    payer: dict[str, object] | None = None
    reference: str | None = None
    binding: str | None = None
    version: int = 0

    def data(self) -> dict[str, object]:
        return {
            "entity": self.entity,
            "member_id": self.member_id,
            "document_type": self.document_type,
            "document_number": self.document_number,
            "full_name": self.full_name,
            "sent_to": self.sent_to,
            "selection": self.selection,
            "payer": self.payer,
            "reference": self.reference,
            "binding": self.binding,
        }

    def chosen(self) -> Selection:
        return Selection(tuple(ChosenItem(**item) for item in self.selection or ()))  # type: ignore[arg-type]

    def payer_value(self) -> Payer | None:
        return None if self.payer is None else Payer(**self.payer)  # type: ignore[arg-type]


@dataclass(slots=True)
class ItemRecord:
    reference: str
    seq: int
    product_id: str
    product_type: str
    type_name: str
    number_masked: str
    payment_option: str
    amount_minor: int
    credit_state: CreditState = CreditState.WAITING
    coop_transaction_id: str | None = None
    attempts: int = 0
    next_us: int | None = None
    last_error: str | None = None
    applied_us: int | None = None

    @property
    def label(self) -> str:
        return f"{self.type_name}({self.number_masked})"


@dataclass(slots=True)
class PaymentRecord:
    reference: str
    session_id: str
    entity: str
    member_id: str
    member_name: str
    payer: dict[str, object]
    description: str
    total_minor: int
    currency: str
    state: PayState
    created_us: int
    updated_us: int
    gateway_transaction_id: str | None = None
    response_code: str | None = None
    cus: str | None = None
    bank: str | None = None
    final_us: int | None = None
    next_query_us: int | None = None
    queries: int = 0
    version: int = 0
    items: list[ItemRecord] = field(default_factory=list)

    @property
    def final(self) -> bool:
        return self.state in FINAL

    @property
    def unapplied(self) -> list[ItemRecord]:
        """Items of an approved payment not credited yet (applying or refused): an operator's list."""
        if self.state is not PayState.APPROVED:
            return []
        return [i for i in self.items if i.credit_state in (CreditState.APPLYING, CreditState.REFUSED)]


def apply_outcome(payment: PaymentRecord, outcome: Outcome, now_us: int) -> bool:
    """Move ``payment`` to what the gateway reports (:func:`settle`); on a final state mark its
    items: to apply (approved) or void (anything else). True when something changed."""
    new_state = settle(payment.state, outcome.state, created_us=payment.created_us, now_us=now_us)
    tx = outcome.transaction
    changed = False
    if tx is not None and payment.state not in FINAL:
        for name, value in (
            ("gateway_transaction_id", tx.transaction_id),
            ("response_code", tx.response_code),
            ("cus", tx.cus),
            ("bank", tx.bank),
        ):
            if value and getattr(payment, name) != value:
                setattr(payment, name, value)
                changed = True
    if new_state is not payment.state:
        payment.state = new_state
        changed = True
        if new_state in FINAL:
            payment.final_us = now_us
            payment.next_query_us = None
            for item in payment.items:
                if item.credit_state is CreditState.WAITING:
                    if new_state is PayState.APPROVED:
                        item.credit_state, item.next_us = CreditState.APPLYING, now_us
                    else:
                        item.credit_state, item.next_us = CreditState.VOID, None
    if payment.state not in FINAL:
        due = next_query_us(payment.created_us, now_us)
        if payment.next_query_us != due:
            payment.next_query_us = due
            changed = True
    if changed:
        payment.updated_us = now_us
    return changed


def credit_result(
    item: ItemRecord, outcome: str, *, now_us: int, transaction_id: str | None, error: str | None
) -> None:
    """What a credit call at coop did to an item: ``ok`` applied; ``refused`` (definitive, an
    operator's case); ``unknown`` retried later with the same key (NET-06)."""
    if item.credit_state is not CreditState.APPLYING:
        return
    item.attempts += 1
    item.last_error = error
    if outcome == "ok":
        item.credit_state, item.coop_transaction_id, item.applied_us, item.next_us = (
            CreditState.APPLIED,
            transaction_id,
            now_us,
            None,
        )
        item.last_error = None
    elif outcome == "refused":
        item.credit_state, item.next_us = CreditState.REFUSED, None
    else:
        item.next_us = next_apply_us(item.attempts, now_us)
