"""Money: integer minor units in code, decimal strings on the wire. Never floats.

Parsing (strict, for the wire and for what people type) lives in :mod:`sandbox.kit.parsing`; it is
re-exported here. This module formats.

>>> parse_amount("1500.5", "COP")
150050
>>> format_amount(150050, "COP")
'1500.50'
>>> format_display(150000000, "COP")
'$1.500.000,00'
>>> format_amount(150000, "PYG")
'150000'
"""

from __future__ import annotations

from sandbox.kit.parsing import CURRENCY_EXPONENT, AmountError, exponent, parse_amount, parse_typed_amount

__all__ = [
    "CURRENCY_EXPONENT",
    "AmountError",
    "exponent",
    "format_amount",
    "format_display",
    "parse_amount",
    "parse_typed_amount",
]


def format_amount(minor: int, currency: str) -> str:
    """Integer minor units → the wire's decimal string (``"1500.00"``, ``"150000"``)."""
    exp = exponent(currency)
    if exp == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}"


def format_display(minor: int, currency: str) -> str:
    """For people, Colombian/Paraguayan style: ``$1.500.000,00`` / ``₲ 150.000``."""
    exp = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exp)
    grouped = f"{whole:,}".replace(",", ".")
    if currency == "PYG":
        return f"{sign}₲ {grouped}"
    return f"{sign}${grouped},{frac:0{exp}d}" if exp else f"{sign}${grouped}"
