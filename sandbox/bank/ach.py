"""The bank's calls to ACH's bank-side API (``{ach}/psebancos/api/...``, HTTP Basic).

The bank authenticates with its code and its ``ach_secret`` from the world. Two calls:

* :meth:`AchBankClient.information`: the transaction behind a CUS (amount, entity, return URL),
  to show the summary; ACH answers only for this bank's own transactions;
* :meth:`AchBankClient.confirm`: ``ConfirmTransactionPayment`` with the bank's result.

An answer with a ``returnCode`` is ACH's word (:class:`AchAnswer`); no answer, a 5xx or a body
that is not the protocol raises :class:`AchUnreachable` (the caller retries later).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from sandbox.bank.logic import Payment
from sandbox.kit.money import format_amount
from sandbox.world.model import Bank

API = "/psebancos/api/"


class AchUnreachable(Exception):
    """ACH did not answer with its protocol."""


@dataclass(frozen=True, slots=True)
class AchAnswer:
    code: str
    details: str
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.code == "SUCCESS"


class AchBankClient:
    def __init__(self, http: httpx.AsyncClient, bank: Bank, tz: Any) -> None:
        if bank.ach_secret is None:
            raise ValueError(f"bank {bank.code} has no ach_secret in the world")
        self.http = http
        self.bank = bank
        self.tz = tz
        self._auth = httpx.BasicAuth(bank.code, bank.ach_secret)

    async def _post(self, method: str, body: dict[str, Any]) -> AchAnswer:
        try:
            response = await self.http.post(API + method, json=body, auth=self._auth)
        except httpx.HTTPError as exc:
            raise AchUnreachable(f"ACH no responde a {method}: {type(exc).__name__}") from exc
        try:
            data = response.json()
        except ValueError:
            raise AchUnreachable(
                f"ACH respondió a {method} algo que no es JSON (HTTP {response.status_code})"
            ) from None
        if not isinstance(data, dict) or "returnCode" not in data:
            raise AchUnreachable(f"ACH respondió a {method} sin returnCode (HTTP {response.status_code})")
        return AchAnswer(str(data["returnCode"]), str(data.get("errorDetails") or ""), data)

    async def information(self, cus: str) -> AchAnswer:
        return await self._post(
            "GetTransactionInformation", {"trazabilityCode": cus, "financialInstitutionCode": self.bank.code}
        )

    def _when(self, moment: datetime | None) -> str | None:
        return None if moment is None else moment.astimezone(self.tz).isoformat()

    async def confirm(self, payment: Payment) -> AchAnswer:
        body = {
            "trazabilityCode": payment.cus,
            "financialInstitutionCode": self.bank.code,
            "entityCode": payment.entity_code,
            "transactionValue": format_amount(payment.value_minor, "COP"),
            "vatValue": format_amount(payment.vat_minor, "COP"),
            "ticketId": payment.ticket_id,
            "soliciteDate": payment.solicite_date,
            "bankProcessDate": self._when(payment.process_date or payment.created_at),
            "transactionState": payment.report,
            "authorizationId": payment.authorization_id,
        }
        return await self._post("ConfirmTransactionPayment", body)
