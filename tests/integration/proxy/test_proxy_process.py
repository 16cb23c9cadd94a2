"""The proxy process on its own: starts, answers its control endpoint, and on stop (SIGTERM)
shuts down cleanly so its addons write the HAR file and the contract report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.config import SandboxConfig, dump_for_child
from sandbox.proxy.client import ProxyControl
from sandbox.proxy.launcher import ProxyProcess, ProxySettings, ProxyStartError
from sandbox.runner import free_port

pytest.importorskip("mitmproxy", reason="the proxy extra is not installed")


def _process(tmp_path: Path, **settings: object) -> ProxyProcess:
    config_file = dump_for_child(SandboxConfig(), tmp_path / "run" / "config.json")
    return ProxyProcess(ProxySettings(port=free_port(), **settings), config_file=config_file,  # type: ignore[arg-type]
                        state_dir=tmp_path, log_path=tmp_path / "logs" / "proxy.log")  # fmt: skip


def test_start_control_and_clean_stop(tmp_path: Path) -> None:
    process = _process(tmp_path, faults=("error from=gateway to=ach count=2",))
    process.start(timeout_s=30)
    try:
        assert process.alive()
        with ProxyControl(process.url) as control:
            health = control.health()
            assert health["ok"] and "switch" in health["parties"]
            (fault,) = control.faults()  # given at start, through the sandbox_faults option
            assert (fault["kind"], fault["from"], fault["remaining"]) == ("error", "gateway", 2)
    finally:
        process.stop()
    assert not process.alive()
    proxy_dir = tmp_path / "proxy"
    assert json.loads((proxy_dir / "capture.har").read_text())["log"]["entries"] == []
    assert (proxy_dir / "capture.mitm").exists()
    assert json.loads((proxy_dir / "contract.json").read_text())["checked"] == {"requests": 0, "responses": 0}
    assert (proxy_dir / "conf").is_dir()  # mitmproxy's own files stay under the state dir


def test_a_bad_fault_at_start_is_a_clear_start_error(tmp_path: Path) -> None:
    process = _process(tmp_path, faults=("explode from=gateway",))
    with pytest.raises(ProxyStartError, match="terminó al arrancar") as info:
        process.start(timeout_s=30)
    assert "no es una falla" in str(info.value)
    assert not process.alive()
