"""The collection network's client of SICOOP, the switch's cash API (``/sicoop/v1``).

:class:`SwitchPeer` turns the switch's HTTP answers into :class:`~.logic.SwitchReply`; no answer in
time, a refused connection or a server error is ``answered=False`` (the caller retries with the same
trace number). It calls only SICOOP's protocol routes.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx

from sandbox.kit.money import format_amount
from sandbox.kit.peers import Peers
from sandbox.sicoop.red.logic import SwitchReply

NO_ANSWER = SwitchReply(answered=False)


def _plural(operation: str) -> str:
    return "withdrawals" if operation == "withdrawal" else "deposits"


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class SwitchPeer:
    def __init__(self, peers: Peers, *, timeout_s: float) -> None:
        self._peers = peers
        self._timeout_s = timeout_s

    @property
    def _http(self) -> httpx.AsyncClient:
        return self._peers.client("switch", timeout_s=self._timeout_s)

    async def open(
        self,
        operation: str,
        *,
        trace_number: str,
        counter_id: str,
        amount_minor: int,
        document_number: str | None,
        phone: str | None,
        soft_token: str | None,
    ) -> SwitchReply:
        """A withdrawal or deposit (``operation``) at SICOOP, under the network's trace number."""
        body: dict[str, Any] = {
            "trace_number": trace_number,
            "counter_id": counter_id,
            "amount": format_amount(amount_minor, "PYG"),
            "currency": "PYG",
        }
        if document_number is not None:
            body["document_number"] = document_number
        else:
            body["phone"] = phone
        if soft_token is not None:
            body["soft_token"] = soft_token
        try:
            response = await self._http.post(f"/sicoop/v1/{_plural(operation)}", json=body)
        except httpx.HTTPError:
            return NO_ANSWER
        data = _body(response)
        if response.status_code in (200, 201):
            return SwitchReply(True, data.get("status"), data.get("reason_code"), data.get("id"), data.get("message"))
        if response.status_code == 409 and data.get("error") == "idempotency_in_progress":
            return NO_ANSWER
        if 400 <= response.status_code < 500:
            return SwitchReply(True, "declined", data.get("error"), None, data.get("message"))
        return NO_ANSWER

    async def resolve(
        self, operation: str, switch_id: str | None, action: Literal["confirm", "release"]
    ) -> SwitchReply:
        """Confirm or release SICOOP's transaction ``switch_id``."""
        try:
            response = await self._http.post(f"/sicoop/v1/{_plural(operation)}/{switch_id}/{action}")
        except httpx.HTTPError:
            return NO_ANSWER
        data = _body(response)
        if response.status_code == 200:
            return SwitchReply(True, data.get("status"), None, data.get("id"))
        if response.status_code in (404, 409) and data.get("error"):
            txn = data.get("transaction") or {}
            return SwitchReply(True, txn.get("status"), data["error"], switch_id, data.get("message"))
        return NO_ANSWER

    async def find(self, operation: str, trace_number: str) -> tuple[SwitchReply, bool]:
        """SICOOP's transaction of a trace number (after a lost answer); False: it has none."""
        try:
            response = await self._http.get(f"/sicoop/v1/{_plural(operation)}", params={"trace_number": trace_number})
        except httpx.HTTPError:
            return NO_ANSWER, False
        if response.status_code != 200:
            return NO_ANSWER, False
        items = _body(response).get("items") or []
        if not items:
            return SwitchReply(True), False
        item = items[0]
        return SwitchReply(True, item.get("status"), item.get("reason_code"), item.get("id"), item.get("message")), True
