from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.kit.money import AmountError, format_amount, format_display, parse_amount


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("1500", "COP", 150000), ("1500.5", "COP", 150050), ("1500.50", "COP", 150050), ("0.01", "COP", 1),
     ("150000", "PYG", 150000), (150000, "PYG", 150000), ("0", "COP", 0)],
)  # fmt: skip
def test_parse(text: object, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("value", "currency", "words"),
    [(1.5, "COP", "texto"), ("1.234", "COP", "2 decimales"), ("10.5", "PYG", "sin decimales"), ("-1", "COP", "negativo"),
     ("abc", "COP", "decimal"), ("NaN", "COP", "finito"), ("1" * 25, "COP", "grande"), ("1e30", "COP", "exponentes"), ("1", "EUR", "moneda"), (True, "COP", "texto")],
)  # fmt: skip
def test_parse_refuses(value: object, currency: str, words: str) -> None:
    with pytest.raises(AmountError, match=words):
        parse_amount(value, currency)


def test_zero_can_be_refused() -> None:
    with pytest.raises(AmountError, match="mayor que cero"):
        parse_amount("0.00", "COP", allow_zero=False)


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(["COP", "PYG"]))
def test_round_trip(minor: int, currency: str) -> None:
    assert parse_amount(format_amount(minor, currency), currency) == minor


def test_display() -> None:
    assert format_display(150000000, "COP") == "$1.500.000,00"
    assert format_display(180000, "COP") == "$1.800,00"
    assert format_display(150000, "PYG") == "₲ 150.000"
    assert format_amount(-150, "COP") == "-1.50"
