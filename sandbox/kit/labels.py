"""Words and times for people: one language and one clock on every page (issue 17).

Codes stay English on the wire and in JSON (``APPROVED``, ``soft_token_reused``); pages show them
through these functions, which the kit installs as Jinja filters (:func:`install_filters`):

=====================  ====================================================================
``{{ s | estado }}``    a status code in Spanish (``APPROVED`` → «Aprobada»)
``{{ c | motivo }}``    a reason/decline code in Spanish (``card_blocked`` → «Tarjeta bloqueada»)
``{{ t | hora(z) }}``   an instant in a zone, labelled: «15/01/2026 10:00 (hora de Colombia, UTC−5)»
``{{ d | fecha }}``     a calendar date: «15/01/2026»
``{{ x | texto }}``     a value or «—» (never Python's ``None`` on a page)
``{{ m | money(c) }}``  minor units for people: COP «$1.500.000,00», PYG «₲ 1.500.000»
``{{ v | valor(c) }}``  a wire amount («350000.00») for people: «$350.000,00»
=====================  ====================================================================

Pure functions: the instant to show is always given; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from sandbox.kit.money import AmountError, format_amount, format_display, parse_amount

COLOMBIA = "America/Bogota"
PARAGUAY = "America/Asuncion"

_ZONE_NAMES: Mapping[str, str] = {COLOMBIA: "hora de Colombia", PARAGUAY: "hora de Paraguay", "UTC": "UTC"}

#: Status codes of every party (transactions, payments, holds, operations, invoices, orders).
#: Feminine where the noun is (transacción, operación, retención); a page that needs «Aprobado»
#: words its own sentence.
STATUS_LABELS: Mapping[str, str] = {
    # PSE / gateway / bank / merchant (upper case on the wire)
    "PENDING": "Pendiente",
    "APPROVED": "Aprobada",
    "DECLINED": "Rechazada",
    "EXPIRED": "Vencida",
    "ERROR": "Error",
    "FAILED": "Fallida",
    "OK": "Aprobada",
    "NOT_AUTHORIZED": "No autorizada",
    "REVERSED": "Reversada",
    "REFUNDED": "Reembolsada",
    "CREATED": "Creada",
    "NEW": "Nueva",
    "IN_PROGRESS": "En proceso",
    "CAPTURED": "Pagada",
    "AUTHORIZATION_AND_CAPTURE": "Pago",
    "REFUND": "Reembolso",
    # ACH internal events / states
    "bank_pending": "Pendiente en el banco",
    "bank_ok": "Aprobada por el banco",
    "bank_not_authorized": "No autorizada por el banco",
    "bank_failed": "Fallida en el banco",
    "abandoned": "Abandonada",
    "bank_timeout": "Sin respuesta del banco",
    "finalize": "Finalización",
    # cash: switch, CEIBO, collection network (lower case)
    "authorizing": "En autorización",
    "approved": "Aprobada",
    "declined": "Rechazada",
    "confirmed": "Confirmada",
    "released": "Liberada",
    "expired": "Vencida",
    "pending": "Pendiente",
    "posted": "Aplicada",
    "voided": "Anulada",
    "sending": "Enviando",
    "unknown": "Sin respuesta",
    "confirming": "Confirmando",
    "completed": "Completada",
    "releasing": "Liberando",
    "annulled": "Anulada",
    "failed": "Fallida",
    "diverged": "Con diferencias",
    "none": "Ninguna",
    "post": "Por aplicar",
    "void": "Por anular",
    "issuer_approved": "Aprobada por CEIBO",
    "issuer_declined": "Rechazada por CEIBO",
    "issuer_silent": "CEIBO no respondió",
    "absent": "Desconocida en CEIBO",
    "confirm": "Confirmación",
    "release": "Liberación",
    "expire": "Vencimiento",
    "created": "Creada",
    "active": "Activa",
    "blocked": "Bloqueada",
    "ok": "Disponible",
    "unavailable": "No disponible",
    # PSE 1066 (Coopcentral) at the switch: a payment's steps (and "started", below)
    "identified": "Identificada",
    "authenticated": "Autenticada",
    "posting": "Debitando",
    # coop: products and movements (core banking)
    "authorized": "Autorizada",
    "applied": "Aplicada",
    # collections (RedCoop Pagos PSE): a visit, and each product's credit at the cooperative
    "identifying": "Verificando identidad",
    "verified": "Identidad verificada",
    "started": "Iniciada",
    "waiting": "En espera del pago",
    "applying": "Por abonar",
    "refused": "Rechazado por la cooperativa",
    "not_applicable": "Sin abono (pago no aprobado)",
    "reversed": "Reversada",
    "inactive": "Inactiva",
    "closed": "Cerrada",
    # invoices
    "open": "Pendiente",
    "paid": "Pagada",
    # kinds
    "withdrawal": "Extracción",
    "deposit": "Depósito",
    "debit": "Débito",
    "credit": "Crédito",
    "otp": "Código",
    "receipt": "Comprobante",
    "notice": "Aviso",
    "sms": "SMS",
    "email": "Correo",
}

#: Reason and decline codes in Spanish (short, for a table cell; the parties' own messages are
#: the long form).
REASON_LABELS: Mapping[str, str] = {
    "unknown_card": "Tarjeta desconocida",
    "card_blocked": "Tarjeta bloqueada",
    "wrong_soft_token": "Código soft-token incorrecto",
    "soft_token_reused": "Código soft-token ya usado",
    "insufficient_funds": "Fondos insuficientes",
    "over_transaction_cap": "Supera el tope por transacción",
    "over_daily_cap": "Supera el tope diario",
    "over_frequency": "Supera las extracciones del día",
    "drawer_short": "Efectivo insuficiente en la boca",
    "issuer_timeout": "CEIBO no respondió a tiempo",
    "issuer_unavailable": "CEIBO no disponible",
    "hold_expired": "La retención venció",
    "expired": "Vencida",
    "annulled": "Anulada",
    "registration_failed": "Falló el registro en la red",
    "already_posted": "Ya aplicada",
    "already_voided": "Ya anulada",
    "hold_declined": "Autorización rechazada",
    "blocked_document": "Documento bloqueado (antifraude)",
    "max_amount": "Supera el monto máximo (antifraude)",
    "velocity_document": "Demasiados pagos del documento (antifraude)",
    "velocity_email": "Demasiados pagos del correo (antifraude)",
    "ANTIFRAUD_REJECTED": "Rechazada por antifraude",
    "ENTITY_DECLINED": "Rechazada por el banco",
    "INSUFFICIENT_FUNDS": "Fondos insuficientes",
    "EXPIRED_TRANSACTION": "Transacción vencida",
    "BANK_UNREACHABLE": "Banco no disponible",
    "PENDING_TRANSACTION_CONFIRMATION": "Pendiente de confirmación",
    "ERROR": "Error",
    "APPROVED": "Aprobada",
}


#: What a bank customer of the world does when paying (``bank_customers[].behaviour``).
PERSONA_LABELS: Mapping[str, str] = {
    "approve": "paga si el saldo alcanza",
    "pending_then_approve": "queda pendiente y luego aprueba",
    "pending_then_fail": "queda pendiente y luego falla",
    "abandon": "entra y abandona sin pagar",
}


_NOUNS: Mapping[str, tuple[str, bool]] = {  # plural noun, feminine?
    "withdrawals": ("Extracciones", True),
    "deposits": ("Depósitos", False),
    "debits": ("Débitos", False),
    "credits": ("Créditos", False),
    "holds": ("Retenciones", True),
}

#: Reconciliation words: totals buckets, kinds of difference, compared fields.
CONCEPT_LABELS: Mapping[str, str] = {
    "cash_in": "Efectivo recibido",
    "cash_out": "Efectivo entregado",
    "missing": "Falta",
    "mismatch": "No coincide",
    "open": "Sin cerrar",
    "status": "estado",
    "issuer_state": "estado en CEIBO",
    "registration": "registro en la red",
    "cash_moved": "efectivo movido",
    "hold": "retención",
    "transaction": "transacción",
    "source": "fuente",
    "kind": "tipo",
    "amount": "monto",
    "counter_id": "boca",
    "card_id": "tarjeta",
}


#: Form and query field names as a person knows them (for error pages; JSON keeps the names).
FIELD_LABELS: Mapping[str, str] = {
    "username": "usuario",
    "password": "clave",
    "to": "destinatario",
    "email": "correo electrónico",
    "q": "cédula o celular",
    "documento": "número de documento",
    "comercio": "comercio",
    "apiLogin": "API Login",
    "apiKey": "API Key",
    "desde": "desde",
    "hasta": "hasta",
    "date": "fecha",
    "boca": "boca de cobranza",
    "monto": "monto",
    "cuenta": "cuenta",
    "accion": "acción",
    "motivo": "motivo",
    "enc": "enlace de pago",
    "person_type": "tipo de persona",
}


def field_label(name: object) -> str:
    text = str(name or "")
    return FIELD_LABELS.get(text, text)


def _agree(adjective: str, feminine: bool) -> str:
    """«Confirmada» → «confirmadas» / «confirmados»; «Pendiente» → «pendientes»."""
    word = adjective.lower()
    if word.endswith("ndo") or " " in word:
        return word
    if word.endswith("a") and not feminine:
        word = word[:-1] + "o"
    return word + "s" if word[-1] in "aeo" else word


def concept_label(code: object) -> str:
    """``withdrawals_confirmed`` → «Extracciones confirmadas»; ``debits_posted`` → «Débitos aplicados»."""
    text = str(code or "")
    if text in CONCEPT_LABELS:
        return CONCEPT_LABELS[text]
    noun, _, state = text.partition("_")
    if noun in _NOUNS and state:
        label, feminine = _NOUNS[noun]
        return f"{label} {_agree(status_label(state), feminine)}"
    return text.replace("_", " ")


def status_label(code: object) -> str:
    """A status code in Spanish; an unknown code is shown as it is (never «None»)."""
    if code is None or code == "":
        return "—"
    text = str(getattr(code, "value", code))
    return STATUS_LABELS.get(text, STATUS_LABELS.get(text.lower(), text))


def reason_label(code: object) -> str:
    if code is None or code == "":
        return ""
    text = str(getattr(code, "value", code))
    return REASON_LABELS.get(text, STATUS_LABELS.get(text, text.replace("_", " ")))


def utc_offset_label(offset: timedelta | None) -> str:
    """``-5 h`` → ``UTC−5`` (with a real minus sign); ``+5:30`` → ``UTC+5:30``."""
    if offset is None:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "−" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    if hours == 0 and mins == 0:
        return "UTC"
    return f"UTC{sign}{hours}" + (f":{mins:02d}" if mins else "")


def as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def zone_time(value: object, zone: str = COLOMBIA, *, seconds: bool = False, label: bool = True) -> str:
    """An instant for people: ``15/01/2026 10:00 (hora de Colombia, UTC−5)``. ``value`` is an aware
    datetime or an ISO-8601 string; anything else is shown as «—» (or as it is, if it is text)."""
    moment = as_datetime(value)
    if moment is None:
        return "—" if value in (None, "") else str(value)
    if moment.tzinfo is None:
        raise ValueError("naive datetime: sandbox times always carry a timezone")
    local = moment.astimezone(ZoneInfo(zone))
    text = local.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")
    if not label:
        return text
    return f"{text} ({_ZONE_NAMES.get(zone, zone)}, {utc_offset_label(local.utcoffset())})"


def clock_time(value: object, zone: str = COLOMBIA) -> str:
    """Only the time of day, with the zone in short: ``10:00:05 (UTC−5)`` (for lists of one day)."""
    moment = as_datetime(value)
    if moment is None:
        return "—" if value in (None, "") else str(value)
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.strftime('%H:%M:%S')} ({utc_offset_label(local.utcoffset())})"


def zone_label(zone: str, at: datetime) -> str:
    """``hora de Colombia, UTC−5`` — for a column header or a form's hint."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{_ZONE_NAMES.get(zone, zone)}, {utc_offset_label(local.utcoffset())}"


def day(value: object) -> str:
    """A calendar date: ``15/01/2026`` (dates have no zone)."""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return "—"


def text_or_dash(value: object) -> str:
    return "—" if value is None or value == "" else str(value)


def money(minor: object, currency: str = "COP") -> str:
    if minor is None or minor == "":
        return "—"
    return format_display(int(str(minor)), currency)


def wire_money(value: object, currency: str = "COP") -> str:
    """A wire amount (``"350000.00"``) for people: ``$350.000,00``; a non-amount is shown as it is."""
    if value is None or value == "":
        return "—"
    try:
        return format_display(parse_amount(str(value), currency), currency)
    except AmountError:
        return str(value)


def amount(minor: object, currency: str = "COP") -> str:
    if minor is None or minor == "":
        return ""
    return format_amount(int(str(minor)), currency)


def _finalize(value: Any) -> Any:
    """What Jinja prints for ``{{ x }}``: never the word «None»."""
    return "" if value is None else value


def install_filters(env: jinja2.Environment) -> None:
    env.filters.update(
        {
            "money": money,
            "amount": amount,
            "valor": wire_money,
            "estado": status_label,
            "motivo": reason_label,
            "hora": zone_time,
            "hora_corta": clock_time,
            "fecha": day,
            "texto": text_or_dash,
            "concepto": concept_label,
            "persona": lambda code: PERSONA_LABELS.get(str(code), str(code)),
        }
    )
    env.globals.update({"COLOMBIA": COLOMBIA, "PARAGUAY": PARAGUAY, "zone_label": zone_label})


def environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """A Jinja environment with the filters above and no «None» ever printed."""
    env = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(["html"]), finalize=_finalize)
    install_filters(env)
    return env
