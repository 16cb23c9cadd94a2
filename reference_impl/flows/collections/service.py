"""Collections (RedCoop Pagos PSE) use cases: a member pays their own products at their cooperative
from any bank, through the gateway and PSE.

The visit: entity (COL-08) → document (COL-01, COL-09) → identity code through notify (COL-05,
COL-10; core OTP: NET-04, COL-06, COL-07) → products from coop (COL-11) → the selection, each
amount checked against the product's rules as coop reports them (COL-03, COL-12) and the payer
(COL-04, COL-13) → a payment code bound to that selection (NET-07) → description, terms and
«Iniciar transacción» (COL-14, COL-15): the payment is stored and the browser posts a signed
WebCheckout form to the gateway.

Completion, exactly once (COL-19, COL-20): a signed confirmation is verified and recorded (a
duplicate only counts), and the state is always *queried* at the gateway (the confirmation and the
browser's return are never trusted by themselves); an approved payment marks its items to apply and
each is credited at coop with its one ``Idempotency-Key`` (:func:`logic.credit_key`); an unknown
outcome (timeout, lost answer, 5xx) is retried with the same key by a job until known (NET-06), a
refusal is left for an operator (``/recaudos/operacion``). A payment not final is queried by a job
7 minutes after its creation and then every 12, whether or not the member comes back.

Behaviour rules (``/_sandbox/rules``): ``collections.start`` (the identity code is asked:
``error`` refuses it) and ``collections.confirmation`` (``error``/``decline`` refuse a confirmation,
the gateway retries it; ``delay_s``, ``drop``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from reference_impl.core.errors import OtpError
from reference_impl.core.instants import to_epoch_us
from reference_impl.flows.collections import logic, models
from reference_impl.flows.collections.logic import (
    CreditState,
    GatewayTx,
    ItemRecord,
    Payer,
    PaymentRecord,
    PayState,
    ProductInfo,
    Refusal,
    RequestedItem,
    SessionState,
    Visit,
)
from reference_impl.flows.collections.state import CollectionsState
from reference_impl.peers.coop import CoopAnswer, CoopEntity, CoopMember, CoopPeer, CoopProduct
from reference_impl.peers.gateway import GatewayPeer
from reference_impl.peers.notify import NotifyPeer
from reference_impl.store.otp import OtpStore
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.clock import Clock
from sandbox.kit.errors import InvalidInput, NotFound, SandboxError
from sandbox.kit.parsing import AmountError, DocumentError, normalize_document_number, parse_amount
from sandbox.protocols.colombia import COLOMBIA
from sandbox.protocols.payu.signatures import verify_confirmation_signature

log = logging.getLogger("reference_impl.flows.collections")

OPERATIONS: Final[dict[str, set[str]]] = {
    "collections.start": {"entity", "document_type", "document_number"},
    "collections.confirmation": {"merchant_id", "reference_sale", "state_pol", "transaction_id"},
}

#: The wording people read for each OTP refusal.
OTP_MESSAGES: Final = {
    "otp_invalid": "El código no es correcto.",
    "otp_expired": "El código venció (dura 5 minutos). Solicite uno nuevo.",
    "otp_locked": "Demasiados intentos fallidos: por seguridad el proceso quedó bloqueado. Empiece de nuevo más tarde.",
    "otp_used": "Ese código ya se usó.",
    "otp_not_found": "Aún no se ha enviado un código.",
    "otp_resend_too_soon": "Puede pedir un código nuevo cada 30 segundos.",
    "otp_resend_limit": "Se alcanzó el máximo de códigos para este proceso. Empiece de nuevo.",
    "otp_binding_mismatch": "Los productos o valores cambiaron después de enviar el código: solicite un código nuevo.",
}
OTP_STATUS: Final = {"otp_locked": 423, "otp_resend_too_soon": 429, "otp_resend_limit": 429}

#: Contacts of a member (full mobile and e-mail) by document: the entity's registered data, used
#: only to hand the code to notify (never shown: pages show coop's masked values).
Contacts = Callable[[str, str], tuple[str | None, str | None]]


@dataclass(frozen=True, slots=True)
class GatewayAccountInfo:
    merchant_id: str
    account_id: str
    api_key: str
    minimum_minor: int
    checkout_url: str
    response_url: str
    confirmation_url: str


@dataclass(frozen=True, slots=True)
class Checkout:
    """Where the browser goes (COL-15): the gateway's checkout and the signed form to post."""

    url: str
    form: dict[str, str]
    payment: PaymentRecord


def _refuse(refusal: Refusal) -> SandboxError:
    return SandboxError(refusal.message, code=refusal.code, field=refusal.field, status=refusal.status)


def otp_refusal(exc: OtpError, field: str = "otp") -> SandboxError:
    details = dict(exc.details)
    message = OTP_MESSAGES.get(exc.code, exc.message)
    if exc.code == "otp_invalid" and "attempts_left" in details:
        message = f"{message} Le quedan {details['attempts_left']} intento(s)."
    if exc.code == "otp_resend_too_soon" and "retry_after_s" in details:
        message = f"{message} Intente de nuevo en {details['retry_after_s']} s."
    return SandboxError(message, code=exc.code, field=field, status=OTP_STATUS.get(exc.code, 422), extra=details)


def _product_info(p: CoopProduct) -> ProductInfo:
    return ProductInfo(
        product_id=p.product_id,
        type=p.type,
        type_name=p.type_name,
        number_masked=p.number_masked,
        status=p.status,
        due_date=p.due_date,
        minimum_payment_minor=p.minimum_payment_minor,
        total_payment_minor=p.total_payment_minor,
        other_min_minor=p.other_min_minor,
        other_max_minor=p.other_max_minor,
        accepts_credit=p.accepts_credit,
    )


class CollectionsService:
    def __init__(
        self,
        *,
        state: CollectionsState,
        otp: OtpStore,
        coop: CoopPeer,
        notify: NotifyPeer,
        gateway: GatewayPeer,
        account: GatewayAccountInfo,
        contacts: Contacts,
        entities: Sequence[str],
        clock: Clock,
        behaviour: Behaviour,
        alert_after: int = 8,
    ) -> None:
        #: a credit coop has not answered after this many tries is flagged for the operator
        #: (``stuck``) and counted by the reconciliation; the job keeps trying (``issuer_alert_after``)
        self.alert_after = alert_after
        self.state = state
        self.otp = otp
        self.coop = coop
        self.notify = notify
        self.gateway = gateway
        self.account = account
        self.contacts = contacts
        self.entities = tuple(entities)
        self.clock = clock
        self.behaviour = behaviour
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def now_us(self) -> int:
        return to_epoch_us(self.clock.now())

    def today(self) -> date:
        return self.clock.now().astimezone(COLOMBIA).date()

    # -- coop reads ------------------------------------------------------------------------------------------
    @staticmethod
    def _known(answer: CoopAnswer[Any], what: str) -> Any:
        if answer.unknown:
            raise SandboxError(
                f"La cooperativa no responde en este momento ({what}). Intente de nuevo en unos minutos.",
                code="coop_unavailable",
                status=503,
            )
        return answer

    async def entity(self, entity: str) -> CoopEntity:
        """COL-08: the entity, if it has the service enabled."""
        answer = self._known(await self.coop.entity(entity), "entidad")
        if not answer.ok or answer.value is None:
            raise NotFound("La entidad no existe en la red.", code="entity_not_found", field="entity")
        found: CoopEntity = answer.value
        if not found.collections_enabled:
            raise SandboxError(
                f"{found.name} no tiene habilitado el servicio RedCoop Pagos PSE.",
                code="service_disabled",
                field="entity",
                status=403,
            )
        return found

    async def lookup(self, entity: str, document_type: str, document_number: str) -> tuple[CoopEntity, CoopMember]:
        """COL-01, COL-09: the member by document; an unknown document reveals nothing else."""
        found = await self.entity(entity)
        try:
            number = normalize_document_number(document_number)
        except DocumentError as exc:
            raise InvalidInput(
                f"El número de documento {exc}.", code="invalid_field", field="document_number"
            ) from None
        try:
            logic.check_document(document_type, number)
        except Refusal as refusal:
            raise _refuse(refusal) from None
        answer = self._known(await self.coop.lookup(entity, document_type, number), "asociado")
        if not answer.ok or answer.value is None:
            if answer.status == 422:
                raise InvalidInput(answer.message or "Documento no válido.", code="invalid_field",
                                   field=answer.field or "document_number")  # fmt: skip
            raise NotFound(
                "No encontramos un asociado con ese documento en la entidad. Revise el tipo y el número.",
                code="member_not_found",
                field="document_number",
            )
        return found, answer.value

    # -- the visit: identity code (COL-05, COL-10) --------------------------------------------------------------
    async def start(self, entity: str, document_type: str, document_number: str) -> Visit:
        """«Consultar Productos»: a visit, and the identity code sent to the member's contacts."""
        fields = {"entity": entity, "document_type": document_type, "document_number": document_number}
        async with self.behaviour.at("collections.start", fields):
            found, member = await self.lookup(entity, document_type, document_number)
        now_us = self.now_us()
        sent_to = [
            masked
            for channel, masked in (("sms", member.mobile_masked), ("email", member.email_masked))
            if channel in found.otp_channels and masked
        ]
        visit = Visit(
            id=secrets.token_urlsafe(24),
            state=SessionState.IDENTIFYING,
            created_us=now_us,
            expires_us=now_us + logic.SESSION_TTL_S * logic.US,
            entity=found.entity,
            member_id=member.member_id,
            document_type=member.document_type,
            document_number=member.document_number,
            full_name=member.full_name,
            sent_to=sent_to,
        )
        await self.state.add_visit(visit)
        await self._send_code(visit, found, purpose="id")
        return visit

    def _otp_ref(self, visit: Visit, purpose: str) -> str:
        return f"col:{visit.id}:{purpose}"

    async def _send_code(self, visit: Visit, found: CoopEntity | None, *, purpose: str) -> None:
        """Issue (or re-issue) the visit's code for ``purpose`` (``id``: identity; ``pay``: the
        selection, bound to it) and hand it to notify. The plain code lives only here."""
        binding = logic.identity_binding(visit.entity, visit.member_id) if purpose == "id" else visit.binding or ""
        try:
            issued = await asyncio.to_thread(
                self.otp.issue_otp, self._otp_ref(visit, purpose), self.clock.now(), binding=binding
            )
        except OtpError as exc:
            raise otp_refusal(exc) from None
        if found is None:
            found = await self.entity(visit.entity)
        mobile, email = self.contacts(visit.document_type, visit.document_number)
        selection = visit.chosen() if purpose == "pay" else None
        messages = models.otp_messages(
            channels=found.otp_channels,
            mobile=mobile,
            email=email,
            code=issued.code,
            entity_name=found.name,
            reference=visit.reference or visit.id[:12],
            total_minor=None if selection is None else selection.total_minor,
            products=0 if selection is None else len(selection.items),
        )
        delivered = [await self.notify.send(m) for m in messages]
        if not any(delivered):
            log.warning("the %s code of visit %s reached no channel", purpose, visit.id[:8])

    def visit(self, visit_id: str) -> Visit:
        visit = self.state.visit(visit_id)
        if visit is None or visit.expires_us <= self.now_us():
            raise NotFound(
                "La consulta no existe o venció (dura 30 minutos). Empiece de nuevo.",
                code="session_not_found",
                field="session",
            )
        return visit

    async def resend(self, visit_id: str) -> Visit:
        """«Enviar otro código de seguridad» (COL-07): a new code replaces the old, at most every 30 s.
        For a visit with a selection, the new code is bound to the current selection (NET-07)."""
        visit = self.visit(visit_id)
        if visit.state is SessionState.STARTED:
            raise SandboxError("El pago ya se inició.", code="already_started", field="session", status=409)
        purpose = "pay" if visit.state is SessionState.CONFIRMING else "id"
        await self._send_code(visit, None, purpose=purpose)
        return visit

    async def verify_identity(self, visit_id: str, code: str) -> Visit:
        """The identity code (COL-10): accepted, the member's products may be shown."""
        visit = self.visit(visit_id)
        if visit.state is not SessionState.IDENTIFYING:
            return visit  # already verified: nothing to do
        ref, now = self._otp_ref(visit, "id"), self.clock.now()
        binding = logic.identity_binding(visit.entity, visit.member_id)
        visit.state = SessionState.VERIFIED
        try:  # the code's use and the visit's move in one transaction: a crash leaves both or neither
            refused = await self.state.save_visit_if(
                visit, lambda conn: self.otp.verify_in(conn, ref, code.strip(), now, binding=binding)
            )
        except OtpError as exc:  # refusals that write nothing
            raise otp_refusal(exc) from None
        if refused is not None:  # refusals whose counted attempt was written
            raise otp_refusal(refused) if isinstance(refused, OtpError) else refused
        return visit

    def _verified(self, visit: Visit) -> None:
        if visit.state is SessionState.IDENTIFYING:
            raise SandboxError(
                "Ingrese primero el código de seguridad: los productos se muestran después.",
                code="otp_required",
                field="otp",
                status=403,
            )

    async def products(self, visit_id: str) -> tuple[Visit, list[ProductInfo]]:
        """COL-11: the member's payable products (only after the identity code, COL-10)."""
        visit = self.visit(visit_id)
        self._verified(visit)
        return visit, await self._coop_products(visit)

    async def _coop_products(self, visit: Visit, *, payable_only: bool = True) -> list[ProductInfo]:
        """The member's products as coop reports them now (COL-03 is judged on these)."""
        answer = self._known(await self.coop.products(visit.entity, visit.member_id), "productos")
        if not answer.ok or answer.value is None:
            return []
        found = [_product_info(p) for p in answer.value.products]
        return logic.payable(found) if payable_only else found

    # -- the selection (COL-03, COL-04, COL-12, COL-13) and its code (NET-07) ------------------------------------
    async def choose(self, visit_id: str, items: Sequence[models.SelectionItemIn], payer: models.PayerIn) -> Visit:
        """The products and amounts to pay, and who pays. The first selection sends the payment
        code bound to it; a later change keeps the code of the old selection, which is then
        refused (``otp_binding_mismatch``) until a new code is requested."""
        visit = self.visit(visit_id)
        self._verified(visit)
        if visit.state is SessionState.STARTED:
            raise SandboxError("El pago ya se inició.", code="already_started", field="session", status=409)
        requested = []
        for n, item in enumerate(items):
            try:
                amount = None if item.amount in (None, "") else parse_amount(item.amount, "COP")
            except AmountError as exc:
                raise InvalidInput(f"El valor {exc}.", code="invalid_amount", field=f"items[{n}].amount") from None
            requested.append(RequestedItem(item.product_id, item.option, amount))
        products = await self._coop_products(visit, payable_only=False)
        mobile, email = self.contacts(visit.document_type, visit.document_number)
        first, _, last = visit.full_name.partition(" ")
        member_payer = Payer(False, visit.document_type, visit.document_number, first, last, email or "", mobile or "")
        try:
            selection = logic.decide_selection(products, requested, minimum_total_minor=self.account.minimum_minor)
            chosen_payer = logic.decide_payer(payer.different, payer.model_dump(), member_payer)
        except Refusal as refusal:
            raise _refuse(refusal) from None
        visit.selection = [
            {
                "product_id": i.product_id,
                "type": i.type,
                "type_name": i.type_name,
                "number_masked": i.number_masked,
                "option": i.option,
                "amount_minor": i.amount_minor,
            }
            for i in selection.items
        ]
        visit.payer = {
            "different": chosen_payer.different,
            "document_type": chosen_payer.document_type,
            "document_number": chosen_payer.document_number,
            "first_names": chosen_payer.first_names,
            "last_names": chosen_payer.last_names,
            "email": chosen_payer.email,
            "mobile": chosen_payer.mobile,
        }
        visit.binding = logic.selection_binding(visit.entity, visit.member_id, selection)
        if visit.reference is None:
            visit.reference = f"{secrets.randbelow(10**10):010d}"
        send = visit.state is SessionState.VERIFIED
        # the entity before the selection is saved: coop not answering now is a 503 with nothing
        # changed (the member sends it again), never a selection saved whose code was not sent
        found = await self.entity(visit.entity) if send else None
        visit.state = SessionState.CONFIRMING
        await self.state.save_visit(visit)
        if send:
            await self._send_code(visit, found, purpose="pay")
        return visit

    def code_matches_selection(self, visit: Visit) -> bool:
        """Whether the payment code sent is for the current selection (NET-07)."""
        challenge = self.otp.get_otp(self._otp_ref(visit, "pay"))
        return challenge is not None and challenge.binding == (visit.binding or "")

    # -- «Iniciar transacción» (COL-14, COL-15) -----------------------------------------------------------------
    async def begin(self, visit_id: str, body: models.BeginIn) -> Checkout:
        visit = self.visit(visit_id)
        if visit.state is SessionState.STARTED and visit.reference:
            payment = self.state.payment(visit.reference)
            if payment is not None:
                return self._checkout(payment)
        if visit.state is not SessionState.CONFIRMING or not visit.selection or visit.payer is None:
            raise SandboxError("Elija primero los productos y los valores a pagar.", code="selection_required",
                               field="items", status=409)  # fmt: skip
        if not body.terms:
            raise InvalidInput("Debe aceptar los términos y condiciones del servicio.", code="terms_required",
                               field="terms")  # fmt: skip
        try:
            description = logic.check_description(body.description)
        except Refusal as refusal:
            raise _refuse(refusal) from None
        ref, now, code, binding = self._otp_ref(visit, "pay"), self.clock.now(), body.otp.strip(), visit.binding or ""
        selection = visit.chosen()
        now_us = self.now_us()
        assert visit.reference is not None
        payment = PaymentRecord(
            reference=visit.reference,
            session_id=visit.id,
            entity=visit.entity,
            member_id=visit.member_id,
            member_name=visit.full_name,
            payer=dict(visit.payer),
            description=description,
            total_minor=selection.total_minor,
            currency="COP",
            state=PayState.CREATED,
            created_us=now_us,
            updated_us=now_us,
            next_query_us=logic.next_query_us(now_us, now_us),
            items=[
                ItemRecord(
                    reference=visit.reference,
                    seq=n,
                    product_id=i.product_id,
                    product_type=i.type,
                    type_name=i.type_name,
                    number_masked=i.number_masked,
                    payment_option=i.option,
                    amount_minor=i.amount_minor,
                )
                for n, i in enumerate(selection.items, start=1)
            ],
        )
        visit.state = SessionState.STARTED
        try:  # the code's use and the payment's start in one transaction: a crash leaves both or neither
            refused = await self.state.start_payment(
                visit, payment, lambda conn: self.otp.verify_in(conn, ref, code, now, binding=binding)
            )
        except OtpError as exc:  # refusals that write nothing
            raise otp_refusal(exc) from None
        if refused is not None:  # refusals whose counted attempt was written
            raise otp_refusal(refused) if isinstance(refused, OtpError) else refused
        log.info("collection %s started: %d item(s), total %d", payment.reference, len(payment.items),
                 payment.total_minor)  # fmt: skip
        return self._checkout(payment)

    def _checkout(self, payment: PaymentRecord) -> Checkout:
        payer = payment.payer
        form = models.checkout_form(
            merchant_id=self.account.merchant_id,
            account_id=self.account.account_id,
            api_key=self.account.api_key,
            reference=payment.reference,
            amount_minor=payment.total_minor,
            description=f"{logic.DETAIL_PRODUCT} · {payment.entity} · Ref. {payment.reference} · {payment.description}",
            buyer_email=str(payer.get("email") or ""),
            buyer_name=f"{payer.get('first_names', '')} {payer.get('last_names', '')}".strip(),
            buyer_phone=str(payer.get("mobile") or ""),
            document_type=str(payer.get("document_type") or "CC"),
            document_number=str(payer.get("document_number") or ""),
            entity=payment.entity,
            response_url=self.account.response_url,
            confirmation_url=self.account.confirmation_url,
        )
        return Checkout(self.account.checkout_url, {k: v for k, v in form.items() if v}, payment)

    # -- completion (COL-19, COL-20) -----------------------------------------------------------------------------
    def payment(self, reference: str) -> PaymentRecord:
        found = self.state.payment(reference) if reference.isdigit() and len(reference) <= 20 else None
        if found is None:
            raise NotFound("No hay un pago con esa referencia.", code="payment_not_found", field="reference")
        return found

    async def confirmation(self, form: Mapping[str, str]) -> str:
        """``POST /recaudos/confirmacion``: verify the signature, record the confirmation (a duplicate
        only counts), then query the state and apply (never the confirmation's word alone)."""
        fields = {name: form.get(name) for name in OPERATIONS["collections.confirmation"]}
        async with self.behaviour.at("collections.confirmation", fields) as forced:
            if forced.decline:
                raise InvalidInput(forced.message or "Confirmación rechazada por una regla.", code=forced.decline)
            for name in models.CONFIRMATION_REQUIRED:
                if not form.get(name):
                    raise InvalidInput(f"Falta el campo «{name}» en la confirmación.", code="missing_field",
                                       field=name)  # fmt: skip
            if form["merchant_id"] != self.account.merchant_id:
                raise InvalidInput("La confirmación es de otro comercio.", code="unknown_merchant",
                                   field="merchant_id")  # fmt: skip
            try:
                value_minor = parse_amount(form["value"], form["currency"])
            except AmountError as exc:
                raise InvalidInput(f"El campo «value» {exc}.", code="invalid_amount", field="value") from None
            if not verify_confirmation_signature(
                form["sign"],
                api_key=self.account.api_key,
                merchant_id=form["merchant_id"],
                reference_sale=form["reference_sale"],
                amount_minor=value_minor,
                currency=form["currency"],
                state_pol=form["state_pol"],
            ):
                log.warning("confirmation for %s refused: bad signature", form["reference_sale"])
                raise SandboxError("La firma de la confirmación no es válida.", code="invalid_signature",
                                   field="sign", status=400)  # fmt: skip
            payment = self.payment(form["reference_sale"])
            if value_minor != payment.total_minor:
                raise InvalidInput("El valor confirmado no coincide con el del pago.", code="amount_mismatch",
                                   field="value")  # fmt: skip
            count = await self.state.record_confirmation(
                form["transaction_id"][:64], form["state_pol"][:8], payment.reference, self.now_us()
            )
            await self.refresh(payment.reference, by="confirmation")
            return "OK" if count == 1 else "OK (confirmación repetida, sin efectos)"

    async def browser_return(self, params: Mapping[str, str]) -> PaymentRecord:
        """The member back from the gateway (``responseUrl``): the state is queried, never read from
        the return (COL-19)."""
        reference = params.get("referenceCode") or params.get("reference") or ""
        self.payment(reference)
        return await self.refresh(reference, by="return")

    async def refresh(self, reference: str, *, by: str) -> PaymentRecord:
        """Ask the gateway for the payment's state, move it (forward only), and apply what is due."""
        payment = self.payment(reference)
        if not payment.final:
            found = await self.gateway.transactions_of(reference)
            now_us = self.now_us()
            change: Callable[[PaymentRecord], bool]
            if found is None:  # no answer is not "no order": only the next query time moves

                def change(p: PaymentRecord) -> bool:
                    if p.final:
                        return False
                    p.next_query_us, p.updated_us = logic.next_query_us(p.created_us, now_us), now_us
                    return True

            else:
                txs = [
                    GatewayTx(t.transaction_id, t.state, t.type, t.response_code, t.cus, t.bank, t.amount_minor)
                    for t in found
                ]
                outcome = logic.outcome_of(txs, payment.total_minor)
                for problem in outcome.problems:
                    log.error("collection %s: %s", reference, problem)

                def change(p: PaymentRecord) -> bool:
                    logic.apply_outcome(p, outcome, now_us)
                    p.queries += 1
                    return True

            updated, _ = await self.state.update_payment(reference, change)
            payment = updated or payment
            if payment.final:
                log.info("collection %s is %s (by %s)", reference, payment.state.value, by)
        if payment.state is PayState.APPROVED and any(i.credit_state is CreditState.APPLYING for i in payment.items):
            payment = await self.apply_credits(reference)
        return payment

    async def apply_credits(self, reference: str, *, force: bool = False) -> PaymentRecord:
        """Credit each item of an approved payment at coop, with its one idempotency key (COL-20).
        ``force``: also the items whose retry time has not come (a confirmation, a return)."""
        lock = self._locks[reference]
        try:
            async with lock:
                payment = self.payment(reference)
                now_us = self.now_us()
                for item in payment.items:
                    if item.credit_state is not CreditState.APPLYING:
                        continue
                    if not force and item.next_us is not None and item.next_us > now_us:
                        continue
                    answer = await self.coop.apply_credit(
                        payment.entity,
                        product_id=item.product_id,
                        amount_minor=item.amount_minor,
                        reference=payment.reference,
                        payment_option=item.payment_option,  # type: ignore[arg-type]
                        idempotency_key=logic.credit_key(payment.reference, item.seq),
                        description=f"{logic.DETAIL_PRODUCT} {payment.reference}",
                    )
                    tx_id = answer.value.transaction_id if answer.ok and answer.value is not None else None
                    if answer.outcome == "refused":
                        log.error("collection %s item %d refused by coop: %s", reference, item.seq, answer.error)
                    elif answer.unknown:
                        log.warning("collection %s item %d: coop outcome unknown (%s); retried with the same key",
                                    reference, item.seq, answer.error)  # fmt: skip
                    done_us = self.now_us()
                    seq = item.seq

                    def change(p: PaymentRecord, seq: int = seq, a: CoopAnswer[Any] = answer, t: Any = tx_id,
                               at: int = done_us) -> bool:  # fmt: skip
                        target = next(i for i in p.items if i.seq == seq)
                        before = target.credit_state
                        logic.credit_result(target, a.outcome, now_us=at, transaction_id=t, error=a.error)
                        return before is CreditState.APPLYING

                    await self.state.update_payment(reference, change)
        finally:
            if not lock.locked() and self._locks.get(reference) is lock:
                del self._locks[reference]  # nobody waits on it: do not keep one lock per payment
        return self.payment(reference)

    # -- jobs (the sandbox clock) ------------------------------------------------------------------------------
    async def job_requery(self, now: datetime) -> int:
        """COL-19: payments not final are queried at their time (7 min, then every 12)."""
        done = 0
        for reference in self.state.due_queries(to_epoch_us(now)):
            try:
                await self.refresh(reference, by="job")
                done += 1
            except Exception:  # one payment's trouble never stops the others
                log.exception("requery of collection %s failed", reference)
        return done

    async def job_credits(self, now: datetime) -> int:
        """NET-06: credits whose outcome is unknown are retried with the same key until known."""
        done = 0
        for reference in self.state.due_credits(to_epoch_us(now)):
            try:
                await self.apply_credits(reference)
                done += 1
            except Exception:
                log.exception("credits of collection %s failed", reference)
        return done

    # -- the operator and the reconciliation --------------------------------------------------------------------
    def unapplied(self) -> list[PaymentRecord]:
        return self.state.unapplied()

    def latest(self, limit: int = 100) -> list[PaymentRecord]:
        return self.state.latest(limit)

    def summary(self) -> dict[str, Any]:
        """For ``GET /_sandbox/state``: payments by state, what is unapplied, the latest ten."""
        return {
            "payments_by_state": self.state.counts(),
            "unapplied": [p.reference for p in self.state.unapplied()],
            "latest": [self.view(p) for p in self.state.latest(10)],
        }

    def day_bounds_us(self, day: date) -> tuple[int, int]:
        start = datetime.combine(day, time(0), tzinfo=COLOMBIA).astimezone(UTC)
        return to_epoch_us(start), to_epoch_us(start + timedelta(days=1))

    async def reconcile(self, day: date) -> dict[str, Any]:
        """Issue item 4: for ``day`` (Colombia), per reference, the sum coop credited equals the sum
        PSE approved (the gateway's report of the network's account); every difference named."""
        if not date(2000, 1, 1) <= day <= date(2099, 12, 31):
            raise InvalidInput("La fecha debe estar entre 2000-01-01 y 2099-12-31.", code="invalid_field",
                               field="date")  # fmt: skip
        start_us, end_us = self.day_bounds_us(day)
        payments = self.state.payments_between(start_us, end_us)
        sources: dict[str, str] = {}
        approved: dict[str, int] = defaultdict(int)
        report = await self.gateway.report(day, day)
        sources["gateway"] = "ok" if report is not None else "unavailable"
        for row in report or []:
            if row.type != "REFUND" and row.state == "APPROVED":
                approved[row.reference] += row.amount_minor
        credited: dict[str, int] = defaultdict(int)
        ours = {p.reference for p in payments}
        for entity in self.entities:
            answer = await self.coop.transactions_on(entity, day)
            if not answer.ok or answer.value is None:
                if answer.outcome == "refused" and answer.error == "service_disabled":
                    continue
                sources[f"coop:{entity}"] = "unavailable" if answer.unknown else str(answer.error)
                continue
            sources[f"coop:{entity}"] = "ok"
            for tx in answer.value.transactions:
                ours_or_network = tx.reference in ours or (tx.idempotency_key or "").startswith("recaudo-")
                if tx.kind == "credit" and tx.status in ("applied", "posted") and not tx.reversed and ours_or_network:
                    credited[tx.reference] += tx.amount_minor
        lines = logic.reconcile_lines(
            [(p.reference, p.entity, p.state.value, p.total_minor) for p in payments], approved, credited
        )
        differences = [
            {
                "reference": line.reference,
                "entity": line.entity,
                "state": line.state,
                "approved_minor": line.approved_minor,
                "credited_minor": line.credited_minor,
                "difference_minor": line.difference_minor,
                "message": self._difference_message(line),
            }
            for line in lines
            if line.difference_minor != 0
        ]
        return {
            "date": day.isoformat(),
            "timezone": "America/Bogota",
            "sources": sources,
            "totals": {
                "payments": len(payments),
                "approved_minor": sum(approved.values()),
                "credited_minor": sum(credited.values()),
                "unapplied": sum(len(p.unapplied) for p in payments),
                "stuck": sum(1 for p in payments for i in p.unapplied if logic.needs_operator(i, self.alert_after)),
            },
            "lines": [
                {
                    "reference": line.reference,
                    "entity": line.entity,
                    "state": line.state,
                    "approved_minor": line.approved_minor,
                    "credited_minor": line.credited_minor,
                    "difference_minor": line.difference_minor,
                }
                for line in lines
            ],
            "difference_count": len(differences),
            "differences": differences,
            "generated_at": self.clock.now().isoformat(),
        }

    @staticmethod
    def _difference_message(line: logic.ReferenceLine) -> str:
        if line.credited_minor == 0:
            return "PSE aprobó el pago y la cooperativa no ha abonado nada: revisar en /recaudos/operacion."
        if line.approved_minor == 0:
            return "La cooperativa abonó un pago que PSE no aprobó."
        if line.credited_minor < line.approved_minor:
            return "La cooperativa abonó menos de lo aprobado: hay productos sin abonar."
        return "La cooperativa abonó más de lo aprobado."

    # -- views -----------------------------------------------------------------------------------------------
    def view(self, payment: PaymentRecord) -> dict[str, Any]:
        """A payment as the JSON API and the receipt show it (amounts as decimal strings)."""
        from sandbox.kit.money import format_amount

        def when(us: int | None) -> str | None:
            return None if us is None else datetime.fromtimestamp(us / 1_000_000, UTC).isoformat()

        return {
            "reference": payment.reference,
            "product": logic.DETAIL_PRODUCT,
            "entity": payment.entity,
            "member": payment.member_name,
            "payer": {
                "different": bool(payment.payer.get("different")),
                "name": f"{payment.payer.get('first_names', '')} {payment.payer.get('last_names', '')}".strip(),
                "document_type": payment.payer.get("document_type"),
            },
            "description": payment.description,
            "state": payment.state.value,
            "total": format_amount(payment.total_minor, payment.currency),
            "currency": payment.currency,
            "cus": payment.cus,
            "bank": payment.bank,
            "response_code": payment.response_code,
            "gateway_transaction_id": payment.gateway_transaction_id,
            "created_at": when(payment.created_us),
            "final_at": when(payment.final_us),
            "next_query_at": when(payment.next_query_us),
            "queries": payment.queries,
            "items": [
                {
                    "seq": i.seq,
                    "product": i.label,
                    "type": i.product_type,
                    "payment_option": i.payment_option,
                    "amount": format_amount(i.amount_minor, payment.currency),
                    "credit_state": i.credit_state.value,
                    "coop_transaction_id": i.coop_transaction_id,
                    "attempts": i.attempts,
                    "last_error": i.last_error,
                    "next_retry_at": when(i.next_us),
                    "stuck": payment.state is PayState.APPROVED and logic.needs_operator(i, self.alert_after),
                }
                for i in payment.items
            ],
            "confirmations": [
                {"transaction_id": c["transaction_id"], "state_pol": c["state_pol"], "count": c["count"]}
                for c in self.state.confirmations_of(payment.reference)
            ],
            "applied": payment.state is PayState.APPROVED
            and all(i.credit_state is CreditState.APPLIED for i in payment.items),
        }
