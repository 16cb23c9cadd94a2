"""PayU's wire types and rules, pure: the envelope's slot, epoch milliseconds, numeric amounts
written without floats, and the two page-signature value rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import simplejson
from hypothesis import given
from hypothesis import strategies as st

from sandbox.protocols.payu import wire
from sandbox.protocols.payu.signatures import new_value, response_page_value


@pytest.mark.parametrize(
    ("command", "path", "query"),
    [
        ("ORDER_DETAIL", wire.PAYMENTS_PATH, True),
        ("TRANSACTION_RESPONSE_DETAIL", wire.QUERIES_PATH, True),
        ("PING", wire.QUERIES_PATH, False),
        ("SUBMIT_TRANSACTION", wire.PAYMENTS_PATH, False),
        (None, wire.QUERIES_PATH, True),  # unreadable body on the queries path: its shape
        (None, wire.PAYMENTS_PATH, False),
        ("BORRAR", wire.QUERIES_PATH, True),
    ],
)
def test_an_error_takes_its_apis_slot(command: str | None, path: str, query: bool) -> None:
    assert wire.is_query(command, path) is query
    body = wire.error("No existe la orden.", query=wire.is_query(command, path))
    assert body == {
        "code": "ERROR",
        "error": "No existe la orden.",
        ("result" if query else "transactionResponse"): None,
    }


def test_dates_are_epoch_milliseconds_whatever_the_zone() -> None:
    bogota = timezone(timedelta(hours=-5))
    moment = datetime(2021, 6, 23, 13, 2, 12, 753999, tzinfo=bogota)
    assert wire.epoch_ms(moment) == 1624471332753  # 18:02:12.753Z; microseconds truncated
    assert wire.epoch_ms(moment.astimezone(UTC)) == 1624471332753
    assert wire.epoch_ms(None) is None


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [(6500000, "COP", "65000"), (6500050, "COP", "65000.50"), (1, "COP", "0.01"), (150000, "PYG", "150000"),
     (0, "COP", "0")],
)  # fmt: skip
def test_amounts_are_exact_json_numbers(minor: int, currency: str, text: str) -> None:
    assert wire.dumps({"v": wire.amount_value(minor, currency)}) == f'{{"v": {text}}}'.encode()


@given(st.integers(min_value=0, max_value=10**17))
def test_an_amount_reads_back_to_the_same_minor_units(minor: int) -> None:
    value = simplejson.loads(wire.dumps(wire.money(minor, "COP")), use_decimal=True)["value"]
    assert Decimal(value) * 100 == minor


@pytest.mark.parametrize(
    ("minor", "confirmation", "response_page"),
    [
        (15000, "150.0", "150.0"),
        (15050, "150.5", "150.5"),
        (15025, "150.25", "150.2"),  # half to even: down to the even 2
        (15035, "150.35", "150.4"),  # half to even: up to the even 4
        (15026, "150.26", "150.3"),
        (15024, "150.24", "150.2"),
        (35000000, "350000.0", "350000.0"),
        (99995, "999.95", "1000.0"),
    ],
)
def test_each_page_signs_its_own_value(minor: int, confirmation: str, response_page: str) -> None:
    assert new_value(minor, "COP") == confirmation
    assert response_page_value(minor, "COP") == response_page


def test_a_currency_without_decimals_keeps_one_zero_decimal() -> None:
    assert response_page_value(150000, "PYG") == "150000.0" == new_value(150000, "PYG")
