"""PSE debits at Banco Cooperativo Coopcentral (1066): the use cases of the switch's bank front.

The screens of the seed (``pse-payment-guide-alianza.txt``), in order, and what each step does:

1. **Front** (``start``): ACH's "Ir al Banco" lands with the CUS; the switch reads the transaction
   from ACH's bank-side API (``GetTransactionInformation``, as bank 1066 with its ``ach_secret``)
   and keeps one row per CUS.
2. **Document** (``identify``, PSE-04) → **entities** where that document has active products
   that may be debited, asked from coop per entity (PSE-05) → **entity** chosen.
3. **Network portal** (``login``, PSE-06): user name, then password (scrypt hashes,
   :mod:`.portal`); failures throttled, then the user locked.
4. **Accounts** of the chosen entity that may be debited, summary, "Pagar" (``pay``, PSE-07):
   the network's caps and frequency (:mod:`reference_impl.core.limits`, counted in the same
   transaction as the attempt), then a debit authorization at coop. A decline names its reason
   and lets the member choose another account (PSE-08); none left → NOT_AUTHORIZED to ACH (PSE-09).
5. **OTP** to the member's e-mail and mobile through notify (``confirm``, PSE-10; NET-04, NET-07:
   5 minutes, single use, 5 attempts, bound to the merchant, the amount and the account).
6. **Post** the debit at coop exactly once (PSE-12), OK to ACH with an authorization id, summary
   with the way back to the merchant (PSE-11).

Exactly once (PSE-12): every step is a conditional update of the CUS's row (its ``version``); a
second "Pagar" or "Confirmar" finds the row already moved and shows where it is. Every call to coop
that moves money carries an idempotency key derived from the CUS (``pse1066:<cus>:<seq>`` for an
authorization, ``…:post``, ``…:void:<seq>``, ``…:reverse``), so a retry after a timeout gets the
first answer (NET-06): a post without an answer stays ``posting`` and the ``pse1066.coop_sync`` job
posts again with the same key until coop answers; an authorization without an answer is asked
again with its key and voided (``pse1066.attempts``). ACH not answering the confirmation: the
``pse1066.ach_confirmations`` job sends it again (30 s, 60 s, … 10 min). ACH refusing an OK for
good (the transaction already ended): the debit is reversed at coop. So a debit posted at coop and
an OK at ACH always end up agreeing (:mod:`.reconciliation` shows it).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, tzinfo
from typing import Any, Final

from sqlalchemy import Connection

from reference_impl.core.errors import Decline, DomainError, OtpLocked, OtpUsed
from reference_impl.core.instants import calendar_day, from_epoch_us
from reference_impl.core.limits import LimitCounter, check_debit, refund_debit
from reference_impl.core.otp import binding_digest, is_well_formed
from reference_impl.flows.pse_bank import reconciliation
from reference_impl.flows.pse_bank.logic import (
    RELOGIN,
    Attempt,
    AttemptOutcome,
    Document,
    LoginState,
    PaymentStatus,
    PsePayment,
    Refusal,
    close,
    decide_login,
    declined_codes,
    effective_policy,
    is_debitable,
    login_failed,
    login_message,
    login_succeeded,
    may_log_in,
    move,
    parse_document,
    reason_message,
    reason_short,
    remaining,
    retry_delay_s,
)
from reference_impl.flows.pse_bank.portal import PortalDirectory, PortalUser
from reference_impl.flows.pse_bank.state import PseState
from reference_impl.peers.ach import AchBankPeer
from reference_impl.peers.coop import CoopPeer, CoopProduct
from reference_impl.peers.notify import NotifyPeer
from reference_impl.store.limits import LimitPolicies
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.clock import Clock, to_us
from sandbox.kit.masking import mask_email, mask_mobile
from sandbox.kit.money import format_amount, format_display, parse_amount
from sandbox.world.model import World

log = logging.getLogger("reference_impl.pse_bank")

#: Behaviour-rule operations of the 1066 flow and the fields each exposes (docs/magic-values.md).
OPERATIONS: Final[dict[str, set[str]]] = {
    "pse1066.login": {"username", "entity"},
    "pse1066.authorize": {"cus", "entity", "product_type", "entityCode"},
}
BATCH: Final = 100
S = PaymentStatus


@dataclass(frozen=True, slots=True)
class PseSettings:
    bank_code: str
    tz: tzinfo
    #: A payment still open this long after it landed is cancelled (NOT_AUTHORIZED to ACH, its
    #: authorization voided), before ACH gives it up as abandoned (20 minutes).
    abandon_after_s: int = 15 * 60
    #: A post, void or reversal coop has not acknowledged after this many tries is listed for the
    #: operator (``GET /pse/v1/coop-sync``, ``/pse/pendientes-cooperativa``) and is a difference of
    #: the day's reconciliation; the switch keeps trying (the switch's ``issuer_alert_after``).
    coop_alert_after: int = 8


class PsePageError(Exception):
    """A page cannot go on: HTTP status, Spanish heading and text, and the way back if known."""

    def __init__(self, status: int, heading: str, text: str, back_url: str | None = None) -> None:
        super().__init__(text)
        self.status, self.heading, self.text, self.back_url = status, heading, text, back_url


class NeedsLogin(Exception):
    """The browser has no session for this CUS: back to the portal login."""


@dataclass(frozen=True, slots=True)
class Account:
    product_id: str
    type: str
    type_name: str
    masked: str
    available_minor: int
    declined: str | None  # the reason it already declined this payment

    @property
    def declined_text(self) -> str:
        return reason_short(self.declined)


def session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _authorization_id() -> str:
    return str(10_000_000 + secrets.randbelow(90_000_000))


class PseBankService:
    def __init__(
        self,
        *,
        state: PseState,
        coop: CoopPeer,
        ach: AchBankPeer,
        notify: NotifyPeer,
        portal: PortalDirectory,
        policies: LimitPolicies,
        clock: Clock,
        behaviour: Behaviour,
        world: World,
        settings: PseSettings,
    ) -> None:
        self.state = state
        self.coop = coop
        self.ach = ach
        self.notify = notify
        self.portal = portal
        self.policies = policies
        self.clock = clock
        self.behaviour = behaviour
        self.world = world
        self.settings = settings
        self._entities = {e.code: e for e in world.entities if e.pse_debit_enabled and e.country == "CO"}

    # -- helpers -------------------------------------------------------------------------------------
    async def _run(self, work: Any) -> Any:
        return await asyncio.to_thread(self.state.run, work)

    async def get(self, cus: str) -> PsePayment | None:
        found: PsePayment | None = await asyncio.to_thread(
            self.state.read, lambda conn: self.state.payments.get(conn, cus)
        )
        return found

    async def attempts(self, cus: str) -> list[Attempt]:
        found: list[Attempt] = await asyncio.to_thread(
            self.state.read, lambda conn: self.state.payments.attempts(conn, cus)
        )
        return found

    def entity_name(self, code: str | None) -> str:
        entity = self.world.entity(code or "")
        return entity.name if entity else (code or "")

    def _page_error(self, payment: PsePayment | None, status: int, heading: str, text: str) -> PsePageError:
        return PsePageError(status, heading, text, payment.entity_url if payment else None)

    async def require(self, cus: str) -> PsePayment:
        payment = await self.get(cus)
        if payment is None:
            raise PsePageError(404, "Transacción no encontrada", f"No conocemos la transacción {cus}.")
        return payment

    async def with_session(self, cus: str, token: str | None) -> PsePayment:
        """The payment, if this browser logged in to the portal for it."""
        payment = await self.require(cus)
        if payment.session_hash is None or token is None:
            raise NeedsLogin(cus)
        if not hmac.compare_digest(payment.session_hash, session_hash(token)):
            raise NeedsLogin(cus)
        return payment

    # -- 1. the front ----------------------------------------------------------------------------------
    async def start(self, cus: str) -> PsePayment:
        """The CUS's payment; read from ACH the first time it lands here."""
        if not cus.isdigit() or len(cus) > 20:
            raise PsePageError(404, "Transacción no encontrada", "El código CUS no es válido.")
        existing = await self.get(cus)
        if existing is not None:
            return existing
        if not self.ach.has_credential:
            raise PsePageError(
                503, "Banco sin conexión a PSE", "El banco 1066 no tiene credencial ante ACH en el mundo."
            )
        answer = await self.ach.information(cus)
        if not answer.reachable:
            raise PsePageError(
                503, "PSE no responde", "No pudimos consultar la transacción en PSE. Intente de nuevo en un momento."
            )
        if not answer.ok:
            raise PsePageError(
                404, "Transacción no encontrada", f"PSE no reconoce la transacción {cus} ({answer.code})."
            )
        info = answer.body
        back = str(info.get("entityurl") or "") or None
        if info.get("transactionState") != "PENDING":
            raise PsePageError(
                409,
                "La transacción ya no está pendiente",
                f"PSE informa la transacción {cus} en estado {info.get('transactionState')}.",
                back,
            )
        now_us = self.clock.now_us()
        payment = PsePayment(
            cus=cus,
            ach_entity_code=str(info["entityCode"]),
            ach_entity_name=str(info.get("entityName") or info["entityCode"])[:120],
            entity_url=(back or "")[:300],
            ticket_id=int(info["ticketId"]),
            description=str(info.get("paymentDescription") or "")[:200],
            value_minor=parse_amount(str(info["transactionValue"]), "COP"),
            vat_minor=parse_amount(str(info.get("vatValue") or "0"), "COP"),
            solicite_date=str(info["soliciteDate"]),
            status=S.STARTED.value,
            reason_code=None,
            document_type=None,
            document_number=None,
            candidates=None,
            entity=None,
            member_id=None,
            username=None,
            session_hash=None,
            attempt_seq=0,
            debit_id=None,
            product_id=None,
            product_masked=None,
            product_type=None,
            transaction_id=None,
            authorization_id=None,
            ach_report=None,
            ach_sync="none",
            ach_attempts=0,
            ach_next_us=None,
            ach_result=None,
            coop_sync="none",
            coop_attempts=0,
            coop_next_us=None,
            coop_result=None,
            created_us=now_us,
            updated_us=now_us,
            resolved_us=None,
            version=0,
        )

        def work(conn: Connection) -> PsePayment:
            found = self.state.payments.get(conn, cus, lock=True)
            if found is not None:
                return found  # another tab landed first
            self.state.payments.insert(conn, payment)
            return payment

        stored: PsePayment = await self._run(work)
        return stored

    # -- 2. document and entities (PSE-04, PSE-05) -------------------------------------------------------
    async def identify(self, cus: str, document_type: str, document_number: str) -> PsePayment | Refusal:
        payment = await self.require(cus)
        if payment.state not in (S.STARTED, S.IDENTIFIED):
            return payment
        document = parse_document(document_type, document_number)
        if isinstance(document, Refusal):
            return document
        candidates = await self._entities_of(document)
        if candidates is None:
            raise self._page_error(payment, 503, "Las cooperativas no responden",
                                   "No pudimos consultar sus productos. Intente de nuevo en un momento.")  # fmt: skip
        now_us = self.clock.now_us()

        def work(conn: Connection) -> PsePayment:
            current = self.state.payments.get(conn, cus, lock=True)
            assert current is not None
            if current.state not in (S.STARTED, S.IDENTIFIED):
                return current
            after = move(current, S.IDENTIFIED, now_us, document_type=document.type,
                         document_number=document.number, candidates=",".join(candidates), entity=None)  # fmt: skip
            return self.state.payments.update(conn, current, after)

        updated: PsePayment = await self._run(work)
        return updated

    async def _entities_of(self, document: Document) -> list[str] | None:
        """Entities where the document has an active product that may be debited (PSE-05), in the
        world's order; None when none was found and some entity did not answer (a core down for a
        moment): the member is asked to try again, never told they have nothing to pay with."""

        async def one(code: str) -> tuple[str, bool | None]:
            member = await self.coop.lookup(code, document.type, document.number)
            if member.outcome == "refused":
                return code, False
            if not member.ok or member.value is None:
                return code, None
            products = await self.coop.products(code, member.value.member_id)
            if not products.ok or products.value is None:
                return code, None
            return code, any(is_debitable(p.status, p.pse_debit, p.currency) for p in products.value.products)

        results = await asyncio.gather(*(one(code) for code in self._entities))
        if not any(found for _, found in results) and any(found is None for _, found in results):
            return None
        return [code for code, found in results if found]

    async def choose_entity(self, cus: str, entity: str) -> PsePayment | Refusal:
        payment = await self.require(cus)
        if payment.state is not S.IDENTIFIED:
            return payment
        if entity not in payment.entities:
            return Refusal("invalid_entity", "Elija una de las entidades de la lista.", "entidad")
        now_us = self.clock.now_us()

        def work(conn: Connection) -> PsePayment:
            current = self.state.payments.get(conn, cus, lock=True)
            assert current is not None
            if current.state is not S.IDENTIFIED:
                return current
            return self.state.payments.update(conn, current, move(current, S.IDENTIFIED, now_us, entity=entity))

        updated: PsePayment = await self._run(work)
        return updated

    # -- 3. the network portal (PSE-06) ------------------------------------------------------------------
    async def login(self, cus: str, username: str, password: str) -> tuple[PsePayment, str] | Refusal:
        """Check the portal user; on success the browser's session token for this CUS."""
        payment = await self.require(cus)
        if not may_log_in(payment) or payment.entity is None:
            return Refusal("login_not_expected", "Primero indique su documento y su entidad.", "usuario")
        name = username.strip().lower()
        if not name:
            return Refusal("username_missing", "Escriba su usuario.", "usuario")
        if not password:
            return Refusal("password_missing", "Escriba su clave.", "clave")
        now_us = self.clock.now_us()
        state: LoginState | None = await asyncio.to_thread(
            self.state.read, lambda conn: self.state.payments.login(conn, name[:64])
        )
        decision = decide_login(state, now_us)
        if not decision.allowed:
            return Refusal(decision.code or "login_refused", login_message(decision), "clave")
        user = await asyncio.to_thread(self.portal.check, name, password)
        if user is not None and (user.document_type, user.document_number) != (
            payment.document_type,
            payment.document_number,
        ):
            user = None  # a portal user of another member: as wrong as a wrong password
        async with self.behaviour.at("pse1066.login", {"username": name, "entity": payment.entity}) as forced:
            if forced.decline:
                user = None
        member_id = None
        if user is not None:
            member = await self.coop.lookup(payment.entity, user.document_type, user.document_number)
            if not member.ok or member.value is None:
                raise self._page_error(
                    payment,
                    503,
                    "Su cooperativa no responde",
                    "No pudimos consultar su vínculo con la cooperativa. Intente de nuevo.",
                )
            member_id = member.value.member_id
        token = secrets.token_urlsafe(24)

        def work(conn: Connection) -> PsePayment | Refusal:
            before = self.state.payments.login(conn, name[:64])
            again = decide_login(before, now_us)
            if not again.allowed:
                return Refusal(again.code or "login_refused", login_message(again), "clave")
            if user is None:
                after = login_failed(before, name[:64], now_us)
                self.state.payments.save_login(conn, before, after)
                if after.locked:
                    return Refusal("login_locked", login_message(decide_login(after, now_us)), "clave")
                return Refusal("login_failed", "Usuario o clave incorrectos.", "clave")
            self.state.payments.save_login(conn, before, login_succeeded(before, name[:64]))
            current = self.state.payments.get(conn, cus, lock=True)
            assert current is not None
            if current.state is S.IDENTIFIED:
                after_payment = move(current, S.AUTHENTICATED, now_us, username=user.username, member_id=member_id,
                                     session_hash=session_hash(token))  # fmt: skip
            elif current.state in RELOGIN:  # a re-login takes the payment over: the earlier session ends
                after_payment = move(current, current.state, now_us, session_hash=session_hash(token))
            else:
                return current
            return self.state.payments.update(conn, current, after_payment)

        result: PsePayment | Refusal = await self._run(work)
        if isinstance(result, Refusal):
            return result
        if result.session_hash != session_hash(token):
            return Refusal("already_logged_in", "Este pago ya se está pagando en otra ventana.", "usuario")
        return result, token

    # -- 4. accounts, "Pagar" (PSE-07, PSE-08, PSE-09, PSE-12) --------------------------------------------
    async def _products(self, payment: PsePayment) -> list[CoopProduct]:
        assert payment.entity is not None
        assert payment.member_id is not None
        answer = await self.coop.products(payment.entity, payment.member_id)
        if not answer.ok or answer.value is None:
            raise self._page_error(payment, 503, "Su cooperativa no responde",
                                   "No pudimos consultar sus cuentas. Intente de nuevo en un momento.")  # fmt: skip
        return [p for p in answer.value.products if is_debitable(p.status, p.pse_debit, p.currency)]

    async def accounts(self, payment: PsePayment) -> list[Account]:
        """The chosen entity's accounts and credit lines that may be debited, each with the reason
        it already declined this payment, if it did."""
        products = await self._products(payment)
        declined = {a.product_id: a.reason_code for a in await self.attempts(payment.cus) if a.outcome == "declined"}
        return [
            Account(p.product_id, p.type, p.type_name, p.number_masked, p.available_minor, declined.get(p.product_id))
            for p in products
        ]

    async def pay(self, cus: str, token: str | None, product_id: str) -> tuple[PsePayment, Refusal | None]:
        """ "Pagar" with one account: network limits, then a debit authorization at coop."""
        payment = await self.with_session(cus, token)
        if payment.state is not S.AUTHENTICATED:
            return payment, None  # a second click: the first one is under way or done
        products = await self._products(payment)
        offered = [p.product_id for p in products]
        product = next((p for p in products if p.product_id == product_id), None)
        if product is None:
            return payment, Refusal("product_not_offered", reason_message("product_not_offered"), "producto")
        assert payment.entity is not None
        entity = payment.entity
        policy = effective_policy(
            self.policies.policy_for(entity, product.type),
            product.caps.per_transaction_max_minor,
            product.caps.per_day_max_minor,
            product.caps.per_day_count,
        )
        now_us = self.clock.now_us()
        day = calendar_day(now_us, self.settings.tz)
        subject = f"{entity}:{product.product_id}"
        fields = {"cus": cus, "entity": entity, "product_type": product.type, "entityCode": payment.ach_entity_code}
        forced = self.behaviour.forcing("pse1066.authorize", fields, amount_minor=payment.value_minor)

        def phase_a(conn: Connection) -> tuple[PsePayment, Attempt | None, Refusal | None]:
            current = self.state.payments.get(conn, cus, lock=True)
            assert current is not None
            if current.state is not S.AUTHENTICATED:
                return current, None, None
            attempts = self.state.payments.attempts(conn, cus)
            declined = declined_codes([(a.product_id, a.outcome) for a in attempts])
            if product.product_id in declined:
                return current, None, Refusal("product_declined", reason_message("product_declined"), "producto")
            seq = current.attempt_seq + 1
            attempt = Attempt(cus, seq, entity, product.product_id, product.type, product.number_masked,
                              current.value_minor, AttemptOutcome.PENDING.value, None, None, None, None, "none", 0,
                              None, now_us, None)  # fmt: skip
            refusal: str | None = forced.decline
            before = after = None
            if refusal is None:
                before = self.state.counters.load_one(conn, subject, day)
                try:
                    after = check_debit(policy, before or LimitCounter(subject, day), current.value_minor, None)
                except Decline as exc:
                    refusal = exc.code
            if refusal is not None:
                attempt = replace(attempt, outcome=AttemptOutcome.DECLINED.value, reason_code=refusal,
                                  resolved_us=now_us)  # fmt: skip
                self.state.payments.insert_attempt(conn, attempt)
                moved = move(current, S.AUTHENTICATED, now_us, attempt_seq=seq, reason_code=refusal)
                if not remaining(offered, [*declined, product.product_id]):
                    moved = close(moved, S.DECLINED, "no_accounts_left", now_us)
                return (
                    self.state.payments.update(conn, current, moved),
                    None,
                    Refusal(refusal, reason_message(refusal), "producto"),
                )
            assert after is not None
            self.state.counters.write(conn, before, after)
            attempt = replace(attempt, limit_subject=subject, limit_day=day)
            self.state.payments.insert_attempt(conn, attempt)
            moved = move(current, S.AUTHORIZING, now_us, attempt_seq=seq, product_id=product.product_id,
                         product_masked=product.number_masked, product_type=product.type, reason_code=None)  # fmt: skip
            return self.state.payments.update(conn, current, moved), attempt, None

        payment, attempt, refusal = await self._run(phase_a)
        if attempt is None:
            if payment.state is S.DECLINED:
                await self.deliver(cus)
            return payment, refusal
        answer = await self.coop.authorize_debit(
            entity,
            product_id=product.product_id,
            amount_minor=attempt.amount_minor,
            reference=payment.reference,
            idempotency_key=attempt.idempotency_key,
            description=self._debit_description(payment),
        )
        now_us = self.clock.now_us()

        def phase_b(conn: Connection) -> tuple[PsePayment, Refusal | None]:
            current = self.state.payments.get(conn, cus, lock=True)
            row = self.state.payments.attempt(conn, cus, attempt.seq)
            assert current is not None
            assert row is not None
            if answer.ok and answer.value is not None:
                debit = answer.value
                self.state.payments.update_attempt(conn, row, replace(row, outcome=AttemptOutcome.AUTHORIZED.value,
                                                                     debit_id=debit.debit_id))  # fmt: skip
                if current.state is not S.AUTHORIZING or current.attempt_seq != attempt.seq:
                    # the payment moved on meanwhile (cancelled, abandoned): release this hold
                    self.state.payments.update_attempt(
                        conn,
                        replace(row, outcome=AttemptOutcome.AUTHORIZED.value, debit_id=debit.debit_id),
                        replace(row, outcome=AttemptOutcome.AUTHORIZED.value, debit_id=debit.debit_id, sync="void",
                                sync_next_us=now_us),
                    )  # fmt: skip
                    return current, None
                moved = move(current, S.AUTHORIZED, now_us, debit_id=debit.debit_id)
                return self.state.payments.update(conn, current, moved), None
            code = answer.error or "coop_unavailable"
            if answer.unknown:
                code = "coop_timeout" if code == "coop_timeout" else "coop_unavailable"
                new_row = replace(row, outcome=AttemptOutcome.UNKNOWN.value, reason_code=code, sync="resolve",
                                  sync_next_us=now_us, resolved_us=now_us)  # fmt: skip
            else:
                new_row = replace(row, outcome=AttemptOutcome.DECLINED.value, reason_code=code, resolved_us=now_us)
            self.state.payments.update_attempt(conn, row, new_row)
            self._refund(conn, row, now_us)
            if current.state is not S.AUTHORIZING or current.attempt_seq != attempt.seq:
                return current, Refusal(code, reason_message(code), "producto")
            moved = move(current, S.AUTHENTICATED, now_us, reason_code=code, product_id=None, product_masked=None,
                         product_type=None)  # fmt: skip
            attempts = self.state.payments.attempts(conn, cus)
            if not remaining(offered, declined_codes([(a.product_id, a.outcome) for a in attempts])):
                moved = close(moved, S.DECLINED, "no_accounts_left", now_us)
            return self.state.payments.update(conn, current, moved), Refusal(code, reason_message(code), "producto")

        payment, refusal = await self._run(phase_b)
        if payment.state is S.AUTHORIZED:
            await self._send_otp(payment)
        elif payment.state is S.DECLINED:
            await self.deliver(cus)
        if answer.unknown:
            await self.sync_attempts(now_us)
        return payment, refusal

    def _refund(self, conn: Connection, attempt: Attempt, now_us: int) -> None:
        """Give the limits back: the debit of this attempt will not happen."""
        if attempt.limit_subject is None or attempt.limit_day is None:
            return
        before = self.state.counters.load_one(conn, attempt.limit_subject, attempt.limit_day)
        if before is not None:
            self.state.counters.write(conn, before, refund_debit(before, attempt.amount_minor))

    def _debit_description(self, payment: PsePayment) -> str:
        return f"Pago PSE {payment.ach_entity_name} CUS {payment.cus}"[:140]

    # -- 5. the security code (PSE-10, NET-04, NET-07) ---------------------------------------------------
    def _otp_ref(self, payment: PsePayment) -> str:
        return f"pse1066:{payment.cus}"

    def _binding(self, payment: PsePayment) -> str:
        """What the code authorizes: this merchant, this amount, this account, this CUS."""
        return binding_digest({"merchant": payment.ach_entity_code, "amount_minor": payment.value_minor,
                               "vat_minor": payment.vat_minor, "cus": payment.cus,
                               "product": payment.product_id or "", "debit": payment.debit_id or ""})  # fmt: skip

    def contact(self, payment: PsePayment) -> PortalUser | None:
        return self.portal.user(payment.username or "")

    def destinations(self, payment: PsePayment) -> dict[str, str]:
        user = self.contact(payment)
        if user is None:
            return {}
        return {"email": mask_email(user.email), "mobile": mask_mobile(user.mobile)}

    async def _send_otp(self, payment: PsePayment) -> Refusal | None:
        try:
            issued = await asyncio.to_thread(
                self.state.otp.issue_otp, self._otp_ref(payment), self.clock.now_us(), binding=self._binding(payment)
            )
        except DomainError as exc:
            return Refusal(exc.code, _otp_message(exc), "codigo")
        user = self.contact(payment)
        if user is None:
            return Refusal("no_contact", "El portal no tiene datos de contacto para enviar el código.", "codigo")
        value = format_display(payment.value_minor, "COP")
        text = (
            f"Banco Cooperativo Coopcentral: su código de seguridad para pagar {value} a "
            f"{payment.ach_entity_name} es {{secret}}. Vence en 5 minutos. No lo comparta."
        )
        messages = [
            {"channel": "sms", "to": user.mobile, "text": text, "secret": issued.code, "kind": "otp",
             "reference": payment.cus},
            {"channel": "email", "to": user.email, "subject": "Código de seguridad de su pago PSE", "text": text,
             "secret": issued.code, "kind": "otp", "reference": payment.cus},
        ]  # fmt: skip
        sent = await asyncio.gather(*(self.notify.send(m) for m in messages))
        if not any(sent):
            return Refusal("otp_not_sent", "No pudimos enviar el código de seguridad. Pida uno nuevo.", "codigo")
        return None

    async def resend(self, cus: str, token: str | None) -> tuple[PsePayment, Refusal | None]:
        payment = await self.with_session(cus, token)
        if payment.state is not S.AUTHORIZED:
            return payment, None
        return payment, await self._send_otp(payment)

    async def confirm(self, cus: str, token: str | None, code: str) -> tuple[PsePayment, Refusal | None]:
        """The security code: verified once, then the debit posted at coop exactly once."""
        payment = await self.with_session(cus, token)
        if payment.state is not S.AUTHORIZED:
            return payment, None  # another tab or click got here first
        code = code.strip()
        if not is_well_formed(code):
            return payment, Refusal("invalid_code", "El código de seguridad tiene 6 dígitos.", "codigo")
        now_us = self.clock.now_us()
        ref, binding = self._otp_ref(payment), self._binding(payment)

        def work(conn: Connection) -> tuple[PsePayment, DomainError | bool]:
            current = self.state.payments.get(conn, cus, lock=True)
            assert current is not None
            if current.state is not S.AUTHORIZED:
                return current, False  # another tab confirmed (or cancelled) first: it posts, not this one
            # the code's use and the payment's move commit together: a second tab finds both
            refused = self.state.otp.verify_in(conn, ref, code, now_us, binding=binding)
            if isinstance(refused, OtpLocked):
                moved = close(current, S.DECLINED, "otp_locked", now_us)
                moved = replace(moved, coop_sync="void", coop_next_us=now_us, coop_attempts=0)
                return self.state.payments.update(conn, current, moved), refused
            if refused is not None:
                return current, refused
            moved = move(current, S.POSTING, now_us, coop_sync="post", coop_next_us=now_us, coop_attempts=0,
                         authorization_id=_authorization_id())  # fmt: skip
            return self.state.payments.update(conn, current, moved), True

        try:
            payment, refused = await self._run(work)
        except OtpUsed:
            return await self.require(cus), None
        except DomainError as exc:  # expired, not found, binding mismatch: nothing written
            return payment, Refusal(exc.code, _otp_message(exc), "codigo")
        if refused is False:
            return payment, None
        if isinstance(refused, DomainError):
            if payment.coop_sync == "void":
                payment = await self._void(payment)
            if payment.ach_sync == "due":
                await self.deliver(cus)
                payment = await self.require(cus)
            return payment, Refusal(refused.code, _otp_message(refused), "codigo")
        if payment.state is S.POSTING:
            payment = await self._post(payment)
        return payment, None

    # -- 6. post, void, reverse at coop (PSE-12, NET-06) -------------------------------------------------
    async def _post(self, payment: PsePayment) -> PsePayment:
        assert payment.entity is not None
        assert payment.debit_id is not None
        answer = await self.coop.post_debit(
            payment.entity, payment.debit_id, idempotency_key=f"{payment.idempotency_base}:post"
        )
        now_us = self.clock.now_us()
        transaction_id: str | None = None
        outcome: str
        if answer.ok and answer.value is not None:
            outcome, transaction_id = "posted", answer.value.transaction_id
        elif answer.outcome == "refused" and answer.error == "already_posted":
            outcome = "posted"
            found = await self.coop.transactions_by_reference(payment.entity, payment.reference)
            if found.ok and found.value:
                transaction_id = next((t.transaction_id for t in found.value if t.kind == "debit"), None)
        elif answer.outcome == "refused":
            outcome = "gone"  # hold_expired, already_voided, not found: nothing was debited
        else:
            outcome = "unknown"

        def work(conn: Connection) -> PsePayment:
            current = self.state.payments.get(conn, payment.cus, lock=True)
            assert current is not None
            if current.state is not S.POSTING or current.coop_sync != "post":
                return current
            if outcome == "unknown":
                attempts = current.coop_attempts + 1
                moved = replace(
                    current,
                    coop_attempts=attempts,
                    coop_result=answer.error,
                    coop_next_us=now_us + retry_delay_s(attempts) * 1_000_000,
                    updated_us=now_us,
                )
                return self.state.payments.update(conn, current, moved)
            row = self.state.payments.attempt(conn, current.cus, current.attempt_seq)
            if outcome == "posted":
                moved = close(current, S.APPROVED, None, now_us)
                moved = replace(moved, transaction_id=transaction_id, coop_sync="none", coop_next_us=None,
                                coop_result="posted")  # fmt: skip
                if row is not None:
                    self.state.payments.update_attempt(conn, row, replace(row, outcome=AttemptOutcome.POSTED.value))
            else:
                moved = close(current, S.DECLINED, answer.error or "hold_expired", now_us)
                moved = replace(moved, coop_sync="none", coop_next_us=None, coop_result=answer.error)
                if row is not None:
                    self.state.payments.update_attempt(conn, row, replace(row, outcome=AttemptOutcome.VOIDED.value))
                    self._refund(conn, row, now_us)
            return self.state.payments.update(conn, current, moved)

        updated: PsePayment = await self._run(work)
        if updated.final and updated.ach_sync == "due":
            await self.deliver(updated.cus)
            updated = await self.require(updated.cus)
        return updated

    async def _void(self, payment: PsePayment) -> PsePayment:
        """Release the payment's authorization at coop (cancelled, OTP locked, abandoned)."""
        assert payment.entity is not None
        assert payment.debit_id is not None
        answer = await self.coop.void_debit(
            payment.entity, payment.debit_id, idempotency_key=f"{payment.idempotency_base}:void:{payment.attempt_seq}"
        )
        now_us = self.clock.now_us()

        def work(conn: Connection) -> PsePayment:
            current = self.state.payments.get(conn, payment.cus, lock=True)
            assert current is not None
            if current.coop_sync != "void":
                return current
            if answer.unknown:
                attempts = current.coop_attempts + 1
                moved = replace(current, coop_attempts=attempts, coop_result=answer.error,
                                coop_next_us=now_us + retry_delay_s(attempts) * 1_000_000)  # fmt: skip
                return self.state.payments.update(conn, current, moved)
            if answer.outcome == "refused" and answer.error == "already_posted":
                log.error("CUS %s: coop says the debit %s was posted while voiding it", current.cus, current.debit_id)
            row = self.state.payments.attempt(conn, current.cus, current.attempt_seq)
            if row is not None and row.outcome == AttemptOutcome.AUTHORIZED.value:
                self.state.payments.update_attempt(conn, row, replace(row, outcome=AttemptOutcome.VOIDED.value))
                self._refund(conn, row, now_us)
            moved = replace(current, coop_sync="none", coop_next_us=None,
                            coop_result="voided" if answer.ok else answer.error)  # fmt: skip
            return self.state.payments.update(conn, current, moved)

        updated: PsePayment = await self._run(work)
        return updated

    async def _reverse(self, payment: PsePayment) -> PsePayment:
        """ACH refused the OK for good: give the member's money back at coop (NET-06)."""
        assert payment.entity is not None
        now_us = self.clock.now_us()
        transaction_id = payment.transaction_id
        if transaction_id is None:
            found = await self.coop.transactions_by_reference(payment.entity, payment.reference)
            txn = next((t for t in (found.value or ()) if t.kind == "debit"), None) if found.ok else None
            transaction_id = None if txn is None else txn.transaction_id
        answer = None
        if transaction_id is not None:
            answer = await self.coop.reverse(
                payment.entity, transaction_id, reason="ach_refused",
                idempotency_key=f"{payment.idempotency_base}:reverse", reference=payment.reference,
            )  # fmt: skip
        done = answer is not None and (answer.ok or answer.error == "already_reversed")

        def work(conn: Connection) -> PsePayment:
            current = self.state.payments.get(conn, payment.cus, lock=True)
            assert current is not None
            if current.coop_sync != "reverse":
                return current
            if not done:
                attempts = current.coop_attempts + 1
                moved = replace(current, coop_attempts=attempts, coop_result=answer.error if answer else "not_found",
                                coop_next_us=now_us + retry_delay_s(attempts) * 1_000_000)  # fmt: skip
                return self.state.payments.update(conn, current, moved)
            # the money is back: ACH now learns NOT_AUTHORIZED, so the merchant may offer another try
            moved = move(current, S.REVERSED, now_us, coop_sync="none", coop_next_us=None, coop_result="reversed",
                         reason_code="ach_refused", transaction_id=transaction_id, ach_report="NOT_AUTHORIZED",
                         ach_sync="due", ach_next_us=now_us, ach_attempts=0)  # fmt: skip
            return self.state.payments.update(conn, current, moved)

        updated: PsePayment = await self._run(work)
        if updated.state is S.REVERSED and updated.ach_sync == "due":
            await self.deliver(updated.cus)
            updated = await self.require(updated.cus)
        return updated

    # -- cancel, abandon ----------------------------------------------------------------------------------
    async def cancel(self, cus: str, token: str | None) -> PsePayment:
        """ "Cancelar": NOT_AUTHORIZED to ACH, the authorization released (the member goes back to the
        merchant, who may try again at once). After the login only the logged-in browser may."""
        payment = await self.require(cus)
        if payment.session_hash is not None:
            payment = await self.with_session(cus, token)
        if payment.state in (S.POSTING, S.AUTHORIZING) or payment.final:
            return payment
        return await self._end(cus, "cancelled")

    async def _end(self, cus: str, reason: str) -> PsePayment:
        now_us = self.clock.now_us()

        def work(conn: Connection) -> PsePayment:
            current = self.state.payments.get(conn, cus, lock=True)
            assert current is not None
            if current.final or current.state in (S.POSTING, S.AUTHORIZING):
                return current
            moved = close(current, S.DECLINED, reason, now_us)
            if current.state is S.AUTHORIZED:
                moved = replace(moved, coop_sync="void", coop_next_us=now_us, coop_attempts=0)
            return self.state.payments.update(conn, current, moved)

        payment: PsePayment = await self._run(work)
        if payment.coop_sync == "void":
            payment = await self._void(payment)
        if payment.ach_sync == "due":
            await self.deliver(cus)
            payment = await self.require(cus)
        return payment

    # -- ACH confirmations (PSE-09, PSE-11, NET-06) --------------------------------------------------------
    async def deliver(self, cus: str) -> bool:
        """Send the payment's result to ACH; True when ACH answered (either way)."""
        payment = await self.get(cus)
        if payment is None or payment.ach_sync != "due" or payment.ach_report is None:
            return False
        when = from_epoch_us(payment.resolved_us or payment.updated_us).astimezone(self.settings.tz)
        answer = await self.ach.confirm(
            cus=cus,
            entity_code=payment.ach_entity_code,
            value=format_amount(payment.value_minor, "COP"),
            vat=format_amount(payment.vat_minor, "COP"),
            ticket_id=payment.ticket_id,
            solicite_date=payment.solicite_date,
            bank_process_date=when.isoformat(timespec="seconds"),
            state=payment.ach_report,
            authorization_id=payment.authorization_id if payment.ach_report == "OK" else None,
        )
        now_us = self.clock.now_us()

        def work(conn: Connection) -> PsePayment:
            current = self.state.payments.get(conn, cus, lock=True)
            assert current is not None
            if current.ach_sync != "due":
                return current
            if not answer.reachable:
                attempts = current.ach_attempts + 1
                moved = replace(current, ach_attempts=attempts, ach_result=answer.details[:40],
                                ach_next_us=now_us + retry_delay_s(attempts) * 1_000_000)  # fmt: skip
            elif answer.ok:
                moved = replace(current, ach_sync="done", ach_result="SUCCESS", ach_next_us=None)
            else:
                log.warning("ACH refused the %s of CUS %s: %s", current.ach_report, cus, answer.code)
                moved = replace(current, ach_sync="refused", ach_result=answer.code[:40], ach_next_us=None)
                if current.state is S.APPROVED:  # the member's money must come back
                    moved = replace(moved, coop_sync="reverse", coop_next_us=now_us, coop_attempts=0)
            return self.state.payments.update(conn, current, moved)

        updated: PsePayment = await self._run(work)
        if updated.coop_sync == "reverse":
            await self._reverse(updated)
        return answer.reachable

    # -- jobs ------------------------------------------------------------------------------------------------
    async def sync_ach(self, now: Any = None) -> int:
        """Job ``pse1066.ach_confirmations``: confirmations ACH has not acknowledged yet."""
        now_us = self.clock.now_us()
        due = await asyncio.to_thread(self.state.read, lambda c: self.state.payments.due_ach(c, now_us, BATCH))
        done = 0
        for payment in due:
            done += await self.deliver(payment.cus)
        return done

    async def sync_coop(self, now: Any = None) -> int:
        """Job ``pse1066.coop_sync``: posts, voids and reversals coop has not answered yet."""
        now_us = self.clock.now_us()
        due = await asyncio.to_thread(self.state.read, lambda c: self.state.payments.due_coop(c, now_us, BATCH))
        for payment in due:
            if payment.coop_sync == "post":
                await self._post(payment)
            elif payment.coop_sync == "void":
                await self._void(payment)
            elif payment.coop_sync == "reverse":
                await self._reverse(payment)
        return len(due)

    async def sync_attempts(self, now: Any = None) -> int:
        """Job ``pse1066.attempts``: authorizations coop did not answer — asked again with the same
        key (the first answer, if there was one), then voided; or voided as decided."""
        now_us = self.clock.now_us()
        due: list[Attempt] = await asyncio.to_thread(
            self.state.read, lambda c: self.state.payments.due_attempts(c, now_us, BATCH)
        )
        for attempt in due:
            payment = await self.get(attempt.cus)
            if payment is None:
                continue
            debit_id = attempt.debit_id
            gone = False
            if attempt.sync == "resolve":
                answer = await self.coop.authorize_debit(
                    attempt.entity, product_id=attempt.product_id, amount_minor=attempt.amount_minor,
                    reference=payment.reference, idempotency_key=attempt.idempotency_key,
                    description=self._debit_description(payment),
                )  # fmt: skip
                if answer.ok and answer.value is not None:
                    debit_id = answer.value.debit_id
                elif answer.outcome == "refused":
                    gone = True
                else:
                    await self._retry_attempt(attempt, answer.error)
                    continue
            if not gone and debit_id is not None:
                voided = await self.coop.void_debit(
                    attempt.entity, debit_id, idempotency_key=f"{attempt.idempotency_key}:void"
                )
                if voided.unknown:
                    await self._retry_attempt(replace(attempt, debit_id=debit_id), voided.error)
                    continue
            await self._settle_attempt(attempt, debit_id)
        return len(due)

    async def _retry_attempt(self, attempt: Attempt, error: str | None) -> None:
        now_us = self.clock.now_us()

        def work(conn: Connection) -> None:
            row = self.state.payments.attempt(conn, attempt.cus, attempt.seq)
            if row is None or row.sync == "none":
                return
            tries = row.sync_attempts + 1
            self.state.payments.update_attempt(
                conn,
                row,
                replace(
                    row,
                    debit_id=attempt.debit_id or row.debit_id,
                    sync_attempts=tries,
                    sync_next_us=now_us + retry_delay_s(tries) * 1_000_000,
                ),
            )

        await self._run(work)

    async def _settle_attempt(self, attempt: Attempt, debit_id: str | None) -> None:
        now_us = self.clock.now_us()

        def work(conn: Connection) -> None:
            row = self.state.payments.attempt(conn, attempt.cus, attempt.seq)
            if row is None or row.sync == "none":
                return
            outcome = AttemptOutcome.VOIDED if debit_id is not None else AttemptOutcome.DECLINED
            self.state.payments.update_attempt(conn, row, replace(row, outcome=outcome.value, debit_id=debit_id,
                                                                  sync="none", sync_next_us=None,
                                                                  resolved_us=now_us))  # fmt: skip

        await self._run(work)

    async def sweep(self, now: Any = None) -> int:
        """Job ``pse1066.abandoned``: payments left open by the member are cancelled before ACH gives
        them up (NOT_AUTHORIZED, authorization voided)."""
        cut = self.clock.now_us() - self.settings.abandon_after_s * 1_000_000
        stale: list[PsePayment] = await asyncio.to_thread(
            self.state.read, lambda c: self.state.payments.stale(c, cut, BATCH)
        )
        ended = 0
        for payment in stale:
            if payment.state is S.POSTING:
                continue  # the post is being retried with its key until coop answers
            if payment.state is S.AUTHORIZING:
                if payment.updated_us >= cut:
                    continue  # an authorization in flight right now
                await self._orphaned(payment.cus, cut)
            else:
                await self._end(payment.cus, "abandoned")
            ended += 1
        return ended

    async def _orphaned(self, cus: str, cut: int) -> None:
        """An authorization whose request died with its process (it has been "authorizing" far longer
        than any timeout): the payment is cancelled and coop is asked again with the attempt's key,
        then the hold voided if there was one (``pse1066.attempts``)."""
        now_us = self.clock.now_us()

        def work(conn: Connection) -> PsePayment:
            current = self.state.payments.get(conn, cus, lock=True)
            assert current is not None
            if current.state is not S.AUTHORIZING or current.updated_us >= cut:
                return current
            row = self.state.payments.attempt(conn, cus, current.attempt_seq)
            if row is not None and row.outcome == AttemptOutcome.PENDING.value:
                unknown = replace(row, outcome=AttemptOutcome.UNKNOWN.value, reason_code="abandoned", sync="resolve",
                                  sync_next_us=now_us, resolved_us=now_us)  # fmt: skip
                self.state.payments.update_attempt(conn, row, unknown)
                self._refund(conn, row, now_us)
            return self.state.payments.update(conn, current, close(current, S.DECLINED, "abandoned", now_us))

        payment: PsePayment = await self._run(work)
        if payment.ach_sync == "due":
            await self.deliver(cus)
        await self.sync_attempts()

    # -- views and reports -----------------------------------------------------------------------------
    def view(self, payment: PsePayment) -> dict[str, Any]:
        """The payment as the API and pages show it (masked account, amounts as decimal strings)."""
        return {
            "cus": payment.cus,
            "status": payment.status,
            "reason_code": payment.reason_code,
            "message": reason_message(payment.reason_code),
            "merchant": payment.ach_entity_name,
            "merchant_code": payment.ach_entity_code,
            "description": payment.description,
            "amount": format_amount(payment.value_minor, "COP"),
            "vat": format_amount(payment.vat_minor, "COP"),
            "currency": "COP",
            "entity": payment.entity,
            "entity_name": self.entity_name(payment.entity) if payment.entity else None,
            "account": payment.product_masked,
            "account_type": payment.product_type,
            "authorization_id": payment.authorization_id if payment.state is S.APPROVED else None,
            "ach_report": payment.ach_report,
            "ach_sync": payment.ach_sync,
            "coop_sync": payment.coop_sync,
            "return_url": payment.entity_url or None,
            "created_at": from_epoch_us(payment.created_us).isoformat(),
            "resolved_at": None if payment.resolved_us is None else from_epoch_us(payment.resolved_us).isoformat(),
        }

    def today(self) -> date:
        return self.clock.now().astimezone(self.settings.tz).date()

    async def coop_pending(self, *, stuck_only: bool = True, limit: int = 500) -> dict[str, Any]:
        """What the switch still has to tell coop (issue 16, item 3): posts, voids and reversals of
        payments, and authorizations of attempts still to be resolved or voided — those not
        acknowledged after ``coop_alert_after`` tries (every one with ``stuck_only=False``), most
        tried first. The jobs keep sending each with its idempotency key until coop answers."""
        alert = self.settings.coop_alert_after
        least = alert if stuck_only else 0

        def read(conn: Connection) -> tuple[list[PsePayment], list[Attempt]]:
            return self.state.payments.coop_owed(conn, least, limit), self.state.payments.attempts_owed(
                conn, least, limit
            )

        payments, attempts = await asyncio.to_thread(self.state.read, read)

        def at(us: int | None) -> str | None:
            return None if us is None else from_epoch_us(us).isoformat()

        items: list[dict[str, Any]] = [
            {"cus": p.cus, "operation": p.coop_sync, "attempt": None, "entity": p.entity,
             "entity_name": self.entity_name(p.entity) if p.entity else None, "account": p.product_masked,
             "amount": format_amount(p.value_minor, "COP"), "status": p.status, "debit_id": p.debit_id,
             "idempotency_key": self._coop_key(p), "attempts": p.coop_attempts, "last_error": p.coop_result,
             "next_at": at(p.coop_next_us), "stuck": p.coop_attempts >= alert,
             "message": f"Falta informar a la cooperativa {reconciliation.COOP_OPERATIONS[p.coop_sync]}."}
            for p in payments
        ] + [
            {"cus": a.cus, "operation": a.sync, "attempt": a.seq, "entity": a.entity,
             "entity_name": self.entity_name(a.entity), "account": a.product_masked,
             "amount": format_amount(a.amount_minor, "COP"), "status": a.outcome, "debit_id": a.debit_id,
             "idempotency_key": a.idempotency_key, "attempts": a.sync_attempts, "last_error": a.reason_code,
             "next_at": at(a.sync_next_us), "stuck": a.sync_attempts >= alert,
             "message": f"Falta informar a la cooperativa {reconciliation.COOP_OPERATIONS[a.sync]}."}
            for a in attempts
        ]  # fmt: skip
        items.sort(key=lambda i: (-i["attempts"], i["cus"], i["attempt"] or 0))
        return {"alert_after": alert, "count": len(items), "items": items[:limit]}

    @staticmethod
    def _coop_key(p: PsePayment) -> str | None:
        """The idempotency key the switch sends coop for what it still owes (``coop_sync``)."""
        return {
            "post": f"{p.idempotency_base}:post",
            "void": f"{p.idempotency_base}:void:{p.attempt_seq}",
            "reverse": f"{p.idempotency_base}:reverse",
        }.get(p.coop_sync)

    async def reconcile(self, day: date) -> dict[str, Any]:
        """The day's differences between the switch, coop and ACH for this flow (NET-02)."""
        _, _, since, until = reconciliation.window(day, self.settings.tz)
        payments: list[PsePayment] = await asyncio.to_thread(
            self.state.read,
            lambda c: self.state.payments.between(c, to_us(since), to_us(until)),
        )
        entities = sorted({p.entity for p in payments if p.entity} | set(self._entities))
        coop_days = await asyncio.gather(*(self.coop.transactions_on(e, day) for e in entities))
        coop_read = all(d.ok for d in coop_days)
        debits = [
            t
            for answer in coop_days
            if answer.ok and answer.value is not None
            for t in answer.value.transactions
            if t.kind == "debit" and t.reference.startswith("PSE1066-")
        ]
        reversals = {
            t.reverses
            for answer in coop_days
            if answer.ok and answer.value is not None
            for t in answer.value.transactions
            if t.kind == "reversal" and t.reverses
        }
        infos = await asyncio.gather(*(self.ach.information(p.cus) for p in payments if p.entity))
        ach_states = {str(a.body.get("trazabilityCode")): str(a.body.get("transactionState")) for a in infos if a.ok}
        ach_read = all(a.reachable for a in infos)
        owed: list[Attempt] = await asyncio.to_thread(
            self.state.read, lambda c: self.state.payments.attempts_owed(c, 0, 100_000)
        )
        attempt_syncs: dict[str, tuple[str, int]] = {}
        for a in owed:
            if a.sync_attempts >= attempt_syncs.get(a.cus, ("", -1))[1]:
                attempt_syncs[a.cus] = (a.sync, a.sync_attempts)
        report = reconciliation.compare(payments, debits, reversals, ach_states, attempt_syncs=attempt_syncs,
                                        alert_after=self.settings.coop_alert_after)  # fmt: skip
        return reconciliation.answer(day, self.settings.tz, report, coop_read=coop_read, ach_read=ach_read,
                                     now=self.clock.now())  # fmt: skip

    def reset(self) -> None:
        self.state.reset()


def _otp_message(exc: DomainError) -> str:
    messages = {
        "otp_invalid": "El código no es correcto.",
        "otp_expired": "El código venció. Pida uno nuevo con «Reenviar código».",
        "otp_locked": "El código se bloqueó por intentos fallidos; el pago se canceló.",
        "otp_not_found": "Pida un código con «Reenviar código».",
        "otp_binding_mismatch": "El código se emitió para otros datos del pago. Pida uno nuevo.",
        "otp_resend_too_soon": "Espere unos segundos antes de pedir otro código.",
        "otp_resend_limit": "Ya se enviaron demasiados códigos para este pago.",
        "otp_used": "El código ya se usó.",
    }
    text = messages.get(exc.code, "El código no es válido.")
    details: Mapping[str, Any] = getattr(exc, "details", None) or {}
    if exc.code == "otp_invalid" and "attempts_left" in details:
        text = f"{text} Le quedan {details['attempts_left']} intentos."
    if exc.code == "otp_resend_too_soon" and "retry_after_s" in details:
        text = f"Espere {details['retry_after_s']} segundos antes de pedir otro código."
    return text


def attempts_view(attempts: Sequence[Attempt]) -> list[dict[str, Any]]:
    return [
        {"seq": a.seq, "account": a.product_masked, "type": a.product_type, "outcome": a.outcome,
         "reason_code": a.reason_code, "message": reason_message(a.reason_code) if a.reason_code else ""}
        for a in attempts
    ]  # fmt: skip
