"""The switch's client of notify's outbox (``POST {notify}/messages``, the protocol of
:mod:`sandbox.protocols.notify`), over the switch's one HTTP stack. One-time codes travel in
``secret`` (masked in every journal and log), the text says ``{secret}`` where the code goes."""

from __future__ import annotations

import logging
from typing import Any

from reference_impl.peers.transport import PeerError, PeerTransport

log = logging.getLogger("reference_impl.peers.notify")


class NotifyPeer:
    def __init__(self, transport: PeerTransport) -> None:
        self._transport = transport

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def send(self, message: dict[str, Any]) -> bool:
        """True when notify took the message; False when it refused it or could not be reached."""
        what = message.get("reference") or message.get("kind")
        try:
            response = await self._transport.request("POST", "/messages", json_body=message)
        except PeerError as exc:
            log.warning("notify unreachable for %s: %s", what, type(exc).__name__)
            return False
        if response.status not in (200, 201):
            log.warning("notify refused %s: HTTP %s", what, response.status)
            return False
        return True
