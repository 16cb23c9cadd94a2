"""The crash test of the coop flows (issue 16, item 7, "then coop with the new flows"): the load and
the checks, in the spirit of Jepsen's bank test.

:class:`CoopLoad`: from threads, members pay merchants by PSE from their cooperative accounts
through the switch's 1066 window (ACH's create, document, entity, portal, «Pagar», the code read
in notify, «Confirmar») and pay their own products by collections (the switch's ``/recaudos/v1``,
the gateway's checkout, PSE, the bank's approval, the return), while :mod:`sandbox.load.chaos`
kills coop or the switch. A step whose answer was lost (no connection, a 5xx, a page saying the
cooperative does not answer) is sent again as its caller would: the same CUS, the same form, the
same session, reference and code; a code that never arrived is asked again («Reenviar código»).
What the caller saw last is what the network *acknowledged* (:class:`Seen`).

:func:`settle` lets sandbox time pass and ticks every party until no job has work; :func:`check`
judges:

* every PSE payment acknowledged as approved has exactly one posted debit at coop and ACH's OK;
  no debit is posted without an OK (nor an OK without a debit), none twice; nothing is still in
  progress at the switch and no authorization (hold) is left at coop;
* every collection acknowledged as approved is credited once per product, with the amounts chosen;
  no collection is credited that is not approved; nothing unapplied or in progress;
* money is conserved at coop: the change of its books (accounts up, credit lines' debt down) is
  the credits minus the debits it reports for the day, and nothing is held;
* ``/pse/v1/reconciliation`` and ``/recaudos/v1/conciliacion`` show zero differences, every source
  read; the switch owes coop nothing (``/pse/v1/coop-sync?all=true``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlparse

import requests
from threaded_load import ThreadedLoad

from sandbox.kit.money import parse_amount
from sandbox.scripted.browser import BankStandIn, Browser, PageError
from sandbox.scripted.coopflows import (
    account_choices,
    gateway_transaction_id,
    inbox_code,
    page_state,
    pse1066_entities,
    pse1066_entity,
    pse1066_members,
)
from sandbox.scripted.pse import PseClient, example_payment
from sandbox.world import World

LOST = {502, 503, 504}
COP = "COP"


def minor(text: str) -> int:
    return parse_amount(text, COP)


class Abandoned(Exception):
    """The member cannot go on (no entity to choose, a login refused)."""


@dataclass
class Seen:
    """One flow as its caller saw it: the last state acknowledged, and what was asked."""

    kind: str  # pse | collection
    key: str  # CUS | reference
    state: str
    entity: str
    amount_minor: int
    credits: dict[str, int] = field(default_factory=dict)  # collections: masked number → amount


@dataclass
class CoopLoad(ThreadedLoad):
    """PSE-1066 payments and collections from ``threads`` threads for ``duration_s`` seconds."""

    seen: dict[str, Seen] = field(default_factory=dict)
    abandoned: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._members = pse1066_members(self.world)
        self._enabled = pse1066_entities(self.world)
        self._merchant = next(e for e in self.world.pse_entities if e.entity_code == "10002")
        self._collector = next(m for m in self.world.members if m.document_number == "1033370434")
        self._account = next(a for a in self.world.gateway_accounts if a.merchant_id == "508030")
        bank = self.world.bank("1022")
        self._bank_secret = bank.ach_secret if bank and bank.ach_secret else ""

    def _worker(self, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        until = time.monotonic() + self.duration_s
        while time.monotonic() < until:
            n = self._next()
            try:
                if index % 2 == 0:
                    self._pse(rng, n)
                else:
                    self._collection(rng, n)
            except Abandoned as gone:
                with self._lock:
                    self.abandoned.append(str(gone))
            except Exception as exc:  # the driver could not go on: the test fails, saying where
                with self._lock:
                    self.failures.append(f"{'pse' if index % 2 == 0 else 'collection'} {n}: {exc!r}"[:400])

    # -- sending as a caller would --------------------------------------------------------------------
    def _send(self, call: Callable[[], requests.Response], what: str) -> requests.Response:
        """Until answered: the same request again after a lost answer (no connection, 502/503/504,
        ``idempotency_in_progress``). A 500 is recorded (a bug, never a crash's answer)."""

        def settles(answer: requests.Response) -> bool:
            if answer.status_code == 500:
                with self._lock:
                    self.server_errors.append(f"{what}: {answer.text[:200]}")
                return False
            in_progress = answer.status_code == 409 and "idempotency_in_progress" in answer.text[:300]
            return answer.status_code not in LOST and not in_progress

        return self._until_answered(call, settles, what)

    def _code(self, http: requests.Session, to: str, reference: str, resend: Callable[[], Any]) -> str:
        """The code in the member's inbox; asked again if it never came (the switch died before
        sending it)."""
        for round_ in range(40):
            code = self._send_read(lambda: inbox_code(http, self.urls["notify"], to, reference, limit=200))
            if code is not None:
                return code
            if round_ == 10:
                resend()  # a «Reenviar código» too soon (429) changes nothing: keep reading the inbox
            time.sleep(0.1)
        raise AssertionError(f"no code for {reference} in {to}'s inbox")

    def _send_read(self, read: Callable[[], str | None]) -> str | None:
        try:
            return read()
        except requests.RequestException:
            return None

    # -- a PSE payment at the 1066 window ------------------------------------------------------------
    def _pse(self, rng: random.Random, n: int) -> None:
        member = self._members[(self.seed + n) % len(self._members)]
        assert member.portal is not None
        value = f"{rng.randrange(1000, 60000)}.{rng.randrange(1, 90):02d}"  # never the magic .91-.93
        switch = self.urls["switch"]
        with requests.Session() as http:
            pse = PseClient(self.urls["ach"], self._merchant.client_id, self._merchant.client_secret, http=http)
            now = datetime.fromisoformat(http.get(f"{self.urls['ach']}/_sandbox/clock", timeout=30).json()["now"])
            body = example_payment("10002", "1066", value, ticket_id=700_000 + self.seed * 10_000 + n,
                                   solicited=now, email=member.email, paymentDescription="Crash 1066")  # fmt: skip
            created = pse.create(body)
            assert created.code == "SUCCESS", created.body
            cus = str(created.body["trazabilityCode"])
            base = f"{switch}/pse/banco/{cus}"

            def step(method: str, path: str, data: dict[str, str] | None = None) -> requests.Response:
                return self._send(
                    lambda: http.request(method, f"{base}{path}", data=data, allow_redirects=False, timeout=20),
                    f"{cus} {method} {path}",
                )

            def page(path: str) -> tuple[str, str]:
                """A page, following redirects by hand: (where it ended, its text)."""
                for _ in range(6):
                    answer = step("GET", path)
                    if answer.status_code in (302, 303):
                        path = urlparse(answer.headers["location"]).path.removeprefix(f"/pse/banco/{cus}")
                        continue
                    return path, answer.text
                raise AssertionError(f"{cus}: too many redirects")

            def goes(answer: requests.Response) -> str:
                if answer.status_code not in (302, 303):
                    raise AssertionError(f"{cus}: {answer.status_code} {answer.text[:300]}")
                return urlparse(answer.headers["location"]).path.removeprefix(f"/pse/banco/{cus}")

            page("")
            document = {"tipo_documento": member.document_type.value, "numero_documento": member.document_number}
            where, text = page(goes(step("POST", "/documento", document)))
            entity = pse1066_entity(member, text, self._enabled) if where == "/entidades" else None
            with self._lock:
                self.seen[cus] = Seen("pse", cus, "started", entity or "", minor(value))
            if entity is None:
                raise Abandoned(f"{cus}: no entity to choose ({where})")
            step("POST", "/entidad", {"entidad": entity})
            portal = member.portal

            def log_in() -> str:
                step("POST", "/portal", {"usuario": portal.username})
                login = step("POST", "/portal/clave", {"usuario": portal.username, "clave": portal.password})
                if login.status_code not in (302, 303):
                    raise Abandoned(f"{cus}: login refused ({login.status_code})")
                return goes(login)

            where = log_in()
            for _ in range(3):
                while where.startswith("/cuentas"):
                    where, text = page("/cuentas")
                    if where != "/cuentas":
                        break
                    choices = account_choices(text)
                    assert choices, f"{cus}: no account to choose"
                    where = goes(step("POST", "/pagar", {"producto": choices[0]}))
                if where != "/portal":
                    break
                # the answer that carried the session was lost (the cookie never came): log in again,
                # as a person would; the last login takes the payment over where it is
                where = log_in()
            if where == "/portal":
                raise Abandoned(f"{cus}: sent back to the portal three times after logging in")
            if where == "/codigo":
                code = self._code(http, member.mobile, cus, lambda: step("POST", "/codigo/reenviar"))
                answer = step("POST", "/codigo", {"codigo": code})
                if answer.status_code == 422:  # a newer code was sent meanwhile (asked again): use it
                    code = self._code(http, member.mobile, cus, lambda: None)
                    answer = step("POST", "/codigo", {"codigo": code})
                where = goes(answer)
            where, text = page(where)
            state = page_state(text) if where == "/resultado" else None
            with self._lock:
                self.seen[cus].state = state or where

    # -- a collection (RedCoop Pagos PSE) -----------------------------------------------------------------
    def _collection(self, rng: random.Random, n: int) -> None:
        member = self._collector
        switch = self.urls["switch"]
        browser = Browser()
        http = browser.session

        def api(method: str, path: str, expect: int, **kwargs: Any) -> dict[str, Any]:
            answer = self._send(lambda: http.request(method, f"{switch}{path}", timeout=20, **kwargs), path)
            assert answer.status_code == expect, f"{method} {path}: {answer.status_code} {answer.text[:300]}"
            data: dict[str, Any] = answer.json()
            return data

        def resend(session: str) -> None:
            self._send(lambda: http.post(f"{switch}/recaudos/v1/consultas/{session}/otp/reenvio", timeout=20), "resend")

        try:
            doc = {"document_type": "CC", "document_number": member.document_number}
            session = api("POST", "/recaudos/v1/entidades/ALIANZA/consultas", 201, json=doc)["session"]
            code = self._code(http, member.mobile, session[:12],
                              lambda: resend(session))  # fmt: skip
            found = api("POST", f"/recaudos/v1/consultas/{session}/otp", 200, json={"otp": code})
            by_label = {p["label"]: p for p in found["products"]}
            savings = f"{20000 + rng.randrange(1000)}.{rng.randrange(1, 90):02d}"
            other = f"{1000 + rng.randrange(1000)}.00"
            chosen = {"****7756": savings, "****8768": other}
            items = [
                {"product_id": by_label["Ahorros a la Vista(****7756)"]["product_id"], "option": "free", "amount": savings},
                {"product_id": by_label["Aportes Sociales(****8768)"]["product_id"], "option": "free", "amount": other},
            ]  # fmt: skip
            visit = api("PUT", f"/recaudos/v1/consultas/{session}/seleccion", 200, json={"items": items})
            reference = visit["detail"]["reference"]
            code = self._code(http, member.mobile, reference,
                              lambda: resend(session))  # fmt: skip
            begun = api("POST", f"/recaudos/v1/consultas/{session}/iniciar", 201,
                        json={"otp": code, "description": "crash", "terms": True})  # fmt: skip
            with self._lock:
                self.seen[reference] = Seen("collection", reference, "created", "ALIANZA",
                                            sum(minor(v) for v in chosen.values()),
                                            {k: minor(v) for k, v in chosen.items()})  # fmt: skip
            checkout = begun["checkout"]
            page = browser.post(checkout["url"], checkout["form"])
            to_pse = browser.submit(page.form(action_contains="/checkout/"), page.url, follow=False, terminos="on",
                                    medio="PSE", tipo_persona="N", banco="1022", documento=member.document_number,
                                    nombre="NICK RIVERA CAMINERO", correo=member.email, celular=member.mobile)  # fmt: skip
            pse_url = urljoin(to_pse.url, to_pse.headers.get("location") or "")
            portal = browser.get(pse_url)
            to_bank = browser.submit(portal.form(action_contains="/pse/pago"), portal.url, follow=False,
                                     email=member.email, person_type="natural")  # fmt: skip
            bank_url = urljoin(to_bank.url, to_bank.headers.get("location") or "")
            cus = urlparse(bank_url).path.rstrip("/").split("/")[-1]
            now = datetime.fromisoformat(http.get(f"{self.urls['ach']}/_sandbox/clock", timeout=30).json()["now"])
            answer = BankStandIn(self.urls["ach"], "1022", self._bank_secret).confirm(cus, "OK", when=now)
            assert answer.get("returnCode") == "SUCCESS", answer
            tx_id = gateway_transaction_id(http, self.urls["gateway"], self._account.api_login, self._account.api_key,
                                           reference)  # fmt: skip
            assert tx_id is not None, reference
            # the member's return: the gateway learns the approval and confirms to the switch (it retries
            # on its own if the switch is down); then the receipt at the switch
            self._send(
                lambda: http.get(f"{self.urls['gateway']}/pse/retorno/{tx_id}", timeout=30), f"{reference} return"
            )
            payment = api("GET", f"/recaudos/v1/pagos/{reference}", 200)
            with self._lock:
                self.seen[reference].state = payment["state"] + (":applied" if payment["applied"] else "")
        except PageError as exc:
            raise AssertionError(f"collection {n}: {exc}") from None
        finally:
            browser.close()


# -- after the load ---------------------------------------------------------------------------------------
def _get(http: requests.Session, url: str, **params: Any) -> Any:
    answer = http.get(url, params=params, timeout=120)
    answer.raise_for_status()
    return answer.json()


def books(http: requests.Session, urls: dict[str, str]) -> dict[str, Any]:
    """coop's books: Σ accounts' balances − Σ credit lines' debt (money the members hold), and
    what is held."""
    state = _get(http, urls["coop"] + "/_sandbox/state")["state"]
    products = state["products"]
    credit = {"OB", "CR", "TC"}
    held = sum(minor(p["held"]) for p in products)
    worth = sum(minor(p["balance"]) * (-1 if p["type"] in credit else 1) for p in products)
    return {"worth": worth, "held": held, "movements": state["movements_by_status"]}


def _coop_transactions(http: requests.Session, urls: dict[str, str], world: World, day: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for entity in world.entities:
        if entity.country != "CO":
            continue
        answer = http.get(f"{urls['coop']}/coop/v1/entities/{entity.code}/transactions", params={"date": day},
                          headers={"Authorization": f"Bearer {entity.core_api_key}"}, timeout=120)  # fmt: skip
        if answer.status_code in (403, 404):
            continue
        answer.raise_for_status()
        found += [{**t, "entity": entity.code} for t in answer.json()["transactions"]]
    return found


def check(http: requests.Session, urls: dict[str, str], load: CoopLoad, before: dict[str, Any]) -> dict[str, Any]:
    """The checks of the module docstring; returns what it saw (for the failure message)."""
    problems: list[str] = []
    pse_report = _get(http, urls["switch"] + "/pse/v1/reconciliation")
    day = pse_report["date"]
    txns = _coop_transactions(http, urls, load.world, day)
    ach = PseClient(urls["ach"], load._merchant.client_id, load._merchant.client_secret, http=http)
    by_ref: dict[str, list[dict[str, Any]]] = {}
    for t in txns:
        by_ref.setdefault(t["reference"], []).append(t)
    approved = {"pse": 0, "collection": 0}
    for key, flow in load.seen.items():
        if flow.kind == "pse":
            payment = http.get(f"{urls['switch']}/pse/v1/payments/{key}", timeout=60).json()
            status = payment.get("status")
            debits = [t for t in by_ref.get(f"PSE1066-{key}", []) if t["kind"] == "debit"]
            posted = [t for t in debits if t["status"] == "posted" and not t["reversed"]]
            held = [t for t in debits if t["status"] == "authorized"]
            ach_state = ach.query("10002", key).body.get("transactionState")
            if flow.state == "approved":
                approved["pse"] += 1
                if status != "approved" or len(posted) != 1 or ach_state != "OK":
                    problems.append(
                        f"PSE {key}: acknowledged approved, now {status}, {len(posted)} debit(s), ACH {ach_state}"
                    )
            if len(posted) > 1:
                problems.append(f"PSE {key}: {len(posted)} debits posted at coop")
            if bool(posted) != (ach_state == "OK"):
                problems.append(f"PSE {key}: {len(posted)} debit(s) posted at coop, ACH {ach_state}")
            if posted and minor(posted[0]["amount"]) != flow.amount_minor:
                problems.append(f"PSE {key}: debited {posted[0]['amount']}, paid {flow.amount_minor}")
            if status in ("authorizing", "authorized", "posting") or payment.get("ach_sync") == "due":
                problems.append(f"PSE {key}: still {status} (ACH {payment.get('ach_sync')}) after settling")
            if payment.get("coop_sync") not in ("none", None):
                problems.append(f"PSE {key}: the switch still owes coop a {payment['coop_sync']}")
            if held:
                problems.append(f"PSE {key}: {len(held)} authorization(s) left held at coop")
        else:
            payment = http.get(f"{urls['switch']}/recaudos/v1/pagos/{key}", timeout=60).json()
            credits = [t for t in by_ref.get(key, []) if t["kind"] == "credit"]
            got = sorted((t["number_masked"], minor(t["amount"])) for t in credits if not t["reversed"])
            if flow.state.startswith("approved"):
                approved["collection"] += 1
            if payment["state"] == "approved":
                if got != sorted(flow.credits.items()):
                    problems.append(f"collection {key}: credited {got}, chose {sorted(flow.credits.items())}")
                if not payment["applied"]:
                    problems.append(f"collection {key}: approved, not applied after settling")
            elif got:
                problems.append(f"collection {key}: {payment['state']} but credited {got}")
            if flow.state.startswith("approved") and payment["state"] != "approved":
                problems.append(f"collection {key}: acknowledged {flow.state}, now {payment['state']}")
            if payment["state"] in ("created", "pending"):
                problems.append(f"collection {key}: still {payment['state']} after settling")
    pse_ours = {k for k, s in load.seen.items() if s.kind == "pse"}
    strays = [r for r in by_ref if r.startswith("PSE1066-") and r.removeprefix("PSE1066-") not in pse_ours]
    after = books(http, urls)
    posted_all = sum(minor(t["amount"]) for t in txns if t["kind"] == "debit" and t["status"] == "posted")
    credited_all = sum(
        minor(t["amount"]) for t in txns if t["kind"] == "credit" and t["status"] in ("applied", "posted")
    )
    reversals = sum(minor(t["amount"]) for t in txns if t["kind"] == "reversal")
    net_minor = credited_all - posted_all + reversals
    collections = _get(http, urls["switch"] + "/recaudos/v1/conciliacion", date=day)
    owed = _get(http, urls["switch"] + "/pse/v1/coop-sync", all="true")
    unapplied = _get(http, urls["switch"] + "/recaudos/v1/pendientes")
    seen = {
        "pse_payments": sum(1 for s in load.seen.values() if s.kind == "pse"),
        "collections": sum(1 for s in load.seen.values() if s.kind == "collection"),
        "acknowledged_approved": approved,
        "abandoned": load.abandoned[:10],
        "driver_failures": load.failures[:10],
        "resent": load.resent,
        "server_errors": load.server_errors[:10],
        "problems": problems[:20],
        "stray_debits": strays[:10],
        "delta_books_minor": after["worth"] - before["worth"],
        "credits_minus_debits_minor": net_minor,
        "held_at_coop_minor": after["held"],
        "coop_movements": after["movements"],
        "owed_to_coop": [(i["cus"], i["operation"]) for i in owed["items"]][:10],
        "unapplied": unapplied["count"],
        "pse_reconciliation": {
            "differences": pse_report["difference_count"],
            "sources": pse_report["sources"],
            "in_progress": pse_report["in_progress"][:10],
        },
        "collections_reconciliation": {
            "differences": collections["difference_count"],
            "sources": collections["sources"],
        },
        "first_differences": (pse_report["differences"] + collections["differences"])[:10],
    }
    ok = (
        not problems
        and not load.failures
        and not strays
        and not load.server_errors
        and after["held"] == 0
        and after["movements"].get("authorized", 0) == 0
        and after["worth"] - before["worth"] == net_minor
        and not owed["items"]
        and unapplied["count"] == 0
        and pse_report["difference_count"] == 0
        and not pse_report["in_progress"]
        and set(pse_report["sources"].values()) == {"ok"}
        and collections["difference_count"] == 0
        and set(collections["sources"].values()) == {"ok"}
    )
    seen["ok"] = ok
    return seen
