"""Parsing of everything people and programs type: amounts, identity numbers, days.

One module, one rule: what is accepted is exactly what the format means, and anything else is
refused with a Spanish message (``ValueError`` subclasses, so pydantic validators can raise them)
— never rounded, never "cleaned" into another value.

Amounts on the wire (:func:`parse_amount`)
    ASCII digits, optionally one ``.`` and at most the currency's decimals (COP 2, PYG 0):
    ``"1500"``, ``"1500.5"``, ``"1500.50"``. Refused: signs (``+1000``, ``-5``), exponents
    (``1e3``), underscores (``1_000``), spaces (``" 1000 "``), commas, full-width or Arabic-Indic
    digits, NaN/Infinity, Python floats and booleans. JSON numbers read exactly (``int``, or
    ``Decimal`` with ``parse_float=Decimal``) are taken as written, for protocols that send them —
    but not with an exponent (a JSON ``1e3`` is ``Decimal('1E+3')``: refused).

Amounts people type on a page (:func:`parse_typed_amount`)
    The country's own notation, only where the grouping is valid. Paraguay (PYG, no decimals):
    ``1500000`` or ``1.500.000``. Colombia (COP): ``1500000``, ``1.500.000``, ``1.500.000,50``,
    ``1500000,5``, and the wire's ``1500000.50`` (a dot followed by one or two digits cannot be a
    thousands group). Refused: ``1.500.00`` or ``1500.500,00`` (bad grouping), ``1,500.00``
    (English notation), ``1500.50`` in PYG (guaraníes have no decimals), more decimals than the
    currency has, and everything :func:`parse_amount` refuses. Surrounding spaces are trimmed.

Identity numbers (:func:`normalize_document_number`)
    Numeric documents accept the dots (and spaces) people write between groups of three —
    ``4.567.890`` → ``4567890`` — only where the grouping is valid; letters are kept for passports.

Days (:func:`parse_day`)
    ``YYYY-MM-DD`` only (no timestamps, no ``0``), within the sandbox's years 2000–2099.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Final

__all__ = [
    "CURRENCY_EXPONENT",
    "AmountError",
    "DayError",
    "DocumentError",
    "exponent",
    "normalize_document_number",
    "parse_amount",
    "parse_day",
    "parse_typed_amount",
]

CURRENCY_EXPONENT: Final[dict[str, int]] = {"COP": 2, "PYG": 0, "USD": 2}
MAX_MINOR: Final = 10**18
FIRST_DAY: Final = date(2000, 1, 1)
LAST_DAY: Final = date(2099, 12, 31)


class AmountError(ValueError):
    """An amount that is not valid for its currency (message in Spanish)."""


class DocumentError(ValueError):
    """An identity number that is not valid (message in Spanish)."""


class DayError(ValueError):
    """A day that is not ``YYYY-MM-DD`` within 2000–2099 (message in Spanish)."""


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENT[currency]
    except KeyError:
        raise AmountError(f"moneda desconocida: {currency}") from None


_WIRE: Final = re.compile(r"(?P<whole>[0-9]+)(?:\.(?P<frac>[0-9]+))?")


def _why_not_wire(text: str) -> str:
    """The first reason, in Spanish, why ``text`` is not a wire amount."""
    stripped = text.strip()
    if not stripped:
        return "no puede estar vacío"
    if stripped != text:
        return "no admite espacios"
    if text[0] == "-":
        return "no puede ser negativo"
    if text[0] == "+":
        return "no admite signo"
    if any(ch.isdigit() and not ("0" <= ch <= "9") for ch in text):
        return "solo admite dígitos 0-9"
    lowered = text.lower()
    if lowered in ("nan", "inf", "infinity") or "nan" in lowered or "inf" in lowered:
        return "debe ser un valor decimal finito"
    if "e" in lowered and any(ch.isdigit() for ch in text):
        return "no admite exponentes; escriba el número completo, como '1500.00'"
    if "_" in text:
        return "no admite separadores '_'"
    if "," in text:
        return "usa punto decimal y ningún separador de miles, como '1500.00'"
    if " " in text:
        return "no admite espacios"
    return "debe ser un valor decimal, como '1500.00'"


def _to_minor(whole: str, frac: str, currency: str, *, allow_zero: bool) -> int:
    exp = exponent(currency)
    if len(frac) > exp:
        what = "sin decimales" if exp == 0 else f"con a lo sumo {exp} decimales"
        raise AmountError(f"debe expresarse {what} en {currency}")
    if len(whole) > 19:
        raise AmountError("es demasiado grande")
    minor: int = int(whole) * 10**exp + (int(frac.ljust(exp, "0")) if frac else 0)
    if minor >= MAX_MINOR:
        raise AmountError("es demasiado grande")
    if minor == 0 and not allow_zero:
        raise AmountError("debe ser mayor que cero")
    return minor


def parse_amount(value: object, currency: str, *, allow_zero: bool = True) -> int:
    """A wire amount → integer minor units: decimal text, or a JSON number read exactly (an ``int``,
    or a ``Decimal`` from ``json.loads(..., parse_float=Decimal)``); never a ``float``."""
    if isinstance(value, bool | float):
        raise AmountError("debe ser un valor decimal en texto, como '1500.00'")
    if isinstance(value, int | Decimal):
        if not (isinstance(value, int) or value.is_finite()):
            raise AmountError("debe ser un valor decimal finito")
        if isinstance(value, Decimal) and int(value.as_tuple().exponent) > 0:  # a JSON 1e3 / 1.5E+2
            raise AmountError("no admite exponentes; escriba el número completo, como '1500.00'")
        if value < 0:
            raise AmountError("no puede ser negativo")
        text = str(value) if isinstance(value, int) else format(value, "f")
    elif isinstance(value, str):
        text = value
    else:
        raise AmountError("debe ser un valor decimal en texto, como '1500.00'")
    exponent(currency)  # an unknown currency is named before the text is judged
    match = _WIRE.fullmatch(text)
    if match is None:
        raise AmountError(_why_not_wire(text))
    return _to_minor(match["whole"], match["frac"] or "", currency, allow_zero=allow_zero)


_GROUPED: Final = r"[0-9]{1,3}(?:\.[0-9]{3})+"
_TYPED_PYG: Final = re.compile(rf"(?P<whole>[0-9]+|{_GROUPED})")
_TYPED_COP: Final = re.compile(
    rf"(?:(?P<whole>[0-9]+|{_GROUPED})(?:,(?P<frac>[0-9]+))?)|(?:(?P<wire>[0-9]+)\.(?P<wfrac>[0-9]{{1,2}}))"
)
_TYPED_EXAMPLE: Final = {"PYG": "1.500.000 o 1500000", "COP": "1.500.000,50 o 1500000,50"}


def parse_typed_amount(text: str, currency: str, *, allow_zero: bool = False) -> int:
    """An amount typed by a person, in the currency's country notation → minor units."""
    if not isinstance(text, str):
        raise AmountError("debe ser un texto")
    exp = exponent(currency)
    typed = text.strip()
    if not typed:
        raise AmountError("es obligatorio")
    if currency == "COP":
        match = _TYPED_COP.fullmatch(typed)
        if match is not None:
            if match["wire"] is not None:
                return _to_minor(match["wire"], match["wfrac"], currency, allow_zero=allow_zero)
            return _to_minor(match["whole"].replace(".", ""), match["frac"] or "", currency, allow_zero=allow_zero)
    elif exp == 0:
        match = _TYPED_PYG.fullmatch(typed)
        if match is not None:
            return _to_minor(match["whole"].replace(".", ""), "", currency, allow_zero=allow_zero)
        if re.fullmatch(r"[0-9.]+,[0-9]*|[0-9]+\.[0-9]{1,2}", typed):
            raise AmountError(f"no lleva decimales en {currency}; escriba {_TYPED_EXAMPLE[currency]}")
    else:
        return parse_amount(typed, currency, allow_zero=allow_zero)
    reason = _why_not_wire(typed)
    if reason.startswith(("usa punto", "debe ser un valor decimal")):
        reason = f"no es un monto válido; escriba {_TYPED_EXAMPLE.get(currency, '1500.00')}"
    raise AmountError(reason)


_DOC_GROUPED: Final = re.compile(r"[0-9]{1,3}(?:[. ][0-9]{3})+")


def normalize_document_number(text: str) -> str:
    """An identity number as people write it → its canonical form (digits, or letters and digits).

    ``"4.567.890"`` and ``"4 567 890"`` → ``"4567890"``; ``"AB12345"`` stays as written. Refused: empty,
    badly grouped (``"45.67.890"``), signs, non-ASCII digits, other punctuation."""
    if not isinstance(text, str):
        raise DocumentError("debe ser un texto")
    value = text.strip()
    if not value:
        raise DocumentError("es obligatorio")
    if value.isascii() and value.isalnum():
        return value
    if _DOC_GROUPED.fullmatch(value):
        return value.replace(".", "").replace(" ", "")
    if any(ch.isdigit() and not ("0" <= ch <= "9") for ch in value):
        raise DocumentError("solo admite dígitos 0-9 y letras sin tilde")
    raise DocumentError("no tiene el formato de un documento (dígitos, con o sin puntos de miles)")


_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(value: object) -> date:
    """``"2026-01-15"`` → ``date(2026, 1, 15)``; anything else (``0``, a timestamp, year 9999) refused."""
    if isinstance(value, date):
        day = value
    elif isinstance(value, str) and _DAY.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise DayError("no es una fecha del calendario") from None
    else:
        raise DayError("debe ser una fecha AAAA-MM-DD")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise DayError("debe estar entre 2000-01-01 y 2099-12-31")
    return day
