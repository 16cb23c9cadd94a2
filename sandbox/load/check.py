"""Correctness after a load run: nothing held, nothing lost, nothing doubled, everything reconciled.

:func:`snapshot` is taken before Locust starts, :func:`verify` after it ended (every flow
finished: the shape drains the run). ``verify`` first settles the sandbox the way time would:
it moves the sandbox clock past the latest hold left open and ticks every party until the
switch's sweeper and its CEIBO sync have nothing left to do (CASH-10, NET-06). Then:

``settled``            no transaction is still held or waiting for CEIBO (reconciliation: no
                       ``open`` difference) and no card has money pending at CEIBO
``reconciliation``     the cash reconciliation of every day of the run shows no difference except
                       one per transaction Locust opened itself: in a load run Locust *is* the
                       collection network, so those are not in red's register; their number must
                       equal Locust's own register (the ledger), and every one listed carries the
                       run's trace prefix. Operations run through red's API reconcile fully.
``outcomes``           per kind and status (confirmed, released, expired, declined), count and
                       amount: switch = the ledger; confirmed ones also = CEIBO's posted holds
``conservation``       Δ card balances at CEIBO = Δ red's drawers + Δ Locust's drawers (cash paid
                       out for withdrawals, taken in for deposits): no guaraní created or lost
``single use``         no trace number reached CEIBO twice; every request repeated on purpose
                       got the first answer back (CASH-11, NET-01)
``answers``            every flow ended with a definitive answer: an answer lost in a crash (a
                       :class:`~sandbox.load.ledger.Lost` record of the ledger) is resolved first
                       by asking the switch (and red, for a cashier's operation) what really
                       happened (:mod:`sandbox.load.resolve`) and counted in its real outcome by
                       every other check; only what the switch itself cannot tell fails

Everything is a difference between a snapshot before and after, so a run against a sandbox that
already has traffic (``--host``) is judged on its own transactions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

from sandbox.client import SandboxClient
from sandbox.load.ledger import Ledger, Lost, run_prefix
from sandbox.load.resolve import RED_FINAL, Resolution, apply, outcome

TIMEOUT_S = 300
MAX_SETTLE_ROUNDS = 400
#: Rounds of sandbox time (each :data:`LOST_ROUND_S` seconds: past red's longest retry back-off;
#: ten of them are past the switch's hold timeout) for an operation a crash left unfinished — a
#: cashier's operation pending at red, a transaction the switch was authorizing when it died — to
#: reach its end.
LOST_ROUNDS = 10
LOST_ROUND_S = 65.0
KINDS = ("withdrawal", "deposit")


@dataclass(frozen=True, slots=True)
class Urls:
    switch: str
    ceibo: str
    red: str | None = None

    def parties(self) -> dict[str, str]:
        out = {"switch": self.switch, "ceibo": self.ceibo}
        if self.red:
            out["red"] = self.red
        return out


@dataclass
class Money:
    balances_minor: int
    pending_minor: int
    drawers_minor: int | None


@dataclass
class Before:
    now: datetime
    money: Money
    #: Reconciliation of the start day: difference count and totals (a baseline for --host runs).
    recon: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckReport:
    checks: list[Check]
    settle: dict[str, Any]
    #: The answers lost in crashes and where each really ended (None: the ledger had none).
    resolution: Resolution | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "settle": self.settle, "checks": [c.to_dict() for c in self.checks]}
        if self.resolution is not None:
            out["lost_answers"] = self.resolution.to_dict()
        return out

    def markdown(self) -> str:
        lines = ["| check | result | detail |", "|---|---|---|"]
        for c in self.checks:
            lines.append(f"| {c.name} | {'ok' if c.ok else '**FAILED**'} | {c.detail} |")
        return "\n".join(lines)


def _minor(value: Any) -> int:
    return int(str(value or "0"))


class Parties:
    """The HTTP calls the check makes (the sandbox's control APIs and SICOOP's reconciliation)."""

    def __init__(self, urls: Urls, http: requests.Session | None = None) -> None:
        self.urls = urls
        self.http = http or requests.Session()

    def get(self, base: str, path: str, **params: Any) -> Any:
        response = self.http.get(base + path, params=params, timeout=TIMEOUT_S)
        response.raise_for_status()
        return response.json()

    def find(self, base: str, path: str, **params: Any) -> dict[str, Any] | None:
        """Like :meth:`get`, None for a 404."""
        response = self.http.get(base + path, params=params, timeout=TIMEOUT_S)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        found: dict[str, Any] = response.json()
        return found

    # -- what the switch and red say of one operation (lost answers) ------------------------------
    def transaction(self, kind: str, txn_id: str) -> dict[str, Any] | None:
        return self.find(self.urls.switch, f"/sicoop/v1/{kind}s/{txn_id}")

    def by_trace(self, kind: str, trace_number: str) -> dict[str, Any] | None:
        items = self.get(self.urls.switch, f"/sicoop/v1/{kind}s", trace_number=trace_number)["items"]
        return items[0] if items else None

    def red_operation(self, trace_number: str) -> dict[str, Any] | None:
        if not self.urls.red:
            return None
        return self.find(self.urls.red, f"/red/v1/operations/{trace_number}")

    def now(self) -> datetime:
        return datetime.fromisoformat(self.get(self.urls.switch, "/_sandbox/health")["now"])

    def money(self) -> Money:
        cards = self.get(self.urls.ceibo, "/_sandbox/cards", limit=1_000_000)["cards"]
        drawers = None
        if self.urls.red:
            counters = self.get(self.urls.red, "/_sandbox/counters")["counters"]
            drawers = sum(_minor(c["cash"]) for c in counters)
        return Money(
            balances_minor=sum(_minor(c["balance"]) for c in cards),
            pending_minor=sum(_minor(c["pending"]) + _minor(c["pending_credit"]) for c in cards),
            drawers_minor=drawers,
        )

    def reconciliation(self, day: date) -> dict[str, Any]:
        found: dict[str, Any] = self.get(self.urls.switch, "/sicoop/v1/reconciliation", date=day.isoformat())
        return found

    def holds_since(self, since: datetime) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get(
            self.urls.ceibo, "/_sandbox/holds", since=since.isoformat(), limit=2_000_000
        )["holds"]
        return found


def _days(start: datetime, end: datetime, tz: ZoneInfo) -> list[date]:
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _total(recons: Iterable[dict[str, Any]], party: str, bucket: str) -> tuple[int, int]:
    count = amount = 0
    for recon in recons:
        found = recon.get("totals", {}).get(party, {}).get(bucket)
        if found:
            count += int(found["count"])
            amount += _minor(found["amount"])
    return count, amount


def snapshot(parties: Parties) -> Before:
    now = parties.now()
    start = parties.reconciliation(now.astimezone(_cash_tz(parties, now)).date())
    return Before(now=now, money=parties.money(), recon=start)


def _cash_tz(parties: Parties, now: datetime) -> ZoneInfo:
    # The reconciliation names its timezone (the switch's cash_timezone); ask once with UTC's date.
    answer = parties.reconciliation(now.date())
    return ZoneInfo(str(answer.get("timezone", "America/Asuncion")))


def settle(parties: Parties, ledger: Ledger) -> dict[str, Any]:
    """Move the clock past the latest open hold and tick until the switch has nothing left to do."""
    urls = parties.urls.parties()
    with SandboxClient(urls, timeout_s=TIMEOUT_S) as client:
        now = client.now("switch")
        advanced_s = 0.0
        if ledger.latest_expiry is not None:
            latest = datetime.fromisoformat(ledger.latest_expiry)
            advanced_s = max(0.0, (latest - now).total_seconds()) + 1.0
            client.advance_clock(advanced_s, list(urls))
        rounds = swept = pushed = 0
        for rounds in range(1, MAX_SETTLE_ROUNDS + 1):  # noqa: B007 - the count is reported
            jobs = client.tick_all(list(urls))
            switch_jobs = jobs.get("switch", {})
            done = int(switch_jobs.get("sicoop.expire_holds", 0)), int(switch_jobs.get("sicoop.issuer_sync", 0))
            swept += max(0, done[0])
            pushed += max(0, done[1])
            if done == (0, 0) and all(v <= 0 for p in jobs.values() for v in p.values()):
                break
    return {"advanced_s": round(advanced_s, 3), "tick_rounds": rounds, "expired": swept, "pushed_to_ceibo": pushed}


def _unfinished(parties: Parties, record: Lost) -> bool:
    """Whether the operation of a lost answer is still in progress where it lives."""
    if record.action == "cashier":
        op = parties.red_operation(record.trace_number)
        return op is not None and op.get("status") not in RED_FINAL
    if record.action == "open":
        txn = parties.by_trace(record.kind, record.trace_number)
    else:
        txn = parties.transaction(record.kind, str(record.txn_id))
    return txn is not None and txn.get("status") in ("authorizing", "approved")


def settle_lost(parties: Parties, lost: list[Lost]) -> int:
    """Let sandbox time pass until the operation of every lost answer has ended: red retries its calls
    to SICOOP with a back-off of sandbox time, and the switch settles a transaction it was authorizing
    when it died at its hold timeout (the sweeper). Returns the rounds it took."""
    urls = parties.urls.parties()
    with SandboxClient(urls, timeout_s=TIMEOUT_S) as client:
        for done in range(LOST_ROUNDS + 1):
            if done == LOST_ROUNDS or not any(_unfinished(parties, r) for r in lost):
                return done
            client.advance_clock(LOST_ROUND_S, list(urls))
            for _ in range(MAX_SETTLE_ROUNDS):
                jobs = client.tick_all(list(urls))
                if all(v <= 0 for p in jobs.values() for v in p.values()):
                    break
    return LOST_ROUNDS


def resolve(parties: Parties, ledger: Ledger) -> Resolution:
    """Where each lost answer really ended, asked of the switch (and red) after settling."""
    found = []
    for record in ledger.lost:
        if record.action == "open":
            found.append(outcome(record, parties.by_trace(record.kind, record.trace_number)))
        elif record.action in ("confirm", "release"):
            found.append(outcome(record, parties.transaction(record.kind, str(record.txn_id))))
        else:
            red = parties.red_operation(record.trace_number)
            found.append(outcome(record, parties.by_trace(record.kind, record.trace_number), red))
    return apply(ledger, found)


def verify(parties: Parties, ledger: Ledger, before: Before) -> CheckReport:
    ledger = ledger.copy()
    for record in ledger.lost:  # a hold opened without an answer expires too: settle past it
        if record.action == "open" and (txn := parties.by_trace(record.kind, record.trace_number)) is not None:
            ledger.expires(txn.get("hold_expires_at"))
    settled = settle(parties, ledger)
    if ledger.lost:
        settled["lost_rounds"] = settle_lost(parties, ledger.lost)
    resolution = resolve(parties, ledger) if ledger.lost else None
    counted = resolution.ledger if resolution is not None else ledger
    after_now = parties.now()
    tz = _cash_tz(parties, after_now)
    days = _days(before.now, after_now, tz)
    recons = [parties.reconciliation(d) for d in days]
    money = parties.money()
    checks = [
        _settled(recons, money),
        _reconciled(recons, counted, before),
        *_outcomes(recons, counted, before),
        _conservation(before.money, money, counted),
        _single_use(parties.holds_since(before.now - timedelta(minutes=5)), counted),
        _answers(counted, resolution),
    ]
    return CheckReport(checks, settled, resolution)


# -- the checks -----------------------------------------------------------------------------------
def _settled(recons: list[dict[str, Any]], money: Money) -> Check:
    still_open = [d for r in recons for d in r["differences"] if d["kind"] == "open"]
    count = len(still_open)
    ok = count == 0 and money.pending_minor == 0
    detail = (
        "no hold left open past its timeout; nothing pending at CEIBO"
        if ok
        else f"{count} transactions still open, {money.pending_minor} PYG pending at CEIBO"
    )
    return Check("settled", ok, detail, {"open": still_open[:20], "pending_at_ceibo_minor": money.pending_minor})


def _reconciled(recons: list[dict[str, Any]], ledger: Ledger, before: Before) -> Check:
    prefix = run_prefix(ledger.run_id)
    red_ok = all(r["sources"].get("red") == "ok" for r in recons)
    total = sum(int(r["difference_count"]) for r in recons)
    baseline = int(before.recon.get("difference_count", 0))
    new = total - baseline
    expected = ledger.direct_opened if red_ok else 0

    def ours(d: dict[str, Any]) -> bool:
        return (
            d["kind"] == "missing"
            and d["parties"] == ["switch", "red"]
            and d["field"] == "registration"
            and str(d.get("trace_number") or "").startswith(prefix)
        )

    listed = [d for r in recons for d in r["differences"]]
    unexpected = [
        d for d in listed if not ours(d) and (baseline == 0 or str(d.get("trace_number", "")).startswith(prefix))
    ]
    if not red_ok:  # red not reachable: its one "source" difference per day is expected
        unexpected = [d for d in unexpected if not (d["parties"] == ["red"] and d["field"] == "source")]
        expected += len(recons) - (1 if baseline else 0)
    ok = not unexpected and new == expected
    detail = (
        f"{len(recons)} day(s): switch↔CEIBO 0 differences; {expected} transactions registered by Locust "
        f"(the network in this run) instead of red, matching its ledger"
        if ok
        else f"{new} new differences, {expected} expected (Locust's own), {len(unexpected)} unexpected listed"
    )
    return Check(
        "reconciliation",
        ok,
        detail,
        {
            "days": [r["date"] for r in recons],
            "differences": total,
            "expected": expected,
            "unexpected": unexpected[:20],
        },
    )


def _expected(ledger: Ledger, kind: str) -> dict[str, tuple[int, int]]:
    def both(*keys: str) -> tuple[int, int]:
        return sum(ledger.count(k) for k in keys), sum(ledger.amount(k) for k in keys)

    declined = [k for k in ledger.counts if k.startswith(f"{kind}.declined.")]
    return {
        "confirmed": both(f"{kind}.confirmed", f"cashier.{kind}.completed"),
        "released": both(f"{kind}.released", f"cashier.{kind}.released"),
        "expired": both(f"{kind}.abandoned", f"{kind}.expired", f"{kind}.unresolved", f"cashier.{kind}.annulled"),
        "declined": both(*declined, f"cashier.{kind}.declined"),
    }


def _outcomes(recons: list[dict[str, Any]], ledger: Ledger, before: Before) -> list[Check]:
    checks = []
    for kind in KINDS:
        wrong: dict[str, Any] = {}
        for status, (count, amount) in _expected(ledger, kind).items():
            bucket = f"{kind}s_{status}"
            now_c, now_a = _total(recons, "switch", bucket)
            was_c, was_a = _total([before.recon], "switch", bucket)
            seen = (now_c - was_c, now_a - was_a)
            if seen != (count, amount):
                wrong[status] = {"switch": seen, "ledger": (count, amount)}
        posted = "debits_posted" if kind == "withdrawal" else "credits_posted"
        now_c, now_a = _total(recons, "ceibo", posted)
        was_c, was_a = _total([before.recon], "ceibo", posted)
        confirmed = _expected(ledger, kind)["confirmed"]
        if (now_c - was_c, now_a - was_a) != confirmed:
            wrong["ceibo_posted"] = {"ceibo": (now_c - was_c, now_a - was_a), "ledger": confirmed}
        count, amount = confirmed
        detail = (
            f"{count} confirmed ({amount} PYG) = switch = CEIBO posted; released, expired, declined = switch"
            if not wrong
            else "; ".join(f"{k}: {v}" for k, v in wrong.items())
        )
        checks.append(Check(f"outcomes ({kind}s)", not wrong, detail, {"mismatches": wrong}))
    return checks


def _conservation(before: Money, after: Money, ledger: Ledger) -> Check:
    cards = after.balances_minor - before.balances_minor
    red = (after.drawers_minor or 0) - (before.drawers_minor or 0)
    locust = ledger.drawer_delta_minor
    ok = cards == red + locust
    detail = f"Δ cards {cards} PYG = Δ red's drawers {red} + Δ Locust's drawers {locust}" + (
        "" if ok else " — NOT EQUAL"
    )
    return Check("conservation", ok, detail, {"cards": cards, "red_drawers": red, "locust_drawers": locust})


def _single_use(holds: list[dict[str, Any]], ledger: Ledger) -> Check:
    prefix = run_prefix(ledger.run_id)
    traces = [h["trace_number"] for h in holds if str(h.get("trace_number") or "").startswith(prefix)]
    doubled = len(traces) - len(set(traces))
    mismatches = ledger.count("replay.mismatch")
    ok = doubled == 0 and mismatches == 0
    detail = (
        f"{len(traces)} holds at CEIBO, each of its own trace number; {ledger.count('replay.ok')} repeated requests "
        "answered with the first answer"
        if ok
        else f"{doubled} trace numbers held twice at CEIBO, {mismatches} repeated requests answered differently"
    )
    return Check("single use", ok, detail, {"holds": len(traces), "doubled": doubled, "replay_mismatch": mismatches})


def _answers_lost(n: int) -> str:
    return f"{n} answer{'' if n == 1 else 's'} lost"


def _answers(ledger: Ledger, resolution: Resolution | None = None) -> Check:
    unknown = {
        k: v
        for k, v in ledger.counts.items()
        if k.endswith((".unknown", ".open_unknown", ".unresolved")) or ".http_" in k
    }
    flows = ledger.direct_opened + ledger.prefixed("cashier.")
    data: dict[str, Any] = {"lost": unknown}
    if resolution is None:
        ok = not unknown
        detail = (
            f"{flows} flows, every one with a definitive answer" if ok else f"without a definitive answer: {unknown}"
        )
        return Check("answers", ok, detail, data)
    cannot = resolution.unresolved
    data.update(
        lost_in_crashes=len(resolution.outcomes),
        by_bucket=resolution.buckets(),
        unresolved=[o.to_dict() for o in cannot[:20]],
    )
    ok = not unknown and not cannot
    buckets = ", ".join(f"{n} {b}" for b, n in resolution.buckets().items())
    if ok:
        detail = (
            f"{_answers_lost(len(resolution.outcomes))} in crashes, all resolved by querying the switch ({buckets}); "
            f"{flows} flows, every one with a definitive answer"
        )
    else:
        detail = (
            f"{len(cannot)} of {_answers_lost(len(resolution.outcomes))} in crashes the switch could not tell"
            f" ({'; '.join(f'{o.record.trace_number}: {o.why}' for o in cannot[:3])})"
            + (f"; without a definitive answer: {unknown}" if unknown else "")
        )
    return Check("answers", ok, detail, data)
