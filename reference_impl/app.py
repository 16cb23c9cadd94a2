"""The reference switch (port 8000): the composition root — it only wires store, peers, flows and jobs.

Layout (the party shape, ``docs/developing.md``): ``core/`` pure authorization decisions (holds,
limits, OTP, idempotency), ``store/`` SQL by aggregate with one unit of work, ``peers/`` one
client per peer party over one HTTP stack, ``flows/<flow>/`` each flow as models, logic, state,
service, api and pages. Flows: SICOOP cash (``/sicoop/v1``); collections and PSE payments plug in
here the same way (a service, a router, pages, jobs).

Options: ``[parties.switch] options`` in ``sandbox.toml`` (:mod:`reference_impl.settings`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from reference_impl.flows.cash import api as cash_flow_api
from reference_impl.flows.cash import pages as cash_flow_pages
from reference_impl.flows.cash.directory import CardDirectory, CardPolicies
from reference_impl.flows.cash.service import CashService
from reference_impl.flows.cash.state import CashState
from reference_impl.flows.pse_bank import pages as pse_bank_pages
from reference_impl.peers.ceibo import CeiboPeer
from reference_impl.peers.red import RedPeer
from reference_impl.peers.transport import peer_transport
from reference_impl.settings import SwitchSettings
from reference_impl.state import SwitchState
from reference_impl.store import AuthorizationStore, create_store_engine, upgrade
from reference_impl.store.unit_of_work import GroupCommit
from sandbox.kit.party import Job, PartyContext, create_party_app, make_templates

TEMPLATES = Path(__file__).with_name("templates")


def build(ctx: PartyContext) -> FastAPI:
    settings = SwitchSettings.from_options(ctx.options, ctx.state_dir)
    key = settings.key_bytes(ctx.state_dir)
    engine = create_store_engine(settings.database_url, pool_size=16, max_overflow=32)
    upgrade(engine)
    templates = make_templates(TEMPLATES, ctx=ctx)

    # SICOOP cash: holds and per-card limits on the switch's ledger, days in Paraguay's time.
    store = AuthorizationStore(engine, otp_key=key, day_tz=settings.cash_tz)
    commit = GroupCommit.for_unit_of_work(store.unit_of_work, max_batch=settings.max_batch)
    ceibo_transport = peer_transport(
        ctx.peers.url("ceibo"), party=ctx.name, timeout_s=settings.ceibo_timeout_s, proxy_url=ctx.peers.proxy_url
    )
    ceibo = CeiboPeer(ceibo_transport)
    red = RedPeer(peer_transport(ctx.peers.url("red"), party=ctx.name, timeout_s=5, proxy_url=ctx.peers.proxy_url))
    cash = CashService(
        state=CashState(store, commit),
        ceibo=ceibo,
        red=red,
        directory=CardDirectory(ceibo, CardPolicies(ctx.world)),
        clock=ctx.clock,
        settings=settings,
        key=key,
        counters=[c.id for c in ctx.world.counters],
    )
    cash_api = cash_flow_api.router(cash)

    async def shutdown() -> None:
        await commit.close()
        await ceibo.aclose()
        await red.aclose()
        engine.dispose()

    app = create_party_app(
        ctx,
        title="switch · red cooperativa",
        description="Switch de referencia: SICOOP (efectivo con CEIBO); recaudos y pagos PSE llegan después.",
        state=SwitchState(cash),
        routers=[
            cash_api,
            cash_flow_pages.router(cash, templates),
            pse_bank_pages.router(ctx.world.network.switch_bank_code, templates),
        ],
        jobs=[Job("sicoop.expire_holds", cash.expire_due), Job("sicoop.issuer_sync", cash.sync_issuer)],
        pages=[
            ("SICOOP: transacciones de efectivo", "/sicoop"),
            ("SICOOP: conciliación del día", "/sicoop/conciliacion"),
        ],
        templates_dir=TEMPLATES,
        on_shutdown=[shutdown],
        fast_routes=cash_api.lean,
    )
    app.description = f"{app.description}\n\n{cash_flow_api.__doc__ or ''}"  # the API guide in /docs
    return app
