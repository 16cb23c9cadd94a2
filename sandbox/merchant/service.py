"""The merchant's use cases: starting payments (through the gateway or its own PSE button),
learning their results (signed confirmations, queries to the gateway or to ACH), applying them
to invoices exactly once, e-mailing the customer, refunds through the gateway.

The merchant never trusts a browser return: the response page and the PSE return both ask the
gateway or ACH for the state before showing it (GW-03, COL-19).

Behaviour rule ``merchant.confirmation`` (:data:`OPERATIONS`) goes through
:meth:`sandbox.kit.behaviour.Behaviour.at`: the merchant reads ``decline`` (422 with that code);
the kit applies ``error`` (the gateway retries), ``delay_s`` and ``drop`` (the confirmation is
applied, the gateway gets no answer and sends it again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from sandbox.kit.behaviour import Behaviour
from sandbox.kit.clock import Clock
from sandbox.kit.errors import Conflict, InvalidInput, NotFound, SandboxError
from sandbox.kit.money import AmountError, format_display, parse_amount
from sandbox.kit.parsing import DocumentError, normalize_document_number
from sandbox.merchant import logic
from sandbox.merchant.logic import PayState
from sandbox.merchant.models import (
    CONFIRMATION_REQUIRED,
    checkout_form,
    gateway_command,
    receipt_message,
    refund_request,
)
from sandbox.merchant.peers import AchPeer, GatewayPeer, GatewayUnreachable, NotifyPeer
from sandbox.merchant.records import ConfirmationRecord, InvoiceRecord, PaymentRecord
from sandbox.merchant.state import MerchantStore
from sandbox.protocols.payu.signatures import verify_confirmation_signature, verify_response_page_signature
from sandbox.protocols.pse.codes import USER_TYPE as ACH_USER_TYPE
from sandbox.protocols.pse.codes import create_refusal
from sandbox.protocols.pse.collecting import AchUnavailable, EntitySession
from sandbox.protocols.pse.models import AchBank, CreatePayment
from sandbox.protocols.pse.payer import FORM_FIELDS, Payer, payer_problem
from sandbox.protocols.pse.schedule import first_query_at, next_query_at
from sandbox.world.model import Customer, GatewayAccount, Merchant, PseEntity, World

log = logging.getLogger("sandbox.merchant")

OPERATIONS: dict[str, set[str]] = {
    "merchant.confirmation": {"merchant_id", "reference_sale", "state_pol", "transaction_id", "transaction_type"},
}


@dataclass(frozen=True, slots=True)
class Report:
    """A state report about one payment, from any source, already authenticated."""

    state: PayState
    transaction_id: str
    source: str
    response_code: str | None = None
    cus: str | None = None
    bank_name: str | None = None
    gateway_order_id: str | None = None
    authorization_id: str | None = None


class MerchantService:
    def __init__(
        self,
        state: MerchantStore,
        clock: Clock,
        behaviour: Behaviour,
        *,
        ach: AchPeer,
        gateway: GatewayPeer,
        notify: NotifyPeer,
        world: World,
        own_url: str,
        tz: tzinfo,
    ) -> None:
        self.store = state
        self.clock = clock
        self.behaviour = behaviour
        self.ach_peer = ach
        self.gateway = gateway
        self.notify = notify
        self.world = world
        #: The merchant's own base URL (return and confirmation pages it gives the gateway and ACH).
        self.own_url = own_url
        self.tz = tz

    # -- world -------------------------------------------------------------------------------
    def merchant(self, merchant_id: str) -> Merchant:
        found = next((m for m in self.world.merchants if m.id == merchant_id), None)
        if found is None:
            raise NotFound(f"No existe el comercio {merchant_id}.", code="merchant_not_found", field="merchant")
        return found

    def customer(self, merchant: Merchant, customer_id: str) -> Customer:
        found = next((c for c in merchant.customers if c.id == customer_id), None)
        if found is None:
            raise NotFound("No existe el cliente.", code="customer_not_found", field="cliente")
        return found

    def customer_by_document(self, merchant: Merchant, document: str) -> Customer:
        try:  # the dots people write (79.555.111) are not part of the number
            number = normalize_document_number(document)
        except DocumentError as exc:
            raise InvalidInput(f"El documento {exc}.", code="invalid_field", field="documento") from None
        found = next((c for c in merchant.customers if c.document_number == number), None)
        if found is None:
            raise NotFound(
                "No encontramos un cliente con ese documento en este comercio.",
                code="customer_not_found",
                field="documento",
            )
        return found

    def invoice(self, merchant: Merchant, number: str) -> InvoiceRecord:
        found = self.store.invoice(merchant.id, number)
        if found is None:
            raise NotFound(f"No existe la factura {number}.", code="invoice_not_found", field="factura")
        return found

    def gateway_account(self, merchant: Merchant) -> GatewayAccount:
        account = next((a for a in self.world.gateway_accounts if a.merchant_id == merchant.gateway_merchant_id), None)
        if account is None:
            raise Conflict("El comercio no tiene cuenta en la pasarela.", code="gateway_not_configured")
        return account

    def merchant_for_gateway_id(self, gateway_merchant_id: str) -> Merchant | None:
        return next((m for m in self.world.merchants if m.gateway_merchant_id == gateway_merchant_id), None)

    def pse_entity(self, merchant: Merchant) -> PseEntity:
        entity = next((e for e in self.world.pse_entities if e.entity_code == merchant.pse_entity_code), None)
        if entity is None:
            raise Conflict("El comercio no tiene convenio PSE propio.", code="pse_not_configured")
        return entity

    def ach(self, merchant: Merchant) -> EntitySession:
        return self.ach_peer.session(self.pse_entity(merchant))

    async def banks(self, merchant: Merchant) -> list[AchBank]:
        return await self.ach_peer.banks(self.pse_entity(merchant))

    def minimum_text(self, merchant: Merchant) -> str:
        return format_display(merchant.minimum_amount_minor, "COP")

    def blocker(self, merchant: Merchant, invoice: InvoiceRecord) -> str | None:
        return logic.online_payment_blocker(
            status=invoice.status,
            amount_minor=invoice.amount_minor,
            minimum_minor=merchant.minimum_amount_minor,
            has_pending=self.store.has_pending(merchant.id, invoice.number),
        )

    # -- what the pages show ------------------------------------------------------------------------
    def statement(self, merchant: Merchant, customer: Customer) -> tuple[list[dict[str, Any]], int]:
        """The customer's invoices (each with what blocks paying it online and its payments) and
        the total still owed."""
        invoices = self.store.invoices_of(merchant.id, customer.id)
        rows = [
            {"invoice": inv, "blocker": self.blocker(merchant, inv),
             "payments": self.store.payments_of(merchant.id, inv.number)}
            for inv in invoices
        ]  # fmt: skip
        return rows, sum(i.amount_minor for i in invoices if i.status == "open")

    def payment(self, payment_id: str) -> PaymentRecord | None:
        return self.store.payments.get(payment_id)

    def invoice_of(self, payment: PaymentRecord) -> InvoiceRecord:
        invoice = self.store.invoice(payment.merchant_id, payment.invoice_number)
        assert invoice is not None  # a payment is always of an invoice of the world
        return invoice

    def back_office(self, merchant: Merchant) -> dict[str, Any]:
        """The merchant's invoices, payments (newest first) and every confirmation received."""
        return {
            "invoices": [i for i in self.store.invoices.values() if i.merchant_id == merchant.id],
            "payments": sorted(
                (p for p in self.store.payments.values() if p.merchant_id == merchant.id),
                key=lambda p: p.id,
                reverse=True,
            ),
            "confirmations": list(self.store.confirmations.values()),
        }

    async def payu_return(self, params: dict[str, str]) -> tuple[PaymentRecord, str | None]:
        """The customer back from the gateway (``responseUrl``): the payment and, when the return's
        signature is not valid, a warning. The state shown is always asked to the gateway."""
        merchant = self.merchant_for_gateway_id(params.get("merchantId", ""))
        reference = params.get("referenceCode", "")
        payment = self.store.payment_by_reference(merchant.id, reference) if merchant else None
        if merchant is None or payment is None:
            raise NotFound("No reconocemos este pago.", code="unknown_reference", field="referenceCode")
        account = self.gateway_account(merchant)
        try:
            value_minor = parse_amount(params.get("TX_VALUE", ""), params.get("currency", "COP"))
            signed = verify_response_page_signature(
                params.get("signature", ""),
                api_key=account.api_key,
                merchant_id=account.merchant_id,
                reference_code=reference,
                amount_minor=value_minor,
                currency=params.get("currency", "COP"),
                transaction_state=params.get("transactionState", ""),
            )
        except AmountError:
            signed = False
        warning = None
        if not signed:
            warning = "Los datos de retorno no traen una firma válida; mostramos el estado consultado a la pasarela."
        await self.refresh_payu(payment, params.get("transactionId"))
        return payment, warning

    async def refresh(self, payment: PaymentRecord, *, by: str) -> PaymentRecord:
        """Ask for a PENDING payment's state: ACH for the merchant's own PSE, the gateway for PayU."""
        if payment.state is PayState.PENDING:
            if payment.channel == "pse":
                await self.refresh_pse(payment, by=by)
            else:
                await self.refresh_payu(payment, payment.gateway_transaction_id)
        return payment

    def _check_can_pay(self, merchant: Merchant, invoice: InvoiceRecord) -> None:
        try:
            logic.check_can_pay(
                status=invoice.status,
                amount_minor=invoice.amount_minor,
                minimum_minor=merchant.minimum_amount_minor,
                has_pending=self.store.has_pending(merchant.id, invoice.number),
                minimum_text=self.minimum_text(merchant),
            )
        except logic.CannotPay as exc:
            status = 422 if exc.code == "amount_below_minimum" else 409
            raise SandboxError(exc.message, code=exc.code, field="factura", status=status) from None

    # -- "Paga con PayU" ---------------------------------------------------------------------------
    async def start_payu(self, merchant: Merchant, invoice: InvoiceRecord) -> tuple[PaymentRecord, dict[str, str]]:
        """The payment (one per invoice until it is refunded) and the signed checkout form."""
        async with self.store.locks[f"invoice:{merchant.id}:{invoice.number}"]:
            self._check_can_pay(merchant, invoice)
            account = self.gateway_account(merchant)
            customer = self.customer(merchant, invoice.customer_id)
            live = [
                p
                for p in self.store.payments_of(merchant.id, invoice.number)
                if p.channel == "payu" and p.state not in (PayState.APPROVED, PayState.REFUNDED)
            ]
            payment = live[-1] if live else self._new_payment(merchant, invoice, customer, "payu")
            form = checkout_form(
                account,
                reference_code=payment.reference_code,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                invoice_number=invoice.number,
                description=invoice.description,
                customer=customer,
                response_url=f"{self.own_url}/payu/respuesta",
                confirmation_url=f"{self.own_url}/payu/confirmacion",
            )
            return payment, form

    def _new_payment(
        self, merchant: Merchant, invoice: InvoiceRecord, customer: Customer, channel: str
    ) -> PaymentRecord:
        seq = self.store.next_seq()
        attempts = len(self.store.payments_of(merchant.id, invoice.number)) + 1
        now = self.clock.now()
        payment = PaymentRecord(
            id=f"P-{seq:06d}",
            merchant_id=merchant.id,
            invoice_number=invoice.number,
            channel=channel,
            reference_code=f"{invoice.number}-{attempts}",
            amount_minor=invoice.amount_minor,
            currency=invoice.currency,
            state=PayState.CREATED,
            created_at=now,
            updated_at=now,
            customer_email=customer.email,
            ticket_id=seq,
        )
        self.store.payments[payment.id] = payment
        return payment

    # -- "Pagar con PSE" (the merchant's own ACH entity, PSE-02) ----------------------------------
    @staticmethod
    def check_payer(payer: Payer) -> None:
        """Refuse a payer that ACH would refuse, naming the form's field."""
        problem = payer_problem(payer)
        if problem is not None:
            raise InvalidInput(problem.message, code=problem.code, field=FORM_FIELDS[problem.about])

    async def start_pse(self, merchant: Merchant, invoice: InvoiceRecord, payer: Payer) -> PaymentRecord:
        async with self.store.locks[f"invoice:{merchant.id}:{invoice.number}"]:
            self._check_can_pay(merchant, invoice)
            await self._check_gateway_idle(merchant, invoice)
            known = {b.code: b.name for b in await self.banks(merchant)}
            if payer.bank_code not in known:
                raise InvalidInput("El banco elegido no está en la lista de PSE.", code="unknown_bank", field="banco")
            entity = self.pse_entity(merchant)
            customer = self.customer(merchant, invoice.customer_id)
            payment = self._new_payment(merchant, invoice, customer, "pse")
            payment.customer_email = payer.email
            payment.bank_code, payment.bank_name = payer.bank_code, known[payer.bank_code]
            request = CreatePayment(
                entity_code=entity.entity_code,
                bank_code=payer.bank_code,
                service_code=entity.service_codes[0],
                amount_minor=payment.amount_minor,
                vat_minor=0,
                ticket_id=payment.ticket_id,
                entity_url=f"{self.own_url}/pse/retorno/{payment.id}",
                user_type=ACH_USER_TYPE[payer.user_type],
                reference1=payer.ip,
                reference2=payer.document_type,
                reference3=payer.document_number,
                solicit_date=payment.created_at.astimezone(self.tz),
                description=f"Factura {invoice.number} {merchant.name}",
                identification_type=payer.document_type,
                identification_number=payer.document_number,
                full_name=payer.full_name,
                cellphone=payer.phone,
                address="N/A",
                email=payer.email,
            )
            try:
                result = await self.ach(merchant).create_payment(request)
            except AchUnavailable as exc:
                log.warning("ACH unavailable creating %s: %s", payment.id, exc)
                self._set_state(payment, PayState.ERROR, "ach", "ACH_UNAVAILABLE")
                raise SandboxError(
                    "PSE no respondió; el pago no se creó. Intente de nuevo.", code="ach_unavailable", status=502
                ) from exc
            if not result.ok:
                declined = create_refusal(result.return_code) == "declined"
                self._set_state(payment, PayState.DECLINED if declined else PayState.ERROR, "ach", result.return_code)
                raise SandboxError(
                    f"PSE no aceptó el pago ({result.return_code}). {result.error_details or ''}".strip(),
                    code=result.return_code.lower(),
                    field="banco" if "BANK" in result.return_code else None,
                    status=409 if declined else 502,
                )
            payment.cus, payment.pse_url = result.cus, result.pse_url
            self._set_state(payment, PayState.PENDING, "ach", "PENDING")
            payment.next_query_at = first_query_at(payment.created_at)
            return payment

    async def _check_gateway_idle(self, merchant: Merchant, invoice: InvoiceRecord) -> None:
        """Before a direct PSE payment: no payment of this invoice may be in progress at the gateway."""
        live = [
            p
            for p in self.store.payments_of(merchant.id, invoice.number)
            if p.channel == "payu" and p.state not in logic.FINAL
        ]
        for payment in live:
            orders = await self._gateway_orders(merchant, payment.reference_code)
            if any(o.get("status") in ("IN_PROGRESS", "CAPTURED") for o in orders):
                raise Conflict(
                    "Hay un pago con PayU en proceso para esta factura; espere su resultado.",
                    code="payment_in_progress",
                    field="factura",
                )

    # -- learning results ------------------------------------------------------------------------
    async def refresh_pse(self, payment: PaymentRecord, *, by: str) -> PaymentRecord:
        """Ask ACH (GetTransactionInformationNF); finalize at ACH once final."""
        merchant = self.merchant(payment.merchant_id)
        async with self.store.locks[f"invoice:{merchant.id}:{payment.invoice_number}"]:
            now = self.clock.now()
            if payment.state is PayState.PENDING and payment.cus:
                try:
                    info = await self.ach(merchant).get_information(payment.cus)
                except AchUnavailable as exc:
                    log.warning("ACH query failed for %s: %s", payment.id, exc)
                    info = None
                payment.query_count += 1
                if by == "job":
                    payment.next_query_at = next_query_at(now)
                if info is not None and info.ok and info.state in logic.ACH_STATES:
                    if info.amount_minor is not None and info.amount_minor != payment.amount_minor:
                        log.error(
                            "ACH value %s differs from %s for %s", info.amount_minor, payment.amount_minor, payment.id
                        )
                    else:
                        target = logic.ACH_STATES[info.state]
                        payment.authorization_id = info.authorization_id or payment.authorization_id
                        if target is not PayState.PENDING:
                            payment.finalized = False
                        self._apply(
                            merchant,
                            payment,
                            Report(target, transaction_id=payment.cus, source="ach_query", response_code=info.state,
                                   cus=payment.cus, bank_name=payment.bank_name),
                        )  # fmt: skip
            if payment.finalized is False and payment.cus:
                try:
                    await self.ach(merchant).finalize(payment.cus, payment.id)
                    payment.finalized = True
                except AchUnavailable as exc:
                    log.warning("ACH finalize failed for %s: %s", payment.id, exc)
        await self.send_email_if_due(payment)
        return payment

    async def refresh_payu(self, payment: PaymentRecord, transaction_id: str | None) -> PaymentRecord:
        """Ask the gateway for the state (TRANSACTION_RESPONSE_DETAIL, else by reference)."""
        merchant = self.merchant(payment.merchant_id)
        reports: list[Report] = []
        try:
            if transaction_id:
                payload = await self._gateway_call(
                    merchant, "TRANSACTION_RESPONSE_DETAIL", {"transactionId": transaction_id}
                )
                result = payload.get("result") or {}
                detail = result.get("payload") or {}
                reports.extend(self._reports_from_response(detail, transaction_id, None))
            else:
                for order in await self._gateway_orders(merchant, payment.reference_code):
                    for tx in order.get("transactions") or []:
                        if (
                            tx.get("type") == "REFUND"
                            and (tx.get("transactionResponse") or {}).get("state") == "PENDING"
                        ):
                            payment.refund_requested = True
                        reports.extend(
                            self._reports_from_response(
                                tx.get("transactionResponse") or {}, tx.get("id"), order.get("id"), tx.get("type")
                            )
                        )
        except SandboxError as exc:
            log.warning("gateway query failed for %s: %s", payment.id, exc.message)
        async with self.store.locks[f"invoice:{merchant.id}:{payment.invoice_number}"]:
            for report in reports:
                self._apply(merchant, payment, report)
        await self.send_email_if_due(payment)
        return payment

    @staticmethod
    def _reports_from_response(detail: dict[str, Any], tx_id: Any, order_id: Any, tx_type: Any = None) -> list[Report]:
        """A state report from a ``transactionResponse``; its type is the transaction's ``type``
        (ORDER_DETAIL) or ``additionalInfo.transactionType`` (TRANSACTION_RESPONSE_DETAIL)."""
        state = logic.GATEWAY_STATES.get(str(detail.get("state")))
        if state is None or not tx_id:
            return []
        info = detail.get("additionalInfo") or {}
        if (tx_type or info.get("transactionType")) == "REFUND":
            if state is not PayState.APPROVED:
                return []
            state = PayState.REFUNDED
        return [
            Report(
                state,
                transaction_id=str(tx_id),
                source="gateway_query",
                response_code=detail.get("responseCode"),
                cus=detail.get("trazabilityCode"),
                gateway_order_id=str(detail.get("orderId") or order_id or "") or None,
                authorization_id=detail.get("authorizationCode"),
            )
        ]

    async def _gateway_orders(self, merchant: Merchant, reference: str) -> list[dict[str, Any]]:
        payload = await self._gateway_call(merchant, "ORDER_DETAIL_BY_REFERENCE_CODE", {"referenceCode": reference})
        result = payload.get("result") or {}
        orders = result.get("payload") or []
        return [o for o in orders if isinstance(o, dict)]

    async def _gateway_call(self, merchant: Merchant, command: str, details: dict[str, Any]) -> dict[str, Any]:
        return await self.gateway.query(gateway_command(self.gateway_account(merchant), command, details))

    # -- confirmations (GW-04) ----------------------------------------------------------------------
    async def confirmation(self, form: dict[str, str]) -> str:
        """``POST /payu/confirmacion``: the rule ``merchant.confirmation`` first (what the gateway
        sees), then :meth:`handle_confirmation`, then the customer's copy; the answer's text."""
        fields = {
            "merchant_id": form.get("merchant_id"), "reference_sale": form.get("reference_sale"),
            "state_pol": form.get("state_pol"), "transaction_id": form.get("transaction_id"),
            "transaction_type": form.get("transaction_type", "AUTHORIZATION_AND_CAPTURE"),
        }  # fmt: skip
        async with self.behaviour.at("merchant.confirmation", fields) as forced:
            if forced.decline:
                raise InvalidInput(forced.message or "Confirmación rechazada por una regla.", code=forced.decline)
            text, payment = self.handle_confirmation(form)
            if payment is not None:
                await self.send_email_if_due(payment)
            return text

    def handle_confirmation(self, form: dict[str, str]) -> tuple[str, PaymentRecord | None]:
        """Verify, deduplicate and apply a confirmation: the answer's text and the payment."""
        for name in CONFIRMATION_REQUIRED:
            if not form.get(name):
                raise InvalidInput(f"Falta el campo «{name}» en la confirmación.", code="missing_field", field=name)
        merchant = self.merchant_for_gateway_id(form["merchant_id"])
        if merchant is None:
            raise InvalidInput("La confirmación es de otro comercio.", code="unknown_merchant", field="merchant_id")
        account = self.gateway_account(merchant)
        try:
            value_minor = parse_amount(form["value"], form["currency"])
        except AmountError as exc:
            raise InvalidInput(f"El campo «value» {exc}.", code="invalid_amount", field="value") from None
        if not verify_confirmation_signature(
            form["sign"],
            api_key=account.api_key,
            merchant_id=form["merchant_id"],
            reference_sale=form["reference_sale"],
            amount_minor=value_minor,
            currency=form["currency"],
            state_pol=form["state_pol"],
        ):
            log.warning("confirmation for %s refused: bad signature", form["reference_sale"])
            raise SandboxError("La firma de la confirmación no es válida.", code="invalid_signature", field="sign",
                               status=400)  # fmt: skip
        tx_id = form["transaction_id"]
        seen = self.store.confirmations.get(tx_id)
        if seen is not None:
            seen.count += 1
            return "OK (confirmación repetida, sin efectos)", None
        payment = self.store.payment_by_reference(merchant.id, form["reference_sale"])
        if payment is None:
            raise NotFound("No hay un pago con esa referencia.", code="unknown_reference", field="reference_sale")
        if value_minor != payment.amount_minor:
            raise InvalidInput(
                "El valor confirmado no coincide con el del pago.", code="amount_mismatch", field="value"
            )
        tx_type = form.get("transaction_type", "AUTHORIZATION_AND_CAPTURE")
        state = logic.STATE_POL.get(form["state_pol"])
        if state is None:
            raise InvalidInput("state_pol desconocido.", code="invalid_field", field="state_pol")
        target: PayState | None = state
        if tx_type == "REFUND":
            target = PayState.REFUNDED if state is PayState.APPROVED else None
        record = ConfirmationRecord(
            transaction_id=tx_id,
            reference_sale=form["reference_sale"],
            state_pol=form["state_pol"],
            transaction_type=tx_type,
            first_at=self.clock.now(),
        )
        if target is not None:
            report = Report(
                target,
                transaction_id=tx_id,
                source="confirmation",
                response_code=form.get("response_message_pol"),
                cus=form.get("cus"),
                bank_name=form.get("pse_bank"),
                gateway_order_id=form.get("reference_pol"),
                authorization_id=form.get("authorization_code"),
            )
            record.applied, record.outcome = self._apply(merchant, payment, report)
        self.store.confirmations[tx_id] = record
        return "OK", payment

    # -- applying a result ---------------------------------------------------------------------------
    def _apply(self, merchant: Merchant, payment: PaymentRecord, report: Report) -> tuple[bool, str]:
        """Apply a state report to the payment and its invoice, exactly once (caller holds the lock)."""
        if payment.applied.get(report.transaction_id) == report.state.value:
            return False, "replay"
        try:
            changed = logic.payment_transition(payment.state, report.state)
        except logic.IllegalPaymentTransition as exc:
            log.warning("%s: ignoring %s → %s from %s", payment.id, exc.current, exc.target, report.source)
            return False, f"ignored:{exc.current}->{exc.target}"
        if report.state is not PayState.PENDING:
            payment.applied[report.transaction_id] = report.state.value
        payment.cus = report.cus or payment.cus
        payment.bank_name = report.bank_name or payment.bank_name
        payment.gateway_order_id = report.gateway_order_id or payment.gateway_order_id
        payment.authorization_id = report.authorization_id or payment.authorization_id
        if report.state is not PayState.REFUNDED and report.source != "ach_query":
            payment.gateway_transaction_id = report.transaction_id
        if not changed:
            return False, "no_change"
        self._set_state(payment, report.state, report.source, report.response_code)
        invoice = self.store.invoice(merchant.id, payment.invoice_number)
        assert invoice is not None
        view = logic.InvoiceView(invoice.status, invoice.paid_by)
        if report.state is PayState.APPROVED:
            effect = logic.apply_approval(view, payment.id)
            payment.requires_refund = effect.requires_refund
            if effect.requires_refund:
                log.warning("%s approved but invoice %s is %s: refund it", payment.id, invoice.number, invoice.status)
        elif report.state is PayState.REFUNDED:
            effect = logic.apply_refund(view, payment.id)
            payment.requires_refund = False
        else:
            effect = logic.InvoiceEffect(view, changed=False)
        if effect.changed:
            invoice.status, invoice.paid_by = effect.invoice.status, effect.invoice.paid_by
            invoice.paid_at = self.clock.now() if invoice.status == "paid" else None
        if report.state in logic.FINAL:
            payment.email_due = report.transaction_id
        return True, report.state.value

    def _set_state(self, payment: PaymentRecord, state: PayState, source: str, code: str | None) -> None:
        payment.state = state
        payment.source = source
        payment.response_code = code or payment.response_code
        payment.updated_at = self.clock.now()
        if state is not PayState.PENDING:
            payment.next_query_at = None

    # -- the customer's copy by e-mail (GW-03) --------------------------------------------------------
    async def send_email_if_due(self, payment: PaymentRecord) -> bool:
        key = payment.email_due
        if key is None or f"{key}:{payment.state}" in payment.emailed:
            payment.email_due = None
            return False
        merchant = self.merchant(payment.merchant_id)
        message = receipt_message(
            merchant_name=merchant.name,
            to=payment.customer_email,
            invoice_number=payment.invoice_number,
            amount_minor=payment.amount_minor,
            currency=payment.currency,
            state=payment.state,
            reference_code=payment.reference_code,
            cus=payment.cus,
            bank_name=payment.bank_name,
            channel=payment.channel,
        )
        if not await self.notify.send(message):
            return False  # the job tries again
        payment.emailed.add(f"{key}:{payment.state}")
        payment.email_due = None
        return True

    # -- refunds (GW-05, from the merchant's back office) ----------------------------------------------
    async def refund(self, payment: PaymentRecord, reason: str) -> PaymentRecord:
        merchant = self.merchant(payment.merchant_id)
        if payment.channel != "payu":
            raise Conflict(
                "Un pago PSE directo no se reembolsa en línea: PSE no tiene reverso; devuelva por transferencia.",
                code="refund_not_supported",
            )
        if payment.state is not PayState.APPROVED:
            raise Conflict("Solo se reembolsa un pago aprobado.", code="not_approved")
        if not payment.gateway_order_id:
            await self.refresh_payu(payment, None)
        body = refund_request(
            self.gateway_account(merchant),
            order_id=payment.gateway_order_id,
            reason=reason,
            parent_transaction_id=payment.gateway_transaction_id,
        )
        try:
            status, answer, code = await self.gateway.submit(body)
        except GatewayUnreachable:
            # The gateway may or may not have applied the refund (NET-06): ask it, never guess.
            return await self._settle_unknown_refund(payment, "La pasarela no respondió al reembolso.")
        if status != 200 or answer.get("code") != "SUCCESS":
            reason = str(answer.get("error") or "La pasarela no pudo procesar el reembolso.")
            if status >= 500 or code in ("already_refunded", "refund_in_progress"):
                return await self._settle_unknown_refund(payment, reason)
            raise SandboxError(reason, code=code or "refund_refused", status=409)
        tx = answer.get("transactionResponse") or {}
        async with self.store.locks[f"invoice:{merchant.id}:{payment.invoice_number}"]:
            # PayU answers a refund PENDING (under review); its confirmation (transaction_type
            # REFUND) reopens the invoice when it is approved. An APPROVED answer is applied now.
            if tx.get("state") == "APPROVED":
                self._apply(
                    merchant,
                    payment,
                    Report(PayState.REFUNDED, transaction_id=str(tx.get("transactionId")), source="refund",
                           response_code="REFUNDED"),
                )  # fmt: skip
            elif tx.get("state") == "PENDING":
                payment.refund_requested = True
        await self.send_email_if_due(payment)
        return payment

    async def _settle_unknown_refund(self, payment: PaymentRecord, reason: str) -> PaymentRecord:
        """After a refund call whose outcome is unknown, query the gateway: a refund it applied is
        applied here (once); otherwise the admin gets a defined error and may try again."""
        await self.refresh_payu(payment, None)
        if payment.state is PayState.REFUNDED or payment.refund_requested:
            return payment
        raise SandboxError(
            f"{reason} El reembolso no quedó aplicado; puede intentarlo de nuevo.",
            code="gateway_unavailable",
            status=502,
        )

    # -- background work -----------------------------------------------------------------------------
    async def job_requery(self, now: Any) -> int:
        """PSE rule for the merchant's own button: re-query PENDING at 7 min, then every 12 min."""
        done = 0
        for payment in list(self.store.payments.values()):
            if payment.channel != "pse":
                continue
            due = payment.next_query_at is not None and payment.next_query_at <= now
            if (payment.state is PayState.PENDING and due) or payment.finalized is False:
                await self.refresh_pse(payment, by="job")
                done += 1
        return done

    async def job_emails(self, now: Any) -> int:
        done = 0
        for payment in list(self.store.payments.values()):
            if payment.email_due is not None and await self.send_email_if_due(payment):
                done += 1
        return done
