"""CEIBO's part of the sandbox's control API (``/_sandbox/``; transport, thin): the cards, the
soft-token each shows, a card's status, the holds. Never a protocol a real CEIBO has."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from sandbox.protocols.sicoop import CARD_ID_PATTERN
from sandbox.sicoop.ceibo.models import CardStatusIn
from sandbox.sicoop.ceibo.service import CeiboService

CARD_ID_PATH = PathParam(pattern=CARD_ID_PATTERN)


def router(service: CeiboService) -> APIRouter:
    control = APIRouter(prefix="/_sandbox", tags=["control"])

    @control.get("/cards")
    async def list_cards(
        document_number: Annotated[str | None, Query(max_length=12)] = None,
        phone: Annotated[str | None, Query(max_length=20)] = None,
        limit: Annotated[int, Query(ge=1, le=1_000_000)] = 1000,
    ) -> dict[str, Any]:
        return service.cards(document_number, phone, limit)

    @control.get("/cards/{card_id}/soft-token")
    async def soft_token(card_id: Annotated[str, CARD_ID_PATH]) -> dict[str, Any]:
        return service.soft_token(card_id)

    @control.get("/soft-tokens")
    async def soft_tokens(
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    ) -> dict[str, Any]:
        """What the app shows for many cards at once (for load tests: one code per card per 30 s)."""
        return service.soft_tokens(offset, limit)

    @control.post("/cards/{card_id}/status")
    async def set_status(card_id: Annotated[str, CARD_ID_PATH], body: CardStatusIn) -> dict[str, Any]:
        return service.set_status(card_id, body.status)

    @control.get("/holds")
    async def list_holds(
        since: datetime | None = None,
        until: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=2_000_000)] = 100_000,
    ) -> dict[str, Any]:
        return service.holds_between(since, until, limit)

    return control
