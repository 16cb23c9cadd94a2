"""The switch's client of notify (``POST /messages``, :mod:`sandbox.protocols.notify`): SMS and
e-mails to members (the collections OTP, COL-05), over the switch's one HTTP stack. The code travels
in ``secret`` (a field every journal and capture masks, NET-05) and the text holds ``{secret}``."""

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
        """Hand one message to notify; True when notify took it (201), False otherwise (logged
        without the message's secret)."""
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
