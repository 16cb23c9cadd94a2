"""The card draw: disjoint slices per Locust process, one code per card and step, waits and limits.

A fake CEIBO answers ``/_sandbox/soft-tokens`` pages from a fake sandbox clock; every code is
checked the way CEIBO checks it (single use per card and step, valid in its step and the next).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.load.cards import STEP_S, CardPool, PoolExhausted, SandboxTime, partition


@given(total=st.integers(0, 5000), count=st.integers(1, 64))
def test_the_slices_of_the_processes_cover_every_card_once(total: int, count: int) -> None:
    seen: list[int] = []
    for index in range(count):
        seen.extend(partition(total, index, count))
    assert seen == list(range(total))


def test_a_process_index_outside_the_count_is_refused() -> None:
    with pytest.raises(ValueError, match="out of"):
        partition(10, 3, 3)


class FakeClock:
    def __init__(self, at_s: float) -> None:
        self.mono = 0.0
        self.start_s = at_s

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.mono += seconds


class FakeCeibo:
    """Cards ``C0..Cn``; a code is ``f"{card}:{step}"``; CEIBO refuses a code of a step already used."""

    def __init__(
        self, cards: int, clock: FakeClock, *, blocked: set[int] = frozenset(), latency_s: float = 0.01
    ) -> None:  # type: ignore[assignment]
        self.rows = [
            {"card_id": f"DIMO-G{i:05d}", "document_number": str(1000000 + i), "phone": f"09{i:08d}",
             "status": "blocked" if i in blocked else "active"}
            for i in range(cards)
        ]  # fmt: skip
        self.clock = clock
        self.latency_s = latency_s
        self.last_step: dict[str, int] = {}
        self.fetches = 0

    def now_s(self) -> float:
        return self.clock.start_s + self.clock.mono

    def fetch(self, offset: int, limit: int) -> list[dict[str, Any]]:
        self.fetches += 1
        step = int(self.now_s() // STEP_S)
        self.clock.mono += self.latency_s
        return [{**r, "code": f"{r['card_id']}:{step}"} for r in self.rows[offset : offset + limit]]

    def withdraw(self, card_id: str, code: str) -> str:
        now_step = int(self.now_s() // STEP_S)
        code_card, _, raw = code.partition(":")
        step = int(raw)
        assert code_card == card_id
        if step not in (now_step, now_step - 1):
            return "wrong_soft_token"
        if self.last_step.get(card_id, -1) >= step:
            return "soft_token_reused"
        self.last_step[card_id] = step
        return "approved"


def pool(ceibo: FakeCeibo, clock: FakeClock, cards: range, **kw: Any) -> CardPool:
    time = SandboxTime(ceibo.now_s(), frozen=False, monotonic=clock.monotonic)
    return CardPool(ceibo.fetch, cards, time, sleep=clock.sleep, rng=random.Random(1), **kw)


def test_users_of_two_processes_never_present_a_spent_code() -> None:
    clock = FakeClock(at_s=1_000_000 * STEP_S + 3)
    ceibo = FakeCeibo(400, clock)
    pools = [pool(ceibo, clock, partition(400, i, 2), page=50) for i in range(2)]
    answers = []
    for n in range(3000):  # 3000 withdrawals over 200 cards per process: several steps go by
        ticket = pools[n % 2].draw()
        answers.append(ceibo.withdraw(ticket.card.card_id, ticket.code))
        clock.mono += 0.02
    assert set(answers) == {"approved"}
    assert sum(p.waits for p in pools) > 0  # 200 cards per process cannot serve 50 withdrawals/s: it waited


def test_a_page_read_across_a_step_boundary_is_thrown_away() -> None:
    clock = FakeClock(at_s=1_000_000 * STEP_S + STEP_S - 0.6)
    ceibo = FakeCeibo(100, clock, latency_s=0.4)
    draws = pool(ceibo, clock, range(100), page=20)
    ticket = draws.draw()
    assert ceibo.withdraw(ticket.card.card_id, ticket.code) == "approved"
    assert draws.discarded_pages == 1  # read from 0.6 s to 0.2 s before the boundary: too close
    assert ticket.step == int(ceibo.now_s() // STEP_S)


def test_blocked_and_foreign_cards_are_never_drawn() -> None:
    clock = FakeClock(at_s=5 * STEP_S)
    ceibo = FakeCeibo(30, clock, blocked={1, 2})
    ceibo.rows[3]["card_id"] = "DIMO-0003"
    draws = pool(ceibo, clock, range(30), card_prefix="DIMO-G")
    drawn = {draws.draw().card.card_id for _ in range(26)}
    assert len(drawn) == 26 and not drawn & {"DIMO-G00001", "DIMO-G00002", "DIMO-0003"}


def test_a_card_is_drawn_at_most_max_per_day_times_then_the_pool_says_so() -> None:
    clock = FakeClock(at_s=5 * STEP_S)
    ceibo = FakeCeibo(4, clock)
    draws = pool(ceibo, clock, range(4), max_per_day=2)
    drawn = []
    for _ in range(8):
        ticket = draws.draw()
        drawn.append(ticket.card.card_id)
        assert ceibo.withdraw(ticket.card.card_id, ticket.code) == "approved"
    assert sorted(drawn) == sorted([f"DIMO-G{i:05d}" for i in range(4)] * 2)
    with pytest.raises(PoolExhausted, match="llegaron a 2 extracciones"):
        draws.draw()


def test_a_frozen_clock_serves_each_card_once() -> None:
    clock = FakeClock(at_s=5 * STEP_S)
    ceibo = FakeCeibo(5, clock)
    time = SandboxTime(ceibo.now_s(), frozen=True, monotonic=clock.monotonic)
    draws = CardPool(ceibo.fetch, range(5), time, sleep=clock.sleep, rng=random.Random(1))
    assert len({draws.draw().card.card_id for _ in range(5)}) == 5
    assert time.step() == 5


def test_deposits_take_any_active_card_of_the_slice() -> None:
    clock = FakeClock(at_s=5 * STEP_S)
    ceibo = FakeCeibo(10, clock, blocked={0})
    draws = pool(ceibo, clock, range(10))
    assert {draws.any_card().card_id for _ in range(200)} <= {f"DIMO-G{i:05d}" for i in range(1, 10)}
