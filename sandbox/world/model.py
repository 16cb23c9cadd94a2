"""The world: who exists in the sandbox, with what money, when a run starts or is reset.

A world file (YAML) has one section per kind of thing. Amounts are written as decimal strings
in the currency of their section (COP has 2 decimals, PYG none) and held in code as integer
minor units: a YAML key ``balance`` becomes the attribute ``balance_minor``.

Each party reads the sections it plays: ``coop`` the members and products, ``ach`` the banks,
PSE entities and registered users, ``bank`` its customers, ``gateway`` the merchant accounts,
``merchant`` the merchants, ``ceibo`` the DIMO cards, ``red`` the counters, the switch the
entities, limits and everything it authorizes. ``docs/magic-values.md`` lists the personas and
amounts that force each outcome.

Cross references (a product's entity, a merchant's gateway account, ...) are checked when the
file is loaded; :func:`sandbox.world.load_world` turns every problem into a clear message that
names the file and the path of the offending value.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sandbox.kit.money import AmountError, parse_amount


def _amount(currency: str) -> Any:
    def parse(value: object) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        try:
            return parse_amount(value, currency)
        except AmountError as exc:
            raise ValueError(str(exc)) from None

    return BeforeValidator(parse)


#: COP amounts: "1500000.00" in YAML → 150000000 minor units (centavos).
Cop = Annotated[int, _amount("COP")]
#: PYG amounts: "1500000" in YAML → 1500000 (guaraníes have no minor unit).
Pyg = Annotated[int, _amount("PYG")]

Digits = Annotated[str, Field(pattern=r"^[0-9]+$")]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=120)]
ColMobile = Annotated[str, Field(pattern=r"^3[0-9]{9}$")]
PyMobile = Annotated[str, Field(pattern=r"^09[0-9]{8}$")]
#: A URL template resolved against the parties' base URLs: "{merchant}/payu/confirmacion".
UrlTemplate = Annotated[str, Field(min_length=1, max_length=300)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class DocumentType(StrEnum):
    CC = "CC"  # cédula de ciudadanía
    CE = "CE"  # cédula de extranjería
    TI = "TI"  # tarjeta de identidad
    RC = "RC"  # registro civil
    PP = "PP"  # pasaporte
    PPN = "PPN"  # pasaporte (nuevo formato)
    NIT = "NIT"  # empresas
    DIE = "DIE"  # documento de identificación extranjero


class ProductType(StrEnum):
    """COL-02: payable product types."""

    OB = "OB"  # obligaciones
    CR = "CR"  # cupo de crédito (cupo rotativo)
    AV = "AV"  # ahorros a la vista
    TC = "TC"  # tarjeta de crédito
    PO = "PO"  # aportes sociales
    AC = "AC"  # ahorros contractuales
    AP = "AP"  # ahorros permanentes
    CC = "CC"  # cuenta corriente
    DE = "DE"  # depósito electrónico
    DS = "DS"  # depósito electrónico con subsidio


CREDIT_TYPES = frozenset({ProductType.OB, ProductType.CR, ProductType.TC})
PRODUCT_TYPE_NAMES = {
    ProductType.OB: "Obligación",
    ProductType.CR: "Cupo de Crédito",
    ProductType.AV: "Ahorros a la Vista",
    ProductType.TC: "Tarjeta de Crédito",
    ProductType.PO: "Aportes Sociales",
    ProductType.AC: "Ahorros Contractuales",
    ProductType.AP: "Ahorros Permanentes",
    ProductType.CC: "Cuenta Corriente",
    ProductType.DE: "Depósito Electrónico",
    ProductType.DS: "Depósito Electrónico con Subsidio",
}


# --- network and cooperatives ---------------------------------------------------------------
class Network(_Model):
    name: str = "Red Coopcentral"
    #: The PSE code under which the switch acts as a bank (Banco Cooperativo Coopcentral).
    switch_bank_code: Digits = "1066"
    timezone: str = "America/Bogota"


class Entity(_Model):
    """A cooperative of the network."""

    code: Code
    name: str
    nit: Digits
    country: Literal["CO", "PY"] = "CO"
    #: COL-08: the collections service (RedCoop Pagos PSE) is enabled by agreement.
    collections_enabled: bool = True
    #: The entity's members may pay merchants through PSE from their accounts (PSE flow).
    pse_debit_enabled: bool = True
    otp_channels: tuple[Literal["sms", "email"], ...] = ("sms", "email")
    service_email: Email | None = None
    service_phone: str | None = None
    #: The key of the entity's core-banking API (the coop contract: ``Authorization: Bearer <key>``);
    #: default ``coop-<code in lower case>-key``. Sandbox test data, never logged.
    core_api_key: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _default_core_api_key(self) -> Entity:
        if not self.core_api_key:
            object.__setattr__(self, "core_api_key", f"coop-{self.code.lower()}-key")
        return self


class ProductLimits(_Model):
    """Per-product overrides of the limit rules (magic personas use them)."""

    per_transaction_max: Cop | None = None
    per_day_max: Cop | None = None
    per_day_count: int | None = Field(default=None, ge=0)


class Product(_Model):
    entity: Code
    type: ProductType
    number: Digits = Field(min_length=6, max_length=20)
    status: Literal["active", "inactive", "blocked", "closed"] = "active"
    currency: Literal["COP"] = "COP"
    balance_minor: Cop = Field(default=0, alias="balance")
    #: Credit products (OB, CR, TC): COL-11 options.
    due_date: date | None = None
    minimum_payment_minor: Cop | None = Field(default=None, alias="minimum_payment")
    total_payment_minor: Cop | None = Field(default=None, alias="total_payment")
    #: "Otro valor" bounds (COL-03); savings take a free amount within them.
    other_min_minor: Cop | None = Field(default=None, alias="other_min")
    other_max_minor: Cop | None = Field(default=None, alias="other_max")
    #: May be debited by a PSE payment (PSE flow): accounts and revolving credit lines.
    pse_debit: bool = False
    #: For a credit line, the available credit; for accounts the balance is what counts.
    credit_available_minor: Cop | None = Field(default=None, alias="credit_available")
    limits: ProductLimits | None = None
    #: Accepts payments / deposits through the network (coop's ``accepts_credit``).
    accepts_credit: bool = True

    @property
    def is_credit(self) -> bool:
        return self.type in CREDIT_TYPES

    @model_validator(mode="after")
    def _credit_fields(self) -> Product:
        if self.is_credit and self.status == "active" and self.total_payment_minor is None:
            raise ValueError(f"el producto {self.type} {self.number} es de crédito: total_payment es obligatorio")
        if (
            self.minimum_payment_minor is not None
            and self.total_payment_minor is not None
            and self.minimum_payment_minor > self.total_payment_minor
        ):
            raise ValueError("minimum_payment no puede ser mayor que total_payment")
        if (
            self.other_min_minor is not None
            and self.other_max_minor is not None
            and self.other_min_minor > self.other_max_minor
        ):
            raise ValueError("other_min no puede ser mayor que other_max")
        return self


class PortalUser(_Model):
    """Credentials of the network's transactional portal (PSE-06)."""

    username: Code
    password: str = Field(min_length=6)


class Member(_Model):
    """An asociado: a person with products at one or more entities."""

    id: Code
    document_type: DocumentType = DocumentType.CC
    document_number: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{5,20}$")]
    first_names: str
    last_names: str
    email: Email
    mobile: ColMobile
    portal: PortalUser | None = None
    products: tuple[Product, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_names}"


class LimitRule(_Model):
    """Limits of debits (PSE payments) and card holds (cash). Most specific rule wins:
    (entity, product_type) > (entity) > (product_type) > network default (neither)."""

    applies_to: Literal["product", "card"] = "product"
    entity: Code | None = None
    product_type: ProductType | None = None
    currency: Literal["COP", "PYG"] = "COP"
    per_transaction_max: str | None = None
    per_day_max: str | None = None
    per_day_count: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _amounts(self) -> LimitRule:
        for name in ("per_transaction_max", "per_day_max"):
            value = getattr(self, name)
            if value is not None:
                try:
                    parse_amount(value, self.currency)
                except AmountError as exc:
                    raise ValueError(f"{name} {exc}") from None
        if self.applies_to == "card" and self.product_type is not None:
            raise ValueError("una regla de tarjeta no lleva product_type")
        if self.applies_to == "card" and self.currency != "PYG":
            raise ValueError("una regla de tarjeta (DIMO) va en PYG: currency: PYG")
        return self

    @property
    def per_transaction_max_minor(self) -> int | None:
        return None if self.per_transaction_max is None else parse_amount(self.per_transaction_max, self.currency)

    @property
    def per_day_max_minor(self) -> int | None:
        return None if self.per_day_max is None else parse_amount(self.per_day_max, self.currency)


# --- PSE: banks, ACH, bank customers ---------------------------------------------------------
class Bank(_Model):
    code: Digits
    name: str
    #: Who plays the bank: the `bank` simulator, or the switch (1066, Coopcentral).
    simulated_by: Literal["bank", "switch"] = "bank"
    #: Disabled banks are left out of GetBankListNF; ACH refuses them (FAIL_BANKNOTEXISTSORDISABLED).
    enabled: bool = True
    #: Magic: "unreachable" makes ACH answer FAIL_BANKUNREACHEABLE for this bank.
    behaviour: Literal["normal", "unreachable"] = "normal"
    #: The bank's credential on ACH's bank-side API (HTTP Basic ``code:ach_secret``), with which
    #: it reads a transaction and sends ``ConfirmTransactionPayment``. A bank without one cannot
    #: confirm (sandbox test data, never logged).
    ach_secret: str | None = Field(default=None, min_length=8, max_length=128)


class PseEntity(_Model):
    """A company that collects through ACH PSE (a gateway, a merchant or the network)."""

    entity_code: Digits
    name: str
    nit: Digits
    client_id: str
    client_secret: str
    service_codes: tuple[Annotated[str, Field(max_length=10)], ...] = ("1001",)
    enabled: bool = True
    #: Base64url of a 32-byte key: request/response bodies are compact JWE (dir, A256GCM).
    jwe_key: str | None = None


class PseUser(_Model):
    """A person (or company) registered at PSE with an e-mail (PSE-01, COL-17)."""

    email: Email
    person_type: Literal["natural", "juridica"] = "natural"
    document_type: DocumentType = DocumentType.CC
    document_number: str
    full_name: str


class BankAccount(_Model):
    number: Digits = Field(min_length=6, max_length=20)
    type: Literal["ahorros", "corriente"] = "ahorros"
    balance_minor: Cop = Field(alias="balance")


class BankCustomer(_Model):
    """A customer of a simulated bank, with online-banking credentials."""

    bank: Digits
    username: Code
    password: str = Field(min_length=6)
    document_type: DocumentType = DocumentType.CC
    document_number: str
    full_name: str
    email: Email | None = None
    accounts: tuple[BankAccount, ...] = ()
    #: Magic personas (docs/magic-values.md).
    behaviour: Literal["approve", "pending_then_approve", "pending_then_fail", "abandon"] = "approve"
    pending_minutes: int = Field(default=10, ge=1, le=24 * 60)


# --- gateway and merchants -----------------------------------------------------------------
class Antifraud(_Model):
    """GW-06: refuse before the bank when a payment breaks a rule."""

    max_amount_minor: Cop | None = Field(default=None, alias="max_amount")
    velocity_count: int | None = Field(default=None, ge=1)
    velocity_window_s: int = Field(default=3600, ge=1)
    blocked_documents: tuple[str, ...] = ()


class GatewayAccount(_Model):
    """A merchant's account at the payment gateway (PayU style credentials)."""

    merchant_id: Digits
    account_id: Digits
    name: str
    api_key: str = Field(min_length=8)
    api_login: str = Field(min_length=6)
    public_key: str | None = None
    #: GW-02: payments below this amount are refused.
    minimum_amount_minor: Cop = Field(default=0, alias="minimum_amount")
    confirmation_url: UrlTemplate | None = None
    response_url: UrlTemplate | None = None
    #: The ACH entity the gateway collects under for this account.
    pse_entity_code: Digits
    #: ACH ``serviceCode`` for this account's payments; default: the entity's first one.
    pse_service_code: Annotated[str, Field(max_length=10)] | None = None
    antifraud: Antifraud = Antifraud()


class Customer(_Model):
    id: Code
    name: str
    document_type: DocumentType = DocumentType.CC
    document_number: str
    email: Email
    mobile: ColMobile | None = None


class Invoice(_Model):
    number: Code
    customer: Code
    description: str
    amount_minor: Cop = Field(alias="amount")
    issued_on: date
    due_on: date
    status: Literal["open", "paid", "void"] = "open"


class Merchant(_Model):
    id: Code
    name: str
    nit: Digits
    gateway_merchant_id: Digits | None = None
    #: Direct PSE (merchant's own ACH entity), for "Pagar con PSE".
    pse_entity_code: Digits | None = None
    minimum_amount_minor: Cop = Field(default=0, alias="minimum_amount")
    customers: tuple[Customer, ...] = ()
    invoices: tuple[Invoice, ...] = ()


# --- cash: DIMO cards and collection counters ----------------------------------------------
class CardLimits(_Model):
    """Per-card overrides of the card limit rules (magic personas use them); PYG amounts."""

    per_transaction_max_minor: Pyg | None = Field(default=None, alias="per_transaction_max")
    per_day_max_minor: Pyg | None = Field(default=None, alias="per_day_max")
    per_day_count: int | None = Field(default=None, ge=0)


class DimoCard(_Model):
    """A DIMO card (Paraguay) kept by the CEIBO processor; the holder reaches it by cédula or phone."""

    card_id: Code
    entity: Code | None = None
    holder_name: str
    #: Cédula de identidad (up to 8 digits).
    holder_document: Annotated[str, Field(pattern=r"^[0-9]{5,8}$")]
    phone: PyMobile
    status: Literal["active", "blocked"] = "active"
    currency: Literal["PYG"] = "PYG"
    balance_minor: Pyg = Field(alias="balance")
    #: Base32 TOTP secret of the DIMO app's soft-token (RFC 6238, 6 digits, 30 s steps); at least
    #: 24 characters (120 bits: pyotp refuses secrets under 112 bits, RFC 4226 recommends 160).
    soft_token_secret: Annotated[str, Field(pattern=r"^[A-Z2-7]{24,64}$")]
    #: Overrides of the card limit rules for this card (withdrawals: tope, daily cap, frequency).
    limits: CardLimits | None = None


class Counter(_Model):
    """A collection network counter (boca de cobranza) with its cash drawer."""

    id: Code
    name: str
    network: str = "Red de Cobranzas"
    cash_minor: Pyg = Field(alias="cash")
    #: Magic: every registration at this counter fails (CASH-05, CASH-09).
    registration: Literal["ok", "fail"] = "ok"


# --- the whole world -------------------------------------------------------------------------
class World(_Model):
    version: Literal[1] = 1
    description: str = ""
    network: Network = Network()
    entities: tuple[Entity, ...] = ()
    members: tuple[Member, ...] = ()
    limits: tuple[LimitRule, ...] = ()
    banks: tuple[Bank, ...] = ()
    pse_entities: tuple[PseEntity, ...] = ()
    pse_users: tuple[PseUser, ...] = ()
    bank_customers: tuple[BankCustomer, ...] = ()
    gateway_accounts: tuple[GatewayAccount, ...] = ()
    merchants: tuple[Merchant, ...] = ()
    dimo_cards: tuple[DimoCard, ...] = ()
    counters: tuple[Counter, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> World:
        problems = list(_reference_problems(self))
        if problems:
            raise ValueError("; ".join(problems[:20]))
        return self

    # Lookups used by several parties.
    def entity(self, code: str) -> Entity | None:
        return next((e for e in self.entities if e.code == code), None)

    def member_by_document(self, document_type: str, number: str) -> Member | None:
        return next(
            (m for m in self.members if m.document_type == document_type and m.document_number == number),
            None,
        )

    def bank(self, code: str) -> Bank | None:
        return next((b for b in self.banks if b.code == code), None)


def _duplicates(values: list[str]) -> list[str]:
    seen: set[str] = set()
    dup: list[str] = []
    for value in values:
        if value in seen and value not in dup:
            dup.append(value)
        seen.add(value)
    return dup


def _reference_problems(world: World) -> Iterator[str]:
    entities = {e.code for e in world.entities}
    banks = {b.code: b for b in world.banks}
    pse_entities = {p.entity_code for p in world.pse_entities}
    gateway_ids = {g.merchant_id for g in world.gateway_accounts}
    checks = {
        "entities.code": [e.code for e in world.entities],
        "entities.core_api_key": [e.core_api_key for e in world.entities],
        "members.id": [m.id for m in world.members],
        "members.document": [f"{m.document_type}:{m.document_number}" for m in world.members],
        "products.number": [p.number for m in world.members for p in m.products],
        "portal.username": [m.portal.username for m in world.members if m.portal],
        "banks.code": [b.code for b in world.banks],
        "pse_entities.entity_code": [p.entity_code for p in world.pse_entities],
        "pse_users.email": [u.email.lower() for u in world.pse_users],
        "bank_customers.username": [f"{c.bank}:{c.username}" for c in world.bank_customers],
        "bank_accounts.number": [a.number for c in world.bank_customers for a in c.accounts],
        "gateway_accounts.merchant_id": [g.merchant_id for g in world.gateway_accounts],
        "merchants.id": [m.id for m in world.merchants],
        "dimo_cards.card_id": [c.card_id for c in world.dimo_cards],
        "dimo_cards.phone": [c.phone for c in world.dimo_cards],
        "counters.id": [c.id for c in world.counters],
    }
    for what, values in checks.items():
        dup = _duplicates(values)
        if dup:
            yield f"{what} repetido: {', '.join(dup[:5])}"
    for i, member in enumerate(world.members):
        for j, product in enumerate(member.products):
            if product.entity not in entities:
                yield f"members[{i}].products[{j}].entity: la entidad «{product.entity}» no existe"
    for i, rule in enumerate(world.limits):
        if rule.entity is not None and rule.entity not in entities:
            yield f"limits[{i}].entity: la entidad «{rule.entity}» no existe"
    switch_banks = [b.code for b in world.banks if b.simulated_by == "switch"]
    if len(switch_banks) > 1:
        yield f"banks: solo un banco puede ser atendido por el switch, hay {switch_banks}"
    if switch_banks and switch_banks[0] != world.network.switch_bank_code:
        yield f"banks: el banco del switch {switch_banks[0]} no es network.switch_bank_code"
    for i, customer in enumerate(world.bank_customers):
        bank = banks.get(customer.bank)
        if bank is None:
            yield f"bank_customers[{i}].bank: el banco «{customer.bank}» no existe"
        elif bank.simulated_by != "bank":
            yield f"bank_customers[{i}].bank: el banco {customer.bank} no lo simula el participante bank"
    for i, account in enumerate(world.gateway_accounts):
        if account.pse_entity_code not in pse_entities:
            yield f"gateway_accounts[{i}].pse_entity_code: «{account.pse_entity_code}» no está en pse_entities"
    for i, merchant in enumerate(world.merchants):
        if merchant.gateway_merchant_id is not None and merchant.gateway_merchant_id not in gateway_ids:
            yield f"merchants[{i}].gateway_merchant_id: «{merchant.gateway_merchant_id}» no está en gateway_accounts"
        if merchant.pse_entity_code is not None and merchant.pse_entity_code not in pse_entities:
            yield f"merchants[{i}].pse_entity_code: «{merchant.pse_entity_code}» no está en pse_entities"
        customers = {c.id for c in merchant.customers}
        for j, invoice in enumerate(merchant.invoices):
            if invoice.customer not in customers:
                yield f"merchants[{i}].invoices[{j}].customer: el cliente «{invoice.customer}» no existe"
    for i, card in enumerate(world.dimo_cards):
        if card.entity is not None and card.entity not in entities:
            yield f"dimo_cards[{i}].entity: la entidad «{card.entity}» no existe"
