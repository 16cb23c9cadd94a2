"""The DIMO app's soft-token: a TOTP (RFC 6238) per card, computed on the sandbox clock.

* 6 digits, HMAC-SHA1, **30-second steps** (``STEP_S``), through :mod:`pyotp`;
* a code is accepted during its own step and the next one (``WINDOW_STEPS = 1``: the code the
  app showed may be typed a little after it changed), so a code lives 30 to 60 seconds;
* codes are **single use** (CASH-12): once a code of step *s* has been accepted for a card, no
  code of step *s* or earlier is accepted again for that card (``soft_token_reused``). A holder
  who needs a second code waits for the next step (at most 30 s).

Pure functions: time comes in as epoch seconds; nothing here reads a clock.
"""

from __future__ import annotations

import functools
import hmac
from dataclasses import dataclass
from typing import Final, Literal

import pyotp

STEP_S: Final = 30
DIGITS: Final = 6
WINDOW_STEPS: Final = 1
"""How many steps back a code is still accepted (the current step is always accepted)."""

WRONG: Final = "wrong_soft_token"
REUSED: Final = "soft_token_reused"


@functools.lru_cache(maxsize=65_536)
def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)


def step_at(epoch_s: float) -> int:
    """The TOTP time step (counter) of an instant."""
    return int(epoch_s // STEP_S)


def code_for_step(secret: str, step: int) -> str:
    return str(_totp(secret).generate_otp(step))


@dataclass(frozen=True, slots=True)
class ShownCode:
    """What the app shows: the code, its step, and until when it is accepted (epoch seconds)."""

    code: str
    step: int
    shown_from_s: int
    accepted_until_s: int


def shown_code(secret: str, epoch_s: float) -> ShownCode:
    step = step_at(epoch_s)
    return ShownCode(
        code=code_for_step(secret, step),
        step=step,
        shown_from_s=step * STEP_S,
        accepted_until_s=(step + 1 + WINDOW_STEPS) * STEP_S,
    )


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """``step`` is the accepted step, or None with ``reason`` (``wrong_soft_token``/``soft_token_reused``)."""

    step: int | None
    reason: Literal["wrong_soft_token", "soft_token_reused"] | None = None

    @property
    def ok(self) -> bool:
        return self.step is not None


def check_code(secret: str, code: str, epoch_s: float, last_used_step: int | None) -> TokenCheck:
    """Check ``code`` against the steps in the window, newest first, honouring single use."""
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        return TokenCheck(None, WRONG)
    now_step = step_at(epoch_s)
    for step in range(now_step, now_step - WINDOW_STEPS - 1, -1):
        if hmac.compare_digest(code_for_step(secret, step), code):
            if last_used_step is not None and step <= last_used_step:
                return TokenCheck(None, REUSED)
            return TokenCheck(step)
    return TokenCheck(None, WRONG)
