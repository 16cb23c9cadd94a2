"""The CLI's clock and reset commands against the session's running sandbox (issue 17)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.testing import SandboxHandle

runner = CliRunner()


@pytest.fixture
def cli_config(fresh_sandbox: SandboxHandle, tmp_path: Path) -> Path:
    """A sandbox.toml naming the session's parties (and its state folder, for run/config.json)."""
    lines = [f'state_dir = "{fresh_sandbox.config.state_dir}"']
    for name, party in fresh_sandbox.config.parties.items():
        lines.append(f'[parties.{name}]\nport = {party.port}\nhost = "{party.host}"')
        if party.external_url:
            lines.append(f'external_url = "{party.external_url}"')
    path = tmp_path / "sandbox.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _now(sandbox: SandboxHandle, party: str = "ceibo") -> datetime:
    return sandbox.client.party(party).now()


def _clock(sandbox: SandboxHandle) -> dict[str, object]:
    view: dict[str, object] = sandbox.client.party("switch").clock()
    return view


def test_clock_advance_back_and_forth(fresh_sandbox: SandboxHandle, cli_config: Path) -> None:
    start = _now(fresh_sandbox)
    back = runner.invoke(app, ["clock", "advance", "-25m", "--config", str(cli_config)])
    assert back.exit_code == 0, back.output
    assert "25 min atrás" in back.output
    assert _now(fresh_sandbox) == start - timedelta(minutes=25)
    assert _now(fresh_sandbox, "red") == start - timedelta(minutes=25)
    forth = runner.invoke(app, ["clock", "advance", "1h30m", "--config", str(cli_config)])
    assert forth.exit_code == 0, forth.output
    assert _now(fresh_sandbox) == start + timedelta(minutes=65)
    assert "(hora de Colombia, UTC−5)" in forth.output


def test_clock_set_now_and_reset_go_back_to_real_time(fresh_sandbox: SandboxHandle, cli_config: Path) -> None:
    for args in (["clock", "set", "now"], ["clock", "reset"]):
        result = runner.invoke(app, [*args, "--config", str(cli_config)])
        assert result.exit_code == 0, result.output
        view = _clock(fresh_sandbox)
        assert view["mode"] == "real"
        assert abs(float(str(view["offset_s"]))) < 5, view  # the wall clock, give or take the call
        fresh_sandbox.reset()  # frozen again at the start for the next command and test


def test_reset_puts_the_clock_back_where_up_started_it(fresh_sandbox: SandboxHandle, cli_config: Path) -> None:
    """The session sandbox was started frozen at its start instant: `reset` goes back there."""
    assert runner.invoke(app, ["clock", "advance", "2h", "--config", str(cli_config)]).exit_code == 0
    kept = runner.invoke(app, ["reset", "--keep-clock", "--config", str(cli_config)])
    assert kept.exit_code == 0 and "reloj sin cambios" in kept.output
    assert _now(fresh_sandbox) == fresh_sandbox.start + timedelta(hours=2)
    result = runner.invoke(app, ["reset", "--config", str(cli_config)])
    assert result.exit_code == 0, result.output
    assert "congelado en su inicio" in result.output
    assert _now(fresh_sandbox) == fresh_sandbox.start
    assert _clock(fresh_sandbox)["mode"] == "frozen"


def test_status_shows_every_url_whole(fresh_sandbox: SandboxHandle, cli_config: Path) -> None:
    result = runner.invoke(app, ["status", "--config", str(cli_config)])
    assert result.exit_code == 0, result.output
    for url in fresh_sandbox.urls.values():
        assert url in result.output
    assert "15/01/2026 10:00:00" in result.output  # the frozen start, in Colombia
