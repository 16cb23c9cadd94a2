"""notify: the SMS and e-mail outbox of the sandbox (port 8008).

Parties send messages with ``POST /messages``; a one-time code travels in the ``secret`` field
and the text carries a ``{secret}`` placeholder, so the code is masked in journals, logs and
captures (NET-05) while the inbox, which plays the member's phone and mailbox, shows it.

* ``GET /_sandbox/messages?to=...`` lists messages, newest first (for tests and tools);
* ``GET /inbox`` is the page a person reads their OTPs and receipts in.

Behaviour rules (operations ``notify.sms``, ``notify.email``; fields ``to``, ``kind``,
``from_party``): ``decline`` refuses the message, ``pending`` delivers it ``pending_s`` sandbox
seconds later, ``delay_s`` answers slowly, ``error`` answers with an HTTP error, ``drop`` keeps the
message and closes the connection without an answer.

Composition root only: the outbox (:mod:`.state`), the use cases (:mod:`.service`), the routes
(:mod:`.api`, :mod:`.pages`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sandbox.kit.behaviour import Behaviour
from sandbox.kit.party import PartyContext, create_party_app, make_templates
from sandbox.kit.rules import RuleSet
from sandbox.notify import api, pages
from sandbox.notify.service import OPERATIONS, NotifyService
from sandbox.notify.state import Outbox

TEMPLATES = Path(__file__).with_name("templates")


def build(ctx: PartyContext) -> FastAPI:
    outbox = Outbox()
    ctx.durable_snapshot(outbox, ("messages", "_ids"))
    rules = RuleSet(OPERATIONS)
    behaviour = Behaviour(rules)
    service = NotifyService(outbox, ctx.clock, behaviour)
    templates = make_templates(TEMPLATES, ctx=ctx)
    app = create_party_app(
        ctx,
        title="notify · SMS y correo",
        description="Buzón de salida de la red: cada OTP y cada comprobante llegan aquí.",
        state=outbox,
        routers=[api.router(service), pages.router(service, templates)],
        extra_control=[api.control_router(service)],
        rules=rules,
        pages=[("Buzón (bandeja de entrada)", "/inbox")],
        templates_dir=TEMPLATES,
    )
    app.state.behaviour = behaviour
    return app
