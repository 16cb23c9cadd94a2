"""notify's state, in memory: the outbox (the last :data:`MAX_MESSAGES` messages).

``reset()`` empties it; ``export()`` shows every message with its secret filled in (the outbox
plays the member's phone and mailbox: that is where a person reads the code).
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sandbox.notify.models import MAX_MESSAGES, MessageIn


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
