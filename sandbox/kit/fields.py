"""Pydantic field types over :mod:`sandbox.kit.parsing`, for protocol models and route parameters.

``Day``: a ``YYYY-MM-DD`` day within 2000–2099 and nothing else — pydantic's own ``date`` also
takes ``0`` (1970-01-01), Unix timestamps and, on Python ≥ 3.11, ``20260115`` or ``2026-W03-4``.
Use it for every day a person or a program gives (``date: Annotated[Day, Query(alias="date")]``);
a refusal is a 422 naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BeforeValidator

from sandbox.kit.parsing import parse_day

__all__ = ["Day"]

Day = Annotated[date, BeforeValidator(parse_day)]
