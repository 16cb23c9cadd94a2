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
under way, an authorization coop has not answered still to be voided) is listed as *in progress*,
never as a difference: the jobs finish it. One coop has not acknowledged after ``alert_after``
tries (issue 16, item 3: the switch's ``issuer_alert_after``) is a difference (``coop_sync``): it is
on the operator's list (``GET /pse/v1/coop-sync``, ``/pse/pendientes-cooperativa``) and the switch
keeps trying.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Final, Protocol

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


#: What the switch still owes coop, in the operator's words.
COOP_OPERATIONS: Final = {
    "post": "el asiento del débito",
    "void": "la anulación de la autorización",
    "reverse": "el reverso del débito",
    "resolve": "la consulta y anulación de una autorización sin respuesta",
}


def owed_to_coop(p: PsePayment, attempt_syncs: Mapping[str, tuple[str, int]]) -> tuple[str, int] | None:
    """What the switch still has to tell coop for ``p`` (its ``coop_sync``, else an attempt's
    authorization to resolve or void) and how many tries it has had; None when nothing."""
    if p.coop_sync != "none":
        return p.coop_sync, p.coop_attempts
    return attempt_syncs.get(p.cus)


def compare(
    payments: Sequence[PsePayment],
    debits: Iterable[CoopDebit],
    reversed_ids: Iterable[str],
    ach_states: Mapping[str, str],
    *,
    attempt_syncs: Mapping[str, tuple[str, int]] | None = None,
    alert_after: int = 8,
) -> Report:
    """``attempt_syncs``: per CUS, an attempt's authorization still to be resolved or voided at coop
    (its ``sync`` and tries; the most tried); ``alert_after``: tries after which what coop is owed
    is a difference."""
    tries_of = attempt_syncs or {}
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
        owed = owed_to_coop(p, tries_of)
        if owed is not None and owed[1] >= alert_after:
            report.differences.append(
                {"cus": p.cus, "party": "coop", "field": "coop_sync", "switch_status": p.status, "found": owed[1],
                 "expected": 0, "message": f"El switch aún debe informar {COOP_OPERATIONS[owed[0]]} a la cooperativa "
                 f"({owed[1]} intentos; sigue intentando)."}
            )  # fmt: skip
            continue
        if not _settled(p) or owed is not None:
            if p.entity is not None and (
                p.status in ("authorizing", "posting") or p.ach_sync == "due" or owed is not None
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
