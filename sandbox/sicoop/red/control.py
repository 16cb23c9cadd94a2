"""The collection network's part of the sandbox's control API (``/_sandbox/``; transport, thin): the
register with each operation's history, the counters. Never a protocol a real network has."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from sandbox.sicoop.red.service import RedService


def router(service: RedService) -> APIRouter:
    control = APIRouter(prefix="/_sandbox", tags=["control"])

    @control.get("/registrations")
    async def registrations(
        since: datetime | None = None,
        until: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=2_000_000)] = 100_000,
    ) -> dict[str, Any]:
        return service.registrations(since, until, limit)

    @control.get("/counters")
    async def control_counters() -> dict[str, Any]:
        return {"counters": service.counters()}

    return control
