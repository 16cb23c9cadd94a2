"""coop: the cooperatives' core banking (port 8003), and the contract a cooperative implements.

Each cooperative of the world (an *entity*) has its own core behind ``/coop/v1/entities/{entity}``,
with its key (``Authorization: Bearer <key>``, the world's ``core_api_key``):

=================================================  ===============================================
``GET  /coop/v1/entities/{e}``                       the entity and its services
``GET  .../members?document_type=&document_number=`` member lookup (masked mobile and e-mail)
``GET  .../members/{member_id}/products``            the member's products (COL-02), every status
``POST .../debits``                                  authorize a debit: a hold (15 sandbox min)
``POST .../debits/{id}/post`` · ``/void``             post it (the money leaves) or void it
``POST .../credits``                                 apply a payment or deposit (amount rules)
``POST .../transactions/{id}/reversal``              reverse a posted debit or applied credit
``GET  .../transactions/{id}``                        a transaction (or debit) by id
``GET  .../transactions?reference=`` · ``?date=``     by the caller's reference; the day's report
=================================================  ===============================================

Money-moving calls need ``Idempotency-Key``: the same key and body replay the first answer
(``Idempotent-Replayed: true``); another body is ``422 idempotency_key_reused``; while the first is
being answered, ``409 idempotency_key_in_flight``. Errors: ``{"error", "message", "field"}``.
Forced outcomes: amounts ending in ``.91`` (500 ``core_error``, nothing applied), ``.92`` (applied,
answered after ``core_delay_s``), ``.93`` (applied, connection dropped); behaviour rules on
``coop.lookup``, ``coop.products``, ``coop.debit``, ``coop.post``, ``coop.void``, ``coop.credit``,
``coop.reversal``. The guide for a cooperative's IT team: ``docs/coop-api.md``.

Pages (Spanish): ``/backoffice`` and ``/backoffice/{entity}?fecha=AAAA-MM-DD`` — each cooperative's
members, products, balances and the day's movements.

State: SQLite (``<state_dir>/coop.db``), kept across restarts; ``POST /_sandbox/reset`` puts the
world back. Options (``[parties.coop] options``): ``hold_timeout_s`` (900), ``core_delay_s`` (15),
``key_retention_s`` (86400), ``sqlite_synchronous`` (FULL).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sandbox.coop import api, pages
from sandbox.coop.service import OPERATIONS, CoopService, CoopSettings
from sandbox.coop.state import CoopState
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.party import Job, PartyContext, create_party_app, make_templates
from sandbox.kit.rules import RuleSet

TEMPLATES = Path(__file__).with_name("templates")


def build(ctx: PartyContext) -> FastAPI:
    settings = CoopSettings.from_options(ctx.options)
    state = CoopState(ctx.world, ctx.state_dir / "coop.db", synchronous=settings.sqlite_synchronous)
    rules = RuleSet(OPERATIONS)
    behaviour = Behaviour(rules)
    service = CoopService(state, ctx.clock, behaviour, settings)

    async def close() -> None:
        state.close()

    app = create_party_app(
        ctx,
        title="coop · core bancario de las cooperativas",
        description=(__doc__ or "").split("\n\n")[0].replace("\n", " "),
        state=state,
        routers=[api.router(service), pages.router(service, make_templates(TEMPLATES, ctx=ctx))],
        rules=rules,
        jobs=[Job("coop.expire_holds", service.expire_due), Job("coop.purge_keys", service.purge_keys)],
        on_shutdown=[close],
        fast_routes=api.lean_routes(service),
        pages=[
            ("Back office de cada cooperativa (asociados, productos, saldos, movimientos del día)", "/backoffice"),
            *[(f"Back office de {e.name}", f"/backoffice/{e.code}") for e in ctx.world.entities[:1]],
        ],
        templates_dir=TEMPLATES,
    )
    app.description = __doc__ or ""
    app.state.behaviour = behaviour
    return app
