"""notify: the SMS and e-mail outbox of the sandbox (port 8008).

Parties send messages with ``POST /messages``; a one-time code travels in the ``secret`` field
and the text carries a ``{secret}`` placeholder, so the code is masked in journals, logs and
captures (NET-05) while the inbox, which plays the member's phone and mailbox, shows it.

* ``GET /_sandbox/messages?to=...`` lists messages, newest first (for tests and tools);
* ``GET /inbox`` is the page a person reads their OTPs and receipts in.

Behaviour rules (operations ``notify.sms``, ``notify.email``; fields ``to``, ``kind``,
``from_party``): ``decline`` refuses the message, ``pending`` delivers it ``pending_s`` sandbox
seconds later, ``delay_s`` answers slowly, ``error`` answers with an HTTP error.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandbox.kit.errors import Forced, InvalidInput
from sandbox.kit.observe import PARTY_HEADER
from sandbox.kit.party import PartyContext, create_party_app

MAX_MESSAGES = 10_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MOBILE = re.compile(r"^(3\d{9}|09\d{8}|\+?\d{10,15})$")


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["sms", "email"]
    to: str = Field(min_length=3, max_length=120)
    subject: str | None = Field(default=None, max_length=200)
    text: str = Field(min_length=1, max_length=4000)
    #: A one-time code or other secret; the text shows it where it says ``{secret}``.
    secret: str | None = Field(default=None, max_length=64)
    kind: Literal["otp", "receipt", "notice"] = "notice"
    reference: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _check(self) -> MessageIn:
        if self.channel == "sms" and not _MOBILE.match(self.to):
            raise ValueError("to debe ser un número de celular (10 dígitos) para un SMS")
        if self.channel == "email" and not _EMAIL.match(self.to):
            raise ValueError("to debe ser un correo electrónico válido")
        if self.channel == "email" and not self.subject:
            raise ValueError("subject es obligatorio para un correo electrónico")
        if ("{secret}" in self.text) != (self.secret is not None):
            raise ValueError("text lleva {secret} si y solo si se envía secret")
        return self


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    channel: str
    to: str
    subject: str | None
    text: str
    secret: str | None
    kind: str
    reference: str | None
    from_party: str | None
    request_id: str | None
    sent_at: str
    deliver_at: str

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        out["text"] = self.text.replace("{secret}", self.secret or "")
        return out


def _key(address: str) -> str:
    return address.strip().lower()


class Outbox:
    def __init__(self) -> None:
        self.messages: deque[Message] = deque(maxlen=MAX_MESSAGES)
        self._ids = itertools.count(1)

    def reset(self) -> None:
        self.messages.clear()
        self._ids = itertools.count(1)

    def add(
        self, msg: MessageIn, *, now: datetime, deliver_at: datetime, from_party: str | None, request_id: str | None
    ) -> Message:
        message = Message(
            id=next(self._ids), channel=msg.channel, to=msg.to.strip(), subject=msg.subject,
            text=msg.text, secret=msg.secret, kind=msg.kind, reference=msg.reference,
            from_party=from_party, request_id=request_id, sent_at=now.isoformat(),
            deliver_at=deliver_at.isoformat(),
        )  # fmt: skip
        self.messages.append(message)
        return message

    def query(
        self,
        *,
        now: datetime,
        to: str | None = None,
        channel: str | None = None,
        kind: str | None = None,
        limit: int = 50,
    ) -> list[Message]:
        out: list[Message] = []
        key = _key(to) if to else None
        for message in reversed(self.messages):
            if datetime.fromisoformat(message.deliver_at) > now:
                continue  # not delivered yet (a rule delayed it)
            if key and _key(message.to) != key:
                continue
            if (channel and message.channel != channel) or (kind and message.kind != kind):
                continue
            out.append(message)
            if len(out) >= limit:
                break
        return out

    def export(self) -> dict[str, Any]:
        return {"messages": [m.public() for m in reversed(self.messages)], "count": len(self.messages)}


def build(ctx: PartyContext) -> FastAPI:
    outbox = Outbox()
    api = APIRouter(tags=["notify"])
    control = APIRouter(prefix="/_sandbox", tags=["control"])
    pages = APIRouter(include_in_schema=False)

    @api.post("/messages", status_code=201)
    async def send(msg: MessageIn, request: Request) -> dict[str, Any]:
        now = ctx.clock.now()
        deliver_at = now
        from_party = request.headers.get(PARTY_HEADER)
        action = request.app.state.rules.evaluate(
            f"notify.{msg.channel}", {"to": msg.to, "kind": msg.kind, "from_party": from_party}
        )
        if action is not None:
            if action.delay_s:
                await asyncio.sleep(action.delay_s)
            if action.error is not None:
                raise Forced(action.error.message, code=action.error.code, status=action.error.status)
            if action.decline is not None:
                raise InvalidInput(action.message or "El mensaje no pudo entregarse.", code=action.decline, field="to")
            if action.pending:
                deliver_at = now + timedelta(seconds=action.pending_s or 60)
        message = outbox.add(
            msg, now=now, deliver_at=deliver_at, from_party=from_party,
            request_id=request.headers.get("x-request-id"),
        )  # fmt: skip
        status = "delivered" if deliver_at <= now else "delayed"
        return {"id": message.id, "status": status, "deliver_at": message.deliver_at}

    @control.get("/messages")
    async def messages(
        to: Annotated[str | None, Query(max_length=120)] = None,
        channel: Annotated[Literal["sms", "email"] | None, Query()] = None,
        kind: Annotated[Literal["otp", "receipt", "notice"] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_MESSAGES)] = 50,
    ) -> dict[str, Any]:
        found = outbox.query(now=ctx.clock.now(), to=to, channel=channel, kind=kind, limit=limit)
        return {"messages": [m.public() for m in found]}

    @pages.get("/inbox", response_class=HTMLResponse)
    async def inbox(request: Request, to: Annotated[str | None, Query(max_length=120)] = None) -> HTMLResponse:
        found = outbox.query(now=ctx.clock.now(), to=to or None, limit=200)
        return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
            request, "inbox.html",
            {"party": ctx.name, "title": "Buzón de SMS y correo", "to": to or "",
             "messages": [m.public() for m in found]},
        )  # fmt: skip

    return create_party_app(
        ctx,
        title="notify · SMS y correo",
        description="Buzón de salida de la red: cada OTP y cada comprobante llegan aquí.",
        state=outbox,
        routers=[api, pages],
        extra_control=[control],
        operations={
            "notify.sms": {"to", "kind", "from_party"},
            "notify.email": {"to", "kind", "from_party"},
        },
        pages=[("Buzón (bandeja de entrada)", "/inbox")],
        templates_dir=Path(__file__).with_name("templates"),
    )
