"""GW-07: report rows per period and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sandbox.gateway.records import Order, Transaction
from sandbox.gateway.reports import COLUMNS, Period, rows, to_csv, totals
from sandbox.protocols.payu.codes import TxState

BOGOTA = ZoneInfo("America/Bogota")
T0 = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)  # 10:00 in Bogotá


def order(order_id: int = 1, description: str = "Tornillos") -> Order:
    return Order(
        order_id=order_id, merchant_id="508029", account_id="512321", reference_code=f"R-{order_id}",
        description=description, amount_minor=35000000, tax_minor=0, tax_return_base_minor=0, currency="COP",
        buyer_email="a@example.com", created_at=T0, token="t", source="checkout",
    )  # fmt: skip


def tx(
    order_id: int, at: datetime, state: TxState = TxState.APPROVED, kind: str = "AUTHORIZATION_AND_CAPTURE"
) -> Transaction:
    return Transaction(
        id=f"tx-{order_id}-{kind}", order_id=order_id, type=kind, state=state,
        response_code="APPROVED" if state is TxState.APPROVED else "ENTITY_DECLINED", created_at=at, updated_at=at,
        amount_minor=35000000, tax_minor=0, currency="COP", bank_code="1022", bank_name="BANCO UNION COLOMBIANO",
        document_type="CC", document_number="79555111", payer_email="a@example.com", cus="123",
    )  # fmt: skip


def test_a_day_in_bogota_is_the_period_unit() -> None:
    late = T0 + timedelta(hours=13, minutes=59)  # 23:59 Bogotá, 04:59 UTC next day
    next_day = T0 + timedelta(hours=14)  # 00:00 Bogotá of the 16th
    pairs = [(order(1), tx(1, T0)), (order(2), tx(2, late)), (order(3), tx(3, next_day))]
    day15 = rows(pairs, Period(date(2026, 1, 15), date(2026, 1, 15)), BOGOTA)
    assert [r["order_id"] for r in day15] == [1, 2]
    both = rows(pairs, Period(date(2026, 1, 15), date(2026, 1, 16)), BOGOTA)
    assert [r["order_id"] for r in both] == [1, 2, 3]
    assert day15[0]["fecha"] == "2026-01-15T10:00:00-05:00"
    assert day15[0]["valor"] == "350000.00" and day15[0]["state_pol"] == 4


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="anterior"):
        Period(date(2026, 1, 16), date(2026, 1, 15))


def test_csv_has_a_header_and_one_line_per_transaction() -> None:
    pairs = [(order(1), tx(1, T0)), (order(1), tx(1, T0 + timedelta(minutes=5), kind="REFUND"))]
    text = to_csv(rows(pairs, Period(date(2026, 1, 15), date(2026, 1, 15)), BOGOTA))
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert list(parsed[0]) == list(COLUMNS)
    assert [p["tipo"] for p in parsed] == ["AUTHORIZATION_AND_CAPTURE", "REFUND"]
    assert parsed[1]["valor"] == "350000.00"
    assert text.endswith("\r\n")


@pytest.mark.parametrize("evil", ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)"])
def test_csv_cells_never_run_as_formulas(evil: str) -> None:
    text = to_csv(rows([(order(1, evil), tx(1, T0))], Period(date(2026, 1, 15), date(2026, 1, 15)), BOGOTA))
    cell = next(csv.DictReader(io.StringIO(text)))["descripcion"]
    assert cell == "'" + evil


def test_totals_per_type_and_state() -> None:
    pairs = [(order(1), tx(1, T0)), (order(2), tx(2, T0, TxState.DECLINED))]
    result = totals(rows(pairs, Period(date(2026, 1, 15), date(2026, 1, 15)), BOGOTA))
    assert result == {
        "AUTHORIZATION_AND_CAPTURE:APPROVED": {"count": 1, "value": "350000.00", "currency": "COP"},
        "AUTHORIZATION_AND_CAPTURE:DECLINED": {"count": 1, "value": "350000.00", "currency": "COP"},
    }
