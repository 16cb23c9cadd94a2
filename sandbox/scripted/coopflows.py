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
from collections.abc import Iterable
from html import unescape
from typing import Any, Final

import requests

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
