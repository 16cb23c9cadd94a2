"""PayU's JSON API as it travels: envelopes, commands, dates and amounts. Pure, no I/O.

Every answer of ``/payments-api/4.0/service.cgi`` and ``/reports-api/4.0/service.cgi`` is HTTP
200 with ``code`` ``SUCCESS`` or ``ERROR``; what PayU puts beside it depends on the API::

    payments (PING, GET_PAYMENT_METHODS, GET_BANKS_LIST, SUBMIT_TRANSACTION)
        {"code": "SUCCESS", "error": null, "transactionResponse" | "paymentMethods" | "banks": ...}
        {"code": "ERROR", "error": "<text>", "transactionResponse": null}
    queries (ORDER_DETAIL, ORDER_DETAIL_BY_REFERENCE_CODE, TRANSACTION_RESPONSE_DETAIL)
        {"code": "SUCCESS", "error": null, "result": {"payload": ...}}
        {"code": "ERROR", "error": "<text>", "result": null}

A refusal is never an HTTP 4xx: PayU's client libraries (PHP ``ApiServiceUtil``, Java
``PayUApiServiceUtil``) throw on any status but 200 before reading ``error``.

Types as PayU sends them: dates are epoch milliseconds (``operationDate: 1624471332753``), amounts
are JSON numbers (``"value": 65000``); the gateway writes them from integers and
:class:`~decimal.Decimal`, never floats (:func:`dumps`).

>>> epoch_ms(datetime(2021, 6, 23, 18, 2, 12, 753000, tzinfo=UTC))
1624471332753
>>> amount_value(6500000, "COP"), amount_value(6500050, "COP")
(65000, Decimal('65000.50'))
>>> dumps({"value": amount_value(6500050, "COP")})
b'{"value": 65000.50}'
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import simplejson

from sandbox.kit.money import exponent

#: Commands of the payments API and of the queries API (PayU's "Commands accepted by ..." tables).
PAYMENT_COMMANDS: Final = ("PING", "GET_PAYMENT_METHODS", "GET_BANKS_LIST", "SUBMIT_TRANSACTION")
QUERY_COMMANDS: Final = ("ORDER_DETAIL", "ORDER_DETAIL_BY_REFERENCE_CODE", "TRANSACTION_RESPONSE_DETAIL")
COMMANDS: Final = (*PAYMENT_COMMANDS, *QUERY_COMMANDS)

PAYMENTS_PATH: Final = "/payments-api/4.0/service.cgi"
QUERIES_PATH: Final = "/reports-api/4.0/service.cgi"


def is_query(command: str | None, path: str) -> bool:
    """Whether an answer takes the queries API's shape (``result``): a query command, or any
    request to the queries path whose command is not a payments command."""
    if command in QUERY_COMMANDS:
        return True
    return path.endswith(QUERIES_PATH) and command not in PAYMENT_COMMANDS


def success(**body: Any) -> dict[str, Any]:
    return {"code": "SUCCESS", "error": None, **body}


def error(text: str, *, query: bool) -> dict[str, Any]:
    """PayU's refusal: ``code`` ``ERROR``, the reason as text, and the body's slot empty."""
    return {"code": "ERROR", "error": text, "result" if query else "transactionResponse": None}


def epoch_ms(moment: datetime | None) -> int | None:
    """A moment as PayU writes dates in JSON: milliseconds since 1970-01-01T00:00Z."""
    if moment is None:
        return None
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def amount_value(minor: int, currency: str) -> int | Decimal:
    """An amount as a JSON number: whole amounts as integers (``65000``), others with the
    currency's decimals (``65000.50``)."""
    exp = exponent(currency)
    scale: int = 10**exp
    if minor % scale == 0:
        return minor // scale
    value: Decimal = Decimal(minor).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))
    return value


def money(minor: int, currency: str) -> dict[str, Any]:
    """``{"value": 65000, "currency": "COP"}``, PayU's ``additionalValues`` entry."""
    return {"value": amount_value(minor, currency), "currency": currency}


def dumps(body: Any) -> bytes:
    """JSON with :class:`~decimal.Decimal` written as exact numbers (no float on the way)."""
    text: str = simplejson.dumps(body, use_decimal=True, ensure_ascii=False)
    return text.encode("utf-8")
