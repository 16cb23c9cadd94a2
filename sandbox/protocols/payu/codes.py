"""PayU's transaction states and response codes, as they travel on the wire. Pure.

Transaction states and their numbers (``state_pol``)::

    APPROVED 4 · EXPIRED 5 · DECLINED 6 · PENDING 7 · ERROR 104

``responseCode`` names why (``APPROVED``, ``ENTITY_DECLINED``, ``ANTIFRAUD_REJECTED``, ...) and
``response_code_pol`` numbers it; an unknown code is ``ERROR`` (9999).
"""

from __future__ import annotations

from enum import StrEnum


class TxState(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"
    ERROR = "ERROR"


#: ``state_pol`` of each state (PayU).
STATE_POL: dict[TxState, int] = {
    TxState.APPROVED: 4,
    TxState.EXPIRED: 5,
    TxState.DECLINED: 6,
    TxState.PENDING: 7,
    TxState.ERROR: 104,
}

FINAL_STATES = frozenset({TxState.APPROVED, TxState.DECLINED, TxState.EXPIRED, TxState.ERROR})

#: ``responseCode`` → ``response_code_pol``.
RESPONSE_CODES: dict[str, int] = {
    "APPROVED": 1,
    "PAYMENT_NETWORK_REJECTED": 4,
    "ENTITY_DECLINED": 5,
    "INSUFFICIENT_FUNDS": 6,
    "ANTIFRAUD_REJECTED": 23,
    "EXPIRED_TRANSACTION": 50,
    "BANK_UNREACHABLE": 53,
    "PENDING_TRANSACTION_CONFIRMATION": 9994,
    "ERROR": 9999,
}

#: What a person reads for each response code (pages, e-mails, reports).
RESPONSE_MESSAGES: dict[str, str] = {
    "APPROVED": "Transacción aprobada",
    "PAYMENT_NETWORK_REJECTED": "Transacción rechazada por la red",
    "ENTITY_DECLINED": "Transacción rechazada por la entidad financiera",
    "INSUFFICIENT_FUNDS": "Fondos insuficientes",
    "ANTIFRAUD_REJECTED": "Transacción rechazada por el sistema antifraude",
    "EXPIRED_TRANSACTION": "Transacción expirada: el pago no se completó en el banco",
    "BANK_UNREACHABLE": "El banco no está disponible en este momento",
    "PENDING_TRANSACTION_CONFIRMATION": "Transacción pendiente de confirmación del banco",
    "ERROR": "Error al procesar la transacción",
}


def response_code_pol(code: str) -> int:
    return RESPONSE_CODES.get(code, RESPONSE_CODES["ERROR"])


def response_message(code: str) -> str:
    return RESPONSE_MESSAGES.get(code, code.replace("_", " ").capitalize())
