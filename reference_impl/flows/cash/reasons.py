"""Reason codes of a declined or refused cash transaction, with what the cashier reads (Spanish).

Codes come from the switch's authorization core (limits), from CEIBO (card, soft-token, funds)
or from the switch itself when CEIBO does not answer (NET-06).
"""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, str]] = {
    # the switch's authorization core (world `limits` with applies_to: card)
    "over_transaction_cap": "El monto supera el máximo por transacción de la tarjeta.",
    "over_daily_cap": "El monto supera lo que queda del máximo diario de la tarjeta.",
    "over_frequency": "La tarjeta alcanzó el máximo de extracciones del día.",
    "account_inactive": "La tarjeta no está habilitada en la red.",
    # CEIBO
    "unknown_card": "No hay una tarjeta DIMO para esa cédula o celular.",
    "card_blocked": "La tarjeta DIMO está bloqueada.",
    "wrong_soft_token": "El código soft-token no es correcto o ya venció.",
    "soft_token_reused": "El código soft-token ya fue usado; pida al titular el siguiente código de la app.",
    "insufficient_funds": "Saldo disponible insuficiente en la tarjeta.",
    "issuer_rejected": "CEIBO rechazó la solicitud.",
    # CEIBO did not answer (NET-06): declined, and no hold remains
    "issuer_timeout": "CEIBO no respondió a tiempo; la operación se rechazó y no quedó dinero retenido.",
    "issuer_unavailable": "CEIBO no está disponible; la operación se rechazó y no quedó dinero retenido.",
    # refusals of confirm / release
    "expired": "La transacción venció: no se confirmó ni liberó a tiempo y su retención fue anulada.",
    "already_confirmed": "La transacción ya fue confirmada.",
    "already_released": "La transacción ya fue liberada.",
    "transaction_declined": "La transacción fue rechazada: no hay nada que confirmar ni liberar.",
    "not_approved_yet": "La transacción todavía se está autorizando; reintente en unos segundos.",
}

APPROVED_ES: Final = {
    "withdrawal": "Aprobada: registre la transacción y entregue el efectivo al titular.",
    "deposit": "Aprobada: registre la transacción y reciba el efectivo del titular.",
}
STATUS_ES: Final = {
    "authorizing": "Autorizando con CEIBO.",
    "confirmed": "Confirmada: el dinero se movió.",
    "released": "Liberada: la retención se anuló y no se movió dinero.",
    "expired": "Vencida: no hubo confirmación ni liberación a tiempo; no se movió dinero.",
}


def message_for(code: str | None, *, status: str, kind: str, issuer_message: str | None = None) -> str:
    if status == "approved":
        return APPROVED_ES[kind]
    if status == "declined":
        return MESSAGES.get(code or "", issuer_message or f"Rechazada ({code}).")
    return STATUS_ES.get(status, status)
