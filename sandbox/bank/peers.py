"""The bank's peer: ACH's bank-side API (``{ach}/psebancos/api/...``, HTTP Basic).

Each bank authenticates with its code and its ``ach_secret`` from the world. An answer with a
``returnCode`` is ACH's word (:class:`~sandbox.bank.models.AchAnswer`); no answer, a 5xx or a body
that is not the protocol raises :class:`AchUnreachable` (the caller retries later).
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

import httpx

from sandbox.bank.logic import Payment
from sandbox.bank.models import AchAnswer, confirm_request, information_request
from sandbox.kit.peers import Peers
from sandbox.world.model import Bank

API = "/psebancos/api/"


class AchUnreachable(Exception):
    """ACH did not answer with its protocol."""


class AchPeer:
    """ACH as the banks call it; ``bank`` says on whose behalf (its own credentials)."""

    def __init__(self, peers: Peers, *, timeout_s: float, tz: tzinfo) -> None:
        self.peers = peers
        self.timeout_s = timeout_s
        self.tz = tz

    async def _post(self, bank: Bank, method: str, body: dict[str, Any]) -> AchAnswer:
        if bank.ach_secret is None:
            raise ValueError(f"bank {bank.code} has no ach_secret in the world")
        http = self.peers.client("ach", timeout_s=self.timeout_s)
        try:
            response = await http.post(API + method, json=body, auth=httpx.BasicAuth(bank.code, bank.ach_secret))
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

    async def information(self, bank: Bank, cus: str) -> AchAnswer:
        """``GetTransactionInformation``: the transaction behind a CUS of this bank."""
        return await self._post(bank, "GetTransactionInformation", information_request(bank.code, cus))

    async def confirm(self, bank: Bank, payment: Payment) -> AchAnswer:
        """``ConfirmTransactionPayment`` with the bank's result."""
        return await self._post(bank, "ConfirmTransactionPayment", confirm_request(bank.code, payment, self.tz))
