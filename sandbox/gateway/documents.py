"""Colombian identity documents and PSE person types, checked before anything reaches ACH. Pure.

>>> document_problem("CC", "1033370434", "N") is None
True
>>> document_problem("NIT", "900999000", "N")
Problem(about='type', message='una persona natural no paga con NIT')
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from sandbox.world.documents import DOCUMENT_NAMES, DOCUMENT_RULES

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
    rule = DOCUMENT_RULES.get(document_type)
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
