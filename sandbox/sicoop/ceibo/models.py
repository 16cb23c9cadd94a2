"""CEIBO's own models. What crosses its protocol wire (``/ceibo/v1``: holds, cards, reports) is
shared with the switch and lives once in :mod:`sandbox.protocols.sicoop`; here is only what CEIBO's
part of the sandbox's control API takes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class CardStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["active", "blocked"]
