"""CEIBO's protocol routes (``/ceibo/v1``): thin — parse, call :class:`~.service.CeiboService`, answer.

The card lookup and the hold, post and void carry the switch's load: they are hot routes
(:class:`sandbox.kit.fast.HotRouter`), declared once and answered by FastAPI (documented,
validated) or by their lean handler, with the same code behind both.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from sandbox.kit.fast import Call, HotRouter, Reply
from sandbox.kit.fields import Day
from sandbox.protocols.sicoop import (
    HOLD_ID_PATTERN,
    PAGE_POSITION_PATTERN,
    REPORT_PAGE_MAX,
    CardOut,
    CardsFound,
    HoldIn,
    HoldOut,
    HoldsReport,
)
from sandbox.sicoop.ceibo.logic import HoldAction
from sandbox.sicoop.ceibo.service import CeiboService

LOOKUP_DOCUMENT_PATTERN = r"^[0-9]{1,12}$"
LOOKUP_PHONE_MAX = 20

HoldId = Annotated[str, Path(pattern=HOLD_ID_PATTERN)]
Document = Annotated[str | None, Query(pattern=LOOKUP_DOCUMENT_PATTERN)]
Phone = Annotated[str | None, Query(max_length=LOOKUP_PHONE_MAX)]
HOLD = {"hold_id": HoldId}


def router(service: CeiboService) -> HotRouter:
    api = HotRouter(prefix="/ceibo/v1", tags=["ceibo"])

    # -- cards ---------------------------------------------------------------------------------
    @api.hot(
        "GET",
        "/cards",
        query={"document_number": Document, "phone": Phone},
        response_model=CardsFound,
        summary="Card lookup by cédula or phone",
    )
    async def lookup(call: Call[None]) -> Reply:
        return Reply.json(await service.lookup(call.query["document_number"], call.query["phone"]))

    @api.get("/cards/{card_id}", response_model=CardOut, summary="Balance inquiry")
    async def card(card_id: str) -> CardOut:
        return service.card(card_id)

    # -- holds ---------------------------------------------------------------------------------
    @api.hot("POST", "/holds", body=HoldIn, response_model=HoldOut, summary="Authorization: reserve an amount (hold)")
    async def create_hold(call: Call[HoldIn]) -> Reply:
        return Reply.json(await service.hold(call.body))

    @api.get("/holds/{hold_id}", response_model=HoldOut, summary="Query a hold")
    async def get_hold(hold_id: str) -> HoldOut:
        return service.get_hold(hold_id)

    @api.hot(
        "POST",
        "/holds/{hold_id}/post",
        params={"hold_id": HoldId},
        response_model=HoldOut,
        summary="Completion: post a hold",
    )
    async def post_hold(call: Call[None]) -> Reply:
        return Reply.json(await service.resolve(call.params["hold_id"], HoldAction.POST))

    @api.hot(
        "POST",
        "/holds/{hold_id}/void",
        params={"hold_id": HoldId},
        response_model=HoldOut,
        summary="Reversal: void a hold",
    )
    async def void_hold(call: Call[None]) -> Reply:
        return Reply.json(await service.resolve(call.params["hold_id"], HoldAction.VOID))

    # -- settlement ------------------------------------------------------------------------------
    @api.get(
        "/reports/holds",
        response_model=HoldsReport,
        summary="Settlement report: the day's holds and their states (paged)",
        responses={422: {"description": "invalid_field: a date outside 2000-01-01..2099-12-31, a bad page token"}},
    )
    async def holds_report(
        day: Annotated[Day, Query(alias="date", description="The business day, YYYY-MM-DD (Paraguay's time).")],
        page_size: Annotated[int, Query(ge=1, le=REPORT_PAGE_MAX)] = 1000,
        page_token: Annotated[str | None, Query(pattern=PAGE_POSITION_PATTERN)] = None,
    ) -> HoldsReport:
        return service.holds_report(day, page_token, page_size)

    return api
