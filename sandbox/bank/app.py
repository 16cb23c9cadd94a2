"""bank: every PSE bank of the world with ``simulated_by: bank`` (port 8002).

Pages (a person clicks through them; none may be framed: ``X-Frame-Options: DENY``)
==================================================================================
``GET /pse/<bank code>/<CUS>``
    Where ACH's "Ir al Banco" lands: the bank reads the transaction from ACH (bank-side
    ``GetTransactionInformation``), shows who is collecting what, and asks for the online-banking
    user and password (world ``bank_customers``). ``POST`` the form to log in.
``GET /pse/<bank code>/<CUS>/resumen``
    The transaction summary with the customer's accounts and balances, "Pagar" and "Cancelar".
``POST /pse/<bank code>/<CUS>/pagar`` (``cuenta`` = index of the account, ``accion`` =
``pagar`` | ``cancelar``)
    "Pagar" debits the account and sends ``ConfirmTransactionPayment`` to ACH: ``OK`` with an
    ``authorizationId``, ``NOT_AUTHORIZED`` for insufficient funds, ``PENDING`` for the pending
    personas (a job confirms ``OK`` or ``FAILED`` after ``pending_minutes`` sandbox minutes).
    "Cancelar" confirms ``NOT_AUTHORIZED``. A second "Pagar" for the same CUS shows the receipt
    and never debits again. If ACH refuses a confirmation (any ``FAIL_*``) the debit is reversed;
    if ACH does not answer, the ``bank.confirmations`` job sends it again until it does.
``GET /pse/<bank code>/<CUS>/comprobante``
    The printable receipt (COL-18): CUS, amount, entity, date, state, authorization, the account
    masked; "Imprimir" and "Regresar al comercio" (the transaction's ``entityurl``: the merchant or
    gateway must then ask ACH for the state).
``GET /banca/<bank code>``
    Online banking: log in, see accounts, balances and movements.

Magic personas (``behaviour`` in the world; ``docs/magic-values.md``): ``approve``,
``pending_then_approve`` / ``pending_then_fail`` (after ``pending_minutes``), ``abandon`` (logs in
and leaves: ACH times the transaction out). Behaviour rules: ``bank.login`` (``decline`` blocks the
user) and ``bank.pay`` (``decline: NOT_AUTHORIZED|FAILED``, ``pending`` with ``pending_s`` and
``then``, ``delay_s``, ``error``, ``drop``). An ``error`` shows the bank's "not available" page with
the rule's status; ``drop`` carries the step out and closes the connection without a page.

Composition root only: wire models in :mod:`.models`, decisions in :mod:`.logic`, the store in
:mod:`.state`, ACH in :mod:`.peers`, use cases in :mod:`.service`, pages in :mod:`.pages`.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from sandbox.bank import pages
from sandbox.bank.peers import AchPeer
from sandbox.bank.service import OPERATIONS, BankService, Settings
from sandbox.bank.state import BankStore
from sandbox.kit.behaviour import Behaviour
from sandbox.kit.party import Job, PartyContext, create_party_app, make_templates
from sandbox.kit.rules import RuleSet

TEMPLATES = Path(__file__).with_name("templates")


def build(ctx: PartyContext) -> FastAPI:
    store = BankStore(ctx.world)
    ctx.durable_snapshot(store, ("customers", "accounts", "sessions", "payments"))
    settings = Settings.from_options(ctx.options)
    tz = ZoneInfo(ctx.world.network.timezone)
    rules = RuleSet(OPERATIONS)
    behaviour = Behaviour(rules)
    ach = AchPeer(ctx.peers, timeout_s=settings.ach_timeout_s, tz=tz)
    service = BankService(store, ctx.clock, behaviour, ach, settings, tz=tz)
    templates = make_templates(TEMPLATES, ctx=ctx)
    app = create_party_app(
        ctx,
        title="Bancos PSE · banca en línea",
        description="Los bancos PSE del mundo (salvo 1066): ingreso, cuentas, resumen, pago y comprobante.",
        state=store,
        routers=[pages.router(service, templates)],
        rules=rules,
        jobs=[
            Job("bank.resolve", service.resolve_pending),
            Job("bank.confirmations", service.retry_confirmations),
            Job("bank.sessions", service.purge_sessions),
        ],
        pages=[(f"{b.name} ({b.code}) · banca en línea", f"/banca/{b.code}") for b in store.banks.values()],
        templates_dir=TEMPLATES,
    )
    app.state.behaviour = behaviour
    return app
