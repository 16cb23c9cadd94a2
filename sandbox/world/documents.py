"""Colombian identity documents: their names and the shape of their numbers.

Data shared by every party that checks a payer's document (ACH, the gateway, the merchant):
CC cédula de ciudadanía (6–10 digits), CE cédula de extranjería (6–12), TI tarjeta de identidad
and RC registro civil (6–11), PP/PPN pasaporte and DIE (5–20 letters or digits), NIT (9–15 digits,
companies).
"""

from __future__ import annotations

import re
from typing import Final

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

_DIGITS_6_10 = (re.compile(r"^\d{6,10}$"), "de 6 a 10 dígitos")
_DIGITS_6_11 = (re.compile(r"^\d{6,11}$"), "de 6 a 11 dígitos")
_ALNUM_5_20 = (re.compile(r"^[A-Za-z0-9]{5,20}$"), "de 5 a 20 letras o dígitos")

#: Document type → (pattern of the number, Spanish description of it).
DOCUMENT_RULES: Final[dict[str, tuple[re.Pattern[str], str]]] = {
    "CC": _DIGITS_6_10,
    "CE": (re.compile(r"^\d{6,12}$"), "de 6 a 12 dígitos"),
    "NIT": (re.compile(r"^\d{9,15}$"), "de 9 a 15 dígitos"),
    "TI": _DIGITS_6_11,
    "RC": _DIGITS_6_11,
    "PP": _ALNUM_5_20,
    "PPN": _ALNUM_5_20,
    "DIE": _ALNUM_5_20,
}
