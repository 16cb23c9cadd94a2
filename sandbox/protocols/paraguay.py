"""Paraguay's wire formats (protocol code), shared by the cash parties (the switch's SICOOP API, CEIBO, red):
guaraní amounts (PYG has no minor unit) and mobile numbers. Errors are Spanish ``ValueError``s
for pydantic validators.

>>> parse_pyg("150000")
150000
>>> normalize_phone("+595 981 123 456")
'0981123456'
"""

from __future__ import annotations

import re

from sandbox.kit.money import AmountError, parse_amount

_PHONE = re.compile(r"^(?:\+?595|0)(9\d{8})$")


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
    """``+595 981 123 456`` / ``0981123456`` → ``0981123456``; ValueError otherwise."""
    match = _PHONE.match(re.sub(r"[\s-]", "", value))
    if not match:
        raise ValueError("debe ser un celular paraguayo, como 0981123456")
    return "0" + match.group(1)
