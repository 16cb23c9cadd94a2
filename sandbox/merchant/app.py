"""merchant: a biller in the style of Alegra that sells with PayU and PSE (port 8007).

The world's ``merchants`` (customers and invoices) are its data; its gateway credentials are
the world's ``gateway_accounts`` entry named by ``gateway_merchant_id``, its own PSE agreement
the ``pse_entities`` entry named by ``pse_entity_code``.

Customer portal (pages)
    ``/portal`` → document lookup → ``/portal/{merchant}/clientes/{customer}``: the account
    statement ("Estado de cuenta") with every invoice and two buttons, "Paga con PayU" (a signed
    web-checkout form posted by the browser to the gateway) and "Pagar con PSE" (the merchant's
    own PSE button: bank list from ACH, then ACH's portal). Both are disabled for invoices below
    the merchant's minimum (GW-02), for paid invoices and while a payment is in progress.

Returns (never trusted alone: the state is asked first)
    ``GET /payu/respuesta`` (the gateway's response URL: the state is asked to the gateway with
    TRANSACTION_RESPONSE_DETAIL) and ``GET /pse/retorno/{payment}`` (ACH's ``entityurl``: the
    state is asked to ACH, then FinalizeTransactionPaymentNF). Both show the state and summary
    and e-mail the customer a copy through notify (GW-03).

Confirmations (GW-04)
    ``POST /payu/confirmacion`` (form): the ``sign`` is verified (a bad one → 400
    ``invalid_signature``), a ``transaction_id`` already seen answers 200 without effects, and the
    invoice is paid exactly once. ``transaction_type=REFUND`` reopens the invoice.

Back office
    ``/admin/{merchant}``: invoices, payments, confirmations received; "Reembolsar" asks the
    gateway for a full refund (GW-05) and reopens the invoice.

Behaviour rule ``merchant.confirmation`` (fields ``merchant_id, reference_sale, state_pol,
transaction_id, transaction_type``): ``error`` answers that HTTP error (the gateway retries),
``decline`` answers 422 with that code, ``delay_s`` answers late, ``drop`` applies the
confirmation and closes the connection without an answer (the gateway sends it again).

Composition root only: wire models in :mod:`.models`, decisions in :mod:`.logic`, the store in
:mod:`.state`, the gateway, ACH and notify in :mod:`.peers`, use cases in :mod:`.service`,
routes in :mod:`.api` and :mod:`.pages`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sandbox.kit.behaviour import Behaviour
from sandbox.kit.party import Job, PartyContext, create_party_app, make_templates
from sandbox.kit.rules import RuleSet
from sandbox.merchant import api, pages
from sandbox.merchant.peers import AchPeer, GatewayPeer, NotifyPeer
from sandbox.merchant.service import OPERATIONS, MerchantService
from sandbox.merchant.state import MerchantStore
from sandbox.protocols.colombia import network_tz

TEMPLATES = Path(__file__).with_name("templates")


def build(ctx: PartyContext) -> FastAPI:
    tz = network_tz(ctx.world.network.timezone)
    store = MerchantStore(ctx.world, tz)
    ctx.durable_snapshot(store, ("invoices", "payments", "confirmations", "_seq"))
    rules = RuleSet(OPERATIONS)
    behaviour = Behaviour(rules)
    service = MerchantService(
        store,
        ctx.clock,
        behaviour,
        ach=AchPeer(ctx.peers, ctx.clock, store.banks),
        gateway=GatewayPeer(ctx.peers),
        notify=NotifyPeer(ctx.peers),
        world=ctx.world,
        own_url=ctx.peers.url(ctx.name),
        tz=tz,
    )
    templates = make_templates(TEMPLATES, ctx=ctx)
    page_routes = pages.router(service, templates, merchants=ctx.world.merchants, gateway_url=ctx.peers.url("gateway"))
    first = ctx.world.merchants[0].id if ctx.world.merchants else None
    app = create_party_app(
        ctx,
        title="merchant · Ferretería (facturas estilo Alegra)",
        description=(
            "Comercio que factura y cobra en línea: estado de cuenta del cliente, «Paga con PayU» por la "
            "pasarela y «Pagar con PSE» directo por ACH, confirmaciones firmadas y reembolsos."
        ),
        state=store,
        routers=[api.router(service), page_routes],
        rules=rules,
        jobs=[Job("pse_requery", service.job_requery), Job("emails", service.job_emails)],
        pages=[("Portal de clientes (estado de cuenta)", "/portal")]
        + ([("Administración del comercio", f"/admin/{first}")] if first else []),
        templates_dir=TEMPLATES,
    )
    app.state.behaviour = behaviour
    return app
