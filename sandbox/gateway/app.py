"""gateway: the payment gateway (Zona Pagos / PayU style), port 8006.

Merchants are the world's ``gateway_accounts`` (merchantId, accountId, apiKey, apiLogin, public
key, minimum amount, confirmation and response URLs, the ACH entity it collects under, the
anti-fraud policy). Payments go to the bank through ACH PSE.

Protocol (for merchants): PayU Latam's, field by field in ``docs/gateway-payu.md``
    ``POST /payments-api/4.0/service.cgi`` (``PING``, ``GET_PAYMENT_METHODS``, ``GET_BANKS_LIST``,
    ``SUBMIT_TRANSACTION``: a PSE payment, or ``type: REFUND`` with ``order.id``) and
    ``POST /reports-api/4.0/service.cgi`` (``ORDER_DETAIL``, ``ORDER_DETAIL_BY_REFERENCE_CODE``,
    ``TRANSACTION_RESPONSE_DETAIL``), JSON, ``merchant: {apiLogin, apiKey}``. Every answer is
    HTTP 200: ``{"code": "SUCCESS", ...}`` or PayU's refusal ``{"code": "ERROR", "error": texto,
    "transactionResponse": null}`` (queries: ``"result": null``), with the sandbox's code and field
    in ``X-Sandbox-Error`` / ``X-Sandbox-Field``. Dates are epoch milliseconds, amounts JSON
    numbers. A payment the gateway or the bank refuses is SUCCESS with ``state`` ``DECLINED``
    (``ANTIFRAUD_REJECTED``, ``ENTITY_DECLINED``, ...). A refund is answered PENDING and reviewed
    by the ``refunds`` job 10 minutes later on the sandbox clock.

    ``POST /checkout``: the web checkout form (merchantId, accountId, referenceCode,
    description, amount, tax, currency, signature, buyerEmail, responseUrl, confirmationUrl,
    ...), posted by the customer's browser from the merchant's page → the checkout page.

    ``GET /reports/v1/transactions?startDate=&endDate=&format=json|csv`` with HTTP Basic
    ``apiLogin:apiKey`` (GW-07).

Pages (for people)
    ``/checkout/{token}`` (terms, "Débito PSE", person type, bank, document, "Pagar" → PSE),
    ``/pse/retorno/{transactionId}`` (PSE sends the browser back here; the state is asked to
    ACH, never taken from the return), ``/panel`` (the merchant's transactions, exports and
    refunds).

Confirmations (GW-04): form-encoded POST to the order's confirmation URL on every final state,
signed, retried with back-off on the sandbox clock until HTTP 200 (at most 9 attempts); see
:mod:`sandbox.gateway.models` and :mod:`sandbox.gateway.logic`.

Behaviour rules: ``gateway.submit`` (``decline`` → DECLINED with that response code, ``error``
→ HTTP error, ``delay_s``, ``drop``), ``gateway.confirmation`` (``error``/``decline``/``pending``
→ that attempt is not sent and counts as failed; ``drop`` → it is sent and the merchant's answer
is lost, so it counts as failed and is sent again), ``gateway.refund`` (at the review: ``decline`` → the
refund is DECLINED with that code, ``pending`` → reviewed again later).

Composition root only: wire models in :mod:`.models`, records and decisions in :mod:`.records`,
:mod:`.logic`, :mod:`.antifraud`, :mod:`.reports`; the store in :mod:`.state`; ACH and the
merchants in :mod:`.peers`; use cases in :mod:`.service`; routes in :mod:`.api` and :mod:`.pages`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sandbox.gateway import api, pages
from sandbox.gateway.peers import AchPeer, MerchantPeer
from sandbox.gateway.service import OPERATIONS, GatewayService
from sandbox.gateway.state import GatewayStore
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.party import Job, PartyContext, create_party_app, make_templates
from sandbox.kit.rules import RuleSet
from sandbox.protocols.colombia import network_tz

TEMPLATES = Path(__file__).with_name("templates")


def build(ctx: PartyContext) -> FastAPI:
    tz = network_tz(ctx.world.network.timezone)
    store = GatewayStore(tz)
    ctx.durable_snapshot(store, ("orders", "by_reference", "by_token", "transactions", "deliveries", "balances",
                                 "refunded", "sessions", "_order_ids"))  # fmt: skip
    rules = RuleSet(OPERATIONS)
    behaviour = Behaviour(rules)
    service = GatewayService(
        store,
        ctx.clock,
        behaviour,
        ach=AchPeer(ctx.peers, ctx.clock, store.banks),
        merchants=MerchantPeer(ctx.peers),
        world=ctx.world,
        own_url=ctx.peers.url(ctx.name),
        tz=tz,
    )
    templates = make_templates(TEMPLATES, ctx=ctx)
    app = create_party_app(
        ctx,
        title="gateway · Zona Pagos (pasarela)",
        description=(
            "Pasarela de pagos estilo Zona Pagos / PayU: credenciales de comercio, firmas, checkout PSE a "
            "través de ACH, confirmaciones firmadas con reintentos, reembolsos, antifraude y reportes."
        ),
        state=store,
        routers=[api.router(service), pages.router(service, templates)],
        rules=rules,
        jobs=[
            Job("pse_requery", service.job_requery),
            Job("ach_finalize", service.job_finalize),
            Job("refunds", service.job_refunds),
            Job("confirmations", service.job_confirmations),
        ],
        pages=[("Panel del comercio (transacciones, reportes y reembolsos)", "/panel")],
        templates_dir=TEMPLATES,
    )
    app.state.behaviour = behaviour
    return app
