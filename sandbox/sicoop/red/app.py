"""red: the collection network (Red de Cobranzas) with its counters and cash drawers (port 8005).

A cashier at a counter (boca de cobranza) opens SICOOP → extracción or depósito, types the
holder's cédula or phone, the soft-token (withdrawals) and the amount; the platform calls the
switch's SICOOP API, **registers** the answer in its own register, then confirms (registered) or
releases (registration failed) at the switch, and tells the cashier whether to hand over the
cash, take it, or neither. The drawer changes only when SICOOP has confirmed.

============================================  ===================================================
``POST /red/v1/operations``                   the cashier's operation (JSON); ``201``, or ``200``
                                              with the same operation for the same trace number
``GET  /red/v1/operations/{trace_number}``    an operation (what to tell the cashier now)
``GET  /red/v1/counters[/{id}]``              counters: drawer cash, reserved, settlement
``GET  /red/v1/reports/registrations?date=``  the register of a business day (Paraguay's time):
                                              every operation and where it stands, oldest
                                              first, paged (``page_size`` up to 10 000,
                                              ``page_token``); what SICOOP reconciles against
``GET  /_sandbox/registrations``              the register with each operation's history
                                              (``?since=&until=``; the sandbox's control API)
============================================  ===================================================

Pages: ``/sicoop`` (the cashier's menu), ``/sicoop/extraccion``, ``/sicoop/deposito``,
``/sicoop/operaciones/{trace}``, ``/cajas``.

Magic values: a counter with ``registration: fail`` (``RC-099``) fails every registration.
Behaviour rules: operation ``red.register`` (fields ``counter_id``, ``operation``,
``trace_number``, ``status``): ``decline``, ``error`` or ``drop`` make the registration fail,
``delay_s`` makes it slow. Options (``[parties.red] options``): ``switch_timeout_s`` (5.0),
``immediate_retries`` (2).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sandbox.kit.behaviour import Behaviour
from sandbox.kit.party import Job, PartyContext, create_party_app, make_templates
from sandbox.kit.rules import RuleSet
from sandbox.sicoop.red import api, control, pages
from sandbox.sicoop.red.peers import SwitchPeer
from sandbox.sicoop.red.service import OPERATIONS, RedService, RedSettings
from sandbox.sicoop.red.state import RedState, encode

TEMPLATES = Path(__file__).with_name("templates")


def build(ctx: PartyContext) -> FastAPI:
    settings = RedSettings.from_options(ctx.options)
    state = RedState(ctx.world, ctx.durable(encode))
    rules = RuleSet(OPERATIONS)
    switch = SwitchPeer(ctx.peers, timeout_s=settings.switch_timeout_s)
    service = RedService(state, ctx.clock, Behaviour(rules), switch, settings)
    app = create_party_app(
        ctx,
        title="red · red de cobranzas",
        description="Bocas de cobranza con caja: extracciones y depósitos SICOOP de tarjetas DIMO.",
        state=state,
        routers=[api.router(service), pages.router(service, make_templates(TEMPLATES, ctx=ctx), ctx.name)],
        extra_control=[control.router(service)],
        rules=rules,
        jobs=[Job("red.pending_calls", service.retry_pending)],
        pages=[("Plataforma del cajero: SICOOP", "/sicoop"), ("Cajas y registro de operaciones", "/cajas")],
        templates_dir=TEMPLATES,
    )
    app.description = __doc__ or ""  # the whole API guide in OpenAPI (/docs)
    return app
