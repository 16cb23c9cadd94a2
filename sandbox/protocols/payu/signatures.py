"""PayU signatures (GW-01, GW-04), protocol code shared by the gateway and merchants. Pure, no I/O.

Request signature (web checkout form and the JSON API's ``order.signature``)::

    md5(apiKey~merchantId~referenceCode~amount~currency)

``SHA`` (SHA-1) and ``SHA256`` digests of the same text are accepted too; the algorithm is taken
from ``algorithmSignature`` when the merchant sends it, otherwise from the digest's length.
``amount`` is the text the merchant sent; the canonical forms of the same amount (``"150000"``,
``"150000.00"``, ``"150000.0"``) are accepted as well, because merchants format amounts in
different ways (what matters is the key and that the amount is the same). So are the forms
PayU's own SDKs sign: the value rounded half to even to no decimal (the PHP SDK's
``SignatureUtil``, the Java SDK's default ``"###"``: ``150.50 → "150"``, ``150.51 → "151"``) and
to one decimal (Java's ``"###.0"``). PayU accepts those, so the signature pins the amount only to
the unit; the amount itself is always the one sent.

Confirmation signature (``sign`` of the form posted to the merchant's confirmation page)::

    md5(apiKey~merchant_id~reference_sale~new_value~currency~state_pol)

where ``new_value`` is the value with two decimals, shortened to one decimal when the second
is zero: ``150.00 → 150.0``, ``150.50 → 150.5``, ``150.26 → 150.26``.

Response-page signature (``signature`` of the merchant's response page, ``responseUrl``)::

    md5(apiKey~merchantId~referenceCode~New_value~currency~transactionState)

where ``New_value`` is ``TX_VALUE`` rounded to one decimal, half to even (banker's rounding):
``150.25 → 150.2``, ``150.35 → 150.4``, ``150.26 → 150.3``, ``150.00 → 150.0``. The two rules
differ: a value whose second decimal is not 0 signs differently on each page.

>>> new_value(15000, "COP")
'150.0'
>>> new_value(15026, "COP")
'150.26'
>>> response_page_value(15025, "COP"), response_page_value(15035, "COP"), response_page_value(15026, "COP")
('150.2', '150.4', '150.3')
>>> request_signature("4Vj8eK4rloUd272L48hsrarnUA", "508029", "FV-1001-1", "350000.00", "COP")
'9f6c019cc78cca87184075a4727f198a'
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from sandbox.kit.money import AmountError, exponent, format_amount, parse_amount

Algorithm = Literal["MD5", "SHA", "SHA256"]

_BY_LENGTH: dict[int, Algorithm] = {32: "MD5", 40: "SHA", 64: "SHA256"}
_HASHES = {"MD5": hashlib.md5, "SHA": hashlib.sha1, "SHA256": hashlib.sha256}


def digest(text: str, algorithm: Algorithm = "MD5") -> str:
    """Hex digest of ``text`` (UTF-8). MD5/SHA-1 are what the protocol uses, not our choice."""
    return _HASHES[algorithm](text.encode("utf-8"), usedforsecurity=False).hexdigest()


def normalize_algorithm(name: str | None) -> Algorithm | None:
    """``"md5"``, ``"SHA-256"``, ``"sha256"`` → ``"MD5"`` / ``"SHA256"``; unknown → None."""
    if name is None or not name.strip():
        return None
    key = name.strip().upper().replace("-", "").replace("_", "")
    return {"MD5": "MD5", "SHA": "SHA", "SHA1": "SHA", "SHA256": "SHA256"}.get(key)  # type: ignore[return-value]


def request_text(api_key: str, merchant_id: str, reference_code: str, amount: str, currency: str) -> str:
    return f"{api_key}~{merchant_id}~{reference_code}~{amount}~{currency}"


def request_signature(
    api_key: str, merchant_id: str, reference_code: str, amount: str, currency: str, algorithm: Algorithm = "MD5"
) -> str:
    """The signature a merchant sends with a payment request."""
    return digest(request_text(api_key, merchant_id, reference_code, amount, currency), algorithm)


def amount_forms(amount_text: str, currency: str) -> list[str]:
    """The texts of one amount a request signature may have been computed over."""
    forms = [amount_text]
    try:
        minor = parse_amount(amount_text, currency)
    except AmountError:
        return forms
    exp = exponent(currency)
    value = Decimal(minor).scaleb(-exp)
    rounded = (
        str(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)),
        str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)),
    )
    for form in (format_amount(minor, currency), new_value(minor, currency), *rounded):
        if form not in forms:
            forms.append(form)
    return forms


def verify_request_signature(
    signature: str,
    *,
    api_key: str,
    merchant_id: str,
    reference_code: str,
    amount_text: str,
    currency: str,
    algorithm: str | None = None,
) -> bool:
    """True when ``signature`` signs this request with this API key (constant-time compare)."""
    given = signature.strip().lower()
    algo = normalize_algorithm(algorithm) if algorithm else _BY_LENGTH.get(len(given))
    if algo is None:
        return False
    ok = False
    for form in amount_forms(amount_text, currency):
        expected = request_signature(api_key, merchant_id, reference_code, form, currency, algo)
        ok |= hmac.compare_digest(expected, given)
    return ok


def new_value(amount_minor: int, currency: str) -> str:
    """PayU's ``new_value``: two decimals, or one when the second decimal is zero.

    Currencies without minor units are written the same way (``150000 PYG → "150000.0"``).
    """
    exp = exponent(currency)
    cents = amount_minor * 10 ** (2 - exp) if exp <= 2 else amount_minor // 10 ** (exp - 2)
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    if frac % 10 == 0:
        return f"{sign}{whole}.{frac // 10}"
    return f"{sign}{whole}.{frac:02d}"


def confirmation_text(
    api_key: str, merchant_id: str, reference_sale: str, amount_minor: int, currency: str, state_pol: int | str
) -> str:
    return f"{api_key}~{merchant_id}~{reference_sale}~{new_value(amount_minor, currency)}~{currency}~{state_pol}"


def confirmation_signature(
    api_key: str,
    merchant_id: str,
    reference_sale: str,
    amount_minor: int,
    currency: str,
    state_pol: int | str,
    algorithm: Algorithm = "MD5",
) -> str:
    """``sign`` of a confirmation (and ``signature`` of the response page)."""
    return digest(confirmation_text(api_key, merchant_id, reference_sale, amount_minor, currency, state_pol), algorithm)


def verify_confirmation_signature(
    sign: str,
    *,
    api_key: str,
    merchant_id: str,
    reference_sale: str,
    amount_minor: int,
    currency: str,
    state_pol: int | str,
) -> bool:
    """What a merchant does with a confirmation: recompute ``sign`` (MD5 or SHA-256) and compare."""
    given = sign.strip().lower()
    algo = _BY_LENGTH.get(len(given))
    if algo is None:
        return False
    expected = confirmation_signature(api_key, merchant_id, reference_sale, amount_minor, currency, state_pol, algo)
    return hmac.compare_digest(expected, given)


def response_page_value(amount_minor: int, currency: str) -> str:
    """PayU's ``New_value`` of the response page: one decimal, rounded half to even."""
    exp = exponent(currency)
    value = Decimal(amount_minor).scaleb(-exp)
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


def response_page_text(
    api_key: str, merchant_id: str, reference_code: str, amount_minor: int, currency: str, transaction_state: int | str
) -> str:
    value = response_page_value(amount_minor, currency)
    return f"{api_key}~{merchant_id}~{reference_code}~{value}~{currency}~{transaction_state}"


def response_page_signature(
    api_key: str,
    merchant_id: str,
    reference_code: str,
    amount_minor: int,
    currency: str,
    transaction_state: int | str,
    algorithm: Algorithm = "MD5",
) -> str:
    """``signature`` of the response page's parameters."""
    text = response_page_text(api_key, merchant_id, reference_code, amount_minor, currency, transaction_state)
    return digest(text, algorithm)


def verify_response_page_signature(
    signature: str,
    *,
    api_key: str,
    merchant_id: str,
    reference_code: str,
    amount_minor: int,
    currency: str,
    transaction_state: int | str,
) -> bool:
    """What a merchant's response page does with ``signature`` (MD5 or SHA-256 by length)."""
    given = signature.strip().lower()
    algo = _BY_LENGTH.get(len(given))
    if algo is None:
        return False
    expected = response_page_signature(
        api_key, merchant_id, reference_code, amount_minor, currency, transaction_state, algo
    )
    return hmac.compare_digest(expected, given)
