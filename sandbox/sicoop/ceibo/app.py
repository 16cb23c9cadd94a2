"""ceibo: the CEIBO card processor of DIMO cards (port 8004).

CEIBO keeps the DIMO cards (holder's cédula and phone, status, balance, the app's soft-token
secret) and their **holds**, with ISO 8583-like semantics over JSON:

=========================================  ======================================================
``GET  /ceibo/v1/cards?document_number=``   card lookup by cédula (or ``?phone=09xxxxxxxx``)
``GET  /ceibo/v1/cards/{card_id}``          balance inquiry
``POST /ceibo/v1/holds``                    authorization (0100): reserve an amount; the acquirer
                                            (the switch) chooses ``hold_id``, so a retry answers
                                            ``result: exists`` instead of holding twice
``POST /ceibo/v1/holds/{id}/post``          completion (0220): the reserved money moves
``POST /ceibo/v1/holds/{id}/void``          reversal (0400): the reservation is released; a void
                                            of an unknown id is remembered, so a hold that arrives
                                            after its own reversal is refused (``already_voided``)
``GET  /ceibo/v1/holds/{id}``               query
``GET  /ceibo/v1/reports/holds?date=``      settlement report: every hold created on that business
                                            day (Paraguay's time) and its state now, oldest first,
                                            paged (``page_size`` up to 10 000, ``page_token``)
=========================================  ======================================================

Business answers are HTTP 200 with ``result`` (``created``, ``exists``, ``declined`` with a
``reason_code``: ``unknown_card``, ``card_blocked``, ``wrong_soft_token``, ``soft_token_reused``,
``insufficient_funds``; ``posted``, ``voided``). A second resolution is ``409`` with
``already_posted``, ``already_voided``, ``expired`` or ``hold_declined``. A hold nobody resolves
expires after ``expires_in_s`` (default 3600 s; the switch sends its own timeout plus a margin).

Debits need the holder's soft-token (``soft_token``): a TOTP of 6 digits in 30-second steps,
accepted in its step and the next, single use per card (:mod:`sandbox.sicoop.ceibo.softtoken`).

Control API (besides the kit's): ``GET /_sandbox/cards``, ``GET /_sandbox/cards/{id}/soft-token``
(what the DIMO app shows), ``GET /_sandbox/soft-tokens?offset=&limit=`` (the same for many cards, for
load tests), ``POST /_sandbox/cards/{id}/status``, ``GET /_sandbox/holds``.
Pages: ``/app`` (the DIMO app: a holder's cards and their current code) and ``/tarjetas``.

Behaviour rules: operations ``ceibo.lookup`` (``document_number``, ``phone``), ``ceibo.hold``
(``card_id``, ``kind``, ``counter_id``, ``trace_number``, ``document_number``, ``phone``),
``ceibo.post`` and ``ceibo.void`` (``hold_id``, ``card_id``, ``kind``). ``decline`` refuses with
that code (a declined hold, or a 409 for post/void); ``delay_s`` carries the operation out and
answers that many real seconds later (a timeout at the caller: NET-06); ``drop`` carries it out
and closes the connection without an answer; ``error`` does nothing and answers the HTTP error.
``pending`` has no meaning for a card processor's synchronous answers and is ignored.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sandbox.kit.behaviour import Behaviour
from sandbox.kit.party import Job, PartyContext, create_party_app, make_templates
from sandbox.kit.rules import RuleSet
from sandbox.sicoop.ceibo import api, control, pages
from sandbox.sicoop.ceibo.service import OPERATIONS, CeiboService
from sandbox.sicoop.ceibo.state import CeiboState, encode

TEMPLATES = Path(__file__).with_name("templates")


def build(ctx: PartyContext) -> FastAPI:
    state = CeiboState(ctx.world, ctx.durable(encode))
    rules = RuleSet(OPERATIONS)
    service = CeiboService(state, ctx.clock, Behaviour(rules))
    protocol = api.router(service)
    app = create_party_app(
        ctx,
        title="ceibo · procesador de tarjetas DIMO",
        description=(__doc__ or "").split("\n\n")[0].replace("\n", " "),
        state=state,
        routers=[protocol, pages.router(service, make_templates(TEMPLATES, ctx=ctx), ctx.name)],
        extra_control=[control.router(service)],
        rules=rules,
        jobs=[Job("ceibo.expire_holds", service.expire_due)],
        pages=[("App DIMO (soft-token de cada tarjeta)", "/app"), ("Tarjetas y retenciones", "/tarjetas")],
        templates_dir=TEMPLATES,
        fast_routes=protocol.lean,
    )
    app.description = __doc__ or ""  # the whole API guide in OpenAPI (/docs)
    return app
