"""The switch's client of the collection network: its register of the day (``GET
/red/v1/reports/registrations``, the protocol of :mod:`sandbox.protocols.sicoop`), for the
reconciliation. Only protocol routes: a real network has no control API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reference_impl.peers.reports import report_pages, within
from reference_impl.peers.transport import PeerTransport
from sandbox.protocols.sicoop import business_days


class RedPeer:
    def __init__(self, transport: PeerTransport) -> None:
        self._transport = transport

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def registrations_between(self, since: datetime, until: datetime) -> list[dict[str, Any]] | None:
        """The network's operations started in [since, until): its register of each business day
        the window overlaps, every page; None if the network could not be read."""
        found: list[dict[str, Any]] = []
        for day in business_days(since, until):
            page = await report_pages(self._transport, "/red/v1/reports/registrations", "registrations", day)
            if page is None:
                return None
            found.extend(r for r in page if within(r.get("started_at"), since, until))
        return found
