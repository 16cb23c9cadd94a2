"""Money: integer minor units in code, decimal strings on the wire. Never floats.

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

from decimal import Decimal, InvalidOperation

CURRENCY_EXPONENT: dict[str, int] = {"COP": 2, "PYG": 0, "USD": 2}


class AmountError(ValueError):
    """An amount that is not a valid decimal string for its currency (message in Spanish)."""


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENT[currency]
    except KeyError:
        raise AmountError(f"moneda desconocida: {currency}") from None


def parse_amount(value: object, currency: str, *, allow_zero: bool = True) -> int:
    """A decimal string (or int) in major units → integer minor units. Floats are refused."""
    if isinstance(value, bool | float):
        raise AmountError("debe ser un valor decimal en texto, como '1500.00'")
    text = str(value).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise AmountError("debe ser un valor decimal, como '1500.00'") from None
    if not number.is_finite():
        raise AmountError("debe ser un valor decimal finito")
    exp = exponent(currency)
    as_tuple = number.as_tuple()
    decimals = -as_tuple.exponent if isinstance(as_tuple.exponent, int) and as_tuple.exponent < 0 else 0
    if decimals > exp:
        what = "sin decimales" if exp == 0 else f"con a lo sumo {exp} decimales"
        raise AmountError(f"debe expresarse {what} en {currency}")
    if number < 0:
        raise AmountError("no puede ser negativo")
    if number == 0 and not allow_zero:
        raise AmountError("debe ser mayor que cero")
    minor = int(number.scaleb(exp))
    if minor >= 10**18:
        raise AmountError("es demasiado grande")
    return minor


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
