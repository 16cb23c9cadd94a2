"""The switch's client of the collection network's control API (for the reconciliation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from sandbox.kit.peers import Peers

MAX_LISTED = 2_000_000
"""The most registrations the network's control API lists at once."""


class RedPeer:
    def __init__(self, peers: Peers) -> None:
        self._peers = peers

    async def registrations_between(self, since: datetime, until: datetime) -> list[dict[str, Any]] | None:
        """The network's register of operations started in [since, until), or None if unreachable."""
        try:
            response = await self._peers.client("red", timeout_s=30).get(
                "/_sandbox/registrations",
                params={"since": since.isoformat(), "until": until.isoformat(), "limit": str(MAX_LISTED)},
            )
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        found: list[dict[str, Any]] = response.json().get("registrations", [])
        return found
