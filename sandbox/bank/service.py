"""The banks' use cases: login, "Pagar"/"Cancelar", confirmations to ACH, and the jobs.

Each state change (debit, reversal, payment record) happens with no ``await`` between its read
and its write, so a double click or two tabs never debit twice: the second "Pagar" finds the
payment of that CUS and shows its receipt. Confirmations to ACH are sent at once and, when ACH
does not answer, again by the ``bank.confirmations`` job (growing pauses) until ACH answers.

Behaviour rules (:data:`OPERATIONS`) go through :meth:`sandbox.kit.behaviour.Behaviour.at`: the
bank reads ``decline`` (``bank.login`` blocks the user; ``bank.pay`` declines or fails the
payment) and ``pending`` (``bank.pay``); the kit applies ``error``, ``delay_s`` and ``drop``.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any, Final

from sandbox.bank.logic import (
    Delivery,
    Outcome,
    Payment,
    PaymentStatus,
    cancel_plan,
    on_ach_answer,
    plan_payment,
    resolve_pending,
    retry_later,
    start_payment,
)
from sandbox.bank.peers import AchPeer, AchUnreachable
from sandbox.bank.state import Account, BankStore, Movement, Session
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.clock import Clock
from sandbox.kit.money import parse_amount
from sandbox.world.model import Bank, BankCustomer

log = logging.getLogger("sandbox.bank")

#: Behaviour-rule operations of the banks and the fields each exposes (docs/magic-values.md).
OPERATIONS: Final[dict[str, set[str]]] = {
    "bank.login": {"bank", "username"},
    "bank.pay": {"bank", "username", "trazabilityCode", "entityCode", "ticketId"},
}


class BankPageError(Exception):
    """A page cannot go on: HTTP status, Spanish heading and text."""

    def __init__(self, status: int, heading: str, text: str) -> None:
        super().__init__(text)
        self.status, self.heading, self.text = status, heading, text


class LoginError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True, slots=True)
class Settings:
    session_ttl_s: int = 30 * 60
    ach_timeout_s: float = 5.0
    retry_base_s: int = 30

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Settings:
        out = cls()
        for name in ("session_ttl_s", "retry_base_s"):
            if name in options:
                value = options[name]
                if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                    raise ValueError(f"bank option {name} must be a positive integer of seconds")
                out = replace(out, **{name: value})
        if "ach_timeout_s" in options:
            value = options["ach_timeout_s"]
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ValueError("bank option ach_timeout_s must be a positive number of seconds")
            out = replace(out, ach_timeout_s=float(value))
        return out


def _authorization_id() -> str:
    return str(10_000_000 + secrets.randbelow(90_000_000))


class BankService:
    def __init__(
        self, state: BankStore, clock: Clock, behaviour: Behaviour, ach: AchPeer, settings: Settings, *, tz: tzinfo
    ) -> None:
        self.store = state
        self.clock = clock
        self.behaviour = behaviour
        self.ach = ach
        self.settings = settings
        self.tz = tz
        self._sending: set[str] = set()

    # -- lookups -------------------------------------------------------------------------------
    def bank(self, code: str) -> Bank | None:
        """A bank this party plays (``simulated_by: bank``)."""
        return self.store.banks.get(code)

    def require_bank(self, code: str) -> Bank:
        bank = self.bank(code)
        if bank is None:
            raise BankPageError(404, "Banco no encontrado", f"El banco {code} no es atendido por este simulador.")
        return bank

    @staticmethod
    def _check_credential(bank: Bank) -> None:
        if bank.ach_secret is None:
            raise BankPageError(
                503, "Banco sin conexión a PSE", f"El banco {bank.name} no tiene credencial ante ACH en el mundo."
            )

    def customer(self, session: Session) -> BankCustomer:
        customer = self.store.customer(session.bank_code, session.username)
        assert customer is not None  # sessions are opened for existing customers only
        return customer

    # -- ACH -----------------------------------------------------------------------------------
    async def transaction(self, bank: Bank, cus: str) -> dict[str, Any]:
        """What ACH says about a CUS of this bank; a page error when it cannot be shown."""
        if not (cus.isascii() and cus.isdigit()) or len(cus) > 20:
            raise BankPageError(404, "Transacción no encontrada", "El código CUS no es válido.")
        try:
            self._check_credential(bank)
            answer = await self.ach.information(bank, cus)
        except AchUnreachable as exc:
            log.warning("ACH unreachable reading CUS %s: %s", cus, exc)
            raise BankPageError(
                503, "PSE no responde", "No pudimos consultar la transacción en PSE. Intente de nuevo en un momento."
            ) from None
        if not answer.ok:
            raise BankPageError(
                404, "Transacción no encontrada", f"PSE no reconoce la transacción {cus} ({answer.code})."
            )
        return answer.body

    # -- online banking ------------------------------------------------------------------------
    async def login(self, bank: Bank, username: str, password: str) -> Session:
        username = username.strip().lower()
        if not username:
            raise LoginError("Escriba su usuario.", field="username")
        if not password:
            raise LoginError("Escriba su clave.", field="password")
        customer = self.store.customer(bank.code, username)
        valid = customer is not None and hmac.compare_digest(customer.password.encode(), password.encode())
        if customer is None or not valid:
            raise LoginError("Usuario o clave incorrectos.", field="password")
        async with self.behaviour.at("bank.login", {"bank": bank.code, "username": username}) as forced:
            if forced.decline:
                raise LoginError(
                    forced.message or "Su usuario está bloqueado. Comuníquese con el banco.", field="username"
                )
            now = self.clock.now()
            return self.store.open_session(bank.code, username, now + timedelta(seconds=self.settings.session_ttl_s))

    def session(self, sid: str | None, bank: Bank) -> Session | None:
        return self.store.session(sid, bank.code, self.clock.now())

    def accounts(self, bank: Bank, session: Session) -> list[Account]:
        """The session's customer's accounts at this bank."""
        return self.store.accounts_of(bank.code, session.username)

    def payment(self, cus: str) -> Payment | None:
        """The bank's payment of a CUS, if "Pagar" or "Cancelar" was pressed."""
        return self.store.payments.get(cus)

    def logout(self, sid: str | None) -> None:
        self.store.close_session(sid)

    # -- paying ----------------------------------------------------------------------------------
    def _base(self, bank: Bank, session: Session, info: Mapping[str, Any], account: Account | None) -> Payment:
        return Payment(
            cus=str(info["trazabilityCode"]),
            bank_code=bank.code,
            username=session.username,
            account_number=account.number if account else None,
            entity_code=str(info["entityCode"]),
            entity_name=str(info.get("entityName") or info["entityCode"]),
            entity_url=str(info.get("entityurl") or ""),
            description=str(info.get("paymentDescription") or ""),
            ticket_id=int(info["ticketId"]),
            value_minor=parse_amount(str(info["transactionValue"]), "COP"),
            vat_minor=parse_amount(str(info.get("vatValue") or "0"), "COP"),
            solicite_date=str(info["soliciteDate"]),
            created_at=self.clock.now(),
            status=PaymentStatus.PENDING,
            debited=False,
            report="PENDING",
        )

    async def _payable(self, bank: Bank, cus: str, session: Session) -> dict[str, Any]:
        info = await self.transaction(bank, cus)
        if info.get("transactionState") != "PENDING":
            raise BankPageError(
                409, "La transacción ya no está pendiente",
                f"PSE informa la transacción {cus} en estado {info.get('transactionState')}; no se puede pagar.",
            )  # fmt: skip
        if self.customer(session).behaviour == "abandon":
            raise BankPageError(409, "Pago abandonado", "El cliente cerró la ventana del banco sin pagar.")
        return info

    async def pay(self, bank: Bank, cus: str, session: Session, account_index: str) -> Payment:
        """ "Pagar": debit the chosen account and confirm to ACH (or decline), exactly once."""
        existing = self.store.payments.get(cus)
        if existing is not None:
            return existing
        info = await self._payable(bank, cus, session)
        accounts = self.store.accounts_of(bank.code, session.username)
        if not (account_index.isascii() and account_index.isdigit()) or int(account_index) >= len(accounts):
            raise BankPageError(422, "Cuenta no válida", "Elija una de sus cuentas para debitar el pago.")
        account = accounts[int(account_index)]
        customer = self.customer(session)
        value_minor = parse_amount(str(info["transactionValue"]), "COP")
        fields = {"bank": bank.code, "username": session.username, "trazabilityCode": info["trazabilityCode"],
                  "entityCode": info["entityCode"], "ticketId": info["ticketId"]}  # fmt: skip
        async with self.behaviour.at("bank.pay", fields, amount_minor=value_minor) as forced:
            # -- from here to add_payment: no await (exactly one payment, one debit per CUS) --
            existing = self.store.payments.get(cus)
            if existing is not None:
                return existing
            plan = plan_payment(
                behaviour=customer.behaviour,
                pending_minutes=customer.pending_minutes,
                balance_minor=account.balance_minor,
                amount_minor=value_minor,
                forced=forced,
            )
            now = self.clock.now()
            payment = start_payment(self._base(bank, session, info, account), plan, now, _authorization_id())
            if plan.debit:
                account.apply(Movement(now, "debit", -payment.value_minor, cus, f"Pago PSE {payment.entity_name}"))
            else:
                payment = replace(payment, account_number=None)
            self.store.add_payment(payment)
            log.info("bank %s CUS %s: %s (%s)", bank.code, cus, payment.status.value, plan.reason or "ok")
            await self.deliver(cus)
            return self.store.payments[cus]

    async def cancel(self, bank: Bank, cus: str, session: Session) -> Payment:
        """ "Cancelar": the customer declines at the bank; ACH learns NOT_AUTHORIZED."""
        existing = self.store.payments.get(cus)
        if existing is not None:
            return existing
        info = await self.transaction(bank, cus)
        existing = self.store.payments.get(cus)
        if existing is not None:
            return existing
        if info.get("transactionState") != "PENDING":
            raise BankPageError(409, "La transacción ya no está pendiente", "PSE ya no espera esta transacción.")
        now = self.clock.now()
        payment = start_payment(self._base(bank, session, info, None), cancel_plan(), now, None)
        self.store.add_payment(payment)
        await self.deliver(cus)
        return self.store.payments[cus]

    # -- confirmations -----------------------------------------------------------------------------
    def _apply(self, outcome: Outcome) -> None:
        payment = outcome.payment
        if outcome.reverse and payment.account_number is not None:
            account = self.store.accounts[payment.account_number]
            account.apply(Movement(self.clock.now(), "reversal", payment.value_minor, payment.cus, "Reverso pago PSE"))
            log.info("bank %s CUS %s: debit reversed", payment.bank_code, payment.cus)
        self.store.payments[payment.cus] = payment

    async def deliver(self, cus: str) -> bool:
        """Send the confirmation of ``cus`` to ACH; True when ACH answered (either way)."""
        payment = self.store.payments.get(cus)
        if payment is None or payment.delivery is not Delivery.DUE or cus in self._sending:
            return False
        bank = self.bank(payment.bank_code)
        if bank is None:
            return False
        self._sending.add(cus)
        reported = payment.report
        try:
            try:
                self._check_credential(bank)
                answer = await self.ach.confirm(bank, payment)
            except (AchUnreachable, BankPageError) as exc:
                log.warning("confirmation of CUS %s not delivered: %s", cus, exc)
                self.store.payments[cus] = retry_later(
                    self.store.payments[cus], self.clock.now(), self.settings.retry_base_s
                )
                return False
            current = self.store.payments[cus]
            self._apply(on_ach_answer(current, answer.code, answer.details, reported))
            if not answer.ok:
                log.warning("ACH refused the confirmation %s of CUS %s: %s", reported, cus, answer.code)
            return True
        finally:
            self._sending.discard(cus)

    # -- jobs ------------------------------------------------------------------------------------
    async def resolve_pending(self, now: datetime) -> int:
        """Pending personas get their final result after ``pending_minutes`` (sandbox clock)."""
        done = 0
        for payment in self.store.due_resolutions(now):
            outcome = resolve_pending(payment, now, _authorization_id())
            if outcome is None:
                continue
            self._apply(outcome)
            done += 1
            await self.deliver(payment.cus)
        return done

    async def retry_confirmations(self, now: datetime) -> int:
        delivered = 0
        for payment in self.store.due_confirmations(now):
            if await self.deliver(payment.cus):
                delivered += 1
        return delivered

    async def purge_sessions(self, now: datetime) -> int:
        return self.store.purge_sessions(now)
