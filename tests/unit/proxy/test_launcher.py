from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from sandbox.proxy.cli import PROXY_ENV, find_proxy_url
from sandbox.proxy.launcher import ENTRY, ProxyProcess, ProxySettings


def _command(settings: ProxySettings, tmp_path: Path) -> list[str]:
    return ProxyProcess(settings, config_file=tmp_path / "run" / "config.json", state_dir=tmp_path,
                        log_path=None).command()  # fmt: skip


def _options(command: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for flag, value in itertools.pairwise(command):
        if flag == "--set":
            key, _, val = value.partition("=")
            out.setdefault(key, []).append(val)
    return out


def test_mitmdump_with_the_addons_on_loopback(tmp_path: Path) -> None:
    command = _command(ProxySettings(port=18090, faults=("error to=ach", "reset to=coop")), tmp_path)
    assert command[1:5] == ["-m", "sandbox.proxy.serve", "dump", "-s"] and command[5] == str(ENTRY)
    assert command[command.index("--listen-host") + 1] == "127.0.0.1"
    assert command[command.index("--listen-port") + 1] == "18090"
    options = _options(command)
    assert options["sandbox_config"] == [str(tmp_path / "run" / "config.json")]
    assert options["sandbox_capture_dir"] == options["sandbox_contract_dir"] == [str(tmp_path / "proxy")]
    assert options["confdir"] == [str(tmp_path / "proxy" / "conf")]  # never ~/.mitmproxy
    assert options["flow_detail"] == ["0"]  # no URLs (and their secrets) in the log
    assert options["sandbox_faults"] == ["error to=ach", "reset to=coop"]
    assert "--web-port" not in command


def test_mitmweb_for_the_ui(tmp_path: Path) -> None:
    command = _command(ProxySettings(port=18090, ui=True, web_port=18091, capture=False, contract=False), tmp_path)
    assert command[3] == "web" and command[command.index("--web-port") + 1] == "18091"
    options = _options(command)
    assert options["web_open_browser"] == ["false"]
    assert options["sandbox_capture_dir"] == [""] and options["sandbox_contract"] == ["false"]


def test_web_url_carries_the_token_when_there_is_one(tmp_path: Path) -> None:
    process = ProxyProcess(ProxySettings(ui=True, web_port=18091), config_file=tmp_path / "c.json",
                           state_dir=tmp_path, log_path=None)  # fmt: skip
    assert process.web_url == "http://127.0.0.1:18091/"
    process._web_token = "abc"
    assert process.web_url == "http://127.0.0.1:18091/?token=abc"
    assert "web_password=abc" in process.command()
    assert ProxyProcess(ProxySettings(), config_file=tmp_path, state_dir=tmp_path, log_path=None).web_url is None


@pytest.mark.parametrize(
    ("explicit", "env", "run_url", "expected"),
    [
        ("http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3", "http://127.0.0.1:1"),
        (None, "http://127.0.0.1:2", "http://127.0.0.1:3", "http://127.0.0.1:2"),
        (None, None, "http://127.0.0.1:3", "http://127.0.0.1:3"),
        (None, None, None, "http://127.0.0.1:8090"),
    ],
)
def test_find_proxy_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, explicit: str | None, env: str | None,
                        run_url: str | None, expected: str) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sandbox.toml").write_text('state_dir = "state"\n')
    if env:
        monkeypatch.setenv(PROXY_ENV, env)
    else:
        monkeypatch.delenv(PROXY_ENV, raising=False)
    if run_url:
        (tmp_path / "state" / "run").mkdir(parents=True)
        (tmp_path / "state" / "run" / "config.json").write_text(json.dumps({"proxy_url": run_url}))
    assert find_proxy_url(explicit) == expected
