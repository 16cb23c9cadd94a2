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
from sandbox.sicoop.red.state import Operation

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

    async def open(self, op: Operation, soft_token: str | None) -> SwitchReply:
        body: dict[str, Any] = {
            "trace_number": op.trace_number,
            "counter_id": op.counter_id,
            "amount": format_amount(op.amount_minor, "PYG"),
            "currency": "PYG",
        }
        if op.document_number is not None:
            body["document_number"] = op.document_number
        else:
            body["phone"] = op.phone
        if soft_token is not None:
            body["soft_token"] = soft_token
        try:
            response = await self._http.post(f"/sicoop/v1/{_plural(op.operation)}", json=body)
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

    async def resolve(self, op: Operation, action: Literal["confirm", "release"]) -> SwitchReply:
        try:
            response = await self._http.post(f"/sicoop/v1/{_plural(op.operation)}/{op.switch_id}/{action}")
        except httpx.HTTPError:
            return NO_ANSWER
        data = _body(response)
        if response.status_code == 200:
            return SwitchReply(True, data.get("status"), None, data.get("id"))
        if response.status_code in (404, 409) and data.get("error"):
            txn = data.get("transaction") or {}
            return SwitchReply(True, txn.get("status"), data["error"], op.switch_id, data.get("message"))
        return NO_ANSWER

    async def find(self, op: Operation) -> tuple[SwitchReply, bool]:
        try:
            response = await self._http.get(
                f"/sicoop/v1/{_plural(op.operation)}", params={"trace_number": op.trace_number}
            )
        except httpx.HTTPError:
            return NO_ANSWER, False
        if response.status_code != 200:
            return NO_ANSWER, False
        items = _body(response).get("items") or []
        if not items:
            return SwitchReply(True), False
        item = items[0]
        return SwitchReply(True, item.get("status"), item.get("reason_code"), item.get("id"), item.get("message")), True
