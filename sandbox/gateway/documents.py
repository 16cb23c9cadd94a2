"""Colombian identity documents and PSE person types, checked before anything reaches ACH. Pure.

>>> document_problem("CC", "1033370434", "N") is None
True
>>> document_problem("NIT", "900999000", "N")
Problem(about='type', message='una persona natural no paga con NIT')
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

#: Document types a payer may use at PSE, as shown on the pages.
DOCUMENT_NAMES: dict[str, str] = {
    "CC": "Cédula de ciudadanía",
    "CE": "Cédula de extranjería",
    "NIT": "NIT",
    "TI": "Tarjeta de identidad",
    "PP": "Pasaporte",
    "PPN": "Pasaporte (nuevo)",
    "RC": "Registro civil",
    "DIE": "Documento de identificación extranjero",
}

_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    "CC": (re.compile(r"^\d{6,10}$"), "de 6 a 10 dígitos"),
    "CE": (re.compile(r"^\d{6,12}$"), "de 6 a 12 dígitos"),
    "NIT": (re.compile(r"^\d{9,15}$"), "de 9 a 15 dígitos"),
    "TI": (re.compile(r"^\d{6,11}$"), "de 6 a 11 dígitos"),
    "RC": (re.compile(r"^\d{6,11}$"), "de 6 a 11 dígitos"),
    "PP": (re.compile(r"^[A-Za-z0-9]{5,20}$"), "de 5 a 20 letras o dígitos"),
    "PPN": (re.compile(r"^[A-Za-z0-9]{5,20}$"), "de 5 a 20 letras o dígitos"),
    "DIE": (re.compile(r"^[A-Za-z0-9]{5,20}$"), "de 5 a 20 letras o dígitos"),
}

#: PayU's USER_TYPE (N natural person, J company) → ACH's userType.
ACH_USER_TYPE = {"N": "person", "J": "company"}

_MOBILE = re.compile(r"^3\d{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Problem(NamedTuple):
    """What is wrong: the document's ``type`` or its ``number``, and why (Spanish)."""

    about: Literal["type", "number"]
    message: str


def document_problem(document_type: str, number: str, user_type: str | None = None) -> Problem | None:
    """Why this document cannot be used, or None."""
    rule = _PATTERNS.get(document_type)
    if rule is None:
        return Problem("type", f"el tipo de documento debe ser uno de: {', '.join(DOCUMENT_NAMES)}")
    pattern, wording = rule
    if not pattern.match(number):
        return Problem("number", f"el número de {DOCUMENT_NAMES[document_type]} debe tener {wording}")
    if user_type == "J" and document_type != "NIT":
        return Problem("type", "una persona jurídica paga con NIT")
    if user_type == "N" and document_type == "NIT":
        return Problem("type", "una persona natural no paga con NIT")
    return None


def is_mobile(value: str) -> bool:
    return bool(_MOBILE.match(value))


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value)) and len(value) <= 120
