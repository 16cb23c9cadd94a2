"""The PSE bank list, as a collecting company keeps it: fetched from ACH (GetBankListNF), cached,
refreshed at most once a sandbox day (in the network's time zone), and shown with the
placeholder entry ``0 · A continuación seleccione su banco`` first.

If ACH cannot be reached when the day's refresh is due, yesterday's list keeps serving; with no
list at all the caller gets :class:`~sandbox.gateway.ach_client.AchUnavailable`.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, tzinfo
from typing import Any

from sandbox.gateway.ach_client import AchBank, AchClient, AchUnavailable
from sandbox.kit.errors import SandboxError
from sandbox.kit.party import PartyContext
from sandbox.world.model import PseEntity

PLACEHOLDER = AchBank("0", "A continuación seleccione su banco")


class BankListCache:
    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.banks: list[AchBank] = []
        self.fetched_on: date | None = None
        self.fetched_at: datetime | None = None
        self.fetches = 0
        self._lock = asyncio.Lock()

    def reset(self) -> None:
        self.banks, self.fetched_on, self.fetched_at, self.fetches = [], None, None, 0

    def is_fresh(self, now: datetime) -> bool:
        return self.fetched_on is not None and self.fetched_on == now.astimezone(self.tz).date()

    async def get(self, client: AchClient, now: datetime) -> list[AchBank]:
        """The banks (without the placeholder), fetching them if today's list is missing."""
        async with self._lock:
            if self.is_fresh(now):
                return list(self.banks)
            try:
                banks = await client.get_bank_list()
            except AchUnavailable:
                if self.banks:
                    return list(self.banks)
                raise
            self.banks = banks
            self.fetched_on = now.astimezone(self.tz).date()
            self.fetched_at = now
            self.fetches += 1
            return list(banks)

    async def for_page(self, client: AchClient, now: datetime) -> list[AchBank]:
        """The list as shown to a person: the placeholder first, then A–Z."""
        return [PLACEHOLDER, *await self.get(client, now)]

    def name_of(self, code: str) -> str | None:
        return next((b.name for b in self.banks if b.code == code), None)

    def export(self) -> dict[str, Any]:
        return {
            "fetched_on": self.fetched_on.isoformat() if self.fetched_on else None,
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "fetches": self.fetches,
            "banks": [{"code": b.code, "name": b.name} for b in self.banks],
        }


class AchEntities:
    """What a company that collects through PSE needs from ACH: one client per collecting
    entity (each with its own OAuth token) and the bank list, from ``cache``.

    Shared by the gateway (collecting for its merchants) and the merchant's own PSE button.
    """

    def __init__(self, ctx: PartyContext, cache: BankListCache) -> None:
        self.ctx = ctx
        self.cache = cache
        self._clients: dict[str, AchClient] = {}

    def client(self, entity: PseEntity) -> AchClient:
        client = self._clients.get(entity.entity_code)
        if client is None:
            client = AchClient(
                self.ctx.peers.client("ach"),
                entity_code=entity.entity_code,
                client_id=entity.client_id,
                client_secret=entity.client_secret,
                clock=self.ctx.clock,
            )
            self._clients[entity.entity_code] = client
        return client

    async def banks(self, entity: PseEntity) -> list[AchBank]:
        """The bank list (cached, refreshed at most once a sandbox day); 502 when ACH is down."""
        try:
            return await self.cache.get(self.client(entity), self.ctx.clock.now())
        except AchUnavailable as exc:
            raise SandboxError(
                "No fue posible obtener la lista de bancos de PSE. Intente de nuevo en unos minutos.",
                code="ach_unavailable",
                status=502,
            ) from exc
