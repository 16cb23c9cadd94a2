"""Addon: record every flow between parties, masked (NET-05).

Each finished flow (answered, failed or broken by a fault) is copied, the copy is masked
(:mod:`sandbox.proxy.redact`) and written to ``<dir>/capture.mitm`` with mitmproxy's
``FlowWriter`` (flushed per flow, so ``mitmweb --rfile`` can open it while the sandbox runs) and
kept for ``<dir>/capture.har`` (mitmproxy's own HAR builder), which is written when the proxy
stops and on ``POST http://proxy.sandbox/_capture/flush``. A short summary of the latest flows
(who → whom, operation, status, fault) is served at ``GET http://proxy.sandbox/_flows``.

Options: ``sandbox_capture_dir`` (empty: no files, summaries only) and ``sandbox_capture_limit``
(flows kept in memory for the HAR file and the summaries; the ``.mitm`` file keeps them all).
"""

from __future__ import annotations

import json
import logging
from collections import deque
from pathlib import Path
from typing import IO, Any

from mitmproxy import ctx, exceptions, http, io
from mitmproxy.addons.savehar import SaveHar

from sandbox.kit.masking import mask_text
from sandbox.proxy.faults import FAULT_META
from sandbox.proxy.parties import route_of
from sandbox.proxy.redact import masked_copy
from sandbox.proxy.routing import is_control

logger = logging.getLogger(__name__)
CAPTURED = "sandbox_captured"
MITM_FILE = "capture.mitm"
HAR_FILE = "capture.har"


def flow_summary(seq: int, flow: http.HTTPFlow) -> dict[str, Any]:
    """One line about a (masked) flow: who, what, how it ended."""
    route = route_of(flow.metadata)
    fault = flow.metadata.get(FAULT_META) or {}
    started = flow.request.timestamp_start
    ended = (flow.response.timestamp_end if flow.response else None) or (flow.error.timestamp if flow.error else None)
    return {
        "seq": seq,
        "from": route.get("from", "?"),
        "to": route.get("to", f"{flow.request.host}:{flow.request.port}"),
        "method": flow.request.method,
        "path": mask_text(flow.request.path.split("?", 1)[0]),
        "operation": route.get("operation"),
        "status": flow.response.status_code if flow.response else None,
        "error": flow.error.msg if flow.error else None,
        "fault": fault.get("kind"),
        "fault_id": fault.get("id"),
        "fault_detail": {k: v for k, v in fault.items() if k not in ("id", "kind")} if fault else None,
        "copy_of": route.get("copy_of"),
        "request_id": route.get("request_id"),
        "duration_ms": round((ended - started) * 1000, 1) if ended and started else None,
    }


class Capture:
    def __init__(self) -> None:
        self.dir: Path | None = None
        self._file: IO[bytes] | None = None
        self._writer: io.FlowWriter | None = None
        self.limit = 10_000
        self.flows: deque[http.HTTPFlow] = deque()
        self.summaries: deque[dict[str, Any]] = deque()
        self.count = 0

    def load(self, loader: Any) -> None:
        loader.add_option("sandbox_capture_dir", str, "", "Write capture.mitm and capture.har (masked) here.")
        loader.add_option("sandbox_capture_limit", int, 10_000, "Flows kept in memory for the HAR file and /_flows.")

    def configure(self, updated: set[str]) -> None:
        if "sandbox_capture_limit" in updated:
            if ctx.options.sandbox_capture_limit < 1:
                raise exceptions.OptionsError("sandbox_capture_limit must be at least 1")
            self.limit = ctx.options.sandbox_capture_limit
        if "sandbox_capture_dir" in updated:
            self._close()
            self.dir = Path(ctx.options.sandbox_capture_dir) if ctx.options.sandbox_capture_dir else None
            if self.dir is not None:
                try:
                    self.dir.mkdir(parents=True, exist_ok=True)
                    self._file = open(self.dir / MITM_FILE, "wb")  # noqa: SIM115 - closed in done()
                except OSError as exc:
                    raise exceptions.OptionsError(f"sandbox_capture_dir: {exc}") from None
                self._writer = io.FlowWriter(self._file)

    def response(self, flow: http.HTTPFlow) -> None:
        self.record(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.record(flow)

    def record(self, flow: http.HTTPFlow) -> None:
        if is_control(flow) or flow.metadata.get(CAPTURED):
            return
        flow.metadata[CAPTURED] = True
        masked = masked_copy(flow)
        self.count += 1
        if self._writer is not None and self._file is not None:
            self._writer.add(masked)
            self._file.flush()
        self.flows.append(masked)
        self.summaries.append(flow_summary(self.count, masked))
        while len(self.flows) > self.limit:
            self.flows.popleft()
        while len(self.summaries) > self.limit:
            self.summaries.popleft()

    def recent(self, limit: int = 100, **where: str) -> list[dict[str, Any]]:
        rows = [s for s in self.summaries if all(s.get(k) == v for k, v in where.items() if v)]
        return rows[-limit:]

    def write_har(self) -> Path | None:
        if self.dir is None:
            return None
        har = SaveHar().make_har(list(self.flows))
        path = self.dir / HAR_FILE
        tmp = path.with_suffix(".har.tmp")
        tmp.write_text(json.dumps(har, ensure_ascii=False, indent=1))
        tmp.replace(path)
        return path

    def files(self) -> dict[str, str | None]:
        if self.dir is None:
            return {"mitm": None, "har": None}
        return {"mitm": str(self.dir / MITM_FILE), "har": str(self.dir / HAR_FILE)}

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = None
        self._writer = None

    def done(self) -> None:
        try:
            self.write_har()
        finally:
            self._close()
