"""ach: ACH Colombia PSE (port 8001). The contract other parties code against.

Collecting entities (the gateway, a merchant's own PSE button, the network)
===========================================================================
1. **Token** (Apigee OAuth2 client credentials)::

       POST /oauth/client_credential/accesstoken?grant_type=client_credentials
       Authorization: Basic base64(client_id:client_secret)        (or form fields
       Content-Type: application/x-www-form-urlencoded              client_id, client_secret)

   → ``200 {"access_token", "token_type": "BearerToken", "expires_in": "3599", "issued_at",
   "client_id", "application_name", "scope", "status": "approved"}`` (numbers as strings, as
   Apigee answers). Credentials are the world's ``pse_entities[].client_id/client_secret``.
   A token lives 3600 sandbox seconds; wrong credentials → ``401 {"error": "invalid_client"}``.

2. **Methods**: ``POST /psewebapinf/api/<Method>?apikey=<client_id>`` with
   ``Authorization: Bearer <access_token>`` and a JSON body (or, for an entity with ``jwe_key``
   in the world, a compact JWE body ``alg=dir, enc=A256GCM``; the answer is then JWE too,
   ``Content-Type: application/jose``). Method names are case-insensitive.

   ``GetBankListNF`` ``{"entityCode"}`` → ``[{"financialInstitutionCode", "financialInstitutionName"}]``
   (enabled banks, A–Z).

   ``CreateTransactionPaymentNF`` ``{entityCode, financialInstitutionCode, serviceCode (≤10),
   transactionValue, vatValue, ticketId (int), entityurl, userType (person|company),
   referenceNumber1..3, soliciteDate (ISO-8601, -05:00), paymentDescription,
   identificationType, identificationNumber, fullName, cellphoneNumber, address, email}`` →
   ``{returnCode, errorDetails, trazabilityCode (the CUS), pseURL, transactionCycle}``.
   Send the browser to ``pseURL``.

   ``GetTransactionInformationNF`` ``{entityCode, trazabilityCode}`` → ``{returnCode,
   transactionState (OK|NOT_AUTHORIZED|PENDING|FAILED), trazabilityCode, ticketId,
   financialInstitutionCode, serviceCode, transactionValue, vatValue, soliciteDate,
   bankProcessDate, transactionCycle, authorizationID, paymentDescription, referenceNumber1..3}``.
   Only ``OK`` means paid.

   ``FinalizeTransactionPaymentNF`` ``{entityCode, trazabilityCode, entityAuthorizationId}`` →
   ``{returnCode, transactionState}``; only after a final state (else ``FAIL_INVALIDSTATE``);
   the same ``entityAuthorizationId`` again is ``SUCCESS``, another one ``FAIL_INVALIDSTATE``.

   Amounts are decimal strings in answers (``"150000.00"``); requests may send strings or JSON
   numbers (read as decimals). HTTP status: 200 for ``SUCCESS`` and business ``FAIL_*``; 400 for
   bad input (``FAIL_INVALIDPARAMETERS`` naming the field in ``errorDetails`` and ``field``,
   ``FAIL_INVALIDAMOUNT``, ``FAIL_INVALIDSOLICITDATE``, ``FAIL_DESCRIPTIONNOTFOUND``); 401 for
   ``FAIL_ACCESSDENIED`` (no/expired/unknown token, ``apikey`` not the token's client, another
   entity's ``entityCode``). Every failure body: ``{returnCode, errorDetails, field}``.

Banks (the bank party, and the switch for 1066)
===============================================
``POST /psebancos/api/<Method>`` with ``Authorization: Basic base64(<bank code>:<ach_secret>)``
(world ``banks[].ach_secret``). JSON only. Trust: a bank reaches only its own transactions.

``GetTransactionInformation`` ``{trazabilityCode, financialInstitutionCode}`` → the query
answer plus ``entityName, entityNit, entityurl, userType, personType, payerEmail,
identificationType, identificationNumber, fullName, createdAt, finalized``: what the bank shows.

``ConfirmTransactionPayment`` ``{trazabilityCode, financialInstitutionCode, entityCode,
transactionValue, vatValue, ticketId, soliciteDate?, bankProcessDate, transactionState,
authorizationId}`` → ``{returnCode, transactionState}``. ``transactionState`` PENDING says the
bank is still processing (ACH then waits up to 24 h); OK needs ``authorizationId``. Misuse:
``FAIL_INVALIDTRAZABILITYCODE`` (unknown CUS), ``FAIL_INCONSISTENTDATA`` (entity, ticket or
date differ), ``FAIL_INVALIDAUTHORIZEDAMOUNT`` (value or VAT differ), ``FAIL_INVALIDSTATE``
(already final with another result, or timed out). The same confirmation twice is ``SUCCESS``.
A bank that gets any ``FAIL_*`` must reverse its debit.

Browser
=======
``pseURL`` = ``{ach}/pse/pago?enc=<token>``: person type, registered e-mail, "Ir al Banco" →
``303`` to ``{bank}/pse/<bank code>/<CUS>`` (bank party) or ``{switch}/pse/banco/<CUS>``
(1066). An unregistered e-mail is offered ``{ach}/pse/registro``. Pages are never framed.

Time and receipts
=================
``transactionCycle`` follows :mod:`sandbox.ach.cycles`. A transaction the bank never reports on
is ``FAILED`` 20 sandbox minutes after creation (job ``ach.expire``; option
``abandon_after_s``). Every final state e-mails the receipt to the payer through notify (job
``ach.receipts`` retries). Behaviour rules: see ``OPERATIONS`` in :mod:`sandbox.ach.service`
and ``docs/magic-values.md``.

Layout (the party shape, ``docs/developing.md``): wire models in :mod:`.models`; decisions in
:mod:`.logic` (who may create what), :mod:`.lifecycle` (the transaction's states),
:mod:`.cycles`, :mod:`.receipts`, :mod:`.failures`; the store in :mod:`.state`; use cases in
:mod:`.service`; routes in :mod:`.api` and :mod:`.pages`; this module only wires them.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sandbox.ach import api, pages
from sandbox.ach.peers import NotifyPeer
from sandbox.ach.service import NOTIFY_TIMEOUT_S, OPERATIONS, AchService, Links, Settings
from sandbox.ach.state import AchStore
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.party import Job, PartyContext, create_party_app, make_templates
from sandbox.kit.rules import RuleSet

TEMPLATES = Path(__file__).with_name("templates")


def build(ctx: PartyContext) -> FastAPI:
    store = AchStore(ctx.world)
    ctx.durable_snapshot(store, ("tokens", "transactions", "by_portal_token", "by_ticket", "users", "registered",
                                 "receipts_due", "receipts_sent"))  # fmt: skip
    rules = RuleSet(OPERATIONS)
    behaviour = Behaviour(rules)
    service = AchService(
        store,
        ctx.clock,
        behaviour,
        NotifyPeer(ctx.peers, timeout_s=NOTIFY_TIMEOUT_S),
        Settings.from_options(ctx.options),
        world=ctx.world,
        links=Links(ach=ctx.peers.url(ctx.name), bank=ctx.peers.url("bank"), switch=ctx.peers.url("switch")),
    )
    templates = make_templates(TEMPLATES, ctx=ctx)
    app = create_party_app(
        ctx,
        title="ACH Colombia · PSE",
        description="Pagos Seguros en Línea: API NF para entidades recaudadoras, portal de pago y API de bancos.",
        state=store,
        routers=[api.router(service), pages.router(service, templates)],
        rules=rules,
        jobs=[
            Job("ach.expire", service.expire),
            Job("ach.receipts", service.deliver_receipts),
            Job("ach.tokens", service.purge_tokens),
        ],
        pages=[
            ("Registro de usuarios PSE", "/pse/registro"),
            ("Transacciones", "/pse/transacciones"),
            ("Ciclos de compensación", "/pse/ciclos"),
        ],
        templates_dir=TEMPLATES,
    )
    app.state.behaviour = behaviour
    return app
