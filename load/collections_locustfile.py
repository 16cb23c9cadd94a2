"""Load on the collections completion path (issue 13, item 7): many members' payments approved at
the same time, each completed by the switch exactly once — the gateway's signed confirmation, the
query of the state at the gateway, and one credit per product at coop with its idempotency key.

Each Locust flow is one whole collection, as the parties see it: the visit at the switch
(``/recaudos/v1``: document → identity code read in notify → selection → payment code →
«Iniciar transacción»), the signed WebCheckout form posted to the gateway, «Pagar» with bank 1022,
ACH's portal, the bank's approval through ACH's bank API (a stand-in for the bank's pages), and the
member's return to the gateway (``/pse/retorno/{tx}``): the gateway learns the approval from ACH and
confirms to the switch, which queries the gateway and credits coop — the request named
``completion (return → confirmation → query → credit)`` measures that whole chain. Then the same
signed confirmation is sent again (``/recaudos/confirmacion (repetida)``: must change nothing).

Run against a running sandbox (``coop-sandbox up``; thresholds and profile in ``collections.toml``)::

    locust -f load/collections_locustfile.py --headless --host http://127.0.0.1:8000 \\
        -u 4 -r 4 -t 30s --only-summary

When the run stops, the correctness checks run (every payment this run approved is credited at coop
once per product, nothing left unapplied, the day's reconciliation has no difference for them) and
the thresholds are evaluated; either failing makes Locust exit 1.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import requests
from locust import FastHttpUser, between, events, task
from locust.env import Environment

from sandbox.config import load_config
from sandbox.protocols.payu.signatures import confirmation_signature
from sandbox.scripted.browser import BankStandIn, Browser
from sandbox.scripted.coopflows import CHAOS_ENV, gateway_transaction_id, inbox_code, settle, wait_until_up
from sandbox.world import load_world

log = logging.getLogger("load.collections")
SETTINGS = tomllib.loads((Path(__file__).with_name("collections.toml")).read_text())
WORLD = load_world(None)
ACCOUNT = next(a for a in WORLD.gateway_accounts if a.merchant_id == "508030")
BANK = WORLD.bank("1022")
MEMBER = next(m for m in WORLD.members if m.document_number == "1033370434")
COMPLETION = "completion (return → confirmation → query → credit)"
REPEATED = "/recaudos/confirmacion (repetida)"

#: Every payment this process started: reference → expected credits {masked number: amount}.
STARTED: dict[str, dict[str, str]] = {}
RESULTS: dict[str, Any] = {}


def _urls(host: str) -> dict[str, str]:
    """The parties' URLs: ``COOP_SANDBOX_URLS`` (JSON, set by ``load/collections_run.py``), else the
    default ports of ``sandbox.toml``; the switch is Locust's host."""
    given = os.environ.get("COOP_SANDBOX_URLS")
    urls = dict(json.loads(given)) if given else dict(load_config(None).urls())
    urls["switch"] = host.rstrip("/")
    return urls


class CollectionCompletion(FastHttpUser):
    """One flow = one collection of two products (deposits to savings and to contributions: a credit's
    «Pago mínimo» would be paid by the first flow and refused to the next ones, rightly)."""

    wait_time = between(0, 0)
    connection_timeout = 10.0
    network_timeout = 30.0

    def on_start(self) -> None:
        self.urls = _urls(self.host or "http://127.0.0.1:8000")
        self.side = Browser()
        self.bank = BankStandIn(self.urls["ach"], "1022", BANK.ach_secret if BANK and BANK.ach_secret else "")

    def _code(self, reference: str) -> str:
        code = inbox_code(self.side.session, self.urls["notify"], MEMBER.mobile, reference, limit=500)
        if code is None:
            raise AssertionError(f"no code with reference {reference} in the inbox")
        return code

    def _json(self, method: str, path: str, name: str, expect: int, **kwargs: Any) -> dict[str, Any]:
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            data = response.json() if response.text else {}
            if response.status_code != expect:
                response.failure(f"{response.status_code}: {str(data)[:200]}")
                raise _Stop
            response.success()
            return data  # type: ignore[no-any-return]

    @task
    def collection(self) -> None:
        try:
            self._collection()
        except _Stop:
            return

    def _collection(self) -> None:
        doc = {"document_type": "CC", "document_number": MEMBER.document_number}
        visit = self._json(
            "POST", "/recaudos/v1/entidades/ALIANZA/consultas", "/recaudos/v1/…/consultas", 201, json=doc
        )
        session = visit["session"]
        found = self._json("POST", f"/recaudos/v1/consultas/{session}/otp", "/recaudos/v1/consultas/{s}/otp", 200,
                           json={"otp": self._code(session[:12])})  # fmt: skip
        by_label = {p["label"]: p["product_id"] for p in found["products"]}
        cents = secrets.randbelow(90) + 1  # amounts differ between flows (never the magic .91-.93)
        savings = f"{20000 + secrets.randbelow(1000)}.{cents:02d}"
        other = f"{1000 + secrets.randbelow(1000)}.00"
        items = [
            {"product_id": by_label["Ahorros a la Vista(****7756)"], "option": "free", "amount": savings},
            {"product_id": by_label["Aportes Sociales(****8768)"], "option": "free", "amount": other},
        ]
        chosen = self._json(
            "PUT",
            f"/recaudos/v1/consultas/{session}/seleccion",
            "/recaudos/v1/consultas/{s}/seleccion",
            200,
            json={"items": items},
        )
        reference = chosen["detail"]["reference"]
        begun = self._json("POST", f"/recaudos/v1/consultas/{session}/iniciar", "/recaudos/v1/consultas/{s}/iniciar",
                           201, json={"otp": self._code(reference), "description": "carga", "terms": True})  # fmt: skip
        STARTED[reference] = {"****7756": savings, "****8768": other}
        checkout = begun["checkout"]
        page = self.side.post(checkout["url"], checkout["form"])
        pay = page.form(action_contains="/checkout/")
        to_pse = self.side.submit(pay, page.url, follow=False, terminos="on", medio="PSE", tipo_persona="N",
                                  banco="1022", documento=MEMBER.document_number, nombre="NICK RIVERA CAMINERO",
                                  correo=MEMBER.email, celular=MEMBER.mobile)  # fmt: skip
        pse_url = urljoin(to_pse.url, to_pse.headers.get("location") or to_pse.headers.get("Location") or "")
        portal = self.side.get(pse_url)
        to_bank = self.side.submit(portal.form(action_contains="/pse/pago"), portal.url, follow=False,
                                   email=MEMBER.email, person_type="natural")  # fmt: skip
        bank_url = urljoin(to_bank.url, to_bank.headers.get("location") or to_bank.headers.get("Location") or "")
        cus = urlparse(bank_url).path.rstrip("/").split("/")[-1]
        answer = self.bank.confirm(cus, "OK", when=self._sandbox_now())
        if answer.get("returnCode") != "SUCCESS":
            raise AssertionError(f"ACH refused the bank's confirmation: {answer}")
        tx_id = self._gateway_tx(reference)
        # The member's return to the gateway: ACH → approved → confirmation to the switch → query → credits.
        with self.client.get(f"{self.urls['gateway']}/pse/retorno/{tx_id}", name=COMPLETION,
                             catch_response=True) as response:  # fmt: skip
            if response.status_code != 200:
                response.failure(f"gateway return {response.status_code}")
                return
        payment = self._json("GET", f"/recaudos/v1/pagos/{reference}", "/recaudos/v1/pagos/{ref}", 200)
        if payment["state"] != "approved" or not payment["applied"]:
            with self.client.get(f"/recaudos/v1/pagos/{reference}", name="applied after completion",
                                 catch_response=True) as check:  # fmt: skip
                check.failure(f"{payment['state']} applied={payment['applied']}")
            return
        minor = int(payment["total"].replace(".", ""))
        form = {"merchant_id": "508030", "reference_sale": reference, "state_pol": "4", "value": payment["total"],
                "currency": "COP", "transaction_id": payment["gateway_transaction_id"],
                "sign": confirmation_signature(ACCOUNT.api_key, "508030", reference, minor, "COP", 4)}  # fmt: skip
        with self.client.post("/recaudos/confirmacion", data=form, name=REPEATED, catch_response=True) as again:
            if again.status_code != 200 or "repetida" not in again.text:
                again.failure(f"{again.status_code}: {again.text[:120]}")

    def _sandbox_now(self) -> datetime:
        clock = self.side.session.get(f"{self.urls['ach']}/_sandbox/clock", timeout=30).json()
        return datetime.fromisoformat(clock["now"])

    def _gateway_tx(self, reference: str) -> str:
        found = gateway_transaction_id(self.side.session, self.urls["gateway"], ACCOUNT.api_login, ACCOUNT.api_key,
                                       reference)  # fmt: skip
        if found is None:
            raise AssertionError(f"no order at the gateway for {reference}")
        return found


class _Stop(Exception):
    pass


def verify(host: str) -> dict[str, Any]:
    """Every payment this run started and approved is credited at coop once per product, nothing is
    left unapplied, and the day's reconciliation has no difference for them."""
    urls = _urls(host)
    http = requests.Session()
    problems: list[str] = []
    approved = 0
    for reference, expected in STARTED.items():
        payment = http.get(f"{urls['switch']}/recaudos/v1/pagos/{reference}", timeout=30).json()
        if payment.get("state") != "approved":
            continue
        approved += 1
        credits = http.get(
            f"{urls['coop']}/coop/v1/entities/ALIANZA/transactions",
            params={"reference": reference},
            headers={"Authorization": "Bearer coop-alianza-key"},
            timeout=30,
        ).json()["transactions"]
        seen = sorted((t["number_masked"], t["amount"]) for t in credits if t["kind"] == "credit")
        if seen != sorted(expected.items()):
            problems.append(f"{reference}: credited {seen}, expected {sorted(expected.items())}")
    pending = http.get(f"{urls['switch']}/recaudos/v1/pendientes", timeout=30).json()
    ours = [p["reference"] for p in pending["payments"] if p["reference"] in STARTED]
    if ours:
        problems.append(f"unapplied: {ours}")
    report = http.get(f"{urls['switch']}/recaudos/v1/conciliacion", timeout=60).json()
    differences = [d for d in report.get("differences", []) if d["reference"] in STARTED]
    if differences:
        problems.append(f"reconciliation differences: {differences[:5]}")
    return {"started": len(STARTED), "approved": approved, "problems": problems}


def _after_chaos(host: str) -> dict[str, Any]:
    """A ``--chaos`` run: every party up again, then sandbox time passes and the jobs finish what the
    crash left open (a credit coop missed, a confirmation the switch missed: the requery)."""
    http = requests.Session()
    urls = _urls(host)
    down = wait_until_up(http, urls)
    return {"down": down, "settle_rounds": 0 if down else settle(http, urls)}


@events.quitting.add_listener
def _check(environment: Environment, **_: Any) -> None:
    host = environment.host or "http://127.0.0.1:8000"
    chaos = _after_chaos(host) if os.environ.get(CHAOS_ENV) else None
    result = verify(host)
    thresholds = SETTINGS["thresholds"]
    total = environment.stats.total
    fail_ratio = total.fail_ratio
    completion = environment.stats.get(COMPLETION, "GET")
    checks = {
        "correctness": not result["problems"] and result["approved"] > 0,
        "fail_ratio": fail_ratio <= thresholds["fail_ratio_max"],
        "completion_p95_ms": completion.get_response_time_percentile(0.95) <= thresholds["completion_p95_ms"],
        "completions_per_s": completion.total_rps >= thresholds["min_completions_per_s"],
    }
    RESULTS.update(result, checks=checks, completion_p50_ms=completion.get_response_time_percentile(0.5),
                   completion_p95_ms=completion.get_response_time_percentile(0.95),
                   completions=completion.num_requests, completions_per_s=round(completion.total_rps, 2),
                   fail_ratio=round(fail_ratio, 4))  # fmt: skip
    if chaos is not None:  # across a kill, latency and errors are reported, not judged: correctness is
        RESULTS.update(chaos=chaos, thresholds_not_judged={k: v for k, v in checks.items() if k != "correctness"})
        checks = {"correctness": checks["correctness"] and not chaos["down"]}
        RESULTS["checks"] = checks
    log.warning("collections load: %s", RESULTS)
    print(f"COLLECTIONS-LOAD {RESULTS}")
    if not all(checks.values()):
        environment.process_exit_code = 1
