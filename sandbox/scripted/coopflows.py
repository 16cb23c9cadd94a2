"""Shared steps of the drivers of the coop flows — PSE payments debited at bank 1066 (the switch's
window) and collections (RedCoop Pagos PSE): the Locust loads (``load/pse1066_locustfile.py``,
``load/collections_locustfile.py``) and the crash test (``tests/integration/chaos/coop_load.py``)
read the same pages and inboxes the same way.

Pure helpers over what a browser sees (the accounts offered on the 1066 window, the state of its
result page) and small reads of the sandbox's own endpoints (the notify inbox, the gateway's order
report). No party imports this module (the ``scripted`` import contract).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterable, Mapping
from html import unescape
from pathlib import Path
from typing import Any, Final

import requests

from sandbox.load.chaos import Chaos, Killable, schedule
from sandbox.world.model import Member, World

#: A row of the 1066 window's accounts page and the value its radio button sends.
ACCOUNT_ROW: Final = re.compile(r'<tr data-account="([^"]+)">(.*?)</tr>', re.S)
ACCOUNT_VALUE: Final = re.compile(r'name="producto" value="([^"]+)"')
PAGE_STATE: Final = re.compile(r'data-state="([^"]+)"')
TIMEOUT_S: Final = 30.0


def pse1066_entities(world: World) -> set[str]:
    """The Colombian entities whose members may pay PSE from their products (the 1066 window)."""
    return {e.code for e in world.entities if e.pse_debit_enabled and e.country == "CO"}


def pse1066_members(world: World) -> list[Member]:
    """Members with a network portal user and an active product a PSE payment may debit."""
    enabled = pse1066_entities(world)

    def debitable(m: Member) -> bool:
        return any(p.pse_debit and p.status == "active" and p.entity in enabled for p in m.products)

    return [m for m in world.members if m.portal is not None and debitable(m)]


def pse1066_entity(member: Member, page: str, enabled: Iterable[str]) -> str:
    """The entity the member chooses on the entities page: their first debitable one listed."""
    allowed = set(enabled)
    return next(p.entity for p in member.products if p.pse_debit and p.entity in allowed and p.entity in page)


def account_choices(page: str) -> list[str]:
    """The accounts the 1066 window lets the member choose (declined ones are disabled)."""
    return [
        unescape(found.group(1))
        for _, row in ACCOUNT_ROW.findall(page)
        if (found := ACCOUNT_VALUE.search(row)) and "disabled" not in row
    ]


def page_state(page: str) -> str | None:
    """The ``data-state`` a page shows (the 1066 result: approved, declined, posting, …)."""
    found = PAGE_STATE.search(page)
    return found.group(1) if found else None


def inbox_code(http: requests.Session, notify_url: str, to: str, reference: str, *, limit: int = 50) -> str | None:
    """The newest security code sent to ``to`` for ``reference`` (a CUS, a collection's reference or
    the first 12 characters of a visit), or None if notify has none (yet)."""
    params: dict[str, str | int] = {"to": to, "kind": "otp", "limit": limit}
    answer = http.get(f"{notify_url}/_sandbox/messages", params=params, timeout=TIMEOUT_S)
    answer.raise_for_status()
    for message in answer.json()["messages"]:
        if message.get("reference") == reference:
            return str(message["secret"])
    return None


def gateway_transaction_id(http: requests.Session, gateway_url: str, api_login: str, api_key: str,
                           reference: str) -> str | None:  # fmt: skip
    """The id of the last transaction of the gateway's order for ``reference`` (its reports API)."""
    body: dict[str, Any] = {"language": "es", "command": "ORDER_DETAIL_BY_REFERENCE_CODE", "test": False,
                            "merchant": {"apiLogin": api_login, "apiKey": api_key},
                            "details": {"referenceCode": reference}}  # fmt: skip
    answer = http.post(f"{gateway_url}/reports-api/4.0/service.cgi", json=body, timeout=TIMEOUT_S)
    answer.raise_for_status()
    orders = (answer.json().get("result") or {}).get("payload") or []
    if not orders or not orders[-1].get("transactions"):
        return None
    return str(orders[-1]["transactions"][-1]["id"])


def wait_until_up(http: requests.Session, urls: Mapping[str, str], *, timeout_s: float = 60.0) -> list[str]:
    """Wait until every party answers its health check (after a crash the supervisor restarts it);
    the parties still down after ``timeout_s`` (empty when all are up)."""
    deadline = time.monotonic() + timeout_s
    while True:
        down = []
        for name, url in urls.items():
            try:
                if http.get(f"{url}/_sandbox/health", timeout=5).status_code != 200:
                    down.append(name)
            except requests.RequestException:
                down.append(name)
        if not down or time.monotonic() > deadline:
            return down
        time.sleep(0.2)


def settle(http: requests.Session, urls: Mapping[str, str], *, rounds: int = 40, step_s: int = 130) -> int:
    """After a crash: let sandbox time pass (past the retry back-offs, the collections' requery at 7
    and 12 minutes, an abandoned PSE payment's 15 minutes) and tick every party — the switch first,
    so that what it owes coop reaches coop before coop's own jobs run — until no job had work and the
    switch owes coop nothing (``/pse/v1/coop-sync``, ``/recaudos/v1/pendientes``). Returns the rounds
    it took (``rounds`` when it never got there: the checks then say what is left)."""
    order = ["switch", *(name for name in urls if name != "switch")]
    for done in range(1, rounds + 1):
        http.post(urls["switch"] + "/_sandbox/clock", json={"advance_s": step_s}, timeout=120).raise_for_status()
        worked = 0
        for party in order:
            answer = http.post(urls[party] + "/_sandbox/tick", timeout=120)
            answer.raise_for_status()
            worked += sum(int(v) for v in answer.json().get("jobs", {}).values() if isinstance(v, int))
        owed = http.get(urls["switch"] + "/pse/v1/coop-sync", params={"all": "true"}, timeout=120).json()["count"]
        unapplied = http.get(urls["switch"] + "/recaudos/v1/pendientes", timeout=120).json()["count"]
        if done * step_s >= 20 * 60 and not worked and not owed and not unapplied:
            return done
    return rounds


# -- `--chaos` for the coop flows' load runs (load/pse1066_run.py, load/collections_run.py) ---------------
#: The parties a chaos run of the coop flows kills (the cash flow's are sandbox.load.chaos.CASH_PARTIES).
COOP_PARTIES: Final = ("coop", "switch")
#: Set for the Locust process of a chaos run: its checks settle first and judge correctness only.
CHAOS_ENV: Final = "COOP_LOAD_CHAOS"
_UNITS: Final = {"h": 3600, "m": 60, "s": 1}


def duration_s(text: str) -> float:
    """Locust's ``-t`` (``30s``, ``2m``, ``1h30m``, ``45``) in seconds."""
    parts = re.findall(r"(\d+)\s*([hms]?)", text.strip().lower())
    if not parts or "".join(n + u for n, u in parts) != re.sub(r"\s+", "", text.strip().lower()):
        raise ValueError(f"not a duration: {text!r}")
    return float(sum(int(n) * _UNITS[u or "s"] for n, u in parts))


def run_locust(command: list[str], *, env: Mapping[str, str], cwd: str | Path, run: Killable | None, chaos: bool,
               seed: int = 1, kills: int = 1, duration: str = "30s") -> int:  # fmt: skip
    """Run Locust (``command``) in its own process; with ``chaos``, kill coop or the switch of the
    supervised ``run`` on a seeded schedule meanwhile and say which died when. Locust's exit status."""
    if not chaos:
        return subprocess.call(command, env=dict(env), cwd=cwd)  # noqa: S603 - our interpreter, our locustfile
    if run is None:
        raise ValueError("--chaos needs a sandbox this run started (supervised)")
    planned = schedule(seed, duration_s(duration), kills=kills, parties=COOP_PARTIES)
    print(f"chaos: seed {seed}, planned " + ", ".join(f"{k.party} at {k.at_s:.1f} s" for k in planned), flush=True)
    process = subprocess.Popen(command, env={**env, CHAOS_ENV: "1"}, cwd=cwd)  # noqa: S603 - as above
    killer = Chaos(run, planned)
    killer.start()
    code = process.wait()
    killer.stop()
    for done in killer.done:
        print(f"chaos: killed {done.party} (pid {done.pid}) at {done.at_s:.1f} s; the supervisor restarted it")
    if len(killer.done) < len(planned):
        print(f"chaos: {len(planned) - len(killer.done)} planned kill(s) not made (the run ended first)")
    return code
