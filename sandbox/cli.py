"""``coop-sandbox``: start, inspect and steer the sandbox.

coop-sandbox up [--external coop=http://host:port] [--world FILE] [--clock frozen]
coop-sandbox status | reset [PARTY...] | clock show | clock advance 5m | clock set ISO
coop-sandbox world generate --members N --seed S [--out FILE] | world check FILE
coop-sandbox up --proxy | fault add/list/clear | proxy status/flows/contract   (docs/proxy.md)
coop-sandbox load smoke|steady|ramp|spike|soak|bench [--users N] [--duration 30s] [--processes N]
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sandbox.client import ControlError, SandboxClient
from sandbox.config import PARTIES, ConfigError, SandboxConfig, load_config
from sandbox.load.cli import load as load_command
from sandbox.proxy.cli import fault_app, proxy_app
from sandbox.proxy.launcher import DEFAULT_PORT, ProxySettings
from sandbox.runner import SandboxRun, StartError, parse_externals
from sandbox.world import WorldError, load_world

app = typer.Typer(
    name="coop-sandbox",
    help="Una red de pagos cooperativa en una caja: switch de referencia y simuladores.",
    no_args_is_help=True,
    add_completion=False,
)
clock_app = typer.Typer(help="Leer y mover el reloj del sandbox.", no_args_is_help=True)
world_app = typer.Typer(help="Mundos: validar y generar.", no_args_is_help=True)
app.add_typer(clock_app, name="clock")
app.add_typer(world_app, name="world")
app.add_typer(fault_app, name="fault")
app.add_typer(proxy_app, name="proxy")
app.command("load")(load_command)

console = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Archivo sandbox.toml.")]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """``"5m"`` → 300; ``"1h30m"`` → 5400; ``"90"`` → 90 (seconds)."""
    text = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise typer.BadParameter(f"duración no válida: {text!r} (ejemplos: 90s, 5m, 1h30m, 2d)")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def _config(path: Path | None, **overrides: object) -> SandboxConfig:
    try:
        return load_config(path, **overrides)
    except ConfigError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _client(config: SandboxConfig) -> SandboxClient:
    return SandboxClient(config.urls())


def _urls_table(config: SandboxConfig) -> Table:
    table = Table(title="coop-sandbox (OpenAPI en <URL>/docs)", title_justify="left")
    table.add_column("participante", style="bold", no_wrap=True)
    table.add_column("URL", no_wrap=True, min_width=22)
    table.add_column("qué es", overflow="fold")
    for name, party in config.parties.items():
        if not party.enabled:
            continue
        what = PARTIES[name][2] + (" [yellow](externo)[/yellow]" if party.external else "")
        table.add_row(name, party.url, what)
    return table


@app.command()
def up(
    config_path: ConfigOpt = None,
    world: Annotated[Path | None, typer.Option(help="Archivo de mundo (YAML o JSON).")] = None,
    external: Annotated[
        list[str] | None,
        typer.Option("--external", "-x", help="NOMBRE=URL: no arrancar ese participante; sus pares usan la URL."),
    ] = None,
    database_url: Annotated[str | None, typer.Option(help="Base de datos del switch (SQLite por defecto).")] = None,
    switch_workers: Annotated[int | None, typer.Option(help="Procesos del switch (use PostgreSQL).")] = None,
    clock: Annotated[str | None, typer.Option(help="real (por defecto) o frozen.")] = None,
    state_dir: Annotated[Path | None, typer.Option(help="Directorio de estado (var/).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Registros de todos en la consola.")] = False,
    proxy: Annotated[bool, typer.Option("--proxy", help="Pasar el tráfico entre participantes por mitmproxy.")] = False,
    proxy_ui: Annotated[bool, typer.Option("--proxy-ui", help="Como --proxy, con mitmweb en el navegador.")] = False,
    proxy_port: Annotated[int, typer.Option(help="Puerto del proxy.")] = DEFAULT_PORT,
    fault: Annotated[
        list[str] | None, typer.Option("--fault", help="Falla activa desde el inicio: 'error from=gateway to=ach'.")
    ] = None,
) -> None:
    """Arranca todos los participantes, imprime sus URLs y espera Ctrl-C."""
    config = _config(config_path, world=str(world) if world else None, clock=clock,
                     state_dir=str(state_dir) if state_dir else None)  # fmt: skip
    try:
        externals = parse_externals(external or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    for name, url in externals.items():
        if name not in config.parties:
            raise typer.BadParameter(f"--external: participante desconocido {name!r}; existen: {', '.join(PARTIES)}")
        config.parties[name].external_url = url.rstrip("/")
    if database_url:
        config.parties["switch"].options["database_url"] = database_url
    if switch_workers:
        config.parties["switch"].workers = switch_workers
    try:
        with console.status("Validando el mundo..."):
            os.environ.setdefault("COOP_SANDBOX_CACHE_DIR", str(Path(config.state_dir).resolve() / "cache"))
            load_world(config.world)
    except WorldError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None

    settings = None
    if proxy or proxy_ui or fault:
        settings = ProxySettings(port=proxy_port, ui=proxy_ui, web_port=proxy_port + 1, faults=tuple(fault or ()))
    run = SandboxRun(config, inherit_output=verbose, proxy=settings)
    stopping = False

    def _on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _on_term)
    # Ctrl-C stops everything even when started from a shell that ignores SIGINT in background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    try:
        with console.status("Arrancando participantes..."):
            run.start()
        console.print(_urls_table(config))
        notify = config.parties["notify"].url
        console.print(f"Buzón de SMS y correo (OTP): [link]{notify}/inbox[/link]")
        if run.proxy is not None:
            folder = Path(config.state_dir) / "proxy"
            console.print(
                f"Proxy: {run.proxy.url} · captura {folder}/capture.mitm y .har · contrato {folder}/contract.md",
                soft_wrap=True,
            )
            if run.proxy.web_url:
                console.print(f"mitmweb: [link]{run.proxy.web_url}[/link]")
        console.print(
            f"Listo en {time.monotonic() - started:.1f} s. Registros: {run.log_dir}. [bold]Ctrl-C[/bold] detiene todo."
        )
        while True:
            dead = [n for n, ok in run.alive().items() if not ok]
            if dead:
                err.print(f"[red]Terminó inesperadamente: {', '.join(dead)}[/red]")
                for name in dead:
                    err.print(run.tail(name))
                raise typer.Exit(1)
            time.sleep(0.5)
    except StartError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        stopping = True
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        run.stop()
        if stopping:
            console.print("Sandbox detenido.")


@app.command()
def status(config_path: ConfigOpt = None) -> None:
    """Salud de cada participante."""
    config = _config(config_path)
    table = Table(title="estado")
    for col in ("participante", "URL", "salud", "implementado", "hora del sandbox"):
        table.add_column(col)
    down = 0
    with _client(config) as client:
        for name, result in client.health_all().items():
            url = config.parties[name].url
            if isinstance(result, ControlError):
                down += 1
                table.add_row(name, url, "[red]sin respuesta[/red]", "", "")
            else:
                impl = "sí" if result.get("implemented") else "[yellow]no[/yellow]"
                table.add_row(name, url, "[green]ok[/green]", impl, str(result.get("now", "")))
    console.print(table)
    if down:
        raise typer.Exit(1)


@app.command()
def reset(
    parties: Annotated[list[str] | None, typer.Argument(help="Participantes (todos si se omite).")] = None,
    config_path: ConfigOpt = None,
) -> None:
    """Devuelve participantes al estado del mundo."""
    config = _config(config_path)
    with _client(config) as client:
        try:
            client.reset_all(parties or None)
        except (ControlError, KeyError) as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    console.print(f"Reiniciados: {', '.join(parties or config.urls())}")


@clock_app.command("show")
def clock_show(config_path: ConfigOpt = None) -> None:
    """Hora del sandbox según cada participante."""
    config = _config(config_path)
    with _client(config) as client:
        for name in config.urls():
            try:
                view = client.party(name).clock()
                console.print(f"{name:9} {view['now']}  ({view['mode']}, desfase {view['offset_s']:.0f} s)")
            except ControlError as exc:
                console.print(f"{name:9} [red]{exc}[/red]")


@clock_app.command("advance")
def clock_advance(
    duration: Annotated[str, typer.Argument(help="Cuánto: 90s, 5m, 1h30m, 2d.")],
    config_path: ConfigOpt = None,
) -> None:
    """Adelanta el reloj de todos los participantes y ejecuta sus tareas vencidas."""
    seconds = parse_duration(duration)
    config = _config(config_path)
    with _client(config) as client:
        try:
            now = client.advance_clock(seconds)
        except ControlError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    console.print(f"Hora del sandbox: {now.isoformat()}")


@clock_app.command("set")
def clock_set(
    moment: Annotated[str, typer.Argument(help="Instante ISO-8601 con zona, p. ej. 2026-01-15T10:00:00-05:00")],
    config_path: ConfigOpt = None,
) -> None:
    """Pone el reloj del sandbox en un instante."""
    try:
        when = datetime.fromisoformat(moment)
    except ValueError:
        raise typer.BadParameter(f"no es una fecha ISO-8601: {moment!r}") from None
    if when.tzinfo is None:
        raise typer.BadParameter("la fecha debe llevar zona horaria, p. ej. -05:00")
    config = _config(config_path)
    with _client(config) as client:
        seen: set[str] = set()
        for name in config.urls():
            party = client.party(name)
            clock_id = party.clock()["clock_id"]
            if clock_id not in seen:
                seen.add(clock_id)
                party.set_clock(when)
            else:
                party.tick()
    console.print(f"Hora del sandbox: {when.isoformat()}")


@world_app.command("generate")
def world_generate(
    members: Annotated[int, typer.Option(min=0, max=5_000_000, help="Asociados a generar.")],
    seed: Annotated[int, typer.Option(help="Semilla: la misma semilla da el mismo archivo.")] = 1,
    cards: Annotated[int | None, typer.Option(min=0, help="Tarjetas DIMO (por defecto, = members).")] = None,
    counters: Annotated[int, typer.Option(min=0, help="Bocas de cobranza adicionales.")] = 50,
    out: Annotated[Path | None, typer.Option(help="Archivo de salida (.yaml o .json).")] = None,
) -> None:
    """Genera un mundo grande y determinista (Faker es_CO) para pruebas de carga."""
    from sandbox.world.generate import generate_world, write_world

    target = out or Path("var") / "worlds" / f"world-{members}-seed{seed}.yaml"
    started = time.monotonic()
    with console.status(f"Generando {members} asociados..."):
        data = generate_world(members, seed, cards=cards, counters=counters)
        write_world(data, target)
    console.print(
        f"{target}: {len(data['members'])} asociados, {len(data['dimo_cards'])} tarjetas, "
        f"{len(data['counters'])} bocas en {time.monotonic() - started:.1f} s"
    )


@world_app.command("check")
def world_check(file: Annotated[Path, typer.Argument(help="Archivo de mundo.")]) -> None:
    """Valida un archivo de mundo y resume su contenido."""
    try:
        world = load_world(file)
    except WorldError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(
        f"{file}: válido — {len(world.entities)} entidades, {len(world.members)} asociados, "
        f"{len(world.banks)} bancos, {len(world.merchants)} comercios, {len(world.dimo_cards)} tarjetas, "
        f"{len(world.counters)} bocas."
    )


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":
    main()
