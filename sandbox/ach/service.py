"""ACH's use cases: loads state, calls the pure decisions, stores, performs the effects.

Effects are the receipt e-mails (through notify, retried by a job until delivered) and nothing
else: ACH never calls the banks or the entities; they call it. Every method either returns the
answer body or raises :class:`~sandbox.ach.failures.AchFailure` (or :class:`PortalError` for
pages). State changes happen without an ``await`` between the read and the write, so two
concurrent requests never both apply.

Behaviour rules (:data:`OPERATIONS`) are applied at each decision point through
:meth:`sandbox.kit.behaviour.Behaviour.at`: ACH reads ``decline`` (the operation's ``returnCode``,
:func:`_forced_code`) and ``pending`` (``ach.query``); the kit applies ``error``, ``delay_s`` and
``drop`` (ACH carries the operation out, then closes the connection without an answer).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sandbox.ach import logic
from sandbox.ach.cycles import cycle_at, schedule
from sandbox.ach.failures import CONFIRM_DECLINES, CREATE_DECLINES, QUERY_DECLINES, AchFailure, as_return_code
from sandbox.ach.lifecycle import (
    BankConfirmation,
    Decision,
    Payer,
    TimeoutPolicy,
    Transaction,
    decide_confirm,
    decide_finalize,
    decide_timeout,
)
from sandbox.ach.models import (
    BankTransactionRequest,
    ConfirmTransactionPaymentRequest,
    CreateTransactionPaymentRequest,
    FinalizeTransactionPaymentRequest,
    GetBankListRequest,
    GetTransactionInformationRequest,
    transaction_information,
    wire_date,
)
from sandbox.ach.peers import NotifyPeer
from sandbox.ach.receipts import receipt_message
from sandbox.ach.state import AccessToken, AchStore, CapacityError
from sandbox.kit.behaviour import Behaviour, Forcing
from sandbox.kit.clock import Clock
from sandbox.protocols.colombia import normalize_document
from sandbox.protocols.pse.codes import ReturnCode, TxnState
from sandbox.world.model import Bank, DocumentType, PseEntity, PseUser, World

log = logging.getLogger("sandbox.ach")

TOKEN_TTL_S: Final = 3600
MAX_RECEIPT_ATTEMPTS: Final = 50
#: A slow outbox never holds up a bank's confirmation for long: the receipt job tries again.
NOTIFY_TIMEOUT_S: Final = 2.0
DEFAULT_TIMEOUTS: Final = TimeoutPolicy()

#: Behaviour-rule operations of ACH and the fields each exposes (docs/magic-values.md).
OPERATIONS: Final[dict[str, set[str]]] = {
    "ach.token": {"client_id"},
    "ach.banklist": {"entityCode"},
    "ach.create": {
        "entityCode", "financialInstitutionCode", "serviceCode", "ticketId", "userType",
        "identificationType", "identificationNumber", "email", "referenceNumber1",
        "referenceNumber2", "referenceNumber3",
    },
    "ach.query": {"entityCode", "trazabilityCode", "financialInstitutionCode", "ticketId", "transactionState"},
    "ach.finalize": {"entityCode", "trazabilityCode", "transactionState"},
    "ach.confirm": {"financialInstitutionCode", "entityCode", "trazabilityCode", "ticketId", "transactionState"},
    "ach.register": {"email", "person_type", "document_type", "document_number"},
}  # fmt: skip


class TokenError(Exception):
    """The OAuth token endpoint refuses (OAuth error code, Spanish description)."""

    def __init__(self, status: int, error: str, description: str, field: str | None = None) -> None:
        super().__init__(description)
        self.status, self.error, self.description, self.field = status, error, description, field

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.description, "message": self.description,
                "field": self.field}  # fmt: skip


class PortalError(Exception):
    """A page refuses a form: Spanish message, the form field it is about."""

    def __init__(self, message: str, *, field: str | None = None, register: bool = False) -> None:
        super().__init__(message)
        self.message, self.field, self.register = message, field, register


@dataclass(frozen=True, slots=True)
class Links:
    """Where pages send the browser: ACH's own portal, the bank party, the switch (bank 1066)."""

    ach: str
    bank: str
    switch: str


@dataclass(frozen=True, slots=True)
class Settings:
    token_ttl_s: int = TOKEN_TTL_S
    timeouts: TimeoutPolicy = field(default_factory=TimeoutPolicy)
    create: logic.CreatePolicy = field(default_factory=logic.CreatePolicy)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Settings:
        def positive(name: str, default: int) -> int:
            value = options.get(name, default)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"ach option {name} must be a positive integer of seconds")
            return value

        return cls(
            token_ttl_s=positive("token_ttl_s", TOKEN_TTL_S),
            timeouts=TimeoutPolicy(
                abandon_after_s=positive("abandon_after_s", DEFAULT_TIMEOUTS.abandon_after_s),
                bank_pending_max_s=positive("bank_pending_max_s", DEFAULT_TIMEOUTS.bank_pending_max_s),
            ),
        )


class AchService:
    def __init__(
        self,
        state: AchStore,
        clock: Clock,
        behaviour: Behaviour,
        notify: NotifyPeer,
        settings: Settings,
        *,
        world: World,
        links: Links,
    ) -> None:
        self.store = state
        self.clock = clock
        self.behaviour = behaviour
        self.notify = notify
        self.settings = settings
        self.world = world
        self.links = links
        self.tz = ZoneInfo(world.network.timezone)
        self._entities_by_client = {e.client_id: e for e in world.pse_entities}
        self._entities = {e.entity_code: e for e in world.pse_entities}
        self._banks = {b.code: b for b in world.banks}
        self._sending: set[str] = set()

    # -- lookups -----------------------------------------------------------------------------
    def entity(self, code: str) -> PseEntity | None:
        return self._entities.get(code)

    def bank(self, code: str) -> Bank | None:
        return self._banks.get(code)

    def entity_name(self, code: str) -> str:
        entity = self.entity(code)
        return entity.name if entity else code

    def bank_name(self, code: str) -> str:
        bank = self.bank(code)
        return bank.name if bank else code

    # -- behaviour rules ---------------------------------------------------------------------
    @staticmethod
    def _forced_code(forced: Forcing, allowed: frozenset[ReturnCode], operation: str) -> None:
        """A rule's ``decline``: ACH refuses with that ``returnCode`` (FAIL_GENERICERROR, saying
        why, when the code is not one this operation can answer)."""
        if forced.decline is None:
            return
        code = as_return_code(forced.decline, allowed)
        if code is None:
            raise AchFailure(
                ReturnCode.FAIL_GENERICERROR,
                f"Una regla de {operation} forzó «{forced.decline}», que no es un returnCode de esta operación.",
            )
        raise AchFailure(code, forced.message or f"Respuesta forzada por una regla del sandbox ({code.value}).")

    # -- OAuth (Apigee client credentials) -----------------------------------------------------
    async def issue_token(
        self, grant_type: str | None, client_id: str | None, client_secret: str | None
    ) -> dict[str, Any]:
        if grant_type != "client_credentials":
            raise TokenError(400, "unsupported_grant_type", "grant_type debe ser client_credentials.", "grant_type")
        if not client_id or not client_secret:
            raise TokenError(
                401, "invalid_client",
                "Faltan las credenciales: envíe client_id y client_secret (HTTP Basic o formulario).", "client_id",
            )  # fmt: skip
        entity = self._entities_by_client.get(client_id)
        if entity is None or not hmac.compare_digest(entity.client_secret.encode(), client_secret.encode()):
            raise TokenError(401, "invalid_client", "client_id o client_secret incorrectos.", "client_id")
        async with self.behaviour.at("ach.token", {"client_id": client_id}) as forced:
            if forced.decline:
                raise TokenError(401, forced.decline, forced.message or "Credenciales rechazadas por una regla.", None)
            now = self.clock.now()
            token = AccessToken(
                token=secrets.token_urlsafe(21),
                client_id=client_id,
                entity_code=entity.entity_code,
                issued_at=now,
                expires_at=now + timedelta(seconds=self.settings.token_ttl_s),
            )
            self.store.add_token(token)
            # Apigee's answer: numbers as strings, token_type "BearerToken".
            return {
                "access_token": token.token,
                "token_type": "BearerToken",
                "expires_in": str(self.settings.token_ttl_s - 1),
                "issued_at": str(int(now.timestamp() * 1000)),
                "client_id": client_id,
                "application_name": entity.name,
                "scope": "",
                "status": "approved",
            }

    def authenticate(self, authorization: str | None, apikey: str | None) -> PseEntity:
        """The entity behind a Bearer token (and matching ``apikey``), or FAIL_ACCESSDENIED."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AchFailure(
                ReturnCode.FAIL_ACCESSDENIED, "Falta el encabezado «Authorization: Bearer <token>».",
                field="Authorization",
            )  # fmt: skip
        record = self.store.tokens.get(value.strip())
        if record is None:
            raise AchFailure(ReturnCode.FAIL_ACCESSDENIED, "El token no es válido.", field="Authorization")
        if record.expires_at <= self.clock.now():
            raise AchFailure(ReturnCode.FAIL_ACCESSDENIED, "El token venció; pida uno nuevo.", field="Authorization")
        if apikey != record.client_id:
            raise AchFailure(
                ReturnCode.FAIL_ACCESSDENIED, "El parámetro «apikey» debe ser el client_id del token.", field="apikey"
            )
        entity = self._entities_by_client[record.client_id]
        return entity

    def authenticate_bank(self, authorization: str | None) -> Bank:
        """A bank on the bank-side API: HTTP Basic ``code:ach_secret`` (see the world)."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "basic" or not value.strip():
            raise AchFailure(
                ReturnCode.FAIL_ACCESSDENIED,
                "Falta el encabezado «Authorization: Basic» con el código del banco y su clave ante ACH.",
                field="Authorization",
            )
        try:
            code, _, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise AchFailure(
                ReturnCode.FAIL_ACCESSDENIED, "El encabezado Authorization no es Basic válido.", field="Authorization"
            ) from None
        bank = self.bank(code)
        expected = bank.ach_secret if bank is not None else None
        if bank is None or expected is None or not hmac.compare_digest(expected.encode(), secret.encode()):
            raise AchFailure(ReturnCode.FAIL_ACCESSDENIED, "Banco o clave ante ACH incorrectos.", field="Authorization")
        return bank

    # -- NF methods ----------------------------------------------------------------------------
    async def bank_list(self, caller: PseEntity, req: GetBankListRequest) -> list[dict[str, str]]:
        logic.check_caller_entity(req.entityCode or caller.entity_code, caller)
        async with self.behaviour.at("ach.banklist", {"entityCode": caller.entity_code}) as forced:
            self._forced_code(forced, QUERY_DECLINES, "ach.banklist")
            return [
                {"financialInstitutionCode": b.code, "financialInstitutionName": b.name}
                for b in logic.sort_banks(list(self.world.banks))
            ]

    async def create(self, caller: PseEntity, req: CreateTransactionPaymentRequest) -> dict[str, Any]:
        now = self.clock.now()
        logic.check_create(
            req,
            caller=caller,
            entity=self.entity(req.entityCode),
            bank=self.bank(req.financialInstitutionCode),
            open_ticket=self.store.open_for_ticket(req.entityCode, req.ticketId),
            now=now,
            policy=self.settings.create,
        )
        fields = {
            "entityCode": req.entityCode, "financialInstitutionCode": req.financialInstitutionCode,
            "serviceCode": req.serviceCode, "ticketId": req.ticketId, "userType": req.userType,
            "identificationType": req.identificationType.value, "identificationNumber": req.identificationNumber,
            "email": req.email, "referenceNumber1": req.referenceNumber1, "referenceNumber2": req.referenceNumber2,
            "referenceNumber3": req.referenceNumber3,
        }  # fmt: skip
        async with self.behaviour.at("ach.create", fields, amount_minor=req.transactionValue) as forced:
            self._forced_code(forced, CREATE_DECLINES, "ach.create")
            # No await since check_create: the double-payment control still holds when we add.
            txn = self._new_transaction(req, now)
            try:
                self.store.add(txn)
            except CapacityError as exc:
                raise AchFailure(ReturnCode.FAIL_GENERICERROR, f"ACH no admite más transacciones: {exc}.") from None
            log.info("created CUS %s entity %s bank %s ticket %s", txn.trazability_code, txn.entity_code,
                     txn.financial_institution_code, txn.ticket_id)  # fmt: skip
            return {
                "returnCode": ReturnCode.SUCCESS.value,
                "errorDetails": "",
                "trazabilityCode": txn.trazability_code,
                "pseURL": self.portal_url(txn),
                "transactionCycle": txn.cycle,
            }

    def _new_transaction(self, req: CreateTransactionPaymentRequest, now: datetime) -> Transaction:
        cycle = cycle_at(now, tz=self.tz)
        return Transaction(
            trazability_code=self.store.new_trazability_code(),
            entity_code=req.entityCode,
            financial_institution_code=req.financialInstitutionCode,
            service_code=req.serviceCode,
            value_minor=req.transactionValue,
            vat_minor=req.vatValue,
            ticket_id=req.ticketId,
            entity_url=req.entityurl,
            user_type=req.userType,
            references=(req.referenceNumber1, req.referenceNumber2, req.referenceNumber3),
            solicite_date=req.soliciteDate,
            payment_description=req.paymentDescription,
            payer=Payer(
                identification_type=req.identificationType.value,
                identification_number=req.identificationNumber,
                full_name=req.fullName,
                email=req.email,
                cellphone_number=req.cellphoneNumber,
                address=req.address,
            ),
            created_at=now,
            cycle=cycle.number,
            cycle_date=cycle.business_date,
            portal_token=self.store.new_portal_token(),
        )

    def _own_transaction(self, caller: PseEntity, entity_code: str, cus: str) -> Transaction:
        logic.check_caller_entity(entity_code, caller)
        txn = self.store.get(cus)
        if txn is None or txn.entity_code != caller.entity_code:
            raise AchFailure(
                ReturnCode.FAIL_INVALIDTRAZABILITYCODE,
                f"El CUS {cus} no existe para la entidad {caller.entity_code}.",
                field="trazabilityCode",
            )
        return txn

    async def query(self, caller: PseEntity, req: GetTransactionInformationRequest) -> dict[str, Any]:
        txn = self._own_transaction(caller, req.entityCode, req.trazabilityCode)
        fields = {
            "entityCode": txn.entity_code, "trazabilityCode": txn.trazability_code,
            "financialInstitutionCode": txn.financial_institution_code, "ticketId": txn.ticket_id,
            "transactionState": txn.state.value,
        }  # fmt: skip
        async with self.behaviour.at("ach.query", fields, amount_minor=txn.value_minor) as forced:
            self._forced_code(forced, QUERY_DECLINES, "ach.query")
            answer = transaction_information(txn)
            if forced.pending:
                # A lagging ACH: the state is reported as still pending.
                answer.update(transactionState=TxnState.PENDING.value, bankProcessDate=None, authorizationID=None)
            return answer

    async def finalize(self, caller: PseEntity, req: FinalizeTransactionPaymentRequest) -> dict[str, Any]:
        txn = self._own_transaction(caller, req.entityCode, req.trazabilityCode)
        fields = {"entityCode": txn.entity_code, "trazabilityCode": txn.trazability_code,
                  "transactionState": txn.state.value}  # fmt: skip
        async with self.behaviour.at("ach.finalize", fields) as forced:
            self._forced_code(forced, QUERY_DECLINES, "ach.finalize")
            txn = self.store.get(txn.trazability_code) or txn
            decision = decide_finalize(txn, req.entityAuthorizationId, self.clock.now())
            self.store.put(decision.txn)
            return {
                "returnCode": ReturnCode.SUCCESS.value,
                "errorDetails": "",
                "trazabilityCode": txn.trazability_code,
                "transactionState": decision.txn.state.value,
            }

    # -- bank-side API -------------------------------------------------------------------------
    def _bank_transaction(self, bank: Bank, bank_code: str, cus: str) -> Transaction:
        if bank_code != bank.code:
            raise AchFailure(
                ReturnCode.FAIL_ACCESSDENIED,
                f"Las credenciales son del banco {bank.code}, no del {bank_code}.",
                field="financialInstitutionCode",
            )
        txn = self.store.get(cus)
        if txn is None or txn.financial_institution_code != bank.code:
            raise AchFailure(
                ReturnCode.FAIL_INVALIDTRAZABILITYCODE,
                f"El CUS {cus} no existe para el banco {bank.code}.",
                field="trazabilityCode",
            )
        return txn

    async def bank_information(self, bank: Bank, req: BankTransactionRequest) -> dict[str, Any]:
        txn = self._bank_transaction(bank, req.financialInstitutionCode, req.trazabilityCode)
        entity = self.entity(txn.entity_code)
        return {
            **transaction_information(txn),
            "entityName": entity.name if entity else txn.entity_code,
            "entityNit": entity.nit if entity else None,
            "entityurl": txn.entity_url,
            "userType": txn.user_type,
            "personType": txn.person_type,
            "payerEmail": txn.receipt_email,
            "identificationType": txn.payer.identification_type,
            "identificationNumber": txn.payer.identification_number,
            "fullName": txn.payer.full_name,
            "createdAt": wire_date(txn.created_at),
            "finalized": txn.finalized_at is not None,
        }

    async def confirm(self, bank: Bank, req: ConfirmTransactionPaymentRequest) -> dict[str, Any]:
        txn = self._bank_transaction(bank, req.financialInstitutionCode, req.trazabilityCode)
        if req.transactionState is TxnState.OK and not req.authorizationId:
            raise AchFailure(
                ReturnCode.FAIL_INVALIDPARAMETERS,
                "El campo «authorizationId» es obligatorio cuando «transactionState» es OK.",
                field="authorizationId",
            )
        fields = {
            "financialInstitutionCode": bank.code, "entityCode": req.entityCode,
            "trazabilityCode": req.trazabilityCode, "ticketId": req.ticketId,
            "transactionState": req.transactionState.value,
        }  # fmt: skip
        async with self.behaviour.at("ach.confirm", fields, amount_minor=req.transactionValue) as forced:
            self._forced_code(forced, CONFIRM_DECLINES, "ach.confirm")
            txn = self.store.get(txn.trazability_code) or txn
            msg = BankConfirmation(
                financial_institution_code=req.financialInstitutionCode,
                entity_code=req.entityCode,
                value_minor=req.transactionValue,
                vat_minor=req.vatValue,
                ticket_id=req.ticketId,
                state=req.transactionState,
                authorization_id=req.authorizationId,
                bank_process_date=req.bankProcessDate,
                solicite_date=req.soliciteDate,
            )
            decision = decide_confirm(txn, msg, self.clock.now())
            self._apply(decision)
            log.info("bank %s confirmed CUS %s as %s%s", bank.code, txn.trazability_code,
                     req.transactionState.value, " (replay)" if decision.replay else "")  # fmt: skip
            if decision.reached_final:
                await self.send_receipt(decision.txn.trazability_code)
            return {
                "returnCode": ReturnCode.SUCCESS.value,
                "errorDetails": "",
                "trazabilityCode": txn.trazability_code,
                "transactionState": decision.txn.state.value,
            }

    # -- effects -------------------------------------------------------------------------------
    def _apply(self, decision: Decision) -> None:
        if decision.replay:
            return
        self.store.put(decision.txn)
        if decision.reached_final:
            self.store.receipts_due[decision.txn.trazability_code] = 0

    async def send_receipt(self, cus: str) -> bool:
        """E-mail the receipt of ``cus`` through notify; False (kept for the job) on failure."""
        if cus in self._sending or cus not in self.store.receipts_due:
            return False
        txn = self.store.get(cus)
        if txn is None:
            self.store.receipts_due.pop(cus, None)
            return False
        self._sending.add(cus)
        try:
            message = receipt_message(
                txn,
                entity_name=self.entity_name(txn.entity_code),
                bank_name=self.bank_name(txn.financial_institution_code),
            )
            delivered = await self.notify.send(message)
            if delivered:
                self.store.receipts_due.pop(cus, None)
                self.store.receipts_sent[cus] = txn.state.value
            elif cus in self.store.receipts_due:
                self.store.receipts_due[cus] += 1
                if self.store.receipts_due[cus] >= MAX_RECEIPT_ATTEMPTS:
                    log.error("giving up the receipt of CUS %s after %d attempts", cus, MAX_RECEIPT_ATTEMPTS)
                    self.store.receipts_due.pop(cus, None)
            return delivered
        finally:
            self._sending.discard(cus)

    # -- jobs ----------------------------------------------------------------------------------
    async def expire(self, now: datetime) -> int:
        """Transactions nobody resolved in time end FAILED (:class:`TimeoutPolicy`)."""
        done = 0
        for txn in self.store.pending():
            decision = decide_timeout(txn, now, self.settings.timeouts)
            if decision is not None:
                self._apply(decision)
                log.info("CUS %s timed out (%s)", txn.trazability_code,
                         "bank pending" if txn.bank_pending_since else "abandoned")  # fmt: skip
                done += 1
        return done

    async def deliver_receipts(self, now: datetime) -> int:
        delivered = 0
        for cus in list(self.store.receipts_due):
            if await self.send_receipt(cus):
                delivered += 1
        return delivered

    async def purge_tokens(self, now: datetime) -> int:
        return self.store.purge_tokens(now)

    # -- portal (pages) --------------------------------------------------------------------------
    def portal_url(self, txn: Transaction) -> str:
        return f"{self.links.ach}/pse/pago?enc={txn.portal_token}"

    def bank_url(self, txn: Transaction) -> str:
        """Where "Ir al Banco" sends the browser: the bank party, or the switch for 1066."""
        bank = self.bank(txn.financial_institution_code)
        if bank is not None and bank.simulated_by == "switch":
            return f"{self.links.switch}/pse/banco/{txn.trazability_code}"
        return f"{self.links.bank}/pse/{txn.financial_institution_code}/{txn.trazability_code}"

    def portal_transaction(self, token: str) -> Transaction | None:
        return self.store.by_portal(token)

    def recent_transactions(self, limit: int = 300) -> list[Transaction]:
        """Every transaction ACH holds, newest first (at most ``limit``)."""
        return list(reversed(self.store.transactions.values()))[:limit]

    def cycles_today(self) -> dict[str, Any]:
        """The compensation schedule, the cycle now and the abandon timeout (the cycles page)."""
        now = self.clock.now()
        return {
            "rows": schedule(),
            "current": cycle_at(now, tz=self.tz),
            "now": now.astimezone(self.tz),
            "abandon_min": self.settings.timeouts.abandon_after_s // 60,
        }

    def go_to_bank(self, token: str, email: str, person_type: str) -> str:
        """PSE-03, COL-17: a registered e-mail goes on to the bank; anything else is refused."""
        txn = self.store.by_portal(token)
        if txn is None:
            raise PortalError("La transacción no existe o el enlace no es válido.", field="enc")
        if txn.state.final:
            raise PortalError(f"La transacción ya terminó ({txn.state.value}); regrese al comercio.", field="enc")
        email = email.strip()
        if person_type not in ("natural", "juridica"):
            raise PortalError("Elija el tipo de persona: natural o jurídica.", field="person_type")
        if not email:
            raise PortalError("Escriba el correo electrónico registrado en PSE.", field="email")
        user = self.store.user(email)
        if user is None:
            raise PortalError(
                f"El correo {email} no está registrado en PSE. Regístrese para continuar.",
                field="email",
                register=True,
            )
        if user.person_type != person_type:
            kind = "jurídica" if user.person_type == "juridica" else "natural"
            raise PortalError(f"El correo {email} está registrado como persona {kind}.", field="person_type")
        self.store.put(replace(txn, portal_email=user.email, person_type=person_type))
        return self.bank_url(txn)

    async def register(
        self,
        *,
        email: str,
        person_type: str,
        document_type: str,
        document_number: str,
        full_name: str,
    ) -> PseUser:
        """PSE-01: register an e-mail at PSE (the portal's "Quiero registrarme ahora")."""
        email, full_name = email.strip(), " ".join(full_name.split())
        document_number = normalize_document(document_type, document_number)  # 1.033.370.434 as people write it
        if person_type not in ("natural", "juridica"):
            raise PortalError("Elija el tipo de persona: natural o jurídica.", field="person_type")
        if not email:
            raise PortalError("El correo electrónico es obligatorio.", field="email")
        if self.store.user(email) is not None:
            raise PortalError(f"El correo {email} ya está registrado en PSE.", field="email")
        if document_type not in DocumentType.__members__:
            raise PortalError("Elija un tipo de documento válido.", field="document_type")
        if person_type == "juridica" and document_type != "NIT":
            raise PortalError("Una persona jurídica se registra con su NIT.", field="document_type")
        if person_type == "natural" and document_type == "NIT":
            raise PortalError("Una persona natural no se registra con NIT.", field="document_type")
        problem = logic.document_problem(document_type, document_number)
        if problem:
            raise PortalError(f"El número de documento {problem}.", field="document_number")
        if not full_name or len(full_name) > 100 or any(ch in full_name for ch in '|"<>'):
            raise PortalError('Escriba el nombre completo (hasta 100 caracteres, sin | ni ").', field="full_name")
        fields = {"email": email, "person_type": person_type, "document_type": document_type,
                  "document_number": document_number}  # fmt: skip
        async with self.behaviour.at("ach.register", fields) as forced:
            if forced.decline:
                raise PortalError(forced.message or "PSE no pudo completar el registro. Intente más tarde.", field=None)
            return self._register(email, person_type, document_type, document_number, full_name)

    def _register(
        self, email: str, person_type: str, document_type: str, document_number: str, full_name: str
    ) -> PseUser:
        try:
            user = PseUser(
                email=email,
                person_type="juridica" if person_type == "juridica" else "natural",
                document_type=DocumentType(document_type),
                document_number=document_number,
                full_name=full_name,
            )
        except ValueError:
            raise PortalError("El correo electrónico no es válido.", field="email") from None
        if self.store.user(email) is not None:  # registered meanwhile
            raise PortalError(f"El correo {email} ya está registrado en PSE.", field="email")
        try:
            self.store.register(user)
        except CapacityError:
            raise PortalError("PSE no admite más registros en este sandbox; reinícielo.", field=None) from None
        return user
