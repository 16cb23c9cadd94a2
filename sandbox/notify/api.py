"""notify's routes: the protocol (``POST /messages``) and its own control route
(``GET /_sandbox/messages``, what tests and tools read). Thin: parse, call the service, answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from sandbox.kit.observe import PARTY_HEADER
from sandbox.notify.models import MAX_MESSAGES, MessageIn
from sandbox.notify.service import NotifyService


def router(service: NotifyService) -> APIRouter:
    api = APIRouter(tags=["notify"])

    @api.post("/messages", status_code=201)
    async def send(msg: MessageIn, request: Request) -> dict[str, Any]:
        message = await service.send(
            msg, from_party=request.headers.get(PARTY_HEADER), request_id=request.headers.get("x-request-id")
        )
        delivered = datetime.fromisoformat(message.deliver_at) <= datetime.fromisoformat(message.sent_at)
        return {"id": message.id, "status": "delivered" if delivered else "delayed", "deliver_at": message.deliver_at}

    return api


def control_router(service: NotifyService) -> APIRouter:
    """The outbox as tests and tools read it (the sandbox's control API, not a protocol)."""
    control = APIRouter(prefix="/_sandbox", tags=["control"])

    @control.get("/messages")
    async def messages(
        to: Annotated[str | None, Query(max_length=120)] = None,
        channel: Annotated[Literal["sms", "email"] | None, Query()] = None,
        kind: Annotated[Literal["otp", "receipt", "notice"] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_MESSAGES)] = 50,
    ) -> dict[str, Any]:
        return {"messages": [m.public() for m in service.delivered(to=to, channel=channel, kind=kind, limit=limit)]}

    return control
