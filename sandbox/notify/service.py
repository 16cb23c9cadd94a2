"""notify's use cases: take a message into the outbox (behaviour rules decide when it is
delivered, or refuse it), and read the outbox as a person or a test does."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from sandbox.kit.behaviour import Behaviour
from sandbox.kit.clock import Clock
from sandbox.kit.errors import InvalidInput
from sandbox.notify.models import MessageIn
from sandbox.notify.state import Message, Outbox

#: Behaviour-rule operations of notify and the fields each exposes (docs/magic-values.md).
OPERATIONS: Final[dict[str, set[str]]] = {
    "notify.sms": {"to", "kind", "from_party"},
    "notify.email": {"to", "kind", "from_party"},
}

#: How long a ``pending`` rule without ``pending_s`` holds a message back (sandbox seconds).
DEFAULT_PENDING_S: Final = 60


class NotifyService:
    def __init__(self, state: Outbox, clock: Clock, behaviour: Behaviour) -> None:
        self.state = state
        self.clock = clock
        self.behaviour = behaviour

    async def send(self, msg: MessageIn, *, from_party: str | None, request_id: str | None) -> Message:
        """Put a message in the outbox. Rules: ``decline`` refuses it (422 with the rule's code),
        ``pending`` delivers it ``pending_s`` sandbox seconds later; the kit applies the rest."""
        now = self.clock.now()
        fields = {"to": msg.to, "kind": msg.kind, "from_party": from_party}
        async with self.behaviour.at(f"notify.{msg.channel}", fields) as forced:
            if forced.decline:
                raise InvalidInput(forced.message or "El mensaje no pudo entregarse.", code=forced.decline, field="to")
            deliver_at = now
            if forced.pending:
                deliver_at = now + timedelta(seconds=forced.pending_s or DEFAULT_PENDING_S)
            return self.state.add(msg, now=now, deliver_at=deliver_at, from_party=from_party, request_id=request_id)

    def delivered(
        self, *, to: str | None = None, channel: str | None = None, kind: str | None = None, limit: int = 50
    ) -> list[Message]:
        """Messages delivered by now (a held-back one appears when its time comes), newest first."""
        return self.state.query(now=self.clock.now(), to=to, channel=channel, kind=kind, limit=limit)
