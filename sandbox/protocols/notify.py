"""notify's outbox API as any party calls it (``POST {notify}/messages``).

The message body is notify's :class:`~sandbox.notify.models.MessageIn`: ``channel`` (``sms`` |
``email``), ``to``, ``subject`` (e-mail), ``text`` (with ``{secret}`` where a one-time code goes),
``secret``, ``kind`` (``otp`` | ``receipt`` | ``notice``), ``reference``. notify answers ``201``.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from sandbox.kit.peers import Peers

log = logging.getLogger("sandbox.notify.peer")


class NotifyPeer:
    """notify, as a party that sends SMS and e-mails calls it."""

    def __init__(self, peers: Peers, *, timeout_s: float | None = None) -> None:
        self.peers = peers
        self.timeout_s = timeout_s

    async def send(self, message: dict[str, Any]) -> bool:
        """Hand a message to notify; True when notify took it, False when it refused or could not
        be reached (logged; the caller keeps the message to try again)."""
        what = message.get("reference") or message.get("kind")
        try:
            response = await self.peers.client("notify", timeout_s=self.timeout_s).post("/messages", json=message)
        except httpx.HTTPError as exc:
            log.warning("notify unreachable for %s: %s", what, type(exc).__name__)
            return False
        if response.status_code not in (200, 201):
            log.warning("notify refused %s: HTTP %s", what, response.status_code)
            return False
        return True
