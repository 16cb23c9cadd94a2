"""The reference switch (port 8000): the composition root — it only wires store, peers, flows and jobs.

Layout (the party shape, ``docs/developing.md``): ``core/`` pure authorization decisions (holds,
limits, OTP, idempotency), ``store/`` SQL by aggregate with one unit of work, ``peers/`` one
client per peer party over one HTTP stack, ``flows/<flow>/`` each flow as models, logic, state,
service, api and pages. Flows: SICOOP cash (``/sicoop/v1``); collections and PSE payments plug in
here the same way (a service, a router, pages, jobs).

Options: ``[parties.switch] options`` in ``sandbox.toml`` (:mod:`reference_impl.settings`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from fastapi import FastAPI

from reference_impl.core.limits import LimitPolicy, LimitRule
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
from reference_impl.flows.pse_bank import api as pse_bank_api
from reference_impl.flows.pse_bank import pages as pse_bank_pages
from reference_impl.flows.pse_bank.portal import PortalDirectory
from reference_impl.flows.pse_bank.service import OPERATIONS as PSE_BANK_OPERATIONS
from reference_impl.flows.pse_bank.service import PseBankService, PseSettings
from reference_impl.flows.pse_bank.state import PseState
from reference_impl.flows.reconciliation import api as reconciliation_api
from reference_impl.flows.reconciliation import pages as reconciliation_pages
from reference_impl.flows.reconciliation.service import FlowReport, ReconciliationService
from reference_impl.peers.ach import AchBankPeer
from reference_impl.peers.ceibo import CeiboPeer
from reference_impl.peers.coop import CoopPeer
from reference_impl.peers.gateway import GatewayPeer
from reference_impl.peers.notify import NotifyPeer
from reference_impl.peers.red import RedPeer
from reference_impl.peers.transport import peer_transport
from reference_impl.settings import SwitchSettings
from reference_impl.state import SwitchState
from reference_impl.store import AuthorizationStore, create_store_engine, upgrade
from reference_impl.store.limits import LimitPolicies
from reference_impl.store.unit_of_work import GroupCommit
from sandbox.config import ConfigError
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.party import Job, PartyContext, create_party_app, make_templates
from sandbox.kit.rules import RuleSet
from sandbox.protocols.colombia import network_tz
from sandbox.world import World
from sandbox.world.model import GatewayAccount
from sandbox.world.model import LimitRule as WorldLimitRule

TEMPLATES = Path(__file__).with_name("templates")


def _peer_url(ctx: PartyContext, name: str) -> str:
    """A peer's URL, also when that party is not started (``coop-sandbox load`` runs only the
    switch, CEIBO and red): a call to it then fails as a peer that does not answer."""
    return ctx.peers.urls.get(name) or ctx.config.party(name).url


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
    rules = RuleSet({**COLLECTIONS_OPERATIONS, **PSE_BANK_OPERATIONS})
    behaviour = Behaviour(rules)

    # Collections (RedCoop Pagos PSE): coop's cores, notify, and the network's gateway account.
    coop = CoopPeer.for_world(
        _peer_url(ctx, "coop"), ctx.world, party=ctx.name, timeout_s=settings.coop_timeout_s,
        proxy_url=ctx.peers.proxy_url,
    )  # fmt: skip
    notify = NotifyPeer(peer_transport(_peer_url(ctx, "notify"), party=ctx.name, timeout_s=5,
                                       proxy_url=ctx.peers.proxy_url))  # fmt: skip
    account = _collections_account(ctx, settings.collections_merchant_id)
    gateway = GatewayPeer(
        peer_transport(_peer_url(ctx, "gateway"), party=ctx.name, timeout_s=settings.gateway_timeout_s,
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
            checkout_url=_peer_url(ctx, "gateway") + "/checkout",
            response_url=ctx.peers.resolve(account[0].response_url or "{switch}/recaudos/respuesta"),
            confirmation_url=ctx.peers.resolve(account[0].confirmation_url or "{switch}/recaudos/confirmacion"),
        ),
        contacts=_member_contacts(ctx.world),
        entities=[e.code for e in ctx.world.entities if e.collections_enabled],
        clock=ctx.clock,
        behaviour=behaviour,
        alert_after=settings.issuer_alert_after,
    )

    # PSE payments debited from cooperative accounts: the switch as bank 1066 (Coopcentral) and the
    # network portal; ACH's bank-side API with bank 1066's credential from the world.
    bank_code = ctx.world.network.switch_bank_code
    bank = ctx.world.bank(bank_code)
    ach = AchBankPeer(
        peer_transport(_peer_url(ctx, "ach"), party=ctx.name, timeout_s=settings.ach_timeout_s,
                       proxy_url=ctx.peers.proxy_url),
        bank_code=bank_code,
        ach_secret=bank.ach_secret if bank else None,
    )  # fmt: skip
    bogota = network_tz(ctx.world.network.timezone)
    pse = PseBankService(
        state=PseState(store),
        coop=coop,
        ach=ach,
        notify=notify,
        portal=PortalDirectory.from_world(ctx.world),
        policies=LimitPolicies(limit_rules([r for r in ctx.world.limits if r.applies_to == "product"]), bogota),
        clock=ctx.clock,
        behaviour=behaviour,
        world=ctx.world,
        settings=PseSettings(
            bank_code=bank_code,
            tz=bogota,
            abandon_after_s=settings.pse_abandon_after_s,
            coop_alert_after=settings.issuer_alert_after,
        ),
    )

    async def shutdown() -> None:
        await commit.close()
        await ceibo.aclose()
        await red.aclose()
        await coop.aclose()
        await notify.aclose()
        await gateway.aclose()
        await ach.aclose()
        engine.dispose()

    # The switch-wide reconciliation: each flow's own report of the day, side by side (NET-02).
    reconciliation = ReconciliationService(
        [
            FlowReport("sicoop", "Efectivo SICOOP (CEIBO y red de cobranzas)", "/sicoop/conciliacion",
                       "/sicoop/v1/reconciliation", cash.reconcile),
            FlowReport("recaudos", "Recaudos RedCoop Pagos PSE (cooperativas y PSE)", "/recaudos/conciliacion",
                       "/recaudos/v1/conciliacion", collections.reconcile),
            FlowReport("pse1066", "Pagos PSE desde la cooperativa (banco 1066)", "/pse/conciliacion",
                       "/pse/v1/reconciliation", pse.reconcile),
        ],
        today=collections.today,
    )  # fmt: skip

    app = create_party_app(
        ctx,
        title="switch · red cooperativa",
        description="Switch de referencia: SICOOP (efectivo con CEIBO), recaudos RedCoop Pagos PSE y pagos PSE "
        "desde la cooperativa (banco 1066, Coopcentral, con el Portal de la Red).",
        state=SwitchState(cash, pse, collections),
        routers=[
            cash_api,
            cash_flow_pages.router(cash, templates),
            pse_bank_api.router(pse),
            pse_bank_pages.router(pse, templates),
            collections_api.router(collections),
            collections_pages.router(collections, templates),
            reconciliation_api.router(reconciliation),
            reconciliation_pages.router(reconciliation, templates),
        ],
        rules=rules,
        jobs=[
            Job("sicoop.expire_holds", cash.expire_due),
            Job("sicoop.issuer_sync", cash.sync_issuer),
            Job("recaudos.requery", collections.job_requery),
            Job("recaudos.credits", collections.job_credits),
            Job("pse1066.coop_sync", pse.sync_coop),
            Job("pse1066.attempts", pse.sync_attempts),
            Job("pse1066.ach_confirmations", pse.sync_ach),
            Job("pse1066.abandoned", pse.sweep),
        ],
        pages=[
            ("Conciliación del día: todos los flujos", "/conciliacion"),
            ("SICOOP: transacciones de efectivo", "/sicoop"),
            ("SICOOP: conciliación del día", "/sicoop/conciliacion"),
            *[(f"Recaudos: {e.name}", f"/recaudos/{e.code}") for e in ctx.world.entities if e.collections_enabled],
            ("Recaudos: pagos y abonos (operación)", "/recaudos/operacion"),
            ("Recaudos: conciliación del día", "/recaudos/conciliacion"),
            ("PSE 1066 (Coopcentral): conciliación del día", "/pse/conciliacion"),
        ],
        templates_dir=TEMPLATES,
        on_shutdown=[shutdown],
        fast_routes=cash_api.lean,
    )
    app.state.behaviour = behaviour
    app.description = f"{app.description}\n\n{cash_flow_api.__doc__ or ''}\n\n{pse_bank_api.__doc__ or ''}"
    return app


def limit_rules(rules: Sequence[WorldLimitRule]) -> list[LimitRule]:
    """The world's debit limits (``applies_to: product``) as the authorization core's rules."""
    return [
        LimitRule(r.entity, r.product_type.value if r.product_type else None,
                  LimitPolicy(r.per_transaction_max_minor, r.per_day_max_minor, r.per_day_count))
        for r in rules
    ]  # fmt: skip


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
