"""The 1066 flow's API (``/pse/v1``): a payment by CUS (for support and tests: no secrets, the
account masked) and the day's reconciliation between the switch, the cooperatives and ACH.

* ``GET /pse/v1/payments/{cus}`` → :class:`~.models.PaymentOut` (404 ``payment_not_found``)
* ``GET /pse/v1/reconciliation?date=AAAA-MM-DD`` → :class:`~.models.ReconciliationOut` (the day in
  Colombia's time; default today; a malformed date is a 422 naming ``date``)
* ``GET /pse/v1/coop-sync[?all=true]`` → :class:`~.models.CoopSyncOut`: what the switch still has to
  tell coop (the operator's list; by default only what coop has not acknowledged after
  ``issuer_alert_after`` tries)
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from reference_impl.flows.pse_bank.models import CoopSyncOut, PaymentOut, ReconciliationOut
from reference_impl.flows.pse_bank.service import PseBankService, attempts_view
from sandbox.kit.errors import InvalidInput, NotFound

CUS = Annotated[str, Path(pattern=r"^[0-9]{1,20}$", description="CUS (trazabilityCode) de ACH")]


def router(service: PseBankService) -> APIRouter:
    api = APIRouter(prefix="/pse/v1", tags=["PSE 1066 (Coopcentral)"])

    @api.get("/payments/{cus}", response_model=PaymentOut)
    async def payment(cus: CUS) -> PaymentOut:
        found = await service.get(cus)
        if found is None:
            raise NotFound(f"No conocemos la transacción {cus}.", code="payment_not_found", field="cus")
        return PaymentOut(**service.view(found), attempts=attempts_view(await service.attempts(cus)))

    @api.get("/reconciliation", response_model=ReconciliationOut)
    async def reconciliation(
        day: Annotated[str | None, Query(alias="date", max_length=10)] = None,
    ) -> ReconciliationOut:
        try:
            chosen = date.fromisoformat(day) if day else service.today()
        except ValueError:
            raise InvalidInput("La fecha debe tener la forma AAAA-MM-DD.", code="invalid_date", field="date") from None
        if not date(2000, 1, 1) <= chosen <= date(2099, 12, 31):
            raise InvalidInput("La fecha debe estar entre 2000-01-01 y 2099-12-31.", code="invalid_date", field="date")
        return ReconciliationOut(**await service.reconcile(chosen))

    @api.get(
        "/coop-sync",
        response_model=CoopSyncOut,
        summary="Posts, voids and reversals coop has not acknowledged yet (the operator's list)",
        description=(
            "The switch keeps sending each post, void or reversal of a payment (and the void of an "
            "authorization coop did not answer) with the same Idempotency-Key until coop answers "
            "(back-off 30 s, 60 s, … 10 min). By default only those not acknowledged after "
            "`issuer_alert_after` tries are listed; `all=true` lists every one still pending. The "
            "day's reconciliation counts those as differences (`coop_sync`)."
        ),
    )
    async def coop_sync(
        everything: Annotated[bool, Query(alias="all")] = False,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    ) -> CoopSyncOut:
        return CoopSyncOut(**await service.coop_pending(stuck_only=not everything, limit=limit))

    return api
