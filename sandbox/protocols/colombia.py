"""Colombian identity documents, person types, mobile numbers and time (protocol code). Pure.

Shared by every party that checks a Colombian payer (ACH, the gateway, the merchant):
CC cédula de ciudadanía (6–10 digits), CE cédula de extranjería (6–12), TI tarjeta de identidad
and RC registro civil (6–11), PP/PPN pasaporte and DIE (5–20 letters or digits), NIT (9–15 digits,
companies). A person is ``N`` (persona natural) or ``J`` (persona jurídica, pays with a NIT).

>>> document_problem("CC", "1033370434", "N") is None
True
>>> document_problem("NIT", "900999000", "N")
Problem(about='type', message='una persona natural no paga con NIT')
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone, tzinfo
from typing import Final, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.kit.parsing import DocumentError, normalize_document_number

#: Document type → the name people read on the pages.
DOCUMENT_NAMES: Final[dict[str, str]] = {
    "CC": "Cédula de ciudadanía",
    "CE": "Cédula de extranjería",
    "NIT": "NIT",
    "TI": "Tarjeta de identidad",
    "PP": "Pasaporte",
    "PPN": "Pasaporte (nuevo)",
    "RC": "Registro civil",
    "DIE": "Documento de identificación extranjero",
}

_DIGITS_6_10 = (re.compile(r"[0-9]{6,10}"), "de 6 a 10 dígitos")
_DIGITS_6_11 = (re.compile(r"[0-9]{6,11}"), "de 6 a 11 dígitos")
_ALNUM_5_20 = (re.compile(r"[A-Za-z0-9]{5,20}"), "de 5 a 20 letras o dígitos")

#: Document type → (pattern of the number, Spanish description of it).
DOCUMENT_RULES: Final[dict[str, tuple[re.Pattern[str], str]]] = {
    "CC": _DIGITS_6_10,
    "CE": (re.compile(r"[0-9]{6,12}"), "de 6 a 12 dígitos"),
    "NIT": (re.compile(r"[0-9]{9,15}"), "de 9 a 15 dígitos"),
    "TI": _DIGITS_6_11,
    "RC": _DIGITS_6_11,
    "PP": _ALNUM_5_20,
    "PPN": _ALNUM_5_20,
    "DIE": _ALNUM_5_20,
}

#: Person types: ``N`` persona natural, ``J`` persona jurídica (a company).
PERSON_TYPES: Final = ("N", "J")

_MOBILE = re.compile(r"3[0-9]{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class Problem(NamedTuple):
    """What is wrong: the document's ``type`` or its ``number``, and why (Spanish)."""

    about: Literal["type", "number"]
    message: str


def document_problem(document_type: str, number: str, person_type: str | None = None) -> Problem | None:
    """Why this document cannot be used (by this person type, when given), or None."""
    rule = DOCUMENT_RULES.get(document_type)
    if rule is None:
        return Problem("type", f"el tipo de documento debe ser uno de: {', '.join(DOCUMENT_NAMES)}")
    pattern, wording = rule
    if not pattern.fullmatch(number):
        return Problem("number", f"el número de {DOCUMENT_NAMES[document_type]} debe tener {wording}")
    if person_type == "J" and document_type != "NIT":
        return Problem("type", "una persona jurídica paga con NIT")
    if person_type == "N" and document_type == "NIT":
        return Problem("type", "una persona natural no paga con NIT")
    return None


#: Document types whose number is all digits: people write them with dots (1.033.370.434).
NUMERIC_DOCUMENTS: Final = frozenset({"CC", "CE", "NIT", "TI", "RC"})


def normalize_document(document_type: str, number: str) -> str:
    """A document number as a person types it → the form the wire carries: the dots (or spaces)
    people write between groups of three are dropped where the grouping is valid (``1.033.370.434``
    → ``1033370434``) for the numeric types; anything else is only trimmed, and judged by
    :func:`document_problem`."""
    text = number.strip()
    if document_type in NUMERIC_DOCUMENTS:
        try:
            return normalize_document_number(text)
        except DocumentError:
            return text
    return text


def is_mobile(value: str) -> bool:
    """A Colombian mobile number: 10 digits starting with 3."""
    return bool(_MOBILE.fullmatch(value))


def is_email(value: str) -> bool:
    return bool(_EMAIL.fullmatch(value)) and len(value) <= 120


#: Colombia's time (``America/Bogota``: -05:00 all year, no daylight saving).
COLOMBIA: Final = ZoneInfo("America/Bogota")
#: Colombia's offset when the system has no time-zone database.
COLOMBIA_FIXED: Final = timezone(timedelta(hours=-5), "COT")


def network_tz(name: str) -> tzinfo:
    """The network's time zone by IANA name, or Colombia's fixed -05:00 when it cannot be loaded."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return COLOMBIA_FIXED
