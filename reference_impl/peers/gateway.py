"""The switch's client of the payment gateway (PayU's API, :mod:`sandbox.protocols.payu`), as the
merchant account of the network's collections: the state of a payment by its reference
(``ORDER_DETAIL_BY_REFERENCE_CODE``, COL-19: the return and the confirmation are never trusted by
themselves) and the account's transaction report (``GET /reports/v1/transactions``, for the
reconciliation). Over the switch's one HTTP stack."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from reference_impl.peers.transport import PeerError, PeerTransport
from sandbox.kit.parsing import AmountError, parse_amount

log = logging.getLogger("reference_impl.peers.gateway")

QUERIES_PATH = "/reports-api/4.0/service.cgi"
REPORT_PATH = "/reports/v1/transactions"


@dataclass(frozen=True, slots=True)
class GatewayTransaction:
    transaction_id: str
    state: str
    type: str
    response_code: str | None
    cus: str | None
    bank: str | None
    amount_minor: int | None


@dataclass(frozen=True, slots=True)
class ReportRow:
    reference: str
    transaction_id: str
    type: str
    state: str
    amount_minor: int
    cus: str | None


class GatewayPeer:
    def __init__(self, transport: PeerTransport, *, api_login: str, api_key: str) -> None:
        self._transport = transport
        self._merchant = {"apiLogin": api_login, "apiKey": api_key}
        token = base64.b64encode(f"{api_login}:{api_key}".encode()).decode()
        self._basic = {"Authorization": f"Basic {token}"}

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def transactions_of(self, reference: str) -> list[GatewayTransaction] | None:
        """Every transaction of the orders with ``reference`` (empty: no order yet); None when the
        gateway gave no usable answer (the caller asks again later)."""
        body = {
            "language": "es",
            "command": "ORDER_DETAIL_BY_REFERENCE_CODE",
            "merchant": self._merchant,
            "test": False,
            "details": {"referenceCode": reference},
        }
        try:
            response = await self._transport.request("POST", QUERIES_PATH, json_body=body)
        except PeerError as exc:
            log.warning("gateway query of %s failed: %s", reference, type(exc).__name__)
            return None
        data = response.body
        if response.status != 200 or not isinstance(data, dict) or data.get("code") != "SUCCESS":
            log.warning("gateway refused the query of %s: HTTP %s", reference, response.status)
            return None
        orders = (data.get("result") or {}).get("payload") or []
        found: list[GatewayTransaction] = []
        for order in orders if isinstance(orders, list) else []:
            for tx in order.get("transactions") or []:
                detail = tx.get("transactionResponse") or {}
                value = ((tx.get("additionalValues") or {}).get("TX_VALUE") or {}).get("value")
                try:
                    amount = None if value is None else parse_amount(str(value), "COP")
                except AmountError:
                    amount = None
                found.append(
                    GatewayTransaction(
                        transaction_id=str(tx.get("id") or ""),
                        state=str(detail.get("state") or ""),
                        type=str(tx.get("type") or "AUTHORIZATION_AND_CAPTURE"),
                        response_code=detail.get("responseCode"),
                        cus=detail.get("trazabilityCode"),
                        bank=(tx.get("extraParameters") or {}).get("FINANCIAL_INSTITUTION_NAME"),
                        amount_minor=amount,
                    )
                )
        return found

    async def report(self, start: date, end: date) -> list[ReportRow] | None:
        """The account's transactions created in ``[start, end]`` (days in Colombia); None when the
        report could not be read."""
        params = {"startDate": start.isoformat(), "endDate": end.isoformat()}
        try:
            response = await self._transport.request("GET", REPORT_PATH, params=params, headers=self._basic)
        except PeerError as exc:
            log.warning("gateway report unavailable: %s", type(exc).__name__)
            return None
        data: Any = response.body
        if response.status != 200 or not isinstance(data, dict):
            return None
        rows: list[ReportRow] = []
        for r in data.get("transactions") or []:
            try:
                rows.append(
                    ReportRow(
                        reference=str(r["reference_code"]),
                        transaction_id=str(r["transaction_id"]),
                        type=str(r["tipo"]),
                        state=str(r["estado"]),
                        amount_minor=parse_amount(str(r["valor"]), str(r.get("moneda") or "COP")),
                        cus=r.get("cus") or None,
                    )
                )
            except (KeyError, AmountError):
                log.warning("gateway report row unreadable: %r", r.get("transaction_id"))
        return rows
