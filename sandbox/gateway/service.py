"""The gateway's use cases: loads state, asks the pure modules, performs the effects (ACH calls,
confirmations to merchants, ledger moves). The routes (:mod:`.api`, :mod:`.pages`) are thin.

Every change to an order and its attempts happens under that order's lock, so a double click on
"Pagar", a browser return and the re-query job never apply one result twice.

Behaviour rules (:data:`OPERATIONS`) go through :meth:`sandbox.kit.behaviour.Behaviour.at`:
``gateway.submit`` (``decline`` → DECLINED with that response code, without going to ACH),
``gateway.refund`` (at the review of a PENDING refund: ``decline`` → DECLINED with that code, ``pending`` →
reviewed again later), ``gateway.confirmation`` (the gateway is
the caller: ``decline``/``pending`` → that attempt is not sent, ``error`` → not sent, counted as
the rule's code; ``drop`` → sent, the merchant's answer is lost: the attempt counts as failed and
is sent again). The kit applies ``error``, ``delay_s`` and ``drop``.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Final

import httpx

from sandbox.gateway import antifraud, logic, models, reports
from sandbox.gateway.models import ServiceRequest
from sandbox.gateway.peers import AchPeer, MerchantPeer, UnknownPeer
from sandbox.gateway.records import Attempt, Delivery, Order, PanelSession, Transaction
from sandbox.gateway.state import GatewayStore
from sandbox.kit.behaviour import Behaviour, Dropped
from sandbox.kit.clock import Clock
from sandbox.kit.errors import Conflict, Forced, InvalidInput, NotFound, SandboxError
from sandbox.kit.money import AmountError, format_amount, parse_amount
from sandbox.protocols.payu import wire
from sandbox.protocols.payu.codes import TxState
from sandbox.protocols.payu.signatures import verify_request_signature
from sandbox.protocols.pse.codes import USER_TYPE as ACH_USER_TYPE
from sandbox.protocols.pse.collecting import AchUnavailable, EntitySession
from sandbox.protocols.pse.models import PLACEHOLDER, AchBank, CreatePayment
from sandbox.protocols.pse.payer import FORM_FIELDS, Payer, payer_problem
from sandbox.protocols.pse.schedule import first_query_at, next_query_at
from sandbox.world.model import GatewayAccount, PseEntity, World

log = logging.getLogger("sandbox.gateway")

OPERATIONS: dict[str, set[str]] = {
    "gateway.submit": {
        "merchant_id", "account_id", "reference_code", "bank_code", "document_number", "email",
        "user_type", "source",
    },
    "gateway.confirmation": {"merchant_id", "reference_sale", "state_pol", "transaction_type", "url"},
    "gateway.refund": {"merchant_id", "account_id", "reference_code"},
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class NewOrder:
    reference_code: str
    description: str
    amount_text: str
    tax_text: str
    tax_base_text: str
    currency: str
    signature: str
    algorithm: str | None
    buyer_email: str
    source: str
    buyer_name: str | None = None
    buyer_phone: str | None = None
    payer_document_type: str | None = None
    payer_document: str | None = None
    response_url: str | None = None
    confirmation_url: str | None = None
    extra1: str | None = None
    extra2: str | None = None
    extra3: str | None = None
    test: bool = False
    language: str = "es"


@dataclass(frozen=True, slots=True)
class Fields:
    """Wire names of the fields a refusal names (the checkout form's or the JSON API's)."""

    signature: str = "signature"
    amount: str = "amount"
    tax: str = "tax"
    reference: str = "referenceCode"
    url: str = "confirmationUrl"


CHECKOUT_FIELDS = Fields()
#: The JSON API's field of each Payer attribute (under ``transaction.``).
API_PAYER_FIELDS: dict[str, str] = {
    "user_type": "extraParameters.USER_TYPE",
    "bank_code": "extraParameters.FINANCIAL_INSTITUTION_CODE",
    "document_type": "extraParameters.PSE_REFERENCE2",
    "document_number": "extraParameters.PSE_REFERENCE3",
    "full_name": "payer.fullName",
    "email": "payer.emailAddress",
    "phone": "payer.contactPhone",
}
API_FIELDS = Fields(
    signature="transaction.order.signature",
    amount="transaction.order.additionalValues.TX_VALUE.value",
    tax="transaction.order.additionalValues.TX_TAX.value",
    reference="transaction.order.referenceCode",
    url="transaction.order.notifyUrl",
)


#: A Colombian landline: 7 digits (the old numbering) or 10 digits starting 60 (since 2021).
LANDLINE: Final = re.compile(r"\d{7}|60\d{8}")

#: The longest period a report covers.
MAX_REPORT_DAYS: Final = 366


class GatewayService:
    def __init__(
        self,
        state: GatewayStore,
        clock: Clock,
        behaviour: Behaviour,
        *,
        ach: AchPeer,
        merchants: MerchantPeer,
        world: World,
        own_url: str,
        tz: tzinfo,
    ) -> None:
        self.store = state
        self.clock = clock
        self.behaviour = behaviour
        self.ach_peer = ach
        self.merchants = merchants
        self.world = world
        #: The gateway's own base URL (where PSE sends the browser back).
        self.own_url = own_url
        self.tz = tz

    # -- accounts and credentials ------------------------------------------------------------
    @property
    def accounts(self) -> tuple[GatewayAccount, ...]:
        return self.world.gateway_accounts

    def account(self, merchant_id: str, account_id: str | None = None, *, field: str = "merchantId") -> GatewayAccount:
        found = next((a for a in self.accounts if a.merchant_id == merchant_id), None)
        if found is None:
            raise InvalidInput(f"No existe el comercio {merchant_id}.", code="unknown_merchant", field=field)
        if account_id is not None and found.account_id != account_id:
            raise InvalidInput(
                f"La cuenta {account_id} no pertenece al comercio {merchant_id}.",
                code="unknown_account",
                field="accountId",
            )
        return found

    def account_by_id(self, account_id: str) -> GatewayAccount | None:
        return next((a for a in self.accounts if a.account_id == account_id), None)

    def authenticate(self, api_login: str, api_key: str) -> GatewayAccount:
        """The account whose ``apiLogin`` and ``apiKey`` these are (401 otherwise)."""
        found = next((a for a in self.accounts if a.api_login == api_login), None)
        if found is None or found.api_key != api_key:
            raise SandboxError(
                "Credenciales del comercio inválidas (apiLogin/apiKey).",
                code="invalid_credentials",
                field="merchant.apiKey",
                status=401,
            )
        return found

    def pse_entity(self, account: GatewayAccount) -> PseEntity:
        entity = next(e for e in self.world.pse_entities if e.entity_code == account.pse_entity_code)
        return entity

    def ach(self, account: GatewayAccount) -> EntitySession:
        return self.ach_peer.session(self.pse_entity(account))

    async def banks(self, account: GatewayAccount) -> list[AchBank]:
        """The bank list the account's ACH entity sees (cached a sandbox day); 502 when ACH is down."""
        return await self.ach_peer.banks(self.pse_entity(account))

    def _resolve_url(self, value: str | None, default: str | None, field: str) -> str | None:
        url = value or default
        if not url:
            return None
        try:
            resolved = self.merchants.resolve(url)
        except UnknownPeer:
            raise InvalidInput(
                f"La URL {url} nombra un participante desconocido.", code="invalid_url", field=field
            ) from None
        if not resolved.startswith(("http://", "https://")):
            raise InvalidInput("La URL debe empezar por http:// o https://.", code="invalid_url", field=field)
        return resolved

    # -- orders --------------------------------------------------------------------------------
    def create_order(self, account: GatewayAccount, new: NewOrder, names: Fields = CHECKOUT_FIELDS) -> Order:
        """Check the signature (GW-01) and the minimum (GW-02); one order per reference."""
        if not verify_request_signature(
            new.signature,
            api_key=account.api_key,
            merchant_id=account.merchant_id,
            reference_code=new.reference_code,
            amount_text=new.amount_text,
            currency=new.currency,
            algorithm=new.algorithm,
        ):
            raise SandboxError(
                "La firma no corresponde a la solicitud: se calcula como "
                "md5(apiKey~merchantId~referenceCode~amount~currency) o con SHA-256.",
                code="invalid_signature",
                field=names.signature,
                status=403,
            )
        amount_minor = self._amount(new.amount_text, new.currency, names.amount, allow_zero=False)
        tax_minor = self._amount(new.tax_text or "0", new.currency, names.tax)
        base_minor = self._amount(new.tax_base_text or "0", new.currency, names.tax)
        if tax_minor > amount_minor:
            raise InvalidInput("El impuesto no puede ser mayor que el valor.", code="invalid_amount", field=names.tax)
        if amount_minor < account.minimum_amount_minor:
            raise InvalidInput(
                f"El valor es menor que el mínimo de pago en línea del comercio "
                f"({format_amount(account.minimum_amount_minor, new.currency)} {new.currency}).",
                code="amount_below_minimum",
                field=names.amount,
            )
        if "|" in new.reference_code or '"' in new.reference_code:
            raise InvalidInput(
                "La referencia no puede contener | ni comillas.", code="invalid_field", field=names.reference
            )
        existing = self.store.order_by_reference(account.account_id, new.reference_code)
        if existing is not None:
            if existing.amount_minor != amount_minor or existing.currency != new.currency:
                raise Conflict(
                    "Ya existe una orden con esta referencia y otro valor.",
                    code="duplicate_reference",
                    field=names.reference,
                )
            if self.store.status(existing) in (logic.OrderStatus.CAPTURED, logic.OrderStatus.REFUNDED):
                raise Conflict("Esta referencia ya fue pagada.", code="order_already_paid", field=names.reference)
            return existing  # the same order again (a reload, a retry after a decline)
        order = Order(
            order_id=self.store.next_order_id(),
            merchant_id=account.merchant_id,
            account_id=account.account_id,
            reference_code=new.reference_code,
            description=new.description,
            amount_minor=amount_minor,
            tax_minor=tax_minor,
            tax_return_base_minor=base_minor,
            currency=new.currency,
            buyer_email=new.buyer_email,
            created_at=self.clock.now(),
            token=self.store.new_token(),
            source=new.source,
            buyer_name=new.buyer_name,
            buyer_phone=new.buyer_phone,
            payer_document_type=new.payer_document_type,
            payer_document=new.payer_document,
            response_url=self._resolve_url(new.response_url, account.response_url, "responseUrl"),
            confirmation_url=self._resolve_url(new.confirmation_url, account.confirmation_url, names.url),
            extra1=new.extra1,
            extra2=new.extra2,
            extra3=new.extra3,
            test=new.test,
            language=new.language,
        )
        return self.store.add_order(order)

    @staticmethod
    def _amount(text: str, currency: str, field: str, *, allow_zero: bool = True) -> int:
        try:
            return parse_amount(text, currency, allow_zero=allow_zero)
        except AmountError as exc:
            raise InvalidInput(f"El valor «{field}» {exc}.", code="invalid_amount", field=field) from None

    def order_for_token(self, token: str) -> Order:
        order = self.store.order_by_token(token)
        if order is None:
            raise NotFound("No existe esta orden de pago (o el sandbox se reinició).", code="order_not_found")
        return order

    def transaction(self, tx_id: str) -> tuple[Order, Transaction]:
        tx = self.store.transactions.get(tx_id)
        if tx is None:
            raise NotFound("No existe la transacción.", code="transaction_not_found", field="transactionId")
        return self.store.orders[tx.order_id], tx

    def account_of(self, order: Order) -> GatewayAccount:
        return self.account(order.merchant_id)

    # -- paying ----------------------------------------------------------------------------
    @staticmethod
    def check_payer(payer: Payer, prefix: str = "", *, phone_optional: bool = False) -> None:
        """Refuse a payer block that ACH would refuse, naming the field (the page's, or the API's).
        ``phone_optional``: no mobile is sent to ACH (its ``cellphoneNumber`` is optional)."""
        problem = payer_problem(payer)
        if problem is not None and not (phone_optional and problem.about == "phone"):
            names = API_PAYER_FIELDS if prefix else FORM_FIELDS
            raise InvalidInput(problem.message, code=problem.code, field=prefix + names[problem.about])

    async def pay(self, order: Order, payer: Payer) -> Transaction:
        """ "Pagar": a new PSE attempt on the order, or the attempt already in progress."""
        async with self.store.locks[f"order:{order.order_id}"]:
            attempts = self.store.payments(order)
            pending = next((t for t in attempts if t.state is TxState.PENDING), None)
            if pending is not None:
                return pending  # a double click or a reload: the same attempt, never a second one
            try:
                logic.check_new_attempt([t.state for t in attempts])
            except logic.PaymentBlocked as exc:
                raise Conflict(exc.message, code=exc.code, field="referenceCode") from None
            account = self.account_of(order)
            known = {b.code: b.name for b in await self.banks(account)}
            if payer.bank_code not in known:
                raise InvalidInput("El banco elegido no está en la lista de PSE.", code="unknown_bank", field="banco")
            now = self.clock.now()
            tx = Transaction(
                id=self.store.new_transaction_id(),
                order_id=order.order_id,
                type="AUTHORIZATION_AND_CAPTURE",
                state=TxState.PENDING,
                response_code="PENDING_TRANSACTION_CONFIRMATION",
                created_at=now,
                updated_at=now,
                amount_minor=order.amount_minor,
                tax_minor=order.tax_minor,
                currency=order.currency,
                bank_code=payer.bank_code,
                bank_name=known[payer.bank_code],
                user_type=payer.user_type,
                document_type=payer.document_type,
                document_number=payer.document_number,
                payer_name=payer.full_name,
                payer_email=payer.email,
                payer_phone=payer.phone,
                payer_ip=payer.ip,
                ticket_id=order.order_id,
            )
            # GW-06: anti-fraud, before anything reaches the bank.
            verdict = antifraud.evaluate(
                account.antifraud,
                antifraud.Payment(order.amount_minor, payer.document_number, payer.email, now),
                self._history(account.account_id),
            )
            if not verdict.allowed:
                tx.antifraud_reason = verdict.reason
                tx.message = verdict.message
                self.store.add_transaction(tx)
                await self._finish(order, tx, TxState.DECLINED, "ANTIFRAUD_REJECTED")
                return tx
            fields = {
                "merchant_id": order.merchant_id, "account_id": order.account_id,
                "reference_code": order.reference_code, "bank_code": payer.bank_code,
                "document_number": payer.document_number, "email": payer.email,
                "user_type": payer.user_type, "source": order.source,
            }  # fmt: skip
            async with self.behaviour.at("gateway.submit", fields, amount_minor=order.amount_minor) as forced:
                if forced.decline:
                    tx.message = forced.message
                    self.store.add_transaction(tx)
                    await self._finish(order, tx, TxState.DECLINED, forced.decline)
                    return tx
                self.store.add_transaction(tx)
                await self._create_at_ach(account, order, tx, payer)
                return tx

    def _history(self, account_id: str) -> list[antifraud.PastAttempt]:
        return [
            antifraud.PastAttempt(t.document_number or "", t.payer_email or "", t.created_at)
            for _, t in self.store.account_transactions(account_id)
            if t.type != "REFUND" and t.antifraud_reason is None
        ]

    async def _create_at_ach(self, account: GatewayAccount, order: Order, tx: Transaction, payer: Payer) -> None:
        entity = self.pse_entity(account)
        request = CreatePayment(
            entity_code=entity.entity_code,
            bank_code=payer.bank_code,
            service_code=account.pse_service_code or entity.service_codes[0],
            amount_minor=order.amount_minor,
            vat_minor=order.tax_minor,
            ticket_id=order.order_id,
            entity_url=f"{self.own_url}/pse/retorno/{tx.id}",
            user_type=ACH_USER_TYPE[payer.user_type],
            reference1=payer.ip,
            reference2=payer.document_type,
            reference3=payer.document_number,
            solicit_date=tx.created_at.astimezone(self.tz),
            description=order.description,
            identification_type=payer.document_type,
            identification_number=payer.document_number,
            full_name=payer.full_name,
            cellphone=payer.phone,
            address="N/A",
            email=payer.email,
            currency=order.currency,
        )
        try:
            result = await self.ach(account).create_payment(request)
        except AchUnavailable as exc:
            log.warning("ACH unavailable creating order %s: %s", order.order_id, exc)
            tx.ach_return_code = "UNAVAILABLE"
            tx.message = "PSE no respondió; la transacción no se creó. Intente de nuevo."
            await self._finish(order, tx, TxState.ERROR, "ERROR")
            return
        tx.ach_return_code = result.return_code
        if not result.ok:
            state, code = logic.ach_create_failure(result.return_code)
            tx.message = result.error_details
            tx.network_message = result.error_details
            await self._finish(order, tx, state, code)
            return
        tx.cus = result.cus
        tx.bank_url = result.pse_url
        tx.cycle = result.cycle
        tx.next_query_at = first_query_at(tx.created_at)

    # -- learning the result -----------------------------------------------------------------
    async def refresh(self, order: Order, tx: Transaction, *, by: str) -> Transaction:
        """Ask ACH for the state (GetTransactionInformationNF); never trust a browser return."""
        async with self.store.locks[f"order:{order.order_id}"]:
            if tx.state is not TxState.PENDING or not tx.cus:
                return tx
            account = self.account_of(order)
            now = self.clock.now()
            try:
                info = await self.ach(account).get_information(tx.cus, tx.currency)
            except AchUnavailable as exc:
                log.warning("ACH query failed for %s (%s): %s", tx.id, by, exc)
                if by == "job":
                    tx.next_query_at = next_query_at(now)
                return tx
            tx.query_count += 1
            tx.last_query_at = now
            if by == "job":
                tx.next_query_at = next_query_at(now)
            if not info.ok or info.state is None:
                tx.ach_return_code = info.return_code
                return tx
            if info.amount_minor is not None and info.amount_minor != tx.amount_minor:
                log.error("ACH reports %s for %s, expected %s", info.amount_minor, tx.id, tx.amount_minor)
                tx.message = "El valor informado por PSE no coincide; la transacción queda en revisión."
                return tx
            tx.ach_state = info.state
            tx.authorization_id = info.authorization_id or tx.authorization_id
            tx.bank_process_date = info.bank_process_date or tx.bank_process_date
            tx.cycle = info.cycle if info.cycle is not None else tx.cycle
            try:
                outcome = logic.apply_ach_state(tx.state, tx.response_code, info.state)
            except logic.IllegalTransition:
                log.error("ACH state %s is not a valid PSE state for %s", info.state, tx.id)
                return tx
            if outcome.changed:
                tx.finalized = False
                await self._finish(order, tx, outcome.state, outcome.response_code)
            return tx

    async def _finish(self, order: Order, tx: Transaction, state: TxState, code: str) -> None:
        """A transaction reached a final state: ledger, ACH finalization, confirmation (GW-04)."""
        now = self.clock.now()
        tx.state, tx.response_code = state, code
        tx.updated_at = tx.final_at = now
        tx.next_query_at = None
        if state is TxState.APPROVED and tx.type != "REFUND":
            self.store.balances[order.account_id] += tx.amount_minor
        if tx.finalized is False:
            await self._finalize(order, tx)
        await self._confirm(order, tx)

    async def _finalize(self, order: Order, tx: Transaction) -> None:
        assert tx.cus is not None
        try:
            code = await self.ach(self.account_of(order)).finalize(tx.cus, tx.id)
        except AchUnavailable as exc:
            log.warning("ACH finalize failed for %s: %s (retried by the job)", tx.id, exc)
            return
        tx.finalize_return_code = code
        # Anything but a transport failure ends the duty: SUCCESS, or ACH saying it is done.
        tx.finalized = True

    # -- confirmations (GW-04) ---------------------------------------------------------------
    async def _confirm(self, order: Order, tx: Transaction) -> None:
        if not order.confirmation_url or tx.id in self.store.deliveries:
            return
        now = self.clock.now()
        delivery = Delivery(transaction_id=tx.id, url=order.confirmation_url, form={}, created_at=now, next_at=now)
        self.store.deliveries[tx.id] = delivery
        await self.deliver(delivery)

    async def deliver(self, delivery: Delivery) -> bool:
        """One attempt; schedules the next one with back-off when it fails."""
        async with self.store.locks[f"delivery:{delivery.transaction_id}"]:
            if delivery.status != "pending":
                return delivery.status == "delivered"
            order, tx = self.transaction(delivery.transaction_id)
            account = self.account_of(order)
            number = len(delivery.attempts) + 1
            form = models.confirmation_form(account, order, tx, attempt=number, tz=self.tz)
            delivery.form = form
            now = self.clock.now()
            # The schedule is anchored to when each attempt was due, not when it ran: after a jump
            # of the sandbox clock the job catches up with every attempt that fell due meanwhile.
            due = min(delivery.next_at or now, now)
            outcome, delivered = await self._post_confirmation(delivery.url, form, order, tx)
            delivery.attempts.append(Attempt(number=number, at=now, outcome=outcome, delivered=delivered))
            if delivered:
                delivery.status, delivery.next_at = "delivered", None
            else:
                delivery.next_at = logic.next_confirmation_at(number, due)
                if delivery.next_at is None:
                    delivery.status = "failed"
                    log.error("confirmation of %s to %s failed %d times; giving up", tx.id, delivery.url, number)
            return delivered

    async def _post_confirmation(
        self, url: str, form: dict[str, str], order: Order, tx: Transaction
    ) -> tuple[str, bool]:
        """One attempt's outcome (what the delivery records) and whether the merchant took it."""
        fields = {
            "merchant_id": order.merchant_id, "reference_sale": order.reference_code,
            "state_pol": form["state_pol"], "transaction_type": tx.type, "url": url,
        }  # fmt: skip
        try:
            async with self.behaviour.at("gateway.confirmation", fields, amount_minor=tx.amount_minor) as forced:
                if forced.decline or forced.pending:
                    return "forced:not_sent", False
                try:
                    status = await self.merchants.confirm(url, form)
                except httpx.HTTPError as exc:
                    return type(exc).__name__, False
                return f"HTTP {status}", status == 200
        except Forced as exc:
            return f"forced:{exc.code}", False
        except Dropped:
            return "forced:answer_lost", False

    # -- refunds (GW-05) ---------------------------------------------------------------------
    async def refund(self, order: Order, reason: str, parent_id: str | None = None) -> Transaction:
        """A full refund of the order's approved payment, answered PENDING as PayU does: the
        ``refunds`` job reviews it on the sandbox clock (:data:`~.logic.REFUND_REVIEW`) and approves
        or declines it, then confirms it to the merchant (GW-04)."""
        async with self.store.locks[f"order:{order.order_id}"]:
            payment = self.store.approved_payment(order)
            decision = logic.decide_refund(
                states=[t.state for t in self.store.payments(order)],
                already_refunded=order.refund_id is not None,
                refund_pending=self.store.pending_refund(order) is not None,
                balance_minor=None,
                amount_minor=order.amount_minor,
            )
            if payment is None or not decision.allowed:
                raise Conflict(decision.message, code=decision.code, field="transaction.order.id")
            if parent_id and parent_id != payment.id:
                raise InvalidInput(
                    "parentTransactionId no es el pago aprobado de la orden.",
                    code="invalid_parent_transaction",
                    field="transaction.parentTransactionId",
                )
            now = self.clock.now()
            refund = Transaction(
                id=self.store.new_transaction_id(),
                order_id=order.order_id,
                type="REFUND",
                state=TxState.PENDING,
                response_code="PENDING_TRANSACTION_REVIEW",
                created_at=now,
                updated_at=now,
                amount_minor=payment.amount_minor,
                tax_minor=payment.tax_minor,
                currency=payment.currency,
                bank_code=payment.bank_code,
                bank_name=payment.bank_name,
                user_type=payment.user_type,
                document_type=payment.document_type,
                document_number=payment.document_number,
                payer_name=payment.payer_name,
                payer_email=payment.payer_email,
                cus=payment.cus,
                parent_id=payment.id,
                reason=reason,
                review_at=now + logic.REFUND_REVIEW,
                message="Reembolso total en revisión.",
            )
            self.store.add_transaction(refund)
            return refund

    async def review_refund(self, order: Order, refund: Transaction) -> None:
        """Resolve a PENDING refund (the ``refunds`` job): the rule ``gateway.refund`` may decline
        it (that code) or keep it pending; otherwise it is approved when the account's balance
        covers it. Either way the merchant gets a confirmation of the final state."""
        async with self.store.locks[f"order:{order.order_id}"]:
            if refund.state is not TxState.PENDING:
                return
            now = self.clock.now()
            fields = {
                "merchant_id": order.merchant_id,
                "account_id": order.account_id,
                "reference_code": order.reference_code,
            }
            try:
                async with self.behaviour.at("gateway.refund", fields, amount_minor=refund.amount_minor) as forced:
                    if forced.pending:
                        refund.review_at = now + logic.REFUND_REVIEW
                        return
                    if forced.decline:
                        refund.message = forced.message or "El reembolso fue rechazado."
                        await self._close_refund(order, refund, TxState.DECLINED, forced.decline)
                        return
                    decision = logic.decide_refund(
                        states=[t.state for t in self.store.payments(order)],
                        already_refunded=order.refund_id is not None,
                        balance_minor=self.store.balances[order.account_id],
                        amount_minor=refund.amount_minor,
                    )
                    if not decision.allowed:
                        refund.message = decision.message
                        await self._close_refund(order, refund, TxState.DECLINED, "NOT_ACCEPTED_TRANSACTION")
                        return
                    refund.message = "Reembolso total aprobado; el dinero vuelve al pagador por transferencia."
                    order.refund_id = refund.id
                    self.store.balances[order.account_id] -= refund.amount_minor
                    self.store.refunded[order.account_id] += refund.amount_minor
                    await self._close_refund(order, refund, TxState.APPROVED, "APPROVED")
            except Forced as exc:  # the review failed: it is tried again later
                log.warning("refund review of %s failed (%s); trying again", refund.id, exc.code)
                refund.review_at = now + logic.REFUND_REVIEW
            except Dropped:
                pass  # the review was done; nobody waits for an answer

    async def _close_refund(self, order: Order, refund: Transaction, state: TxState, code: str) -> None:
        now = self.clock.now()
        refund.state, refund.response_code = state, code
        refund.updated_at = refund.final_at = now
        refund.review_at = None
        await self._confirm(order, refund)

    # -- background work -----------------------------------------------------------------------
    async def job_requery(self, now: datetime) -> int:
        done = 0
        for tx in self.store.due_queries(now):
            await self.refresh(self.store.orders[tx.order_id], tx, by="job")
            done += 1
        return done

    async def job_finalize(self, now: datetime) -> int:
        done = 0
        for tx in self.store.due_finalizations():
            order = self.store.orders[tx.order_id]
            async with self.store.locks[f"order:{order.order_id}"]:
                if tx.finalized is False:
                    await self._finalize(order, tx)
                    done += 1
        return done

    async def job_refunds(self, now: datetime) -> int:
        """Review every refund whose review is due (PENDING → APPROVED or DECLINED)."""
        done = 0
        for refund in self.store.due_refunds(now):
            await self.review_refund(self.store.orders[refund.order_id], refund)
            done += 1
        return done

    async def job_confirmations(self, now: datetime) -> int:
        """Every attempt due by ``now`` (several per delivery when the clock jumped)."""
        done = 0
        for _ in range(logic.MAX_CONFIRMATION_ATTEMPTS):
            due = self.store.due_deliveries(now)
            if not due:
                break
            for delivery in due:
                await self.deliver(delivery)
                done += 1
        return done

    # -- the PayU API (service.cgi) ------------------------------------------------------------
    async def api_command(self, req: ServiceRequest, client_ip: str, *, queries: bool = False) -> dict[str, Any]:
        """One command of the JSON API, authenticated by ``merchant``; the SUCCESS answer's body.
        A refusal is a :class:`SandboxError` (the route writes it as PayU's ERROR envelope).
        ``queries`` says the request came to the queries API's path (PING answers ``result``)."""
        account = self.authenticate(req.merchant.apiLogin, req.merchant.apiKey)
        if not req.known_command:
            raise InvalidInput(f"Comando no soportado: {req.command[:40]}.", code="invalid_command", field="command")
        if req.command == "PING":
            return wire.success(**({"result": None} if queries else {"transactionResponse": None}))
        if req.command == "GET_PAYMENT_METHODS":
            return wire.success(paymentMethods=[dict(m) for m in models.PAYMENT_METHODS])
        if req.command == "GET_BANKS_LIST":
            info = req.bankListInformation
            method, country = str(info.get("paymentMethod") or "PSE"), str(info.get("paymentCountry") or "CO")
            if method.upper() != "PSE" or country.upper() != "CO":
                raise InvalidInput(
                    "La lista de bancos existe solo para PSE en Colombia (paymentMethod PSE, paymentCountry CO).",
                    code="invalid_field",
                    field="bankListInformation.paymentMethod",
                )
            banks = await self.banks(account)
            listed = [PLACEHOLDER, *banks]
            return wire.success(
                banks=[{"id": str(n), "description": b.name, "pseCode": b.code} for n, b in enumerate(listed)]
            )
        if req.command == "SUBMIT_TRANSACTION":
            return await self._api_submit(req, account, client_ip)
        if req.command == "ORDER_DETAIL":
            order = self.order_of(str(req.details.get("orderId") or ""), account.merchant_id, "details.orderId")
            return wire.success(result={"payload": self._order_view(order)})
        if req.command == "ORDER_DETAIL_BY_REFERENCE_CODE":
            reference = str(req.details.get("referenceCode") or "")
            if not reference:
                raise InvalidInput(
                    "Indique details.referenceCode.", code="missing_field", field="details.referenceCode"
                )
            orders = self.store.orders_by_reference(account.merchant_id, reference)
            return wire.success(result={"payload": [self._order_view(o) for o in orders]})
        # TRANSACTION_RESPONSE_DETAIL
        tx_id = str(req.details.get("transactionId") or "")
        found = self.store.transactions.get(tx_id)
        if found is None or self.store.orders[found.order_id].merchant_id != account.merchant_id:
            raise NotFound("No existe la transacción.", code="transaction_not_found", field="details.transactionId")
        order = self.store.orders[found.order_id]
        return wire.success(result={"payload": models.transaction_response(order, found, ids=False)})

    def order_of(self, order_id: str, merchant_id: str, field: str) -> Order:
        """The merchant's order by id (404 naming ``field`` when it is not one of its orders)."""
        plain = order_id.isascii() and order_id.isdigit() and len(order_id) < 19  # int("²") would raise
        order = self.store.orders.get(int(order_id)) if plain else None
        if order is None or order.merchant_id != merchant_id:
            raise NotFound("No existe la orden.", code="order_not_found", field=field)
        return order

    def _order_view(self, order: Order) -> dict[str, Any]:
        return models.order_detail(order, self.store.status(order).value, self.store.all_transactions(order))

    async def _api_submit(self, req: ServiceRequest, account: GatewayAccount, client_ip: str) -> dict[str, Any]:
        tx_in = req.transaction
        if tx_in is None:
            raise InvalidInput("Falta el bloque transaction.", code="missing_field", field="transaction")
        if tx_in.type == "REFUND":
            order = self.order_of(tx_in.order.id or "", account.merchant_id, "transaction.order.id")
            refund = await self.refund(
                order, tx_in.reason or "Reembolso solicitado por el comercio", tx_in.parentTransactionId
            )
            return wire.success(transactionResponse=models.transaction_response(order, refund))
        if tx_in.type != "AUTHORIZATION_AND_CAPTURE":
            raise InvalidInput(
                f"Tipo de transacción no soportado: {tx_in.type}. Esta pasarela procesa "
                "AUTHORIZATION_AND_CAPTURE (pago PSE) y REFUND (reembolso total).",
                code="unsupported_transaction_type",
                field="transaction.type",
            )
        o = tx_in.order
        if o.accountId != account.account_id:
            raise InvalidInput(
                f"La cuenta {o.accountId} no pertenece al comercio.",
                code="unknown_account",
                field="transaction.order.accountId",
            )
        if (tx_in.paymentMethod or "").upper() != "PSE":
            raise InvalidInput(
                "Esta pasarela solo procesa pagos PSE (paymentMethod = PSE).",
                code="unsupported_payment_method",
                field="transaction.paymentMethod",
            )
        for name in ("referenceCode", "description", "signature"):
            if not getattr(o, name):
                raise InvalidInput(
                    f"Falta transaction.order.{name}.", code="missing_field", field=f"transaction.order.{name}"
                )
        value = o.additionalValues.get("TX_VALUE")
        if value is None:
            raise InvalidInput(
                "Falta TX_VALUE.", code="missing_field", field="transaction.order.additionalValues.TX_VALUE"
            )
        tax = o.additionalValues.get("TX_TAX")
        base = o.additionalValues.get("TX_TAX_RETURN_BASE")
        extra = {k: str(v) for k, v in tx_in.extraParameters.items() if v is not None}
        payer_in = tx_in.payer
        buyer = o.buyer
        phone = (payer_in.contactPhone if payer_in else None) or ""
        # PayU takes a landline in contactPhone (its own PSE example sends "7563126"); PSE's
        # cellphoneNumber is for mobiles, so a landline is kept out of it.
        landline = LANDLINE.fullmatch(phone) is not None
        email = (payer_in.emailAddress if payer_in else None) or (buyer.emailAddress if buyer else None) or ""
        payer = Payer(
            user_type=extra.get("USER_TYPE", ""),
            bank_code=extra.get("FINANCIAL_INSTITUTION_CODE", ""),
            document_type=extra.get("PSE_REFERENCE2") or (payer_in.dniType if payer_in else None) or "",
            document_number=extra.get("PSE_REFERENCE3") or (payer_in.dniNumber if payer_in else None) or "",
            full_name=(payer_in.fullName if payer_in else None) or "",
            email=email,
            phone="" if landline else phone,
            ip=extra.get("PSE_REFERENCE1") or tx_in.ipAddress or client_ip,
        )
        self.check_payer(payer, prefix="transaction.", phone_optional=landline)
        order = self.create_order(
            account,
            NewOrder(
                reference_code=o.referenceCode or "",
                description=o.description or "",
                amount_text=value.value,
                tax_text=tax.value if tax else "0",
                tax_base_text=base.value if base else "0",
                currency=value.currency,
                signature=o.signature or "",
                algorithm=tx_in.algorithmSignature,
                buyer_email=email,
                buyer_name=(buyer.fullName if buyer else None) or payer.full_name,
                source="api",
                response_url=extra.get("RESPONSE_URL"),
                confirmation_url=o.notifyUrl,
                test=bool(req.test),
                language=o.language or req.language or "es",
            ),
            API_FIELDS,
        )
        tx = await self.pay(order, payer)
        return wire.success(transactionResponse=models.transaction_response(order, tx))

    # -- reports (GW-07) -------------------------------------------------------------------------
    def period(self, start: date | None, end: date | None) -> reports.Period:
        """A report's days (today in the network's zone when not given), checked."""
        today = self.clock.now().astimezone(self.tz).date()
        start = start or today
        end = end or start
        if end < start:
            raise InvalidInput("endDate no puede ser anterior a startDate.", code="invalid_period", field="endDate")
        if (end - start).days >= MAX_REPORT_DAYS:
            raise InvalidInput(
                f"El periodo no puede superar {MAX_REPORT_DAYS} días.", code="invalid_period", field="endDate"
            )
        return reports.Period(start, end)

    def report(self, account_id: str, period: reports.Period) -> list[dict[str, Any]]:
        return reports.rows(self.store.account_transactions(account_id), period, self.tz)

    # -- the merchant's panel (GW-05, GW-07) -------------------------------------------------------
    def panel_session(self, token: str | None) -> PanelSession | None:
        return self.store.sessions.get(token) if token else None

    def open_panel_session(self, api_login: str, api_key: str) -> str:
        """Log a merchant in on the panel with its API credentials; the session's token."""
        account = self.authenticate(api_login, api_key)
        token = secrets.token_urlsafe(24)
        self.store.sessions[token] = PanelSession(account.merchant_id, secrets.token_urlsafe(16), self.clock.now())
        return token

    def close_panel_session(self, token: str | None) -> None:
        if token:
            self.store.sessions.pop(token, None)

    def panel(self, account: GatewayAccount, period: reports.Period) -> dict[str, Any]:
        """The account's orders of the period (newest first, with status and attempts), those with
        a refund under review, the report's rows, the balance and what was refunded."""
        orders = [
            (o, self.store.status(o).value, self.store.payments(o))
            for o in sorted(self.store.orders.values(), key=lambda o: o.order_id, reverse=True)
            if o.account_id == account.account_id and period.contains(o.created_at.astimezone(self.tz).date())
        ]
        return {
            "orders": orders,
            "reviewing": {o.order_id for o, _, _ in orders if self.store.pending_refund(o) is not None},
            "rows": self.report(account.account_id, period),
            "balance": self.store.balances[account.account_id],
            "refunded": self.store.refunded[account.account_id],
        }

    # -- the checkout page (COL-16) ------------------------------------------------------------------
    async def checkout(self, order: Order) -> dict[str, Any]:
        """What the checkout page shows: the account, the bank list (or why it is missing), the
        attempt in progress, the approved one, the last one."""
        account = self.account_of(order)
        banks: list[AchBank] = []
        banks_error = None
        try:
            banks = [PLACEHOLDER, *await self.banks(account)]
        except SandboxError as exc:
            banks_error = exc.message
        attempts = self.store.payments(order)
        return {
            "account": account,
            "banks": banks,
            "banks_error": banks_error,
            "pending": next((t for t in attempts if t.state is TxState.PENDING), None),
            "approved": self.store.approved_payment(order),
            "last": attempts[-1] if attempts else None,
        }

    # -- views -------------------------------------------------------------------------------
    def response_link(self, order: Order, tx: Transaction) -> str | None:
        if not order.response_url:
            return None
        return models.response_url(
            order.response_url, models.response_params(self.account_of(order), order, tx, self.tz)
        )
