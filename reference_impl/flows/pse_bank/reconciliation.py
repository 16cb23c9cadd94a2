"""The day's reconciliation of PSE debits at 1066 (NET-02, NET-06): what the switch decided, what coop
posted (its day report of each entity, ``GET /coop/v1/entities/{e}/transactions?date=``) and what
ACH holds as the transaction's state (the bank-side ``GetTransactionInformation``). Role: logic
(values in, report out; the service fetches).

A payment's three views must agree once nothing is left to tell (``ach_sync`` and ``coop_sync``
settled):

==============  =============================  ======================
switch          coop (debits of the CUS)       ACH
==============  =============================  ======================
``approved``    one posted debit, not reversed ``OK``
``reversed``    a posted debit, reversed       not ``OK``
``declined``    no posted debit                not ``OK``
==============  =============================  ======================

A payment still being told (``posting``, a confirmation ACH has not acknowledged, a reversal
under way) is listed as *in progress*, never as a difference: the jobs finish it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

from reference_impl.flows.pse_bank.logic import PsePayment


class CoopDebit(Protocol):
    """A transaction of coop's day report, as far as the comparison reads it."""

    @property
    def transaction_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def amount_minor(self) -> int: ...
    @property
    def reference(self) -> str: ...
    @property
    def reversed(self) -> bool: ...


@dataclass
class Totals:
    count: int = 0
    amount_minor: int = 0

    def add(self, amount_minor: int) -> None:
        self.count += 1
        self.amount_minor += amount_minor


@dataclass
class Report:
    differences: list[dict[str, Any]] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)
    totals: dict[str, Totals] = field(default_factory=dict)


def window(day: date, tz: tzinfo) -> tuple[datetime, datetime, datetime, datetime]:
    """The calendar day in ``tz`` and the window read (the same: payments are read by creation)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = start + timedelta(days=1)
    return start, end, start, end


def _settled(p: PsePayment) -> bool:
    return p.final and p.ach_sync in ("done", "refused") and p.coop_sync == "none"


def compare(
    payments: Sequence[PsePayment],
    debits: Iterable[CoopDebit],
    reversed_ids: Iterable[str],
    ach_states: Mapping[str, str],
) -> Report:
    report = Report(totals={"switch_approved": Totals(), "coop_posted": Totals(), "ach_ok": Totals()})
    gone = set(reversed_ids)
    by_cus: dict[str, list[CoopDebit]] = {}
    for debit in debits:
        by_cus.setdefault(debit.reference.removeprefix("PSE1066-"), []).append(debit)
    known = {p.cus for p in payments}
    for p in payments:
        posted = [
            d for d in by_cus.get(p.cus, []) if d.status == "posted" and not d.reversed and d.transaction_id not in gone
        ]
        ach = ach_states.get(p.cus)
        if p.status == "approved":
            report.totals["switch_approved"].add(p.value_minor)
        for d in posted:
            report.totals["coop_posted"].add(d.amount_minor)
        if ach == "OK":
            report.totals["ach_ok"].add(p.value_minor)
        if not _settled(p):
            if p.entity is not None and (
                p.status in ("authorizing", "posting") or p.ach_sync == "due" or p.coop_sync != "none"
            ):
                report.in_progress.append(p.cus)
            continue
        want_posted = p.status == "approved"
        if want_posted != bool(posted) or len(posted) > 1:
            report.differences.append(_diff(p, "coop", "posted_debits", len(posted), 1 if want_posted else 0))
        elif posted and posted[0].amount_minor != p.value_minor:
            report.differences.append(_diff(p, "coop", "amount", posted[0].amount_minor, p.value_minor))
        if ach is not None and (ach == "OK") != want_posted:
            report.differences.append(_diff(p, "ach", "transactionState", ach, "OK" if want_posted else "no OK"))
    for cus, found in by_cus.items():
        if cus not in known and any(d.status == "posted" and not d.reversed for d in found):
            report.differences.append(
                {
                    "cus": cus,
                    "party": "coop",
                    "field": "unknown_at_switch",
                    "found": len(found),
                    "expected": 0,
                    "message": "coop tiene un débito de un CUS que el switch no conoce",
                }
            )
    return report


def _diff(p: PsePayment, party: str, name: str, found: Any, expected: Any) -> dict[str, Any]:
    messages = {
        ("coop", "posted_debits"): "los débitos asentados en la cooperativa no coinciden con el estado del switch",
        ("coop", "amount"): "el valor debitado en la cooperativa no es el del pago",
        ("ach", "transactionState"): "el estado en ACH no coincide con el del switch",
    }
    return {"cus": p.cus, "party": party, "field": name, "switch_status": p.status, "found": found,
            "expected": expected, "message": messages[(party, name)]}  # fmt: skip


def answer(day: date, tz: tzinfo, report: Report, *, coop_read: bool, ach_read: bool, now: datetime) -> dict[str, Any]:
    return {
        "flow": "pse1066",
        "date": day.isoformat(),
        "timezone": str(tz),
        "generated_at": now.isoformat(),
        "sources": {"coop": "ok" if coop_read else "unavailable", "ach": "ok" if ach_read else "unavailable"},
        "difference_count": len(report.differences),
        "differences": report.differences,
        "in_progress": report.in_progress,
        "totals": {k: {"count": t.count, "amount_minor": t.amount_minor} for k, t in report.totals.items()},
    }
