"""Transaction reports for merchants (GW-07; logic): rows for a period, as JSON or CSV. Pure.

A period is a range of calendar days in the network's time zone, both ends included; a
transaction belongs to the day it was created. Amounts are decimal strings; text cells that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) get a leading ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from sandbox.gateway.records import Order, Transaction
from sandbox.kit.money import format_amount, parse_amount
from sandbox.protocols.payu.codes import STATE_POL, response_code_pol

COLUMNS = (
    "fecha",
    "order_id",
    "transaction_id",
    "tipo",
    "reference_code",
    "descripcion",
    "estado",
    "state_pol",
    "response_code",
    "response_code_pol",
    "valor",
    "iva",
    "moneda",
    "medio_pago",
    "banco",
    "cus",
    "tipo_documento",
    "documento",
    "correo_pagador",
    "motivo_antifraude",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("la fecha final no puede ser anterior a la inicial")

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def row(order: Order, tx: Transaction, tz: tzinfo) -> dict[str, Any]:
    return {
        "fecha": tx.created_at.astimezone(tz).isoformat(timespec="seconds"),
        "order_id": order.order_id,
        "transaction_id": tx.id,
        "tipo": tx.type,
        "reference_code": order.reference_code,
        "descripcion": order.description,
        "estado": tx.state.value,
        "state_pol": STATE_POL[tx.state],
        "response_code": tx.response_code,
        "response_code_pol": response_code_pol(tx.response_code),
        "valor": format_amount(tx.amount_minor, tx.currency),
        "iva": format_amount(tx.tax_minor, tx.currency),
        "moneda": tx.currency,
        "medio_pago": tx.payment_method,
        "banco": tx.bank_name or tx.bank_code or "",
        "cus": tx.cus or "",
        "tipo_documento": tx.document_type or "",
        "documento": tx.document_number or "",
        "correo_pagador": tx.payer_email or "",
        "motivo_antifraude": tx.antifraud_reason or "",
    }


def rows(pairs: Iterable[tuple[Order, Transaction]], period: Period, tz: tzinfo) -> list[dict[str, Any]]:
    selected = [(o, t) for o, t in pairs if period.contains(t.created_at.astimezone(tz).date())]
    selected.sort(key=lambda pair: (pair[1].created_at, pair[0].order_id))
    return [row(o, t, tz) for o, t in selected]


def totals(report_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Count and sum per state (decimal strings), for the report's summary."""
    out: dict[str, dict[str, Any]] = {}
    for r in report_rows:
        key = f"{r['tipo']}:{r['estado']}"
        entry = out.setdefault(key, {"count": 0, "minor": 0, "currency": r["moneda"]})
        entry["count"] += 1
        entry["minor"] += parse_amount(r["valor"], r["moneda"])
    return {
        key: {"count": v["count"], "value": format_amount(v["minor"], v["currency"]), "currency": v["currency"]}
        for key, v in sorted(out.items())
    }


def _safe(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(report_rows: list[dict[str, Any]]) -> str:
    """CSV (comma, RFC 4180 quoting, CRLF) with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in report_rows:
        writer.writerow([_safe(r[c]) if isinstance(r[c], str) else r[c] for c in COLUMNS])
    return buffer.getvalue()
