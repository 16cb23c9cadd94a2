"""Locust users: the collection network's platform talking SICOOP to the switch.

:class:`SicoopUser` (abstract) holds what every flow needs: trace numbers unique to the run,
cards drawn from this process's slice of the world with the code the DIMO app shows now, the
checks of each answer (``catch_response``: a wrong body is a failure, whatever the HTTP status),
retries with the same trace number and body when an answer is lost (CASH-11: three quick ones, or
with ``--coop-ride-out S`` a back-off lasting S seconds that rides out a party's restart; see
:mod:`sandbox.load.rideout`), and the ledger of what the network did. An operation still without a
definitive answer when the user gives up is a lost record of the ledger, resolved after the run by
asking the switch (:mod:`sandbox.load.resolve`), never guessed. :class:`CashNetwork` is the mix (``@task`` weights):

===============================  ======  ==============================================================
flow                              weight  requests (``name=``)
===============================  ======  ==============================================================
withdrawal → confirm                  60  ``/sicoop/v1/withdrawals``, ``…/{id}/confirm``
withdrawal → release                  10  ``/sicoop/v1/withdrawals``, ``…/{id}/release``
withdrawal → left to expire            5  ``/sicoop/v1/withdrawals`` (the sweeper voids it, CASH-10)
deposit → confirm                     20  ``/sicoop/v1/deposits``, ``…/{id}/confirm``
cashier at a counter (via red)         5  ``/red/v1/operations``: the network's own platform does
                                          open, registration and confirm (the full path)
===============================  ======  ==============================================================

About 2 % of opens and confirms are sent twice on purpose (``… (replay)``): the second answer
must be the first one again (``Idempotent-Replayed: true``, same id). :class:`BareEndpoint` asks
for the switch's ``/_sandbox/health`` only: the yardstick of what the server stack alone costs.

PSE debit authorizations (bank 1066) and collection completions have their own Locust files,
``pse1066_locustfile.py`` and ``collections_locustfile.py`` (each run by its ``*_run.py``).
"""

from __future__ import annotations

import time
from typing import Any

import gevent
import requests
from coop_runtime import Process, process, profile_of
from locust import FastHttpUser, task
from locust.contrib.fasthttp import ResponseContextManager

from sandbox.load.cards import PoolExhausted
from sandbox.load.resolve import RED_FINAL
from sandbox.load.rideout import lost
from sandbox.load.thresholds import (
    CASHIER,
    DEPOSIT,
    DEPOSIT_CONFIRM,
    HEALTH,
    WITHDRAWAL,
    WITHDRAWAL_CONFIRM,
    WITHDRAWAL_RELEASE,
)

REPLAY_P = 0.02
PATHS = {"withdrawal": "/sicoop/v1/withdrawals", "deposit": "/sicoop/v1/deposits"}
NAMES = {
    ("withdrawal", "open"): WITHDRAWAL,
    ("withdrawal", "confirm"): WITHDRAWAL_CONFIRM,
    ("withdrawal", "release"): WITHDRAWAL_RELEASE,
    ("deposit", "open"): DEPOSIT,
    ("deposit", "confirm"): DEPOSIT_CONFIRM,
}
EXPECTED = {"confirm": "confirmed", "release": "released"}
#: A transaction's statuses after a confirm or release that are an answer (anything else: ask later).
DEFINITIVE = ("confirmed", "released", "expired")


def _json(response: ResponseContextManager) -> dict[str, Any]:
    try:
        data = response.json()
    except Exception:
        return {}
    return data if isinstance(data, dict) else {}


class SicoopUser(FastHttpUser):
    """The base of every flow: draws, trace numbers, checks, retries, ledger."""

    abstract = True
    connection_timeout = 5.0
    network_timeout = 10.0
    max_retries = 0

    def on_start(self) -> None:
        self.p: Process = process()
        self.pace_s: float = profile_of(self.environment.parsed_options).pace_s
        self._started = time.monotonic()

    def wait_time(self) -> float:
        """Constant pacing: each flow starts ``pace_s`` after the previous one started."""
        return max(0.0, self.pace_s - (time.monotonic() - self._started))

    # -- building blocks ---------------------------------------------------------------------------
    def _identification(self, card: Any) -> dict[str, str]:
        rng = self.p.rng
        return {"document_number": card.document_number} if rng.random() < 0.5 else {"phone": card.phone}

    def open(self, kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """Open a withdrawal or deposit; the transaction if approved, else None (recorded)."""
        amount = int(body["amount"])
        name = NAMES[(kind, "open")]
        waits = self.p.pauses
        for attempt in range(1 + len(waits)):
            if attempt:
                gevent.sleep(waits[attempt - 1])
            approved: dict[str, Any] | None = None
            with self.client.post(PATHS[kind], json=body, name=name, catch_response=True) as response:
                data = _json(response)
                if response.status_code == 201 and data.get("id"):
                    self.p.ledger.add(f"{kind}.opened", amount)
                    if data.get("status") != "approved":
                        reason = data.get("reason_code") or data.get("status")
                        self.p.ledger.add(f"{kind}.declined.{reason}", amount)
                        response.failure(f"{kind} {data.get('status')}: {reason}")
                        return None
                    response.success()
                    approved = data
                elif lost(response.status_code, data.get("error")):
                    response.failure(f"no answer ({data.get('error') or response.status_code}); re-sent")
                else:
                    self.p.ledger.add(f"{kind}.refused.{data.get('error', response.status_code)}", amount)
                    response.failure(f"{kind} refused {response.status_code}: {data.get('error')}")
                    return None
            if approved is not None:
                self._maybe_replay(kind, body, approved)
                return approved
        self.p.ledger.lose(kind, "open", body["trace_number"], amount)
        return None

    def _maybe_replay(self, kind: str, body: dict[str, Any], first: dict[str, Any]) -> None:
        if self.p.rng.random() >= REPLAY_P:
            return
        name = NAMES[(kind, "open")] + " (replay)"
        with self.client.post(PATHS[kind], json=body, name=name, catch_response=True) as response:
            data = _json(response)
            replayed = response.headers.get("Idempotent-Replayed") == "true"
            if response.status_code == 201 and replayed and data.get("id") == first["id"]:
                self.p.ledger.add("replay.ok")
                response.success()
            else:
                self.p.ledger.add("replay.mismatch")
                response.failure(f"replay answered {response.status_code}, replayed={replayed}, id={data.get('id')}")

    def resolve(self, kind: str, txn: dict[str, Any], action: str) -> str | None:
        """Confirm or release until a definitive answer; the transaction's final status (recorded,
        or a lost record when there is none)."""
        url = f"{PATHS[kind]}/{txn['id']}/{action}"
        name = NAMES[(kind, action)]
        amount = int(txn["amount"])
        final: str | None = None
        waits = self.p.pauses
        for attempt in range(1 + len(waits)):
            if attempt:
                gevent.sleep(waits[attempt - 1])
            with self.client.post(url, name=name, catch_response=True) as response:
                data = _json(response)
                if response.status_code == 200 and data.get("status") == EXPECTED[action]:
                    response.success()
                    final = EXPECTED[action]
                    break
                if response.status_code in (404, 409) and data.get("error") and not lost(409, data.get("error")):
                    final = (data.get("transaction") or {}).get("status")
                    response.failure(f"{kind} {action} refused: {data['error']}")
                    break
                response.failure(f"{kind} {action}: no definitive answer ({response.status_code})")
        else:
            final = self._query(kind, txn["id"])
        if final == EXPECTED[action] and self.p.rng.random() < REPLAY_P:
            with self.client.post(url, name=f"{name} (replay)", catch_response=True) as response:
                if response.status_code == 200 and _json(response).get("status") == final:
                    self.p.ledger.add("replay.ok")
                else:
                    self.p.ledger.add("replay.mismatch")
                    response.failure(f"repeated {action} answered {response.status_code}")
        if final in DEFINITIVE:
            self.p.ledger.add(f"{kind}.{final}", amount)
        else:  # no answer, or the resolution never landed (yet): the check asks the switch after settling
            self.p.ledger.lose(kind, action, txn["trace_number"], amount, txn["id"])
            self.p.ledger.expires(txn.get("hold_expires_at"))
        return final

    def _query(self, kind: str, txn_id: str) -> str | None:
        with self.client.get(f"{PATHS[kind]}/{txn_id}", name=f"{PATHS[kind]}/{{id}}", catch_response=True) as r:
            status = _json(r).get("status") if r.status_code == 200 else None
            if status is None:
                r.failure(f"query {r.status_code}")
            return status

    def withdrawal(self) -> dict[str, Any] | None:
        ticket = self.p.pool.draw()
        body = {
            "trace_number": self.p.traces.next(),
            "counter_id": self.p.rng.choice(self.p.counters),
            **self._identification(ticket.card),
            "soft_token": ticket.code,
            "amount": str(self.p.rng.randrange(10_000, 100_001, 1_000)),
        }
        return self.open("withdrawal", body)

    def deposit(self) -> dict[str, Any] | None:
        card = self.p.pool.any_card()
        body = {
            "trace_number": self.p.traces.next(),
            "counter_id": self.p.rng.choice(self.p.counters),
            **self._identification(card),
            "amount": str(self.p.rng.randrange(10_000, 200_001, 1_000)),
        }
        return self.open("deposit", body)

    def flow(self, run: Any) -> None:
        """Run one flow, counted as in flight until it ends (the drain waits for it)."""
        self._started = time.monotonic()
        self.p.in_flight += 1
        try:
            run()
        except (PoolExhausted, requests.RequestException) as exc:  # no card (or CEIBO down): nothing was sent
            self.environment.events.request.fire(
                request_type="DRAW", name="card pool", response_time=0, response_length=0, exception=exc
            )
            gevent.sleep(1.0)
        finally:
            self.p.in_flight -= 1


class CashNetwork(SicoopUser):
    """The SICOOP mix: withdrawals confirmed, released or left to expire; deposits; cashiers."""

    @task(60)
    def withdrawal_confirmed(self) -> None:
        def run() -> None:
            txn = self.withdrawal()
            if txn is not None:
                self.resolve("withdrawal", txn, "confirm")

        self.flow(run)

    @task(10)
    def withdrawal_released(self) -> None:
        def run() -> None:
            txn = self.withdrawal()
            if txn is not None:
                self.resolve("withdrawal", txn, "release")

        self.flow(run)

    @task(5)
    def withdrawal_left_to_expire(self) -> None:
        def run() -> None:
            txn = self.withdrawal()
            if txn is not None:
                self.p.ledger.add("withdrawal.abandoned", int(txn["amount"]))
                self.p.ledger.expires(txn.get("hold_expires_at"))

        self.flow(run)

    @task(20)
    def deposit_confirmed(self) -> None:
        def run() -> None:
            txn = self.deposit()
            if txn is not None:
                self.resolve("deposit", txn, "confirm")

        self.flow(run)

    @task(5)
    def cashier_at_counter(self) -> None:
        """The network's own platform (red) runs the whole operation: open, register, confirm."""

        def run() -> None:
            withdrawal = self.p.rng.random() < 0.5
            body: dict[str, Any] = {
                "operation": "withdrawal" if withdrawal else "deposit",
                "counter_id": self.p.rng.choice(self.p.counters),
                "trace_number": self.p.traces.next(),
            }
            if withdrawal:
                ticket = self.p.pool.draw()
                body.update(self._identification(ticket.card), soft_token=ticket.code)
                body["amount"] = str(self.p.rng.randrange(10_000, 100_001, 1_000))
            else:
                body.update(self._identification(self.p.pool.any_card()))
                body["amount"] = str(self.p.rng.randrange(10_000, 200_001, 1_000))
            self.cashier(body)

        self.flow(run)

    def cashier(self, body: dict[str, Any]) -> None:
        """One operation through red, re-sent (same trace number and body) while its answer is lost;
        red's answer counted, or a lost record when it has none yet (red drives it to its end)."""
        operation, amount = body["operation"], int(body["amount"])
        waits = self.p.pauses
        for attempt in range(1 + len(waits)):
            if attempt:
                gevent.sleep(waits[attempt - 1])
            with self.client.post(
                f"{self.p.red}/red/v1/operations", json=body, name=CASHIER, catch_response=True
            ) as response:
                data = _json(response)
                if lost(response.status_code, data.get("error")):
                    response.failure(f"cashier {operation}: no answer ({response.status_code}); re-sent")
                    continue
                status = data.get("status") or f"http_{response.status_code}"
                if response.status_code in (200, 201) and status not in RED_FINAL:
                    self.p.ledger.lose(operation, "cashier", body["trace_number"], amount)
                    response.failure(f"cashier {operation}: {status} (red has no answer from SICOOP yet)")
                    return
                self.p.ledger.add(f"cashier.{operation}.{status}", amount)
                if response.status_code in (200, 201) and status == "completed" and data.get("cash_moved"):
                    response.success()
                else:
                    response.failure(f"cashier {operation}: {status} {data.get('reason_code')}")
                return
        self.p.ledger.lose(operation, "cashier", body["trace_number"], amount)


class BareEndpoint(FastHttpUser):
    """The switch's bare ``/_sandbox/health``: the same server stack with no work behind it."""

    connection_timeout = 5.0
    network_timeout = 10.0

    @task
    def health(self) -> None:
        with self.client.get("/_sandbox/health", name=HEALTH, catch_response=True) as response:
            if response.status_code != 200 or _json(response).get("status") != "ok":
                response.failure(f"health {response.status_code}")
