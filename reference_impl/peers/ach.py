"""The switch's client of ACH's bank-side API (``{ach}/psebancos/api/...``), as PSE bank 1066
(Banco Cooperativo Coopcentral): it reads the transaction behind a CUS
(``GetTransactionInformation``) and reports the bank's result (``ConfirmTransactionPayment``).

The switch authenticates as any bank does, with HTTP Basic ``<bank code>:<ach_secret>`` (the
world's credential of bank 1066). Requests go through the switch's one HTTP stack
(:mod:`reference_impl.peers.transport`). Every call answers an :class:`AchAnswer`: ACH's word
(its ``returnCode``), or ``reachable=False`` when ACH did not answer with its protocol (no answer
in time, a dropped connection, a 5xx, a body without ``returnCode``) — the caller tries again.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from typing import Any

from reference_impl.peers.transport import PeerError, PeerTransport

log = logging.getLogger("reference_impl.peers.ach")

API = "/psebancos/api/"


@dataclass(frozen=True, slots=True)
class AchAnswer:
    reachable: bool
    code: str = ""
    details: str = ""
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.reachable and self.code == "SUCCESS"


class AchBankPeer:
    """ACH as bank ``bank_code`` calls it, with its ``ach_secret``."""

    def __init__(self, transport: PeerTransport, *, bank_code: str, ach_secret: str | None) -> None:
        self._transport = transport
        self.bank_code = bank_code
        token = base64.b64encode(f"{bank_code}:{ach_secret or ''}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}
        self.has_credential = ach_secret is not None

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def _post(self, method: str, body: dict[str, Any]) -> AchAnswer:
        try:
            response = await self._transport.request("POST", API + method, json_body=body, headers=self._headers)
        except PeerError as exc:
            log.warning("ACH did not answer %s: %s", method, type(exc).__name__)
            return AchAnswer(False, details=type(exc).__name__)
        data = response.body
        if response.status >= 500 or not isinstance(data, dict) or "returnCode" not in data:
            log.warning("ACH answered %s without its protocol (HTTP %s)", method, response.status)
            return AchAnswer(False, details=f"http_{response.status}")
        return AchAnswer(True, str(data["returnCode"]), str(data.get("errorDetails") or ""), data)

    async def information(self, cus: str) -> AchAnswer:
        """``GetTransactionInformation``: the transaction behind a CUS of this bank."""
        return await self._post("GetTransactionInformation", {"trazabilityCode": cus,
                                                               "financialInstitutionCode": self.bank_code})  # fmt: skip

    async def confirm(
        self,
        *,
        cus: str,
        entity_code: str,
        value: str,
        vat: str,
        ticket_id: int,
        solicite_date: str,
        bank_process_date: str,
        state: str,
        authorization_id: str | None,
    ) -> AchAnswer:
        """``ConfirmTransactionPayment`` with the bank's result (``OK`` or ``NOT_AUTHORIZED``)."""
        body = {
            "trazabilityCode": cus,
            "financialInstitutionCode": self.bank_code,
            "entityCode": entity_code,
            "transactionValue": value,
            "vatValue": vat,
            "ticketId": ticket_id,
            "soliciteDate": solicite_date,
            "bankProcessDate": bank_process_date,
            "transactionState": state,
            "authorizationId": authorization_id,
        }
        return await self._post("ConfirmTransactionPayment", body)
