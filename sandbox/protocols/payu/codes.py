"""PayU's transaction states and response codes, as they travel on the wire. Pure.

Transaction states and their numbers (``state_pol``)::

    APPROVED 4 · EXPIRED 5 · DECLINED 6 · PENDING 7 · ERROR 104

The numbers are PayU's published tables (developers.payulatam.com, "Response codes and variables").

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

#: ``responseCode`` → ``response_code_pol`` (confirmation page) and ``polResponseCode`` (response
#: page), PayU's table "Response codes sent to the confirmation page / response page".
RESPONSE_CODES: dict[str, int] = {
    "APPROVED": 1,
    "PAYMENT_NETWORK_REJECTED": 4,
    "ENTITY_DECLINED": 5,
    "INSUFFICIENT_FUNDS": 6,
    "CONTACT_THE_ENTITY": 8,
    "INVALID_TRANSACTION": 14,
    "PENDING_TRANSACTION_REVIEW": 15,
    "EXCEEDED_AMOUNT": 17,
    "ABANDONED_TRANSACTION": 19,
    "EXPIRED_TRANSACTION": 20,
    "ANTIFRAUD_REJECTED": 23,
    "BANK_FRAUD_REJECTED": 23,
    "PENDING_TRANSACTION_CONFIRMATION": 9994,  # PSE: "12 or 14 / 9994 or 25"; PENDING_AWAITING_PSE_CONFIRMATION
    "BANK_UNREACHABLE": 9996,
    "PAYMENT_NETWORK_NO_CONNECTION": 9996,
    "PAYMENT_NETWORK_NO_RESPONSE": 9996,
    "ENTITY_MESSAGING_ERROR": 9997,
    "NOT_ACCEPTED_TRANSACTION": 9998,
    "INTERNAL_PAYMENT_PROVIDER_ERROR": 9999,
    "ERROR": 9999,
}

#: ``polTransactionState`` of the response page: PayU's own number, which differs from
#: ``transactionState`` for ERROR (6, rejected) and for a PSE payment waiting for the bank (12).
POL_TRANSACTION_STATE: dict[TxState, int] = {
    TxState.APPROVED: 4,
    TxState.EXPIRED: 5,
    TxState.DECLINED: 6,
    TxState.PENDING: 12,
    TxState.ERROR: 6,
}

#: What a person reads for each response code (pages, e-mails, reports).
RESPONSE_MESSAGES: dict[str, str] = {
    "APPROVED": "Transacción aprobada",
    "PAYMENT_NETWORK_REJECTED": "Transacción rechazada por la red",
    "ENTITY_DECLINED": "Transacción rechazada por la entidad financiera",
    "INSUFFICIENT_FUNDS": "Fondos insuficientes",
    "ANTIFRAUD_REJECTED": "Transacción rechazada por el sistema antifraude",
    "EXPIRED_TRANSACTION": "Transacción expirada: el pago no se completó en el banco",
    "ABANDONED_TRANSACTION": "Transacción abandonada por el pagador",
    "CONTACT_THE_ENTITY": "Comuníquese con su entidad financiera",
    "EXCEEDED_AMOUNT": "El valor excede el máximo permitido por la entidad",
    "PENDING_TRANSACTION_REVIEW": "Transacción en revisión",
    "BANK_UNREACHABLE": "El banco no está disponible en este momento",
    "PENDING_TRANSACTION_CONFIRMATION": "Transacción pendiente de confirmación del banco",
    "ERROR": "Error al procesar la transacción",
}


def response_code_pol(code: str) -> int:
    return RESPONSE_CODES.get(code, RESPONSE_CODES["ERROR"])


def response_message(code: str) -> str:
    return RESPONSE_MESSAGES.get(code, code.replace("_", " ").capitalize())
