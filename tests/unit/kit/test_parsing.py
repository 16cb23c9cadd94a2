"""The one parsing module (issue 16): strict wire amounts, typed amounts, documents, days."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.kit.money import format_amount
from sandbox.kit.parsing import (
    AmountError,
    DayError,
    DocumentError,
    normalize_document_number,
    parse_amount,
    parse_day,
    parse_typed_amount,
)

# --- the wire ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (" 1000 ", "espacios"),
        ("1000 ", "espacios"),
        ("+1000", "signo"),
        ("-1000", "negativo"),
        ("1_000", "'_'"),
        ("1e3", "exponentes"),
        ("1E3", "exponentes"),
        ("１０００", "0-9"),  # full-width
        ("١٠٠٠", "0-9"),  # Arabic-Indic
        ("1,000", "punto decimal"),
        ("1.000,00", "punto decimal"),
        ("", "vacío"),
        ("Infinity", "finito"),
        ("0x10", "decimal"),
        (".5", "decimal"),
        ("5.", "decimal"),
    ],
)
def test_wire_refuses_what_people_or_floats_would_sneak_in(text: str, words: str) -> None:
    with pytest.raises(AmountError, match=words):
        parse_amount(text, "COP")


def test_wire_refuses_more_decimals_than_the_currency_has() -> None:
    with pytest.raises(AmountError, match="2 decimales"):
        parse_amount("10.001", "COP")
    with pytest.raises(AmountError, match="sin decimales"):
        parse_amount("10.5", "PYG")
    with pytest.raises(AmountError, match="sin decimales"):
        parse_amount("10.0", "PYG")  # not even a zero decimal: the wire says what the currency has


def test_wire_integers_are_whole_units_and_negative_ones_refused() -> None:
    assert parse_amount(1500, "COP") == 150000
    with pytest.raises(AmountError, match="negativo"):
        parse_amount(-1, "COP")


@given(st.integers(min_value=0, max_value=10**17), st.sampled_from(["COP", "PYG"]))
def test_wire_round_trip(minor: int, currency: str) -> None:
    assert parse_amount(format_amount(minor, currency), currency) == minor


@given(st.text(max_size=12))
def test_wire_accepts_only_ascii_decimal_text(text: str) -> None:
    try:
        minor = parse_amount(text, "COP")
    except AmountError:
        return
    assert text.isascii() and text.replace(".", "", 1).isdigit()
    assert minor == round(float(text) * 100) or len(text) > 15  # float only to cross-check small values


# --- what people type ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1500000", "PYG", 1_500_000),
        ("1.500.000", "PYG", 1_500_000),
        (" 1.500.000 ", "PYG", 1_500_000),
        ("150", "PYG", 150),
        ("1.500.000", "COP", 150_000_000),
        ("1.500.000,50", "COP", 150_000_050),
        ("1500000,5", "COP", 150_000_050),
        ("1500000.50", "COP", 150_000_050),
        ("1.500", "COP", 150_000),
        ("20000", "COP", 2_000_000),
    ],
)
def test_typed_amounts_in_the_countrys_notation(text: str, currency: str, minor: int) -> None:
    assert parse_typed_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("1500.50", "PYG"),  # the cashier bug: guaraníes have no decimals, never 150.050
        ("1.500,00", "PYG"),
        ("1.500.00", "COP"),  # bad grouping
        ("15.00.000", "PYG"),
        ("1,500.00", "COP"),  # English notation
        ("1.500.000,505", "COP"),  # three decimals
        ("1500.500,00", "COP"),
        ("-1.500", "COP"),
        ("+1500", "PYG"),
        ("1e3", "PYG"),
        ("1_500", "COP"),
        ("１５００", "PYG"),
        ("0", "PYG"),
        ("", "COP"),
    ],
)
def test_typed_amounts_refuse_the_ambiguous_and_the_wrong(text: str, currency: str) -> None:
    with pytest.raises(AmountError):
        parse_typed_amount(text, currency)


@given(st.integers(min_value=1, max_value=10**12))
def test_typed_grouped_round_trip(whole: int) -> None:
    grouped = f"{whole:,}".replace(",", ".")
    assert parse_typed_amount(grouped, "PYG") == whole
    assert parse_typed_amount(grouped, "COP") == whole * 100
    assert parse_typed_amount(f"{grouped},07", "COP") == whole * 100 + 7


@given(st.text(max_size=14))
def test_typed_never_changes_digits(text: str) -> None:
    """Whatever is accepted keeps every digit typed, in order (nothing dropped or rounded)."""
    try:
        minor = parse_typed_amount(text, "PYG")
    except AmountError:
        return
    digits = "".join(ch for ch in text if ch.isdigit())
    assert str(minor) == digits.lstrip("0") or (minor == 0 and set(digits) == {"0"})


# --- documents and days --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("4.567.890", "4567890"), ("4567890", "4567890"), ("1.033.370.434", "1033370434"), ("4 567 890", "4567890"),
     (" 52987654 ", "52987654"), ("AB12345", "AB12345")],
)  # fmt: skip
def test_documents_accept_the_dots_people_write(text: str, canonical: str) -> None:
    assert normalize_document_number(text) == canonical


@pytest.mark.parametrize("text", ["45.67.890", "4.567.89", "-4567890", "４５６７８９０", "4,567,890", "", "45/67"])
def test_documents_refuse_what_is_not_a_number_people_write(text: str) -> None:
    with pytest.raises(DocumentError):
        normalize_document_number(text)


@pytest.mark.parametrize(
    "value", ["0", 0, "9999-12-31", "0001-01-01", "2026-02-30", "2026-1-5", "20260105", "2026-01-15T00:00"]
)
def test_days_out_of_range_or_not_iso_are_refused(value: object) -> None:
    with pytest.raises(DayError):
        parse_day(value)


def test_days() -> None:
    assert parse_day("2026-01-15") == date(2026, 1, 15)


@pytest.mark.parametrize("number", ["1e3", "1E3", "1.5e2", "2E+4"])
def test_a_json_number_with_an_exponent_is_refused(number: str) -> None:
    """Issue 16: "1e3" is refused as text and as a JSON number (read exactly, as a Decimal)."""
    value = json.loads(number, parse_float=Decimal)
    with pytest.raises(AmountError, match="exponentes"):
        parse_amount(value, "COP")
    assert parse_amount(json.loads("1500.50", parse_float=Decimal), "COP") == 150050
    assert parse_amount(json.loads("150000", parse_float=Decimal), "PYG") == 150000
