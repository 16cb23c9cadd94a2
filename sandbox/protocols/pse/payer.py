"""A PSE payer as a collecting company's form takes it, and what ACH would refuse of it. Pure.

Both the gateway's checkout (and its PayU API) and the merchant's own "Pagar con PSE" form take
the same data: person type (``N``/``J``), bank, document, name, e-mail, mobile, the payer's IP.
:func:`payer_problem` checks it in this order, before anything reaches ACH, and names the first
problem by the :class:`Payer` attribute it is about (the form maps it to its own field name):

1. ``user_type`` is ``N`` or ``J`` → ``invalid_field``;
2. a bank was chosen (not the placeholder ``0``) → ``bank_required``;
3. the document fits its type and the person type (:func:`sandbox.protocols.colombia.document_problem`)
   → ``invalid_document`` (about ``document_type`` or ``document_number``);
4. a name → ``missing_field``; 5. an e-mail → ``invalid_field``; 6. a Colombian mobile → ``invalid_field``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.protocols.colombia import document_problem, is_email, is_mobile
from sandbox.protocols.pse.codes import USER_TYPE


@dataclass(frozen=True, slots=True)
class Payer:
    """What the person chose and typed on the checkout page (or the API's payer block)."""

    user_type: str  # N | J
    bank_code: str
    document_type: str
    document_number: str
    full_name: str
    email: str
    phone: str
    ip: str


@dataclass(frozen=True, slots=True)
class PayerProblem:
    about: str  # the Payer attribute
    code: str
    message: str  # Spanish


def payer_problem(payer: Payer) -> PayerProblem | None:
    """The first thing ACH would refuse in this payer (see the module docstring), or None."""
    if payer.user_type not in USER_TYPE:
        return PayerProblem("user_type", "invalid_field", "Elija el tipo de persona: natural o jurídica.")
    if not payer.bank_code or payer.bank_code == "0":
        return PayerProblem("bank_code", "bank_required", "Seleccione su banco.")
    problem = document_problem(payer.document_type, payer.document_number, payer.user_type)
    if problem is not None:
        about = "document_type" if problem.about == "type" else "document_number"
        return PayerProblem(about, "invalid_document", f"Documento inválido: {problem.message}.")
    if not payer.full_name.strip():
        return PayerProblem("full_name", "missing_field", "Escriba el nombre del pagador.")
    if not is_email(payer.email):
        return PayerProblem("email", "invalid_field", "Escriba un correo electrónico válido.")
    if not is_mobile(payer.phone):
        return PayerProblem("phone", "invalid_field", "El celular debe tener 10 dígitos y empezar por 3.")
    return None


#: The checkout form's field of each Payer attribute (the gateway's page and the merchant's form).
FORM_FIELDS: dict[str, str] = {
    "user_type": "tipo_persona",
    "bank_code": "banco",
    "document_type": "tipo_documento",
    "document_number": "documento",
    "full_name": "nombre",
    "email": "correo",
    "phone": "celular",
}
