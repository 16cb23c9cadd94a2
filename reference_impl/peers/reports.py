"""Reading a paged report of a SICOOP party (CEIBO's settlement report, the network's register):
every page of a business day, through the switch's HTTP stack."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any, Final

from reference_impl.peers.transport import PeerError, PeerTransport
from sandbox.protocols.sicoop import REPORT_PAGE_MAX

log = logging.getLogger("reference_impl.peers")

REPORT_TIMEOUT_S: Final = 30.0
"""How long one page of a report may take (the hot calls have their own, short timeouts)."""


async def report_pages(transport: PeerTransport, path: str, items: str, day: date) -> list[dict[str, Any]] | None:
    """Every item of the report of ``day`` at ``path`` (``items``: the list's name in an answer);
    None if a page could not be read."""
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params = {"date": day.isoformat(), "page_size": str(REPORT_PAGE_MAX)}
        if token is not None:
            params["page_token"] = token
        try:
            response = await transport.request("GET", path, params=params, timeout_s=REPORT_TIMEOUT_S)
        except PeerError as exc:
            log.warning("%s of %s: %s", path, day, exc)
            return None
        page = response.field(items)
        if response.status != 200 or not isinstance(page, list):
            log.warning("%s of %s answered %s", path, day, response.status)
            return None
        out.extend(page)
        token = response.field("next_page_token")
        if not token:
            return out


def within(iso: Any, since: datetime, until: datetime) -> bool:
    """An ISO-8601 instant of a report item falls in [since, until)."""
    try:
        return since <= datetime.fromisoformat(str(iso)) < until
    except ValueError:
        return False
