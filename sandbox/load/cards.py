"""The card draw of a load test: many cards, read the way the DIMO app reads them, never fought over.

A soft-token code is single use per card and 30-second step (CASH-12): once a card's code of
step *s* was accepted, no other withdrawal can use that card until step *s + 1*. So:

* **A partition per Locust process.** The world's cards (CEIBO's order, ``GET
  /_sandbox/soft-tokens?offset=&limit=``) are cut into one contiguous slice per Locust process
  (worker *k* of *W* takes ``[k·N/W, (k+1)·N/W)``); no two processes ever draw the same card.
* **One draw per card and step inside a process.** The process's users (greenlets) share one
  :class:`CardPool`: it reads its slice page by page (one request for ``page`` cards: what the
  app shows now), hands each card out once, and hands it out again only with a code of a later
  step. Draws never block each other, so two users never hold the same card's code.
* **Steps on the sandbox clock.** The pool reads CEIBO's clock once (``/_sandbox/clock``) and
  follows it with a monotonic clock; a page read too close to a step boundary is thrown away
  (its codes' step is not certain), so a code is never labelled with the wrong step.
* **Daily limits.** A card is drawn at most ``max_per_day`` times per run (the world's per-card
  frequency limit), so the draw itself never causes ``over_frequency``.

When the slice has no card left for this step, the draw waits for the next step and counts it
(``waits``): the world is too small for the rate, and the report says so.

Time and HTTP are injected (``fetch``, ``monotonic``, ``sleep``), so this is unit-tested without
Locust; under Locust the standard library's lock and sleep are gevent's.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

STEP_S = 30
#: A page read this close to a step boundary is discarded: its codes' step is uncertain.
BOUNDARY_MARGIN_S = 0.5

Fetch = Callable[[int, int], Sequence[dict[str, Any]]]


class PoolExhausted(RuntimeError):
    """Every card of this process's slice reached its daily limit of draws."""


@dataclass(frozen=True, slots=True)
class Card:
    card_id: str
    document_number: str
    phone: str


@dataclass(frozen=True, slots=True)
class Ticket:
    """A card and the code its app shows in ``step``: good for one withdrawal."""

    card: Card
    code: str
    step: int


def partition(total: int, index: int, count: int) -> range:
    """The slice of ``total`` cards that Locust process ``index`` of ``count`` draws from."""
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"worker index {index} out of {count}")
    return range(total * index // count, total * (index + 1) // count)


class SandboxTime:
    """Sandbox time followed locally: one reading of the sandbox clock plus a monotonic clock."""

    def __init__(self, now_s: float, *, frozen: bool, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._base_s = now_s
        self._base_mono = monotonic()
        self.frozen = frozen

    def now_s(self) -> float:
        return self._base_s if self.frozen else self._base_s + (self._monotonic() - self._base_mono)

    def step(self, at_s: float | None = None) -> int:
        return math.floor((self.now_s() if at_s is None else at_s) / STEP_S)

    def until_next_step_s(self) -> float:
        now = self.now_s()
        return (math.floor(now / STEP_S) + 1) * STEP_S - now


class CardPool:
    def __init__(
        self,
        fetch: Fetch,
        cards: range,
        clock: SandboxTime,
        *,
        page: int = 500,
        card_prefix: str = "",
        max_per_day: int = 10,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not len(cards):
            raise ValueError("this process's slice of cards is empty: more Locust processes than cards?")
        self._fetch = fetch
        self.cards = cards
        self.clock = clock
        self.page = page
        self.card_prefix = card_prefix
        self.max_per_day = max_per_day
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        # Start anywhere in the slice: runs back to back against one sandbox rarely meet the cards
        # the previous run used in the same step.
        self._cursor = cards.start + self._rng.randrange(len(cards))
        self._ready: deque[Ticket] = deque()
        self._last_step: dict[str, int] = {}
        self._uses: dict[str, int] = {}
        self._known: list[Card] = []
        self._known_ids: set[str] = set()
        self._scanned_in_step: tuple[int, int] = (-1, 0)  # (step, cards scanned in it)
        self.pages = 0
        self.discarded_pages = 0
        self.waits = 0

    # -- withdrawals: a card and its current code -------------------------------------------------
    def draw(self) -> Ticket:
        """A card whose code nobody has used in its step, with that code."""
        while True:
            ticket = self._take()
            if ticket is not None:
                return ticket
            self._refill()

    def _take(self) -> Ticket | None:
        now_step = self.clock.step()
        while self._ready:
            ticket = self._ready.popleft()
            if ticket.step < now_step - 1:  # the code expired (its step and the next one)
                continue
            card_id = ticket.card.card_id
            if self._last_step.get(card_id, -1) >= ticket.step or self._uses.get(card_id, 0) >= self.max_per_day:
                continue
            self._last_step[card_id] = ticket.step
            self._uses[card_id] = self._uses.get(card_id, 0) + 1
            return ticket
        return None

    def _refill(self) -> None:
        with self._lock:
            if self._ready:  # another user refilled while this one waited for the lock
                return
            if self._seen_all() and all(self._uses.get(c.card_id, 0) >= self.max_per_day for c in self._known):
                raise PoolExhausted(
                    f"las {len(self._known)} tarjetas de este proceso llegaron a {self.max_per_day} extracciones: "
                    "use un mundo con más tarjetas (--world) o una corrida más corta"
                )
            step = self.clock.step()
            scanned_step, scanned = self._scanned_in_step
            if scanned_step == step and scanned >= len(self.cards):
                # The whole slice was read in this step: every card's code of this step is spent.
                if self.clock.frozen:
                    raise PoolExhausted("reloj congelado: cada tarjeta sirve una sola extracción y ya se usaron todas")
                self.waits += 1
                self._sleep(self.clock.until_next_step_s() + BOUNDARY_MARGIN_S)
                return
            if not self.clock.frozen and self.clock.until_next_step_s() < BOUNDARY_MARGIN_S:
                self._sleep(self.clock.until_next_step_s() + BOUNDARY_MARGIN_S)
            offset = self._cursor
            limit = min(self.page, self.cards.stop - offset)
            before = self.clock.now_s()
            rows = self._fetch(offset, limit)
            after = self.clock.now_s()
            self._cursor = offset + limit if offset + limit < self.cards.stop else self.cards.start
            self.pages += 1
            first, last = self.clock.step(before - BOUNDARY_MARGIN_S), self.clock.step(after + BOUNDARY_MARGIN_S)
            if first != last and not self.clock.frozen:
                self.discarded_pages += 1  # read across a step boundary: the codes' step is uncertain
                self._cursor = offset
                return
            step = self.clock.step(after)
            self._scanned_in_step = (step, (scanned if scanned_step == step else 0) + limit)
            for row in rows:
                card = self._card(row)
                if card is None:
                    continue
                if self._last_step.get(card.card_id, -1) < step and self._uses.get(card.card_id, 0) < self.max_per_day:
                    self._ready.append(Ticket(card, str(row["code"]), step))

    def _seen_all(self) -> bool:
        return len(self._known_ids) >= len(self.cards) or (
            self.pages * self.page >= len(self.cards) and bool(self._known)
        )

    def _card(self, row: dict[str, Any]) -> Card | None:
        card_id = str(row["card_id"])
        if row.get("status", "active") != "active" or not card_id.startswith(self.card_prefix):
            return None
        card = Card(card_id, str(row["document_number"]), str(row["phone"]))
        if card_id not in self._known_ids:
            self._known_ids.add(card_id)
            self._known.append(card)
        return card

    # -- deposits: any card of the slice (no soft-token, no limits) -------------------------------
    def any_card(self) -> Card:
        if not self._known:
            with self._lock:
                if not self._known:
                    offset = self._cursor
                    limit = min(self.page, self.cards.stop - offset)
                    for row in self._fetch(offset, limit):
                        self._card(row)
                    if not self._known:
                        raise PoolExhausted("no hay tarjetas activas en este tramo del mundo")
        return self._rng.choice(self._known)

    def stats(self) -> dict[str, int]:
        return {
            "cards_in_slice": len(self.cards),
            "cards_seen": len(self._known),
            "pages": self.pages,
            "discarded_pages": self.discarded_pages,
            "waits": self.waits,
        }
