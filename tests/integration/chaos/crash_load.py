"""The crash test's load and its checks (issue 16, item 7), in the spirit of Jepsen's bank test.

:class:`CashLoad`: cashiers at the collection network's counters run mixed cash operations
(withdrawals with the holder's soft-token, deposits by phone, at counters whose register works and
at the one whose register fails) through red's API, from threads, while :mod:`sandbox.load.chaos`
kills a party. A request that got no answer (the party died under it) is sent again with the same
trace number and body until it is answered; the last answer is what the network *acknowledged*.

:func:`settle` then lets time pass and ticks every party until nothing is pending anywhere, and
:func:`check` judges: every acknowledged operation is still there and unchanged (or, if it was
still in progress, ended); nothing is pending at red, at the switch or at CEIBO; each trace number
reached CEIBO at most once and every hold is resolved; money is conserved exactly (card balances
and drawers move together, each drawer's cash + settlement is what it started with); the day's
reconciliation has no difference.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import requests
from threaded_load import ANSWER_WAIT_S, ThreadedLoad

FINAL = {"completed", "declined", "released", "annulled", "failed", "diverged"}
PENDING = {"sending", "unknown", "confirming", "releasing"}


def minor(text: str) -> int:
    """A PYG amount of the sandbox's own answers (no decimals; a settlement may be negative)."""
    return int(text)


@dataclass
class Acked:
    trace: str
    operation: str
    amount_minor: int
    status: str


@dataclass
class CashLoad(ThreadedLoad):
    """Cash operations through red's API from ``threads`` threads for ``duration_s`` seconds."""

    acked: dict[str, Acked] = field(default_factory=dict)
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        active = [c for c in self.world.dimo_cards if c.status == "active" and c.balance_minor >= 300_000]
        random.Random(self.seed).shuffle(active)
        self._cards = iter(active)  # each card withdraws once: its soft-token step is never reused
        self._phones = [c.phone for c in self.world.dimo_cards if c.status == "active"]
        self._ok_counters = [c.id for c in self.world.counters if c.registration == "ok" and c.cash_minor >= 5_000_000]
        self._failing = [c.id for c in self.world.counters if c.registration == "fail"]

    def _next_trace(self) -> str:
        return f"CR{self.seed}-{self._next():05d}"

    def _worker(self, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        until = time.monotonic() + self.duration_s
        with requests.Session() as http:
            while time.monotonic() < until:
                counter = rng.choice(self._failing) if self._failing and rng.random() < 0.1 else None
                counter = counter or rng.choice(self._ok_counters)
                amount = str(rng.randrange(10, 200) * 1000)
                trace = self._next_trace()
                with self._lock:
                    card = next(self._cards, None) if rng.random() < 0.6 else None
                if card is not None:
                    token = self._soft_token(http, card.card_id)
                    body = {"operation": "withdrawal", "counter_id": counter, "trace_number": trace,
                            "document_number": card.holder_document, "amount": amount, "soft_token": token}  # fmt: skip
                else:
                    body = {"operation": "deposit", "counter_id": counter, "trace_number": trace,
                            "phone": rng.choice(self._phones), "amount": amount}  # fmt: skip
                self._send(http, body)

    def _soft_token(self, http: requests.Session, card_id: str) -> str:
        deadline = time.monotonic() + ANSWER_WAIT_S
        while True:
            try:
                answer = http.get(f"{self.urls['ceibo']}/_sandbox/cards/{card_id}/soft-token", timeout=5)
                if answer.status_code == 200:
                    code: str = answer.json()["code"]
                    return code
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"CEIBO did not show {card_id}'s soft-token for {ANSWER_WAIT_S} s")
            time.sleep(0.1)

    def _send(self, http: requests.Session, body: dict[str, Any]) -> None:
        """Until answered: the same trace number and body again after a lost answer."""
        answer = self._until_answered(
            lambda: http.post(f"{self.urls['red']}/red/v1/operations", json=body, timeout=20),
            lambda a: a.status_code in (200, 201) or 400 <= a.status_code < 500,
            body["trace_number"],
        )
        with self._lock:
            if answer.status_code in (200, 201):
                op = answer.json()
                self.acked[body["trace_number"]] = Acked(
                    body["trace_number"], body["operation"], minor(body["amount"]), op["status"]
                )
            else:
                self.refused[body["trace_number"]] = (answer.status_code, answer.json().get("error", ""))


# -- after the load --------------------------------------------------------------------------------
def _get(http: requests.Session, url: str, **params: Any) -> Any:
    answer = http.get(url, params=params, timeout=60)
    answer.raise_for_status()
    return answer.json()


def snapshot(http: requests.Session, urls: dict[str, str]) -> dict[str, Any]:
    cards = _get(http, urls["ceibo"] + "/_sandbox/cards", limit=1_000_000)["cards"]
    counters = _get(http, urls["red"] + "/red/v1/counters")
    return {
        "balance": sum(minor(c["balance"]) for c in cards),
        "pending": sum(minor(c["pending"]) + minor(c["pending_credit"]) for c in cards),
        "cash": sum(minor(c["cash"]) for c in counters),
        "counters": {c["id"]: (minor(c["cash"]), minor(c["settlement"]), minor(c["reserved"])) for c in counters},
    }


def settle(http: requests.Session, urls: dict[str, str], *, rounds: int = 40) -> int:
    """Let sandbox time pass (past hold timeouts and retry back-offs) and tick every party until
    nothing is pending at red or the switch. Returns the rounds it took."""
    for done in range(1, rounds + 1):
        http.post(urls["switch"] + "/_sandbox/clock", json={"advance_s": 130}, timeout=120).raise_for_status()
        for party in ("red", "ceibo", "switch"):
            http.post(urls[party] + "/_sandbox/tick", timeout=120).raise_for_status()
        register = _get(http, urls["red"] + "/_sandbox/registrations", limit=2_000_000)["registrations"]
        owed = _get(http, urls["switch"] + "/sicoop/v1/issuer-sync", all="true")["items"]
        if not [r for r in register if r["status"] in PENDING] and not owed:
            return done
    return rounds


def check(
    http: requests.Session, urls: dict[str, str], load: CashLoad, before: dict[str, Any], started: datetime
) -> dict[str, Any]:
    """The checks of the module docstring; returns what it saw (for the failure message)."""
    register = {
        r["trace_number"]: r
        for r in _get(http, urls["red"] + "/_sandbox/registrations", limit=2_000_000)["registrations"]
    }
    problems: list[str] = []
    for trace, acked in load.acked.items():
        row = register.get(trace)
        if row is None:
            problems.append(f"{trace}: acknowledged {acked.status}, gone from red's register")
        elif acked.status in FINAL and row["status"] != acked.status:
            problems.append(f"{trace}: acknowledged {acked.status}, now {row['status']}")
        elif row["status"] not in FINAL:
            problems.append(f"{trace}: still {row['status']} after settling")
        elif row["status"] == "diverged":
            problems.append(f"{trace}: diverged")
    pending_red = [t for t, r in register.items() if r["status"] in PENDING]
    owed = _get(http, urls["switch"] + "/sicoop/v1/issuer-sync", all="true")["items"]
    holds = _get(http, urls["ceibo"] + "/_sandbox/holds", limit=2_000_000)["holds"]
    traces = [h["trace_number"] for h in holds if h["trace_number"]]
    twice = sorted({t for t in traces if traces.count(t) > 1})
    open_holds = [h["hold_id"] for h in holds if h["state"] == "pending"]
    after = snapshot(http, urls)
    completed = [r for r in register.values() if r["status"] == "completed"]
    net_minor = sum(minor(r["amount"]) * (1 if r["operation"] == "deposit" else -1) for r in completed)
    day = started.astimezone(ZoneInfo("America/Asuncion")).date().isoformat()
    recon = _get(http, urls["switch"] + "/sicoop/v1/reconciliation", date=day)
    counters_ok = all(
        cash + settlement == before["counters"][cid][0] + before["counters"][cid][1] and reserved == 0
        for cid, (cash, settlement, reserved) in after["counters"].items()
    )
    seen = {
        "acknowledged": len(load.acked),
        "refused": len(load.refused),
        "resent": load.resent,
        "lost_or_changed": problems[:20],
        "pending_at_red": pending_red[:20],
        "owed_to_ceibo": [t["id"] for t in owed][:20],
        "trace_twice_at_ceibo": twice[:20],
        "open_holds": open_holds[:20],
        "pending_at_ceibo_minor": after["pending"],
        "delta_cards_minor": after["balance"] - before["balance"],
        "delta_drawers_minor": after["cash"] - before["cash"],
        "completed_net_minor": net_minor,
        "drawers_conserved": counters_ok,
        "reconciliation": {"date": day, "differences": recon["difference_count"], "sources": recon["sources"]},
        "first_differences": recon["differences"][:10],
    }
    ok = (
        not problems
        and not pending_red
        and not owed
        and not twice
        and not open_holds
        and after["pending"] == 0
        and after["balance"] - before["balance"] == after["cash"] - before["cash"] == net_minor
        and counters_ok
        and recon["difference_count"] == 0
        and all(v == "ok" for v in recon["sources"].values())
    )
    seen["ok"] = ok
    return seen
