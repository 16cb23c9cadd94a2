"""The receipt PSE e-mails to the payer when a transaction reaches a final state (COL-18; logic). Pure."""

from __future__ import annotations

from typing import Any

from sandbox.ach.lifecycle import STATE_INFO, Transaction
from sandbox.kit.money import format_display
from sandbox.protocols.colombia import COLOMBIA


def _plain(text: str) -> str:
    # The outbox reads "{secret}" as a placeholder: user text never carries braces into it.
    return text.replace("{", "(").replace("}", ")")


def receipt_message(txn: Transaction, *, entity_name: str, bank_name: str) -> dict[str, Any]:
    """The ``POST {notify}/messages`` body of the receipt of ``txn``."""
    label = STATE_INFO[txn.state].label
    when = (txn.resolved_at or txn.created_at).astimezone(COLOMBIA).strftime("%d/%m/%Y %H:%M")
    lines = [
        f"PSE · Comprobante de su pago ({label}).",
        f"Empresa: {_plain(entity_name)}",
        f"Valor: {format_display(txn.value_minor, 'COP')} (IVA {format_display(txn.vat_minor, 'COP')})",
        f"CUS: {txn.trazability_code}",
        f"Banco: {_plain(bank_name)}",
        f"Fecha: {when} (hora de Colombia)",
        f"Estado: {label}",
        f"Descripción: {_plain(txn.payment_description)}",
        f"Referencia del pago (ticket): {txn.ticket_id}",
    ]
    if txn.authorization_id:
        lines.append(f"Autorización del banco: {_plain(txn.authorization_id)}")
    return {
        "channel": "email",
        "to": txn.receipt_email,
        "subject": f"Comprobante PSE · {label} · CUS {txn.trazability_code}",
        "text": "\n".join(lines),
        "kind": "receipt",
        "reference": txn.trazability_code,
    }
