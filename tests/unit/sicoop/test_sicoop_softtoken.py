"""The DIMO soft-token: RFC 6238 codes on given instants, a window of one step back, single use."""

from __future__ import annotations

import base64

import pytest

from sandbox.sicoop.ceibo.softtoken import STEP_S, check_code, code_for_step, shown_code, step_at

# RFC 6238 appendix B: SHA-1 seed "12345678901234567890"; at T=59 s the 8-digit TOTP is 94287082.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
SECRET = "552XV3DPMFTNIWEC3M7Z3TQ4KAQLTUXY"
T0 = 1_768_489_200  # 2026-01-15T15:00:00Z, a step boundary


def test_codes_follow_rfc_6238() -> None:
    assert code_for_step(RFC_SECRET, step_at(59)) == "287082"  # the last 6 of 94287082
    assert code_for_step(RFC_SECRET, step_at(1111111109)) == "081804"  # 07081804


def test_the_app_shows_the_code_of_the_current_step_and_when_it_stops_being_accepted() -> None:
    shown = shown_code(SECRET, T0 + 10)
    assert shown.step == T0 // STEP_S
    assert shown.code == code_for_step(SECRET, shown.step)
    assert (shown.shown_from_s, shown.accepted_until_s) == (T0, T0 + 2 * STEP_S)


@pytest.mark.parametrize(
    ("typed_at", "accepted"),
    [(0, True), (29, True), (30, True), (59, True), (60, False), (-1, False)],
    ids=["same-instant", "end-of-step", "next-step", "end-of-window", "two-steps-later", "before-it-existed"],
)
def test_a_code_is_accepted_in_its_step_and_the_next(typed_at: int, accepted: bool) -> None:
    code = code_for_step(SECRET, T0 // STEP_S)
    check = check_code(SECRET, code, T0 + typed_at, None)
    assert check.ok is accepted
    assert check.reason == (None if accepted else "wrong_soft_token")


def test_a_code_is_single_use_and_older_codes_die_with_it() -> None:
    older = code_for_step(SECRET, T0 // STEP_S - 1)
    current = code_for_step(SECRET, T0 // STEP_S)
    first = check_code(SECRET, current, T0 + 5, None)
    assert first.ok
    assert check_code(SECRET, current, T0 + 6, first.step).reason == "soft_token_reused"
    assert check_code(SECRET, older, T0 + 6, first.step).reason == "soft_token_reused"
    following = code_for_step(SECRET, T0 // STEP_S + 1)
    assert check_code(SECRET, following, T0 + STEP_S, first.step).ok


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12a456", "      "])
def test_malformed_codes_are_wrong(typed: str) -> None:
    assert check_code(SECRET, typed, T0, None).reason == "wrong_soft_token"
