"""Addon: name the parties of each flow (``flow.metadata["sandbox"]``).

Options:

* ``sandbox_config`` — the resolved sandbox configuration (``var/run/config.json``, written by
  ``coop-sandbox up``): the address of every party;
* ``sandbox_parties`` — ``NAME=URL`` entries added on top (for a hand-started ``mitmdump``).

Every other addon of the proxy reads the route this one writes, so it runs first after the
control endpoint (see :mod:`sandbox.proxy.addon_entry`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mitmproxy import ctx, exceptions, http

from sandbox.proxy.parties import COPY_HEADER, META, PARTY_HEADER, PartyMap

logger = logging.getLogger(__name__)
CONTROL_META = "sandbox_control"


def is_control(flow: http.HTTPFlow) -> bool:
    return bool(flow.metadata.get(CONTROL_META))


def load_party_urls(config_file: str, extra: Sequence[str]) -> dict[str, str]:
    """Party URLs from a sandbox configuration file plus ``NAME=URL`` entries; raises ``ValueError``."""
    urls: dict[str, str] = {}
    if config_file:
        from sandbox.config import SandboxConfig  # the project's own model: one source of truth

        try:
            config = SandboxConfig.model_validate_json(Path(config_file).read_text())
        except OSError as exc:
            raise ValueError(f"no se puede leer {config_file}: {exc.strerror}") from None
        except ValueError as exc:
            raise ValueError(f"{config_file} no es una configuración del sandbox: {exc}") from None
        urls.update(config.urls())
    for entry in extra:
        name, sep, url = entry.partition("=")
        if not sep or not name.strip() or not url.startswith(("http://", "https://")):
            raise ValueError(f"se esperaba NOMBRE=http://host:puerto, no {entry!r}")
        urls[name.strip()] = url.strip()
    return urls


class PartyRouter:
    def __init__(self) -> None:
        self.parties = PartyMap({}, {})

    def load(self, loader: Any) -> None:
        loader.add_option("sandbox_config", str, "", "Sandbox configuration (JSON) with the address of every party.")
        loader.add_option(
            "sandbox_parties", Sequence[str], [], "Extra parties as NAME=URL (e.g. coop=http://10.0.0.5:9000)."
        )

    def configure(self, updated: set[str]) -> None:
        if "sandbox_config" in updated or "sandbox_parties" in updated:
            try:
                urls = load_party_urls(ctx.options.sandbox_config, ctx.options.sandbox_parties)
                self.parties = PartyMap.from_urls(urls)
            except ValueError as exc:
                raise exceptions.OptionsError(f"sandbox_config/sandbox_parties: {exc}") from None

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response or flow.error or not flow.live or is_control(flow):
            return
        request = flow.request
        copy_of = request.headers.pop(COPY_HEADER, None)
        flow.metadata[META] = {
            "from": request.headers.get(PARTY_HEADER) or "?",
            "to": self.parties.party_at(request.host, request.port) or f"{request.host}:{request.port}",
            "method": request.method,
            "path": request.path.split("?", 1)[0],
            "operation": None,
            "operation_id": None,
            "request_id": request.headers.get("x-request-id"),
            "copy_of": int(copy_of) if copy_of and copy_of.isdigit() else None,
        }
