"""The reference switch (port 8000): the composition root — it only wires store, peers, flows and jobs.

Layout (the party shape, ``docs/developing.md``): ``core/`` pure authorization decisions (holds,
limits, OTP, idempotency), ``store/`` SQL by aggregate with one unit of work, ``peers/`` one
client per peer party over one HTTP stack, ``flows/<flow>/`` each flow as models, logic, state,
service, api and pages. Flows: SICOOP cash (``/sicoop/v1``); collections and PSE payments plug in
here the same way (a service, a router, pages, jobs).

Options: ``[parties.switch] options`` in ``sandbox.toml`` (:mod:`reference_impl.settings`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from reference_impl.flows.cash import api as cash_flow_api
from reference_impl.flows.cash import pages as cash_flow_pages
from reference_impl.flows.cash.directory import CardDirectory, CardPolicies
from reference_impl.flows.cash.service import CashService
from reference_impl.flows.cash.state import CashState
from reference_impl.flows.collections import api as collections_api
from reference_impl.flows.collections import pages as collections_pages
from reference_impl.flows.collections.service import OPERATIONS as COLLECTIONS_OPERATIONS
from reference_impl.flows.collections.service import CollectionsService, GatewayAccountInfo
from reference_impl.flows.collections.state import CollectionsState
from reference_impl.flows.pse_bank import pages as pse_bank_pages
from reference_impl.peers.ceibo import CeiboPeer
from reference_impl.peers.coop import CoopPeer
from reference_impl.peers.gateway import GatewayPeer
from reference_impl.peers.notify import NotifyPeer
from reference_impl.peers.red import RedPeer
from reference_impl.peers.transport import peer_transport
from reference_impl.settings import SwitchSettings
from reference_impl.state import SwitchState
from reference_impl.store import AuthorizationStore, create_store_engine, upgrade
from reference_impl.store.unit_of_work import GroupCommit
from sandbox.config import ConfigError
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.party import Job, PartyContext, create_party_app, make_templates
from sandbox.kit.rules import RuleSet
from sandbox.world import World
from sandbox.world.model import GatewayAccount

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

    # One RuleSet and one Behaviour for every flow (/_sandbox/rules).
    rules = RuleSet({**COLLECTIONS_OPERATIONS})
    behaviour = Behaviour(rules)

    # Collections (RedCoop Pagos PSE): coop's cores, notify, and the network's gateway account.
    coop = CoopPeer.for_world(
        ctx.peers.url("coop"), ctx.world, party=ctx.name, timeout_s=settings.coop_timeout_s,
        proxy_url=ctx.peers.proxy_url,
    )  # fmt: skip
    notify = NotifyPeer(peer_transport(ctx.peers.url("notify"), party=ctx.name, timeout_s=5,
                                       proxy_url=ctx.peers.proxy_url))  # fmt: skip
    account = _collections_account(ctx, settings.collections_merchant_id)
    gateway = GatewayPeer(
        peer_transport(ctx.peers.url("gateway"), party=ctx.name, timeout_s=settings.gateway_timeout_s,
                       proxy_url=ctx.peers.proxy_url),
        api_login=account[1], api_key=account[0].api_key,
    )  # fmt: skip
    collections = CollectionsService(
        state=CollectionsState(store, commit),
        otp=store.otp,
        coop=coop,
        notify=notify,
        gateway=gateway,
        account=GatewayAccountInfo(
            merchant_id=account[0].merchant_id,
            account_id=account[0].account_id,
            api_key=account[0].api_key,
            minimum_minor=account[0].minimum_amount_minor,
            checkout_url=ctx.peers.url("gateway") + "/checkout",
            response_url=ctx.peers.resolve(account[0].response_url or "{switch}/recaudos/respuesta"),
            confirmation_url=ctx.peers.resolve(account[0].confirmation_url or "{switch}/recaudos/confirmacion"),
        ),
        contacts=_member_contacts(ctx.world),
        entities=[e.code for e in ctx.world.entities if e.collections_enabled],
        clock=ctx.clock,
        behaviour=behaviour,
    )

    async def shutdown() -> None:
        await commit.close()
        await ceibo.aclose()
        await red.aclose()
        await coop.aclose()
        await notify.aclose()
        await gateway.aclose()
        engine.dispose()

    app = create_party_app(
        ctx,
        title="switch · red cooperativa",
        description="Switch de referencia: SICOOP (efectivo con CEIBO) y recaudos RedCoop Pagos PSE; los pagos PSE "
        "desde la cooperativa llegan después.",
        state=SwitchState(cash),
        routers=[
            cash_api,
            cash_flow_pages.router(cash, templates),
            pse_bank_pages.router(ctx.world.network.switch_bank_code, templates),
            collections_api.router(collections),
            collections_pages.router(collections, templates),
        ],
        rules=rules,
        jobs=[
            Job("sicoop.expire_holds", cash.expire_due),
            Job("sicoop.issuer_sync", cash.sync_issuer),
            Job("recaudos.requery", collections.job_requery),
            Job("recaudos.credits", collections.job_credits),
        ],
        pages=[
            ("SICOOP: transacciones de efectivo", "/sicoop"),
            ("SICOOP: conciliación del día", "/sicoop/conciliacion"),
            *[(f"Recaudos: {e.name}", f"/recaudos/{e.code}") for e in ctx.world.entities if e.country == "CO"],
            ("Recaudos: pagos y abonos (operación)", "/recaudos/operacion"),
            ("Recaudos: conciliación del día", "/recaudos/conciliacion"),
        ],
        templates_dir=TEMPLATES,
        on_shutdown=[shutdown],
        fast_routes=cash_api.lean,
    )
    app.state.behaviour = behaviour
    app.description = f"{app.description}\n\n{cash_flow_api.__doc__ or ''}"  # the API guide in /docs
    return app


def _collections_account(ctx: PartyContext, merchant_id: str) -> tuple[GatewayAccount, str]:
    """The network's gateway account for collections (and its API login)."""
    for account in ctx.world.gateway_accounts:
        if account.merchant_id == merchant_id:
            return account, account.api_login
    raise ConfigError(
        f"[parties.switch] options.collections_merchant_id: no gateway account {merchant_id} in the world"
    )


def _member_contacts(world: World) -> Callable[[str, str], tuple[str | None, str | None]]:
    """A member's registered mobile and e-mail by document (the entity's data; only for notify)."""
    by_document = {(m.document_type.value, m.document_number): (m.mobile, m.email) for m in world.members}

    def contacts(document_type: str, document_number: str) -> tuple[str | None, str | None]:
        return by_document.get((document_type, document_number), (None, None))

    return contacts
