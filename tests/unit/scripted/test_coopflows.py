"""The shared steps of the coop flows' drivers: what they read off the 1066 window's pages, and the
run length a ``--chaos`` schedule is drawn over."""

from __future__ import annotations

import pytest

from sandbox.scripted.coopflows import account_choices, duration_s, page_state, pse1066_members
from sandbox.world import load_world

ACCOUNTS = """
<table>
<tr data-account="****7756"><td><input type="radio" name="producto" value="P&amp;1"></td></tr>
<tr data-account="****6764"><td><input type="radio" name="producto" value="P2" disabled></td></tr>
<tr data-account="****7626"><td><input type="radio" name="producto" value="P3"></td></tr>
</table>"""


def test_the_accounts_offered_are_the_enabled_ones_unescaped() -> None:
    assert account_choices(ACCOUNTS) == ["P&1", "P3"]
    assert account_choices("<p>sin cuentas</p>") == []


def test_the_state_a_page_shows() -> None:
    assert page_state('<div class="card" data-state="approved">') == "approved"
    assert page_state("<div>") is None


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("2m", 120), ("1h30m", 5400), ("45", 45), ("1m 5s", 65)])
def test_locust_durations(text: str, seconds: float) -> None:
    assert duration_s(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "10x", "-5s"])
def test_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        duration_s(text)


def test_the_default_worlds_pse1066_payers_have_a_portal_user() -> None:
    members = pse1066_members(load_world(None))
    assert members and all(m.portal is not None for m in members)
    assert "1033370434" in {m.document_number for m in members}
