"""The merchant's peers: the gateway (:class:`GatewayPeer`, PayU's API), ACH (its own PSE button:
:class:`~sandbox.protocols.pse.collecting.AchPeer`) and notify (the customer's copies:
:class:`~sandbox.protocols.notify.NotifyPeer`)."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.kit.errors import SandboxError
from sandbox.kit.peers import Peers
from sandbox.protocols.notify import NotifyPeer
from sandbox.protocols.pse.collecting import AchPeer

__all__ = ["AchPeer", "GatewayPeer", "GatewayUnreachable", "NotifyPeer"]

QUERIES_PATH = "/reports-api/4.0/service.cgi"
PAYMENTS_PATH = "/payments-api/4.0/service.cgi"


class GatewayUnreachable(Exception):
    """The gateway gave no answer its protocol knows (down, timeout, not JSON): the outcome of the
    call is unknown."""


class GatewayPeer:
    """The gateway, as a merchant calls PayU's API."""

    def __init__(self, peers: Peers) -> None:
        self.peers = peers

    async def query(self, body: dict[str, Any]) -> dict[str, Any]:
        """A query command; its answer when ``code`` is ``SUCCESS``, else a 502 (or 409)
        :class:`~sandbox.kit.errors.SandboxError` saying why."""
        try:
            response = await self.peers.client("gateway").post(QUERIES_PATH, json=body)
        except httpx.HTTPError as exc:
            raise SandboxError("La pasarela no responde.", code="gateway_unavailable", status=502) from exc
        try:
            data = response.json()
        except ValueError:
            raise SandboxError(
                "La pasarela respondió algo inesperado.", code="gateway_unavailable", status=502
            ) from None
        if response.status_code != 200 or not isinstance(data, dict) or data.get("code") != "SUCCESS":
            # PayU refuses with HTTP 200, ``code: ERROR`` and the reason as text in ``error``.
            message = data.get("error") if isinstance(data, dict) else None
            raise SandboxError(
                str(message or "La pasarela rechazó la solicitud."),
                code=response.headers.get("x-sandbox-error") or "gateway_error",
                status=502,
            )
        return data

    async def submit(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], str | None]:
        """``SUBMIT_TRANSACTION``: the HTTP status, the JSON answer (``{}`` when not JSON) and the
        sandbox's code of a refusal (``X-Sandbox-Error``; PayU's ``error`` is only text);
        :class:`GatewayUnreachable` when there was no answer."""
        try:
            response = await self.peers.client("gateway").post(PAYMENTS_PATH, json=body)
            answer = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        except (httpx.HTTPError, ValueError) as exc:
            raise GatewayUnreachable(type(exc).__name__) from exc
        code = response.headers.get("x-sandbox-error")
        return response.status_code, answer if isinstance(answer, dict) else {}, code
