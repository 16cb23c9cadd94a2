"""The merchant's protocol route: PayU's confirmation page (``POST /payu/confirmacion``, form).
Thin: read the form, call the service, answer its text."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from sandbox.merchant.service import MerchantService


def router(service: MerchantService) -> APIRouter:
    api = APIRouter(tags=["comercio"])

    @api.post("/payu/confirmacion", response_class=PlainTextResponse, summary="Página de confirmación (PayU)")
    async def confirmation(request: Request) -> PlainTextResponse:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        return PlainTextResponse(await service.confirmation(form))

    return api
