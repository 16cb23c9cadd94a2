"""GW-01 request signatures and GW-04 confirmation signatures, incl. PayU's new_value rule."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.protocols.payu.signatures import (
    amount_forms,
    confirmation_signature,
    new_value,
    normalize_algorithm,
    request_signature,
    verify_confirmation_signature,
    verify_request_signature,
)

KEY = "4Vj8eK4rloUd272L48hsrarnUA"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("minor", "expected"),
    [
        (15000, "150.0"),  # 150.00 → 150.0 (PayU's example)
        (15050, "150.5"),  # second decimal zero → one decimal
        (15026, "150.26"),
        (15001, "150.01"),
        (0, "0.0"),
        (35000000, "350000.0"),
        (100, "1.0"),
        (199, "1.99"),
    ],
)
def test_new_value_keeps_one_decimal_when_the_second_is_zero(minor: int, expected: str) -> None:
    assert new_value(minor, "COP") == expected


def test_new_value_of_a_currency_without_decimals() -> None:
    assert new_value(150000, "PYG") == "150000.0"


def test_request_signature_is_md5_of_the_documented_text() -> None:
    expected = md5(f"{KEY}~508029~FV-1001-1~350000.00~COP")
    assert request_signature(KEY, "508029", "FV-1001-1", "350000.00", "COP") == expected


@pytest.mark.parametrize("algorithm", ["MD5", "SHA", "SHA256"])
def test_each_algorithm_verifies(algorithm: str) -> None:
    sig = request_signature(KEY, "508029", "R1", "10000.00", "COP", algorithm)  # type: ignore[arg-type]
    assert verify_request_signature(
        sig, api_key=KEY, merchant_id="508029", reference_code="R1", amount_text="10000.00", currency="COP"
    )
    assert verify_request_signature(
        sig.upper(), api_key=KEY, merchant_id="508029", reference_code="R1", amount_text="10000.00",
        currency="COP", algorithm=algorithm.lower(),
    )  # fmt: skip


def test_sha256_is_accepted() -> None:
    sig = hashlib.sha256(f"{KEY}~508029~R1~10000.00~COP".encode()).hexdigest()
    assert verify_request_signature(
        sig, api_key=KEY, merchant_id="508029", reference_code="R1", amount_text="10000.00", currency="COP"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("api_key", "otra-llave-123"), ("merchant_id", "508030"), ("reference_code", "R2"), ("amount_text", "10000.01")],
)
def test_a_signature_over_other_data_is_refused(field: str, value: str) -> None:
    sig = request_signature(KEY, "508029", "R1", "10000.00", "COP")
    args = {"api_key": KEY, "merchant_id": "508029", "reference_code": "R1", "amount_text": "10000.00"}
    args[field] = value
    assert not verify_request_signature(sig, currency="COP", **args)


@pytest.mark.parametrize("bad", ["", "abc", "z" * 32, "0" * 31, "0" * 64])
def test_garbage_signatures_are_refused(bad: str) -> None:
    assert not verify_request_signature(
        bad, api_key=KEY, merchant_id="508029", reference_code="R1", amount_text="10000.00", currency="COP"
    )


def test_an_unknown_algorithm_name_is_refused() -> None:
    sig = request_signature(KEY, "508029", "R1", "10000.00", "COP")
    assert not verify_request_signature(
        sig, api_key=KEY, merchant_id="508029", reference_code="R1", amount_text="10000.00", currency="COP",
        algorithm="CRC32",
    )  # fmt: skip
    assert normalize_algorithm("sha-256") == "SHA256"
    assert normalize_algorithm("  ") is None


def test_the_same_amount_written_another_way_verifies() -> None:
    assert amount_forms("10000", "COP") == ["10000", "10000.00", "10000.0"]
    sig = request_signature(KEY, "508029", "R1", "10000", "COP")
    assert verify_request_signature(
        sig, api_key=KEY, merchant_id="508029", reference_code="R1", amount_text="10000.00", currency="COP"
    )


@pytest.mark.parametrize(
    ("sent", "sdk_signed"),
    [("150.50", "150"), ("150.51", "151"), ("151.50", "152"), ("150.25", "150.2"), ("65000", "65000")],
)
def test_what_payus_sdks_sign_verifies(sent: str, sdk_signed: str) -> None:
    """PayU's PHP SDK signs the value rounded half to even to no decimal; the Java SDK to none or
    one decimal ("###", "###.0"). The gateway accepts what PayU's own clients send."""
    sig = request_signature(KEY, "508029", "R1", sdk_signed, "COP")
    assert verify_request_signature(
        sig, api_key=KEY, merchant_id="508029", reference_code="R1", amount_text=sent, currency="COP"
    )
    other = request_signature(KEY, "508029", "R1", "149", "COP")
    assert not verify_request_signature(
        other, api_key=KEY, merchant_id="508029", reference_code="R1", amount_text=sent, currency="COP"
    )


def test_confirmation_sign_uses_new_value() -> None:
    expected = md5(f"{KEY}~508029~FV-1001-1~150.0~COP~4")
    assert confirmation_signature(KEY, "508029", "FV-1001-1", 15000, "COP", 4) == expected
    assert verify_confirmation_signature(
        expected, api_key=KEY, merchant_id="508029", reference_sale="FV-1001-1", amount_minor=15000,
        currency="COP", state_pol="4",
    )  # fmt: skip
    # A confirmation signed with the two-decimal value (a common merchant bug) does not verify.
    wrong = md5(f"{KEY}~508029~FV-1001-1~150.00~COP~4")
    assert not verify_confirmation_signature(
        wrong, api_key=KEY, merchant_id="508029", reference_sale="FV-1001-1", amount_minor=15000,
        currency="COP", state_pol="4",
    )  # fmt: skip


def test_a_confirmation_with_another_state_does_not_verify() -> None:
    sign = confirmation_signature(KEY, "508029", "R", 15000, "COP", 6)
    assert not verify_confirmation_signature(
        sign, api_key=KEY, merchant_id="508029", reference_sale="R", amount_minor=15000, currency="COP", state_pol="4"
    )


@given(st.integers(min_value=0, max_value=10**15))
def test_new_value_round_trips(minor: int) -> None:
    text = new_value(minor, "COP")
    whole, _, frac = text.partition(".")
    assert 1 <= len(frac) <= 2
    assert int(whole) * 100 + int(frac.ljust(2, "0")) == minor
    assert len(frac) == 1 or frac[1] != "0"
