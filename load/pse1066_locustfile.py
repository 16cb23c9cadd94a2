"""Load on PSE debits at Banco Cooperativo Coopcentral (1066, the switch; issue 14, item 7): many
members paying merchants from their cooperative accounts at once, through the switch's
authorization core (the network's caps and frequency, a debit authorization at coop, the OTP, the
post at coop exactly once, ``ConfirmTransactionPayment`` to ACH).

Each Locust flow is one whole payment as the parties see it: a collecting entity creates it at ACH
(``CreateTransactionPaymentNF`` with bank 1066, its OAuth token), then the member's browser goes
straight to the switch's window with the CUS (where ACH's «Ir al Banco» leads): document → entity →
portal user → password (a scrypt check, on purpose ≈ 0.1 s of the switch's CPU) → accounts →
«Pagar» (``/pse/banco/{cus}/pagar``: limits + coop authorization) → the security code read in the
notify inbox → «Confirmar» (``/pse/banco/{cus}/codigo``: post at coop + OK to ACH). Members are
drawn in turn from the world's portal users (a generated world: ``load/pse1066_run.py``), the amount
is random (never the magic cents .91–.93), so some flows meet a cap, the daily frequency or a short
balance and choose another account, or end NOT_AUTHORIZED — declines are answers, not failures.

When the run stops the correctness checks run on every payment it started: no debit posted twice at
coop, no debit posted without OK at ACH and no OK without a debit, the amounts conserved (coop's posted
debits = ACH's OK = the switch's approvals), nothing left in progress, and the day's reconciliation
(``/pse/v1/reconciliation``) without differences. Then the thresholds (``pse1066.toml``); either
failing makes Locust exit 1.

    locust -f load/pse1066_locustfile.py --headless --host http://127.0.0.1:8000 -u 4 -r 4 -t 30s --only-summary
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import secrets
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from locust import FastHttpUser, between, events, task
from locust.env import Environment

from sandbox.config import load_config
from sandbox.kit.money import parse_amount
from sandbox.scripted.coopflows import (
    CHAOS_ENV,
    account_choices,
    inbox_code,
    page_state,
    pse1066_entities,
    pse1066_entity,
    pse1066_members,
    settle,
    wait_until_up,
)
from sandbox.scripted.pse import PseClient, example_payment
from sandbox.world import load_world

log = logging.getLogger("load.pse1066")
SETTINGS = tomllib.loads((Path(__file__).with_name("pse1066.toml")).read_text())
WORLD = load_world(os.environ.get("COOP_SANDBOX_WORLD") or None)
ENTITY = next(e for e in WORLD.pse_entities if e.entity_code == "10002")
ENABLED = pse1066_entities(WORLD)
MEMBERS = pse1066_members(WORLD)
_turn = itertools.count()
_tickets = itertools.count(int(os.environ.get("COOP_LOAD_TICKET_BASE", "500000")))
PAY = "/pse/banco/{cus}/pagar (autorización)"
CONFIRM = "/pse/banco/{cus}/codigo (asiento + ACH)"

#: Every payment this process started: CUS → (entity, amount_minor).
STARTED: dict[str, tuple[str, int]] = {}
OUTCOMES: dict[str, int] = {}
RESULTS: dict[str, Any] = {}


def _urls(host: str) -> dict[str, str]:
    given = os.environ.get("COOP_SANDBOX_URLS")
    urls = dict(json.loads(given)) if given else dict(load_config(None).urls())
    urls["switch"] = host.rstrip("/")
    return urls


class _Stop(Exception):
    pass


class CoopcentralPayer(FastHttpUser):
    """One flow = one PSE payment debited from a member's cooperative account."""

    wait_time = between(0, 0)
    connection_timeout = 10.0
    network_timeout = 30.0

    def on_start(self) -> None:
        self.urls = _urls(self.host or "http://127.0.0.1:8000")
        self.pse = PseClient(self.urls["ach"], ENTITY.client_id, ENTITY.client_secret)
        self.side = requests.Session()

    def _now(self) -> datetime:
        clock = self.side.get(f"{self.urls['ach']}/_sandbox/clock", timeout=30).json()
        return datetime.fromisoformat(clock["now"])

    def _step(self, method: str, path: str, name: str, data: dict[str, str] | None = None) -> str:
        """A page, followed by hand when it redirects (303): the redirect's target, or the page's text."""
        with self.client.request(method, path, name=name, data=data, allow_redirects=False,
                                 catch_response=True) as response:  # fmt: skip
            if response.status_code in (303, 302):
                response.success()
                return str(response.headers.get("location") or response.headers.get("Location") or "")
            if response.status_code >= 400:
                response.failure(f"{response.status_code}: {(response.text or '')[:160]}")
                raise _Stop
            response.success()
            return response.text or ""

    def _page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                raise _Stop
            response.success()
            return response.text or ""

    @task
    def payment(self) -> None:
        self.client.cookiejar.clear()
        try:
            self._payment()
        except _Stop:
            return

    def _payment(self) -> None:
        member = MEMBERS[next(_turn) % len(MEMBERS)]
        assert member.portal is not None
        cents = secrets.randbelow(90) + 1
        value = f"{1000 + secrets.randbelow(60000)}.{cents:02d}"
        answer = self.pse.create(
            example_payment("10002", "1066", value, ticket_id=next(_tickets), service_code="2001",
                            solicited=self._now(), email=member.email, paymentDescription="Carga 1066")
        )  # fmt: skip
        if answer.code != "SUCCESS":
            OUTCOMES["ach_create_refused"] = OUTCOMES.get("ach_create_refused", 0) + 1
            return
        cus = str(answer.body["trazabilityCode"])
        base = f"/pse/banco/{cus}"
        self._page(base, "/pse/banco/{cus}")
        document = {"tipo_documento": member.document_type.value, "numero_documento": member.document_number}
        where = self._step("POST", f"{base}/documento", "/pse/banco/{cus}/documento", document)
        page = self._page(where, "/pse/banco/{cus}/entidades")
        entity = pse1066_entity(member, page, ENABLED)
        STARTED[cus] = (entity, parse_amount(value, "COP"))
        self._step("POST", f"{base}/entidad", "/pse/banco/{cus}/entidad", {"entidad": entity})
        self._step("POST", f"{base}/portal", "/pse/banco/{cus}/portal", {"usuario": member.portal.username})
        where = self._step("POST", f"{base}/portal/clave", "/pse/banco/{cus}/portal/clave (scrypt)",
                           {"usuario": member.portal.username, "clave": member.portal.password})  # fmt: skip
        while True:
            page = self._page(f"{base}/cuentas", "/pse/banco/{cus}/cuentas")
            choices = account_choices(page)
            if not choices:
                raise AssertionError(f"no account to choose for {cus}")
            where = self._step("POST", f"{base}/pagar", PAY, {"producto": choices[0]})
            if "/cuentas" in where:
                continue  # declined (funds, cap, frequency): choose another (PSE-08)
            break
        if where.endswith("/resultado"):
            OUTCOMES["not_authorized"] = OUTCOMES.get("not_authorized", 0) + 1
            return
        code = self._code(member.mobile, cus)
        where = self._step("POST", f"{base}/codigo", CONFIRM, {"codigo": code})
        page = self._page(where, "/pse/banco/{cus}/resultado")
        outcome = page_state(page) or "unknown"
        OUTCOMES[outcome] = OUTCOMES.get(outcome, 0) + 1

    def _code(self, mobile: str, cus: str) -> str:
        code = inbox_code(self.side, self.urls["notify"], mobile, cus)
        if code is None:
            raise AssertionError(f"no security code for CUS {cus} in the inbox")
        return code


def verify(host: str) -> dict[str, Any]:
    """Every payment of this run: posted at coop at most once, posted ⇔ OK at ACH, amounts conserved,
    nothing in progress, and the day's reconciliation without differences."""
    urls = _urls(host)
    http = requests.Session()
    pse = PseClient(urls["ach"], ENTITY.client_id, ENTITY.client_secret)
    keys = {e.code: e.core_api_key for e in WORLD.entities}
    problems: list[str] = []
    totals = {"switch_approved": 0, "coop_posted": 0, "ach_ok": 0}
    approved = 0
    for cus, (entity, amount_minor) in STARTED.items():
        payment = http.get(f"{urls['switch']}/pse/v1/payments/{cus}", timeout=30)
        status = payment.json().get("status") if payment.status_code == 200 else None
        due = payment.status_code == 200 and payment.json()["ach_sync"] == "due"
        if status in ("authorizing", "posting") or due:
            problems.append(f"{cus}: still in progress ({status})")
        txns = http.get(
            f"{urls['coop']}/coop/v1/entities/{entity}/transactions",
            params={"reference": f"PSE1066-{cus}"},
            headers={"Authorization": f"Bearer {keys[entity]}"},
            timeout=30,
        ).json()["transactions"]
        posted = [t for t in txns if t["kind"] == "debit" and t["status"] == "posted" and not t["reversed"]]
        ach = pse.query("10002", cus).body.get("transactionState")
        if len(posted) > 1:
            problems.append(f"{cus}: debited {len(posted)} times at coop")
        if bool(posted) != (ach == "OK"):
            problems.append(f"{cus}: coop posted {len(posted)}, ACH {ach}")
        if status == "approved":
            approved += 1
            totals["switch_approved"] += amount_minor
        totals["coop_posted"] += sum(parse_amount(t["amount"], "COP") for t in posted)
        totals["ach_ok"] += amount_minor if ach == "OK" else 0
    if len(set(totals.values())) != 1:
        problems.append(f"money not conserved: {totals}")
    report = http.get(f"{urls['switch']}/pse/v1/reconciliation", timeout=120).json()
    if report.get("difference_count"):
        problems.append(f"reconciliation differences: {report['differences'][:5]}")
    return {"started": len(STARTED), "approved": approved, "totals_minor": totals, "problems": problems}


def _after_chaos(host: str) -> dict[str, Any]:
    """A ``--chaos`` run: every party up again, then sandbox time passes and the jobs finish what the
    crash left open (a post coop missed, an authorization to void, an abandoned payment)."""
    http = requests.Session()
    urls = _urls(host)
    down = wait_until_up(http, urls)
    return {"down": down, "settle_rounds": 0 if down else settle(http, urls)}


@events.quitting.add_listener
def _check(environment: Environment, **_: Any) -> None:
    chaos = _after_chaos(environment.host or "http://127.0.0.1:8000") if os.environ.get(CHAOS_ENV) else None
    result = verify(environment.host or "http://127.0.0.1:8000")
    thresholds = SETTINGS["thresholds"]
    stats = environment.stats
    pay, confirm = stats.get(PAY, "POST"), stats.get(CONFIRM, "POST")
    checks = {
        "correctness": not result["problems"] and result["approved"] > 0,
        "fail_ratio": stats.total.fail_ratio <= thresholds["fail_ratio_max"],
        "authorization_p95_ms": pay.get_response_time_percentile(0.95) <= thresholds["authorization_p95_ms"],
        "confirmation_p95_ms": confirm.get_response_time_percentile(0.95) <= thresholds["confirmation_p95_ms"],
        "authorizations_per_s": pay.total_rps >= thresholds["min_authorizations_per_s"],
    }
    RESULTS.update(result, outcomes=dict(OUTCOMES), checks=checks,
                   authorizations=pay.num_requests, authorizations_per_s=round(pay.total_rps, 2),
                   authorization_p50_ms=pay.get_response_time_percentile(0.5),
                   authorization_p95_ms=pay.get_response_time_percentile(0.95),
                   confirmation_p50_ms=confirm.get_response_time_percentile(0.5),
                   confirmation_p95_ms=confirm.get_response_time_percentile(0.95),
                   fail_ratio=round(stats.total.fail_ratio, 4))  # fmt: skip
    if chaos is not None:  # across a kill, latency and errors are reported, not judged: correctness is
        RESULTS.update(chaos=chaos, thresholds_not_judged={k: v for k, v in checks.items() if k != "correctness"})
        checks = {"correctness": checks["correctness"] and not chaos["down"]}
        RESULTS["checks"] = checks
    log.warning("pse1066 load: %s", RESULTS)
    print(f"PSE1066-LOAD {RESULTS}")
    if not all(checks.values()):
        environment.process_exit_code = 1
