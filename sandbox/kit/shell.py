"""A party that exists only as its control API, until its flows are built."""

from __future__ import annotations

from fastapi import FastAPI

from sandbox.config import PARTIES
from sandbox.kit.party import PartyContext, create_party_app


def build_shell(ctx: PartyContext) -> FastAPI:
    return create_party_app(
        ctx,
        title=f"{ctx.name} · {PARTIES[ctx.name][2]}",
        description=PARTIES[ctx.name][2],
        implemented=False,
    )
