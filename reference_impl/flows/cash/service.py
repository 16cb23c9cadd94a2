"""SICOOP cash use cases: open a withdrawal or deposit, confirm, release, expire, sync CEIBO.

Each use case loads state, asks the pure deciders (the authorization core for the hold and the
limits, :mod:`.logic` for the transaction), persists in one transaction through the group
commit (:mod:`reference_impl.store.unit_of_work`), and calls CEIBO. The switch is the ledger of
record: it decides and commits first, then tells CEIBO, and keeps telling it (the issuer-sync
job) until CEIBO acknowledges.

Opening, step by step (three round trips at most: DB, CEIBO, DB)::

    directory: cédula/phone → card (CEIBO lookup, cached)
    phase A (one transaction): claim the trace number (idempotency) → replay if answered;
        open the switch's hold (limits: tope, frequency, daily cap) → declined at once if refused;
        record the transaction ``authorizing``
    CEIBO hold (the switch's id is the hold id; CEIBO checks card, soft-token, funds)
    phase B (one transaction): approved → ``approved``; declined → void the switch's hold;
        no answer → void the switch's hold, decline ``issuer_timeout``/``issuer_unavailable``
        and void at CEIBO by id (NET-06); remember the answer under the trace number.

Concurrent identical requests (same trace number, same body) in one process wait for the first
one and answer what it answered; across processes the store's claim answers
``idempotency_in_progress`` until the first is answered. A different body on a trace number is
refused by the claim (``idempotency_conflict``) and never disturbs the original.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import partial
from typing import Any, Literal

from sqlalchemy import Connection

from reference_impl.core.errors import (
    AlreadyPosted,
    Decline,
    DomainError,
    HoldAlreadyResolved,
    IdempotencyInProgress,
)
from reference_impl.core.holds import OpenHold, ResolveHold
from reference_impl.core.idempotency import body_hash as canonical_hash
from reference_impl.flows.cash import reconciliation
from reference_impl.flows.cash.directory import CardDirectory, CardRef, NoCard
from reference_impl.flows.cash.logic import (
    TRANSITIONS,
    CashEvent,
    CashKind,
    CashStatus,
    CashTransaction,
    IssuerSync,
    Move,
    decide,
)
from reference_impl.flows.cash.logic import TransactionEvent as EventRow
from reference_impl.flows.cash.reasons import message_for
from reference_impl.flows.cash.state import CashState
from reference_impl.peers.ceibo import CeiboPeer, HoldAnswer, ResolutionAnswer
from reference_impl.peers.red import RedPeer
from reference_impl.settings import SwitchSettings
from reference_impl.store.holds import HoldOutcome
from sandbox.kit.clock import Clock, from_us, to_us
from sandbox.kit.money import format_amount
from sandbox.protocols.sicoop import check_report_day

log = logging.getLogger("reference_impl.cash")

SCOPE = "sicoop"
"""Idempotency scope: a trace number identifies one transaction, withdrawal or deposit."""
ISSUER_BATCH = 200
ISSUER_CONCURRENCY = 32
MAX_ISSUER_BACKOFF_S = 60
US = 1_000_000


@dataclass(frozen=True, slots=True)
class OpenCommand:
    kind: CashKind
    trace_number: str
    counter_id: str
    document_number: str | None
    phone: str | None
    soft_token: str | None
    amount_minor: int
    actor: str


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


class CashRefused(Exception):
    """A confirm or release the transaction's state refuses (HTTP 409)."""

    def __init__(self, code: str, transaction: dict[str, Any]) -> None:
        super().__init__(code)
        self.code = code
        self.transaction = transaction


class TransactionNotFound(Exception):
    pass


@dataclass(frozen=True, slots=True)
class _Replay:
    answer: Answer


@dataclass(frozen=True, slots=True)
class _Held:
    txn: CashTransaction


def _iso(us: int | None) -> str | None:
    return None if us is None else from_us(us).isoformat()


def new_id(kind: CashKind) -> str:
    return ("wd-" if kind is CashKind.WITHDRAWAL else "dp-") + secrets.token_hex(8)


class CashService:
    def __init__(
        self,
        *,
        state: CashState,
        ceibo: CeiboPeer,
        red: RedPeer,
        directory: CardDirectory,
        clock: Clock,
        settings: SwitchSettings,
        key: bytes,
        counters: Iterable[str],
    ) -> None:
        self.state = state
        self.ceibo = ceibo
        self.red = red
        self.directory = directory
        self.clock = clock
        self.settings = settings
        self._key = key
        self.counters = frozenset(counters)
        #: Requests in flight in this process, by trace number and body: identical ones wait for the first.
        self._inflight: dict[tuple[str, str], asyncio.Future[Answer]] = {}
        #: The latest request of each trace number still to claim it (later arrivals wait for it).
        self._claiming: dict[str, asyncio.Event] = {}

    # -- views ------------------------------------------------------------------------------------
    def view(self, txn: CashTransaction, *, issuer_message: str | None = None) -> dict[str, Any]:
        """The transaction as the API shows it (amounts as decimal strings, sandbox times)."""
        held = txn.hold_id is not None and txn.status in ("authorizing", "approved")
        return {
            "id": txn.id,
            "type": txn.kind,
            "trace_number": txn.trace_number,
            "status": txn.status,
            "reason_code": txn.reason_code,
            "message": message_for(txn.reason_code, status=txn.status, kind=txn.kind, issuer_message=issuer_message),
            "amount": format_amount(txn.amount_minor, txn.currency),
            "currency": txn.currency,
            "counter_id": txn.counter_id,
            "card_id": txn.card_id,
            "hold_expires_at": _iso(txn.expires_us) if held else None,
            "created_at": _iso(txn.created_us),
            "updated_at": _iso(txn.updated_us),
            "resolved_at": _iso(txn.resolved_us),
            "issuer_state": txn.issuer_state,
        }

    def body_hash(self, cmd: OpenCommand) -> str:
        """The request's identity for idempotency. The soft-token enters only as a keyed MAC, so the
        stored hash cannot be searched for the 10^6 possible codes."""
        mac = None
        if cmd.soft_token is not None:
            mac = hmac.new(self._key, f"{cmd.trace_number}:{cmd.soft_token}".encode(), hashlib.sha256).hexdigest()
        return canonical_hash(
            {
                "kind": cmd.kind.value,
                "counter_id": cmd.counter_id,
                "document_number": cmd.document_number,
                "phone": cmd.phone,
                "amount_minor": cmd.amount_minor,
                "currency": "PYG",
                "soft_token_mac": mac,
            }
        )

    # -- open -------------------------------------------------------------------------------------
    async def open(self, cmd: OpenCommand) -> Answer:
        """Open a withdrawal or deposit; the same trace number with the same body answers the first
        answer again.

        The database decides who owns a trace number: the first request to claim it. In this
        process, requests for one trace number claim in the order they arrived (a later one with
        another body waits until the earlier one has claimed), and a request identical to one in
        flight waits for that one's answer. So a conflicting body that arrives first never makes an
        exact retry look like a conflict (issue 16), and a conflicting body is refused by the claim
        (``idempotency_conflict``) without touching the original."""
        digest = self.body_hash(cmd)
        key = (cmd.trace_number, digest)
        running = self._inflight.get(key)
        if running is None:
            earlier = self._claiming.get(cmd.trace_number)
            if earlier is not None:
                await earlier.wait()  # another body arrived first on this trace number: it claims first
                running = self._inflight.get(key)
        if running is not None:
            try:
                first = await asyncio.shield(running)
            except asyncio.CancelledError:
                if running.cancelled():
                    raise IdempotencyInProgress(details={"retry_after_s": 1}) from None
                raise
            return replace(first, replayed=True)
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        claimed = asyncio.Event()
        self._inflight[key] = future
        self._claiming[cmd.trace_number] = claimed
        try:
            answer = await self._open(cmd, digest, claimed)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters, if any, get it too
            raise
        else:
            future.set_result(answer)
            return answer
        finally:
            claimed.set()
            if self._claiming.get(cmd.trace_number) is claimed:
                del self._claiming[cmd.trace_number]
            self._inflight.pop(key, None)

    async def _open(self, cmd: OpenCommand, digest: str, claimed: asyncio.Event) -> Answer:
        card = await self.directory.resolve(document_number=cmd.document_number, phone=cmd.phone)
        txn_id = new_id(cmd.kind)
        phase_a = partial(self._phase_a, cmd, digest, card, txn_id, self.clock.now_us())
        try:
            held = await self.state.commit.run(phase_a)
        finally:
            claimed.set()  # the trace number is claimed (or refused): later arrivals may claim now
        if isinstance(held, Answer):
            return held
        if isinstance(held, _Replay):
            return held.answer
        txn = held.txn
        assert isinstance(card, CardRef)
        self.state.transactions.accounts_committed([card.card_id])
        issuer = await self.ceibo.hold(
            hold_id=txn.id,
            card_id=card.card_id,
            kind=cmd.kind.hold_kind.value,
            amount_minor=cmd.amount_minor,
            soft_token=cmd.soft_token,
            expires_in_s=self.settings.hold_timeout_s + self.settings.ceibo_hold_margin_s,
            trace_number=cmd.trace_number,
            counter_id=cmd.counter_id,
        )
        answer, settled = await self.state.commit.run(partial(self._phase_b, txn.id, issuer, self.clock.now_us()))
        if settled.issuer_sync != IssuerSync.NONE:
            # NET-06: CEIBO did not answer; void by id now (the issuer-sync job retries if this fails too).
            await self._push_issuer(settled, actor="switch")
        return answer

    def _phase_a(
        self, cmd: OpenCommand, digest: str, card: CardRef | NoCard, txn_id: str, now_us: int, conn: Connection
    ) -> Answer | _Replay | _Held:
        lease_s = max(5, int(self.settings.ceibo_timeout_s * 3) + 1)
        stored = self.state.idempotency.claim_in(conn, cmd.trace_number, digest, now_us, scope=SCOPE, lease_s=lease_s)
        if stored is not None:
            return _Replay(Answer(stored.status or 201, stored.body, replayed=True))
        if self.state.transactions.get_by_trace(conn, cmd.trace_number) is not None:
            # A worker died while authorizing this trace and its claim lapsed: the sweeper settles it.
            raise IdempotencyInProgress(details={"retry_after_s": self.settings.hold_timeout_s})
        txn = CashTransaction(
            id=txn_id,
            kind=cmd.kind.value,
            trace_number=cmd.trace_number,
            body_hash=digest,
            counter_id=cmd.counter_id,
            document_number=cmd.document_number,
            phone=cmd.phone,
            card_id=None,
            amount_minor=cmd.amount_minor,
            currency="PYG",
            status=CashStatus.AUTHORIZING.value,
            reason_code=None,
            hold_id=None,
            created_us=now_us,
            updated_us=now_us,
            expires_us=None,
            resolved_us=None,
            issuer_state="none",
            issuer_sync=IssuerSync.NONE.value,
            issuer_attempts=0,
            issuer_next_us=None,
        )
        if isinstance(card, NoCard):
            return self._decline_at_once(conn, txn, card.reason, now_us, cmd.actor)
        txn = replace(txn, card_id=card.card_id)
        self.state.transactions.ensure_card_accounts(conn, [(card.card_id, card.entity)])
        hold = OpenHold(
            txn_id,
            card.card_id,
            cmd.kind.hold_kind,
            cmd.amount_minor,
            self.settings.hold_timeout_s,
            limit_subject=card.card_id,
        )
        policy = card.policy if cmd.kind is CashKind.WITHDRAWAL else None
        [outcome] = self.state.holds.apply_in(conn, [(hold, now_us, policy)])
        if isinstance(outcome, Decline):
            return self._decline_at_once(conn, txn, outcome.code, now_us, cmd.actor)
        if isinstance(outcome, DomainError):
            raise outcome
        txn = replace(txn, hold_id=txn_id, expires_us=outcome.hold.expires_us)
        self.state.transactions.insert(conn, txn)
        detail = {"card_id": card.card_id, "amount_minor": cmd.amount_minor}
        self.state.transactions.add_events(
            conn, [EventRow(txn_id, now_us, cmd.actor, "hold_opened", None, txn.status, None, detail)]
        )
        return _Held(txn)

    def _decline_at_once(self, conn: Connection, txn: CashTransaction, reason: str, now_us: int, actor: str) -> Answer:
        txn = replace(txn, status=CashStatus.DECLINED.value, reason_code=reason, resolved_us=now_us)
        self.state.transactions.insert(conn, txn)
        self.state.transactions.add_events(
            conn, [EventRow(txn.id, now_us, actor, "declined", None, txn.status, reason)]
        )
        stored = self.state.idempotency.complete_in(
            conn, txn.trace_number, txn.body_hash, self.view(txn), now_us, scope=SCOPE, status=201
        )
        return Answer(stored.status or 201, stored.body, replayed=stored.replayed)

    def _phase_b(
        self, txn_id: str, issuer: HoldAnswer, now_us: int, conn: Connection
    ) -> tuple[Answer, CashTransaction]:
        txn = self.state.transactions.get(conn, txn_id, lock=True)
        assert txn is not None
        event = {
            "approved": CashEvent.ISSUER_APPROVED,
            "declined": CashEvent.ISSUER_DECLINED,
            "unknown": CashEvent.ISSUER_SILENT,
        }[issuer.outcome]
        decision = decide(CashStatus(txn.status), event, expires_us=txn.expires_us, now_us=now_us)
        if decision.move is None:
            # Settled meanwhile (the sweeper gave up on it): its answer is the one remembered.
            stored = self.state.idempotency.complete_in(
                conn, txn.trace_number, txn.body_hash, self.view(txn), now_us, scope=SCOPE, status=201
            )
            return Answer(stored.status or 201, stored.body, replayed=stored.replayed), txn
        move = decision.move
        self._move_hold(conn, txn, move, now_us)
        issuer_state = {"approved": "pending", "declined": "declined", "unknown": "unknown"}[issuer.outcome]
        after = self._moved(txn, move, now_us, reason=issuer.reason_code, issuer_state=issuer_state)
        self.state.transactions.update(conn, txn, after)
        self.state.transactions.add_events(
            conn, [EventRow(txn.id, now_us, "ceibo", event.value, txn.status, after.status, issuer.reason_code)]
        )
        body = self.view(after, issuer_message=issuer.message)
        stored = self.state.idempotency.complete_in(
            conn, txn.trace_number, txn.body_hash, body, now_us, scope=SCOPE, status=201
        )
        return Answer(stored.status or 201, stored.body, replayed=stored.replayed), after

    # -- confirm / release ------------------------------------------------------------------------
    async def resolve(self, kind: CashKind, txn_id: str, action: Literal["confirm", "release"], actor: str) -> Answer:
        event = CashEvent.CONFIRM if action == "confirm" else CashEvent.RELEASE
        work = partial(self._phase_c, kind, txn_id, event, actor, self.clock.now_us())
        txn, error, changed = await self.state.commit.run(work)
        if changed and txn.issuer_sync != IssuerSync.NONE:
            txn = await self._push_issuer(txn, actor=actor)
        if error is not None:
            raise CashRefused(error, self.view(txn))
        return Answer(200, self.view(txn))

    def _phase_c(
        self, kind: CashKind, txn_id: str, event: CashEvent, actor: str, now_us: int, conn: Connection
    ) -> tuple[CashTransaction, str | None, bool]:
        txn = self.state.transactions.get(conn, txn_id, lock=True)
        if txn is None or txn.kind != kind.value:
            raise TransactionNotFound(txn_id)
        decision = decide(CashStatus(txn.status), event, expires_us=txn.expires_us, now_us=now_us)
        if decision.move is None:
            return txn, decision.error, False
        move, error = decision.move, decision.error
        refused = self._move_hold(conn, txn, move, now_us)
        if refused is not None:  # the hold was resolved by its deadline in the core: it expired
            move, error = TRANSITIONS[(CashStatus.APPROVED, CashEvent.EXPIRE)], refused
        after = self._moved(txn, move, now_us, reason=txn.reason_code)
        self.state.transactions.update(conn, txn, after)
        self.state.transactions.add_events(
            conn, [EventRow(txn.id, now_us, actor, event.value, txn.status, after.status, error)]
        )
        return after, error, True

    # -- shared steps -----------------------------------------------------------------------------
    def _move_hold(self, conn: Connection, txn: CashTransaction, move: Move, now_us: int) -> str | None:
        """Apply the move's hold action on the switch's ledger; the error code if the core refused."""
        if move.hold_action is None or txn.hold_id is None:
            return None
        [outcome] = self.state.holds.apply_in(conn, [(ResolveHold(txn.hold_id, move.hold_action), now_us, None)])
        if isinstance(outcome, HoldOutcome):
            return None
        if isinstance(outcome, AlreadyPosted) or not isinstance(outcome, HoldAlreadyResolved):
            raise outcome  # the ledger contradicts the transaction: a bug, never a retry
        return "expired" if move.to in (CashStatus.CONFIRMED, CashStatus.RELEASED) else None

    @staticmethod
    def _moved(
        txn: CashTransaction, move: Move, now_us: int, *, reason: str | None, issuer_state: str | None = None
    ) -> CashTransaction:
        final = move.to not in (CashStatus.AUTHORIZING, CashStatus.APPROVED)
        syncing = move.issuer_sync is not IssuerSync.NONE
        return txn.moved(
            status=move.to.value,
            reason_code=reason,
            updated_us=now_us,
            resolved_us=now_us if final else None,
            issuer_state=issuer_state or txn.issuer_state,
            issuer_sync=move.issuer_sync.value,
            issuer_attempts=0,
            issuer_next_us=now_us if syncing else None,
        )

    # -- CEIBO synchronization --------------------------------------------------------------------
    async def _push_issuer(self, txn: CashTransaction, *, actor: str) -> CashTransaction:
        assert txn.hold_id is not None
        action: Literal["post", "void"] = "post" if txn.issuer_sync == IssuerSync.POST else "void"
        result = await self.ceibo.resolve(txn.hold_id, action)
        return await self.state.commit.run(
            partial(self._record_issuer, txn.id, action, result, actor, self.clock.now_us())
        )

    def _record_issuer(
        self, txn_id: str, action: str, result: ResolutionAnswer, actor: str, now_us: int, conn: Connection
    ) -> CashTransaction:
        txn = self.state.transactions.get(conn, txn_id, lock=True)
        assert txn is not None
        if txn.issuer_sync != action:
            return txn  # someone else recorded it first
        expected = {"posted"} if action == "post" else {"voided", "expired", "absent", "declined"}
        if result.outcome == "done" and result.state in expected:
            event = f"issuer_{'posted' if action == 'post' else 'voided'}"
            after = txn.moved(
                issuer_state=result.state or "unknown",
                issuer_sync=IssuerSync.NONE.value,
                issuer_next_us=None,
                updated_us=now_us,
            )
        else:
            # Not acknowledged, or CEIBO's hold is somewhere else (issue 16, item 3): the switch keeps
            # sending the same post/void with the same hold id, whatever CEIBO's state was; an answer
            # that contradicts it goes to the operator's list at once (issuer_alert_after).
            attempts = txn.issuer_attempts + 1
            event = "issuer_retry"
            if result.outcome == "done":
                event = "issuer_diverged"
                attempts = max(attempts, self.settings.issuer_alert_after)
                log.warning("CEIBO hold %s is %s after %s: kept for the operator", txn.hold_id, result.state, action)
            after = txn.moved(
                issuer_state=result.state or txn.issuer_state,
                issuer_attempts=attempts,
                issuer_next_us=now_us + min(2**attempts, MAX_ISSUER_BACKOFF_S) * US,
            )
            if attempts == self.settings.issuer_alert_after:
                log.warning("CEIBO has not acknowledged the %s of %s after %d tries", action, txn.hold_id, attempts)
        self.state.transactions.update(conn, txn, after)
        self.state.transactions.add_events(
            conn,
            [
                EventRow(
                    txn.id,
                    now_us,
                    actor,
                    event,
                    txn.status,
                    txn.status,
                    None,
                    {"action": action, "ceibo": result.state or result.detail},
                )
            ],
        )
        return after

    # -- jobs -------------------------------------------------------------------------------------
    async def expire_due(self, now: datetime) -> int:
        """CASH-10: void every hold whose deadline passed with no confirm or release."""
        return await self.state.commit.run(partial(self._sweep, to_us(now)))

    def _sweep(self, now_us: int, conn: Connection) -> int:
        due = self.state.transactions.due_for_expiry(conn, now_us, limit=500)
        for txn in due:
            move = TRANSITIONS[(CashStatus(txn.status), CashEvent.EXPIRE)]
            self._move_hold(conn, txn, move, now_us)
            reason = "issuer_timeout" if txn.status == CashStatus.AUTHORIZING else None
            after = self._moved(txn, move, now_us, reason=reason)
            self.state.transactions.update(conn, txn, after)
            self.state.transactions.add_events(
                conn, [EventRow(txn.id, now_us, "switch:sweeper", "expire", txn.status, after.status, reason)]
            )
            if txn.status == CashStatus.AUTHORIZING:  # its request never finished: this is its answer
                self.state.idempotency.complete_in(
                    conn, txn.trace_number, txn.body_hash, self.view(after), now_us, scope=SCOPE, status=201
                )
        return len(due)

    async def sync_issuer(self, now: datetime) -> int:
        """Tell CEIBO every post or void it has not acknowledged yet (retries with backoff)."""
        due = await asyncio.to_thread(
            self._read, lambda conn: self.state.transactions.due_for_issuer(conn, to_us(now), ISSUER_BATCH)
        )
        if not due:
            return 0
        gate = asyncio.Semaphore(ISSUER_CONCURRENCY)

        async def push(txn: CashTransaction) -> tuple[CashTransaction, ResolutionAnswer]:
            assert txn.hold_id is not None
            async with gate:
                return txn, await self.ceibo.resolve(txn.hold_id, "post" if txn.issuer_sync == "post" else "void")

        results = await asyncio.gather(*(push(t) for t in due))
        now_us = self.clock.now_us()

        def record(conn: Connection) -> int:
            for txn, result in results:
                self._record_issuer(txn.id, txn.issuer_sync, result, "switch:issuer-sync", now_us, conn)
            return len(results)

        return await self.state.commit.run(record)

    async def issuer_pending(self, *, stuck_only: bool = True, limit: int = 500) -> dict[str, Any]:
        """What the switch still has to tell CEIBO: every post or void not acknowledged after
        ``issuer_alert_after`` tries (all of them with ``stuck_only=False``), most tried first."""
        alert = self.settings.issuer_alert_after
        txns = await asyncio.to_thread(
            self._read, lambda conn: self.state.transactions.issuer_pending(conn, alert if stuck_only else 1, limit)
        )
        return {
            "alert_after": alert,
            "items": [
                {
                    **self.view(t),
                    "issuer_sync": t.issuer_sync,
                    "issuer_attempts": t.issuer_attempts,
                    "issuer_next_at": _iso(t.issuer_next_us) if t.issuer_next_us is not None else None,
                    "stuck": t.issuer_attempts >= alert,
                }
                for t in txns
            ],
        }

    # -- reads ------------------------------------------------------------------------------------
    def _read(self, work: Callable[[Connection], Any]) -> Any:
        return self.state.uow.read(work)

    async def get(self, kind: CashKind, txn_id: str) -> dict[str, Any]:
        txn = await asyncio.to_thread(self._read, lambda conn: self.state.transactions.get(conn, txn_id))
        if txn is None or txn.kind != kind.value:
            raise TransactionNotFound(txn_id)
        return self.view(txn)

    async def find_by_trace(self, kind: CashKind, trace_number: str) -> list[dict[str, Any]]:
        txn = await asyncio.to_thread(self._read, lambda conn: self.state.transactions.get_by_trace(conn, trace_number))
        return [] if txn is None or txn.kind != kind.value else [self.view(txn)]

    async def events(self, kind: CashKind, txn_id: str) -> list[dict[str, Any]]:
        await self.get(kind, txn_id)
        rows: list[dict[str, Any]] = await asyncio.to_thread(
            self._read, lambda conn: self.state.transactions.events(conn, txn_id)
        )
        for row in rows:
            row["at"] = _iso(row.pop("at_us"))
        return rows

    async def latest(self, limit: int = 100) -> list[dict[str, Any]]:
        txns = await asyncio.to_thread(self._read, lambda conn: self.state.transactions.latest(conn, limit))
        return [self.view(t) for t in txns]

    async def between(self, since_us: int, until_us: int) -> list[CashTransaction]:
        found: list[CashTransaction] = await asyncio.to_thread(
            self._read, lambda conn: self.state.transactions.between(conn, since_us, until_us)
        )
        return found

    # -- the day's reconciliation -----------------------------------------------------------------
    def today(self) -> date:
        """The sandbox's calendar day in the cash timezone."""
        return self.clock.now().astimezone(self.settings.cash_tz).date()

    async def reconcile(self, day: date) -> dict[str, Any]:
        """The day's differences between the switch, CEIBO and the collection network: the switch's
        transactions against CEIBO's settlement report and the network's register (their protocol
        reports), in the cash timezone, with a margin of hours on each side."""
        check_report_day(day)  # a day the network can have worked: never a 500 for 9999-12-31
        tz = self.settings.cash_tz
        start, end, since, until = reconciliation.window(day, tz)
        txns, holds, registrations = await asyncio.gather(
            self.between(to_us(since), to_us(until)),
            self.ceibo.holds_between(since, until),
            self.red.registrations_between(since, until),
        )
        report = reconciliation.compare(txns, holds, registrations, start_us=to_us(start), end_us=to_us(end))
        return reconciliation.answer(
            day, tz, report, ceibo_read=holds is not None, red_read=registrations is not None, now=self.clock.now()
        )

    # -- reset ------------------------------------------------------------------------------------
    def reset(self) -> None:
        self.state.reset()
        self.directory.clear()
        self._inflight.clear()
        self._claiming.clear()
