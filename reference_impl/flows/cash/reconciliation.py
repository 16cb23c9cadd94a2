"""Daily reconciliation of cash: the switch's journal against CEIBO's holds and the network's register.

For one calendar day (in the cash timezone), every transaction the switch created that day is
compared with CEIBO's hold of the same id and the collection network's registration of the same
trace number; then what CEIBO or the network have that the switch does not know is listed.
Items of the neighbouring hours are fetched too, so a transaction that straddles midnight at one
party is matched, not reported twice.

A difference names the transaction (``id``, ``trace_number``), the ``parties`` involved, the
``field`` that differs, each party's value and a Spanish ``message``. ``kind`` is
``mismatch`` (contradictory facts: money moved at one party and not at another, other amounts),
``missing`` (one party has it, another does not) or ``open`` (not settled yet: still held,
a post or void CEIBO has not acknowledged, a confirmation the network is still retrying).
After a run where everything settled, there are no differences (NET-02).

Logic role (pure: no I/O, no clock): :func:`compare` takes what the three parties said and
:func:`answer` shapes the report; :meth:`reference_impl.flows.cash.service.CashService.reconcile`
fetches (the switch's transactions, CEIBO's settlement report, the network's register) and calls them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from reference_impl.flows.cash.logic import CashTransaction
from sandbox.kit.clock import to_us
from sandbox.kit.money import format_amount

MARGIN = timedelta(hours=2)
MAX_DIFFERENCES = 1000

_SETTLED_NOTHING = frozenset({"declined", "released", "expired"})
_CEIBO_NOTHING = frozenset({"voided", "expired", "declined"})
_RED_OPEN = frozenset({"sending", "confirming", "releasing", "unknown"})
_RED_NO_ANSWER = frozenset({"failed", "unknown", "sending"})


@dataclass
class _Totals:
    count: int = 0
    amount_minor: int = 0

    def add(self, amount_minor: int) -> None:
        self.count += 1
        self.amount_minor += amount_minor

    def out(self) -> dict[str, Any]:
        return {"count": self.count, "amount": format_amount(self.amount_minor, "PYG")}


@dataclass
class Report:
    differences: list[dict[str, Any]] = field(default_factory=list)
    total_differences: int = 0
    totals: dict[str, dict[str, _Totals]] = field(default_factory=dict)

    def differ(
        self,
        kind: str,
        parties: Sequence[str],
        what: str,
        message: str,
        *,
        id_: str | None,
        trace: str | None,
        values: dict[str, Any],
    ) -> None:
        self.total_differences += 1
        if len(self.differences) < MAX_DIFFERENCES:
            self.differences.append(
                {
                    "kind": kind,
                    "id": id_,
                    "trace_number": trace,
                    "parties": list(parties),
                    "field": what,
                    "values": values,
                    "message": message,
                }
            )

    def tally(self, party: str, bucket: str, amount_minor: int) -> None:
        self.totals.setdefault(party, {}).setdefault(bucket, _Totals()).add(amount_minor)


def _minor(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _in_day(iso: str | None, start_us: int, end_us: int) -> bool:
    if not iso:
        return False
    return start_us <= to_us(datetime.fromisoformat(iso)) < end_us


def compare(
    txns: Sequence[CashTransaction],
    holds: Sequence[dict[str, Any]] | None,
    registrations: Sequence[dict[str, Any]] | None,
    *,
    start_us: int,
    end_us: int,
) -> Report:
    """Compare the switch's transactions of [start_us, end_us) with CEIBO's holds and the network's
    registrations (None: that party could not be read)."""
    report = Report()
    by_hold = {h["hold_id"]: h for h in holds or ()}
    by_trace = {r["trace_number"]: r for r in registrations or ()}
    known_ids = {t.id for t in txns}
    known_traces = {t.trace_number for t in txns}
    if holds is None:
        report.differ(
            "missing",
            ["ceibo"],
            "source",
            "No se pudo leer las retenciones de CEIBO.",
            id_=None,
            trace=None,
            values={"ceibo": "unreachable"},
        )
    if registrations is None:
        report.differ(
            "missing",
            ["red"],
            "source",
            "No se pudo leer el registro de la red de cobranzas.",
            id_=None,
            trace=None,
            values={"red": "unreachable"},
        )

    for t in txns:
        if not start_us <= t.created_us < end_us:
            continue
        moved = t.status == "confirmed"
        key = {"id_": t.id, "trace": t.trace_number}
        report.tally("switch", f"{t.kind}s_{t.status}", t.amount_minor)
        if t.status in ("authorizing", "approved"):
            report.differ(
                "open",
                ["switch"],
                "status",
                "La transacción sigue abierta (retenida) en el switch.",
                values={"switch": t.status},
                **key,
            )
        elif t.issuer_sync != "none":
            report.differ(
                "open",
                ["switch", "ceibo"],
                "issuer_state",
                f"El switch aún debe informar «{t.issuer_sync}» a CEIBO ({t.issuer_attempts} intentos; sigue).",
                values={"switch": t.status, "ceibo": t.issuer_state},
                **key,
            )
        # CEIBO
        if holds is not None:
            hold = by_hold.get(t.id)
            if hold is None:
                if moved or t.status == "approved":
                    report.differ(
                        "missing",
                        ["switch", "ceibo"],
                        "hold",
                        "CEIBO no tiene la retención.",
                        values={"switch": t.status, "ceibo": None},
                        **key,
                    )
            else:
                state = hold.get("state")
                want = "posted" if moved else ("pending" if t.status in ("authorizing", "approved") else None)
                ok = state == want if want is not None else state in _CEIBO_NOTHING
                if t.status == "authorizing":
                    ok = True  # still in flight: any CEIBO state is possible
                if not ok and t.issuer_sync == "none":
                    report.differ(
                        "mismatch",
                        ["switch", "ceibo"],
                        "state",
                        "El estado de la retención en CEIBO no corresponde al de la transacción.",
                        values={"switch": t.status, "ceibo": state},
                        **key,
                    )
                for name, mine, theirs in (
                    ("amount", t.amount_minor, _minor(hold.get("amount"))),
                    ("card_id", t.card_id, hold.get("card_id")),
                    ("kind", "debit" if t.kind == "withdrawal" else "credit", hold.get("kind")),
                ):
                    if mine != theirs:
                        report.differ(
                            "mismatch",
                            ["switch", "ceibo"],
                            name,
                            f"El campo {name} difiere.",
                            values={"switch": mine, "ceibo": theirs},
                            **key,
                        )
        # the collection network
        if registrations is not None:
            reg = by_trace.get(t.trace_number)
            if reg is None:
                report.differ(
                    "missing",
                    ["switch", "red"],
                    "registration",
                    "La red de cobranzas no registró esta transacción.",
                    values={"switch": t.status, "red": None},
                    **key,
                )
                continue
            if reg.get("status") in _RED_OPEN:
                report.differ(
                    "open",
                    ["switch", "red"],
                    "status",
                    "La red de cobranzas aún no cerró la operación.",
                    values={"switch": t.status, "red": reg.get("status")},
                    **key,
                )
            elif bool(reg.get("cash_moved")) != moved and t.status not in ("authorizing", "approved"):
                report.differ(
                    "mismatch",
                    ["switch", "red"],
                    "cash_moved",
                    "El efectivo de la caja no corresponde a la transacción del switch.",
                    values={"switch": t.status, "red": reg.get("status")},
                    **key,
                )
            for name, mine, theirs in (
                ("amount", t.amount_minor, _minor(reg.get("amount"))),
                ("counter_id", t.counter_id, reg.get("counter_id")),
                ("kind", t.kind, reg.get("operation")),
            ):
                if mine != theirs:
                    report.differ(
                        "mismatch",
                        ["switch", "red"],
                        name,
                        f"El campo {name} difiere.",
                        values={"switch": mine, "red": theirs},
                        **key,
                    )

    for hold in holds or ():
        state = hold.get("state")
        if state in ("pending", "posted"):
            report.tally("ceibo", f"{hold.get('kind')}s_{state}", _minor(hold.get("amount")) or 0)
        if hold["hold_id"] in known_ids or not _in_day(hold.get("created_at"), start_us, end_us):
            continue
        if state in ("pending", "posted"):
            report.differ(
                "missing",
                ["ceibo", "switch"],
                "hold",
                "CEIBO tiene una retención que el switch no conoce.",
                id_=hold["hold_id"],
                trace=hold.get("trace_number"),
                values={"ceibo": state, "switch": None},
            )
    for reg in registrations or ():
        if reg.get("cash_moved"):
            kind = "cash_out" if reg.get("operation") == "withdrawal" else "cash_in"
            report.tally("red", kind, _minor(reg.get("amount")) or 0)
        if reg["trace_number"] in known_traces or not _in_day(reg.get("started_at"), start_us, end_us):
            continue
        if reg.get("cash_moved") or reg.get("status") not in _RED_NO_ANSWER:
            report.differ(
                "missing",
                ["red", "switch"],
                "transaction",
                "La red de cobranzas registró una operación que el switch no conoce.",
                id_=reg.get("switch_id"),
                trace=reg["trace_number"],
                values={"red": reg.get("status"), "switch": None},
            )
    return report


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return start, end


def window(day: date, tz: tzinfo) -> tuple[datetime, datetime, datetime, datetime]:
    """The day's bounds and the wider window fetched around them (``MARGIN`` on each side)."""
    start, end = day_bounds(day, tz)
    return start, end, start - MARGIN, end + MARGIN


def answer(
    day: date,
    tz: tzinfo,
    report: Report,
    *,
    ceibo_read: bool,
    red_read: bool,
    now: datetime,
) -> dict[str, Any]:
    """The reconciliation as the API and the page show it."""
    return {
        "date": day.isoformat(),
        "timezone": str(tz),
        "generated_at": now.isoformat(),
        "sources": {
            "switch": "ok",
            "ceibo": "ok" if ceibo_read else "unreachable",
            "red": "ok" if red_read else "unreachable",
        },
        "differences": report.differences,
        "difference_count": report.total_differences,
        "totals": {
            party: {k: v.out() for k, v in sorted(buckets.items())} for party, buckets in sorted(report.totals.items())
        },
    }
