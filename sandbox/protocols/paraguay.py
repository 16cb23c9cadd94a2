"""Paraguay's wire formats (protocol code), shared by the cash parties (the switch's SICOOP API, CEIBO, red):
guaraní amounts (PYG has no minor unit), cédulas and mobile numbers. Errors are Spanish ``ValueError``s
for pydantic validators.

>>> parse_pyg("150000")
150000
>>> normalize_phone("+595 981 123 456")
'0981123456'
>>> normalize_cedula("4.567.890")
'4567890'
"""

from __future__ import annotations

import re

from sandbox.kit.money import AmountError, parse_amount
from sandbox.kit.parsing import DocumentError, normalize_document_number

_PHONE = re.compile(r"(?:\+?595|0)(9[0-9]{8})")
_CEDULA = re.compile(r"[0-9]{1,8}")
CEDULA_PATTERN = r"^[0-9]{1,8}$"


def parse_pyg(value: object) -> int:
    """A positive PYG amount as decimal text (``"150000"``) → guaraníes."""
    if not isinstance(value, str):
        raise ValueError('debe ser un valor decimal en texto, como "150000"')
    try:
        return parse_amount(value, "PYG", allow_zero=False)
    except AmountError as exc:
        if "valor decimal" in str(exc):
            raise ValueError('debe ser un monto en guaraníes sin decimales, como "150000"') from None
        raise ValueError(str(exc)) from None


def normalize_phone(value: str) -> str:
    """``+595 981 123 456`` / ``0981123456`` → ``0981123456``; ValueError otherwise (ASCII digits
    only: no full-width or Arabic-Indic digits)."""
    match = _PHONE.fullmatch(re.sub(r"[ -]", "", value.strip()))
    if not match:
        raise ValueError("debe ser un celular paraguayo, como 0981123456")
    return "0" + match.group(1)


def normalize_cedula(value: object) -> str:
    """A cédula as people write it (``4.567.890``, ``4567890``) → its digits; ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError('debe ser un texto, como "4567890"')
    try:
        digits = normalize_document_number(value)
    except DocumentError as exc:
        raise ValueError(f"{exc}, como 4567890 o 4.567.890") from None
    if not _CEDULA.fullmatch(digits):
        raise ValueError("debe ser una cédula de hasta 8 dígitos, como 4567890 o 4.567.890")
    return digits
