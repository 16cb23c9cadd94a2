"""`coop-sandbox up` as a person runs it: URL table, every party healthy, Ctrl-C stops all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from sandbox.config import PARTIES
from sandbox.runner import free_port


def _write_config(tmp_path: Path, **ports: int) -> Path:
    lines = [f'state_dir = "{tmp_path / "var"}"']
    for name in PARTIES:
        lines.append(f"[parties.{name}]\nport = {ports.get(name) or free_port()}")
    config = tmp_path / "sandbox.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_up_prints_urls_serves_every_party_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    config = _write_config(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.cli", "up", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "160"},
    )
    assert proc.stdout is not None
    output = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        output.append(line)
        if "Ctrl-C" in line:
            break
    text = "".join(output)
    try:
        assert "Ctrl-C" in text, text
        urls = {}
        for name in PARTIES:
            row = next((line for line in output if f" {name} " in line and "http://" in line), None)
            assert row is not None, f"{name} missing from the URL table:\n{text}"
            urls[name] = "http://" + row.split("http://", 1)[1].split()[0]
        for name, url in urls.items():
            health = requests.get(url + "/_sandbox/health", timeout=5)
            assert health.status_code == 200, name
            assert health.json()["party"] == name
        children = _children(proc.pid)
        assert len(children) == len(PARTIES)
        _check_start_here(text, urls)
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, rest
    assert "Sandbox detenido" in rest
    assert not [pid for pid in children if _alive(pid)]


def _check_start_here(text: str, urls: dict[str, str]) -> None:
    """After the table, where a person starts: each page answers, or is marked «pendiente»."""
    assert "Por dónde empezar" in text
    section = text.split("Por dónde empezar", 1)[1]
    for page in (
        f"{urls['red']}/sicoop?boca=RC-001",
        f"{urls['ceibo']}/app?q=4567890",
        f"{urls['merchant']}/portal?documento=79555111",
        f"{urls['notify']}/inbox",
        f"{urls['switch']}/sicoop/conciliacion",
        f"{urls['gateway']}/panel",
        f"{urls['bank']}/banca/1022",
        f"{urls['switch']}/recaudos/ALIANZA",
    ):
        assert page in section, page
        status = requests.get(page, timeout=5).status_code
        line = next(i for i, row in enumerate(section.splitlines()) if row.strip() == page)
        title = section.splitlines()[line - 1]
        if status in (404, 501):
            assert "pendiente" in title, (page, title)
        else:
            assert status == 200 and "pendiente" not in title, (page, status, title)
    for identity in ("4567890", "79555111", "aprobado / Banco.1234", "pRRXKOl8ikMmt9u"):
        assert identity in section, identity


def test_up_refuses_busy_ports_with_a_clear_message(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = _write_config(tmp_path, notify=port)
        result = subprocess.run(
            [sys.executable, "-m", "sandbox.cli", "up", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "160"},
        )
    assert result.returncode == 1
    assert f"notify (127.0.0.1:{port})" in result.stdout + result.stderr


def test_up_refuses_an_invalid_world(tmp_path: Path) -> None:
    world = tmp_path / "bad.yaml"
    world.write_text("members: [{id: x}]\n")
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.cli", "up", "--config", str(_write_config(tmp_path)), "--world", str(world)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "members[0].document_number" in result.stdout + result.stderr
