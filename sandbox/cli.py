"""``coop-sandbox``: start, inspect and steer the sandbox.

coop-sandbox up [--external coop=http://host:port] [--world FILE] [--clock frozen]
coop-sandbox up [--fresh] | status | reset [PARTY...] [--keep-clock]
coop-sandbox restart PARTY [--kill] | stop PARTY | start PARTY   (parties of a running `up`)
coop-sandbox clock show | clock advance 5m | clock advance -25m | clock set ISO | clock set now | clock reset
coop-sandbox world generate --members N --seed S [--out FILE] | world check FILE
coop-sandbox up --proxy | fault add/list/clear | proxy status/flows/contract   (docs/proxy.md)
coop-sandbox load smoke|steady|ramp|spike|soak|bench [--users N] [--duration 30s] [--processes N]
coop-sandbox conformance coop|switch --url URL [--declaration FILE] [--waivers FILE] [--proxy] | conformance verify DIR
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sandbox.client import ControlError, PartyClient, SandboxClient
from sandbox.config import PARTIES, ConfigError, SandboxConfig, load_config
from sandbox.conformance.cli import conformance_app
from sandbox.kit.labels import zone_time
from sandbox.load.cli import load as load_command
from sandbox.proxy.cli import fault_app, proxy_app
from sandbox.proxy.launcher import DEFAULT_PORT, ProxySettings
from sandbox.runner import DEFAULT_FROZEN_START, SandboxRun, StartError, StartPoint, parse_externals, start_here
from sandbox.supervisor import Event, NotSupervised, ask, exit_text, read_status
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
app.add_typer(conformance_app, name="conformance")
app.command("load")(load_command)

console = Console()
err = Console(stderr=True)
#: For what holds URLs: never cut at 80 columns when the output is not a terminal (a pipe, CI).
wide = Console(width=None if console.is_terminal else 200)

#: How long `up` waits for every party to answer its health check (a busy 2-core machine needs
#: more than the runner's 30 s default for the switch's first start).
START_TIMEOUT_S = 60.0

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Archivo sandbox.toml.")]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION_HELP = "Cuánto, con unidad y signo opcional: 90s, 5m, 1h30m, 2d, -25m (hacia atrás)."


def parse_duration(text: str) -> float:
    """``"5m"`` → 300; ``"1h30m"`` → 5400; ``"-25m"`` → -1500. A bare number is refused: is
    ``5`` seconds or minutes? The message asks for the unit."""
    raw = text
    text = text.strip().lower().replace(" ", "")
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.removeprefix("-") if sign < 0 else text.removeprefix("+")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        raise typer.BadParameter(
            f"{raw!r} no dice la unidad: escriba {text}s (segundos), {text}m (minutos), {text}h o {text}d"
        )
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise typer.BadParameter(f"duración no válida: {raw!r} (ejemplos: 90s, 5m, 1h30m, 2d, -25m)")
    return sign * sum(float(n) * _UNITS[u] for n, u in parts)


def describe_duration(seconds: float) -> str:
    """``-1500`` → ``"25 min atrás"``; ``5400`` → ``"1 h 30 min adelante"`` (for messages)."""
    left = abs(round(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if left >= size:
            parts.append(f"{left // size} {unit}")
            left %= size
    return (" ".join(parts) or "0 s") + (" atrás" if seconds < 0 else " adelante")


def _config(path: Path | None, **overrides: object) -> SandboxConfig:
    try:
        return load_config(path, **overrides)
    except ConfigError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _client(config: SandboxConfig) -> SandboxClient:
    return SandboxClient(config.urls())


def _urls_table(config: SandboxConfig) -> Table:
    table = Table(title="coop-sandbox (OpenAPI en <URL>/docs y <URL>/redoc)", title_justify="left")
    urls = [p.url for p in config.parties.values() if p.enabled]
    table.add_column("participante", style="bold", no_wrap=True)
    table.add_column("URL", no_wrap=True, min_width=max(map(len, urls), default=22))
    table.add_column("qué es", overflow="fold")
    for name, party in config.parties.items():
        if not party.enabled:
            continue
        what = PARTIES[name][2] + (" [yellow](externo)[/yellow]" if party.external else "")
        table.add_row(name, party.url, what)
    return table


def _start_here(points: list[StartPoint]) -> None:
    """Where a person starts: one block per page, the URL on a line of its own (never cut)."""
    wide.print("\n[bold]Por dónde empezar[/bold] (datos de prueba: docs/magic-values.md)")
    for point in points:
        pending = "" if point.available else " [yellow](pendiente: el switch aún no la sirve)[/yellow]"
        wide.print(f"• {point.what}{pending}", highlight=False)
        wide.print(f"    {point.url}", soft_wrap=True, highlight=False)
        if point.identity:
            wide.print(f"    {point.identity}", soft_wrap=True, highlight=False)


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
    fresh: Annotated[
        bool,
        typer.Option("--fresh", help="Empezar desde el mundo (como `reset`), sin continuar el estado guardado."),
    ] = False,
) -> None:
    """Arranca todos los participantes, imprime sus URLs y espera Ctrl-C.

    Sobre un directorio de estado existente continúa donde quedó: lo que cada participante
    confirmó y el desfase del reloj se conservan. Con --fresh vuelve al mundo."""
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
            the_world = load_world(config.world)
    except WorldError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None

    settings = None
    if proxy or proxy_ui or fault:
        settings = ProxySettings(port=proxy_port, ui=proxy_ui, web_port=proxy_port + 1, faults=tuple(fault or ()))
    run = SandboxRun(config, inherit_output=verbose, proxy=settings, fresh=fresh)
    stopping = False

    def _on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _on_term)
    # Ctrl-C stops everything even when started from a shell that ignores SIGINT in background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    try:
        with console.status("Arrancando participantes..."):
            run.start(timeout_s=START_TIMEOUT_S, supervise=True, on_event=_print_event(run))
        wide.print(_urls_table(config))
        _start_here(start_here(config, the_world))
        if run.proxy is not None:
            folder = Path(config.state_dir) / "proxy"
            console.print(
                f"Proxy: {run.proxy.url} · captura {folder}/capture.mitm y .har · contrato {folder}/contract.md",
                soft_wrap=True,
            )
            if run.proxy.web_url:
                console.print(f"mitmweb: [link]{run.proxy.web_url}[/link]")
        state = (
            "desde el mundo"
            if fresh
            else f"continuando el estado de {run.state_dir}"
            + (" y su reloj" if run.clock_kept else "")
            + " (--fresh: desde el mundo)"
        )
        console.print(
            f"Listo en {time.monotonic() - started:.1f} s, {state}. Registros: {run.log_dir}. "
            "[bold]Ctrl-C[/bold] detiene todo.",
            soft_wrap=True,
        )
        if not fresh:
            _warn_kept_rules({name: url for name, url in run.urls().items() if name in run.started})
        while True:  # the supervisor restarts a party that dies; only the proxy's end stops `up`
            if run.proxy is not None and not run.proxy.alive():
                err.print("[red]Terminó inesperadamente: proxy[/red]")
                err.print(run.tail("proxy"))
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


def _warn_kept_rules(urls: dict[str, str]) -> None:
    """Behaviour rules outlive a restart (a fault a test set up is not lifted by a crash): say which
    parties start with rules left by a previous run, so nobody wonders why a payment is declined."""
    kept: list[str] = []
    with SandboxClient(urls) as client:
        for name in urls:
            try:
                live = [r for r in client.party(name).rules() if not r.get("spent")]
            except ControlError:
                continue
            if live:
                kept.append(f"{name} ({len(live)})")
    if kept:
        console.print(
            f"[yellow]Reglas de comportamiento de la corrida anterior activas en: {', '.join(kept)}.[/yellow] "
            "Se ven en <URL>/_sandbox/rules; `coop-sandbox reset` (o DELETE /_sandbox/rules) las quita.",
            soft_wrap=True,
        )


def _print_event(run: SandboxRun) -> Callable[[Event], None]:
    def show(event: Event) -> None:
        if event.kind == "crashed":
            err.print(f"[red]{event.party}: {event.text}[/red]", soft_wrap=True)
            err.print(run.tail(event.party, lines=10), soft_wrap=True, highlight=False)
        else:
            err.print(f"[yellow]{event.party}: {event.text}[/yellow]", soft_wrap=True)

    return show


def _process_text(info: dict[str, Any] | None) -> str:
    """A party's process as the supervisor sees it, for `status`."""
    if info is None:
        return ""
    state = {"running": "en marcha", "starting": "arrancando", "restarting": "reiniciando",
             "stopped": "[yellow]detenido[/yellow]"}.get(info["state"], info["state"])  # fmt: skip
    parts = [state + (f" (pid {info['pid']})" if info.get("pid") else "")]
    if info["state"] == "restarting" and info.get("next_start_in_s") is not None:
        parts.append(f"en {info['next_start_in_s']:g} s")
    if info.get("crashes"):
        when = zone_time(info["last_crash_at"], seconds=True, label=False) if info.get("last_crash_at") else ""
        parts.append(f"[red]{info['crashes']} caída(s)[/red], la última {when} ({exit_text(info.get('last_exit'))})")
    if info.get("restarts"):
        parts.append(f"{info['restarts']} reinicio(s)")
    return " · ".join(parts)


def _supervised(config: SandboxConfig, party: str, command: str, done: str) -> None:
    if party not in config.parties:
        raise typer.BadParameter(f"participante desconocido {party!r}; existen: {', '.join(PARTIES)}")
    try:
        with console.status(f"{party}: {command}..."):
            info = ask(Path(config.state_dir) / "run", party, command)
    except NotSupervised as exc:
        err.print(f"[red]{exc}: arranque el sandbox con `coop-sandbox up`.[/red]")
        raise typer.Exit(1) from None
    except KeyError:
        err.print(f"[red]{party} no corre en este sandbox (¿externo o deshabilitado?).[/red]")
        raise typer.Exit(1) from None
    except TimeoutError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    wide.print(f"{party}: {done}" + (f" (pid {info['pid']})" if info.get("pid") else "") + ".")


PartyArg = Annotated[str, typer.Argument(help="Participante: switch, ceibo, red, ach, bank, coop, gateway, ...")]


@app.command()
def restart(
    party: PartyArg,
    kill: Annotated[bool, typer.Option("--kill", help="SIGKILL, como una caída (por defecto SIGTERM).")] = False,
    config_path: ConfigOpt = None,
) -> None:
    """Reinicia un participante del `up` en curso; los demás siguen. Su estado guardado se conserva."""
    _supervised(_config(config_path), party, "kill" if kill else "restart", "reiniciado")


@app.command()
def stop(party: PartyArg, config_path: ConfigOpt = None) -> None:
    """Detiene un participante del `up` en curso (no se reinicia hasta `coop-sandbox start`)."""
    _supervised(_config(config_path), party, "stop", "detenido")


@app.command()
def start(party: PartyArg, config_path: ConfigOpt = None) -> None:
    """Arranca de nuevo un participante detenido con `coop-sandbox stop`."""
    _supervised(_config(config_path), party, "start", "en marcha")


@app.command()
def status(config_path: ConfigOpt = None) -> None:
    """Salud de cada participante y, con un `up` en curso, su proceso: caídas y reinicios."""
    config = _config(config_path)
    table = Table(title="estado", title_justify="left")
    urls = [config.parties[n].url for n in config.urls()]
    table.add_column("participante", no_wrap=True)
    # A URL is never cut: its column is as wide as the longest one; the others fold.
    table.add_column("URL", no_wrap=True, min_width=max(map(len, urls), default=3))
    table.add_column("salud", overflow="fold")
    table.add_column("implementado", overflow="fold")
    table.add_column("hora del sandbox (Colombia)", overflow="fold")
    supervised = read_status(Path(config.state_dir) / "run")
    processes = supervised["parties"] if supervised else {}
    if supervised:
        table.add_column("proceso (supervisor)", overflow="fold")
    down = 0
    with _client(config) as client:
        for name, result in client.health_all().items():
            url = config.parties[name].url
            extra = [_process_text(processes.get(name))] if supervised else []
            if isinstance(result, ControlError):
                down += 1
                table.add_row(name, url, "[red]sin respuesta[/red]", "", "", *extra)
            else:
                impl = "sí" if result.get("implemented") else "[yellow]no[/yellow]"
                when = zone_time(result.get("now"), seconds=True, label=False)
                table.add_row(name, url, "[green]ok[/green]", impl, when, *extra)
    wide.print(table)
    if down:
        raise typer.Exit(1)


def _started_clock(config: SandboxConfig) -> tuple[str, datetime]:
    """How ``up`` started the running sandbox's clock: its mode and, when frozen, its start instant
    (from ``<state_dir>/run/config.json``; ``sandbox.toml`` when no sandbox wrote one)."""
    mode, start = config.clock, config.clock_start
    run_file = Path(config.state_dir) / "run" / "config.json"
    try:
        started = json.loads(run_file.read_text())
        mode, start = started.get("clock", mode), started.get("clock_start", start)
    except (OSError, ValueError):
        pass
    return mode, datetime.fromisoformat(start or DEFAULT_FROZEN_START)


def _clock_groups(client: SandboxClient, names: Iterable[str]) -> tuple[list[PartyClient], list[PartyClient]]:
    """One party per shared clock (parties started together share one), and the others."""
    groups: dict[str, PartyClient] = {}
    others: list[PartyClient] = []
    for name in names:
        party = client.party(name)
        clock_id = party.clock()["clock_id"]
        if clock_id in groups:
            others.append(party)
        else:
            groups[clock_id] = party
    return list(groups.values()), others


def _change_clock(client: SandboxClient, names: Iterable[str], change: dict[str, Any]) -> datetime:
    """Apply one control-API clock change to every clock, then let every party run its due jobs."""
    heads, others = _clock_groups(client, names)
    now = None
    for party in heads:
        now = datetime.fromisoformat(party.request("POST", "/_sandbox/clock", json=change)["now"])
    for party in others:
        party.tick()
    if now is None:
        raise ControlError("sandbox", None, "no_parties", "ningún participante respondió")
    return now


def _back_to_start(client: SandboxClient, config: SandboxConfig) -> str:
    mode, start = _started_clock(config)
    names = list(config.urls())
    if mode == "frozen":
        _change_clock(client, names, {"mode": "frozen"})
        _change_clock(client, names, {"set": start.isoformat()})
        return f"reloj congelado en su inicio, {zone_time(start, seconds=True)}"
    _change_clock(client, names, {"offset_s": 0})
    return "reloj en la hora real (desfase 0)"


@app.command()
def reset(
    parties: Annotated[list[str] | None, typer.Argument(help="Participantes (todos si se omite).")] = None,
    keep_clock: Annotated[
        bool, typer.Option("--keep-clock", help="No tocar el reloj (por defecto vuelve a como lo dejó `up`).")
    ] = False,
    config_path: ConfigOpt = None,
) -> None:
    """Devuelve participantes al estado del mundo.

    Sin nombres, reinicia todos y devuelve el reloj a como lo arrancó `up`: la hora real (desfase 0)
    o, con --clock frozen, el instante de inicio. Con nombres, o con --keep-clock, el reloj (que es
    de todos) no se toca."""
    config = _config(config_path)
    with _client(config) as client:
        try:
            client.reset_all(parties or None)
            clock = "reloj sin cambios" if parties or keep_clock else _back_to_start(client, config)
        except (ControlError, KeyError) as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    wide.print(f"Reiniciados: {', '.join(parties or config.urls())}; {clock}.")


@clock_app.command("show")
def clock_show(config_path: ConfigOpt = None) -> None:
    """Hora del sandbox según cada participante."""
    config = _config(config_path)
    with _client(config) as client:
        for name in config.urls():
            try:
                view = client.party(name).clock()
                when = zone_time(view["now"], seconds=True)
                wide.print(f"{name:9} {when}  ({view['mode']}, desfase {view['offset_s']:.0f} s)")
            except ControlError as exc:
                wide.print(f"{name:9} [red]{exc}[/red]")


# "-25m" looks like an option to click: unknown options are kept as the argument instead.
_SIGNED = {"ignore_unknown_options": True}


@clock_app.command("advance", context_settings=_SIGNED)
def clock_advance(
    duration: Annotated[str, typer.Argument(help=DURATION_HELP)],
    config_path: ConfigOpt = None,
) -> None:
    """Mueve el reloj de todos los participantes (hacia atrás con -) y ejecuta sus tareas vencidas."""
    seconds = parse_duration(duration)
    config = _config(config_path)
    with _client(config) as client:
        try:
            if seconds >= 0:
                now = client.advance_clock(seconds)
            else:
                # The control API only moves a clock forward by steps; back is "set to now − d".
                heads, others = _clock_groups(client, config.urls())
                for party in heads:
                    now = party.now() + timedelta(seconds=seconds)
                    party.set_clock(now)
                for party in others:
                    party.tick()
        except ControlError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    wide.print(f"Reloj {describe_duration(seconds)}. Hora del sandbox: {zone_time(now, seconds=True)}")
    if seconds < 0:
        console.print("[yellow]Lo que ya venció no se deshace (retenciones, pagos, ciclos).[/yellow]")


@clock_app.command("set")
def clock_set(
    moment: Annotated[
        str, typer.Argument(help="'now' (la hora real) o un instante ISO-8601 con zona: 2026-01-15T10:00:00-05:00")
    ],
    config_path: ConfigOpt = None,
) -> None:
    """Pone el reloj del sandbox en un instante, o en la hora real con 'now'."""
    if moment.strip().lower() in ("now", "ahora"):
        clock_reset(config_path)
        return
    try:
        when = datetime.fromisoformat(moment)
    except ValueError:
        raise typer.BadParameter(f"no es una fecha ISO-8601: {moment!r} (o escriba 'now')") from None
    if when.tzinfo is None:
        raise typer.BadParameter("la fecha debe llevar zona horaria, p. ej. -05:00")
    config = _config(config_path)
    with _client(config) as client:
        try:
            _change_clock(client, config.urls(), {"set": when.isoformat()})
        except ControlError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    wide.print(f"Hora del sandbox: {zone_time(when, seconds=True)}")


@clock_app.command("reset")
def clock_reset(config_path: ConfigOpt = None) -> None:
    """Vuelve a la hora real: el reloj corre y su desfase es 0 (también `clock set now`)."""
    config = _config(config_path)
    with _client(config) as client:
        try:
            now = _change_clock(client, config.urls(), {"offset_s": 0})
        except ControlError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    wide.print(f"Reloj en la hora real (desfase 0): {zone_time(now, seconds=True)}")


@world_app.command("generate")
def world_generate(
    members: Annotated[
        int,
        typer.Option(min=0, max=5_000_000, help="Asociados del archivo, contando las personas del mundo por defecto."),
    ],
    seed: Annotated[int, typer.Option(help="Semilla: la misma semilla da el mismo archivo.")] = 1,
    cards: Annotated[
        int | None,
        typer.Option(min=0, help="Tarjetas DIMO del archivo, contando las del mundo por defecto (= members)."),
    ] = None,
    counters: Annotated[
        int, typer.Option(min=0, help="Bocas de cobranza adicionales a las del mundo por defecto.")
    ] = 50,
    out: Annotated[Path | None, typer.Option(help="Archivo de salida (.yaml o .json).")] = None,
) -> None:
    """Genera un mundo grande y determinista (Faker es_CO) para pruebas de carga."""
    from sandbox.world.generate import WorldSizeError, generate_world, write_world

    target = out or Path("var") / "worlds" / f"world-{members}-seed{seed}.yaml"
    started = time.monotonic()
    try:
        with console.status(f"Generando {members} asociados..."):
            data = generate_world(members, seed, cards=cards, counters=counters)
            write_world(data, target)
    except WorldSizeError as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(
        f"{target}: {len(data['members'])} asociados, {len(data['dimo_cards'])} tarjetas, "
        f"{len(data['counters'])} bocas en {time.monotonic() - started:.1f} s",
        soft_wrap=True,
    )
    console.print("Para usarlo:", soft_wrap=True)
    console.print(f"  coop-sandbox up --world {target}", soft_wrap=True, highlight=False)
    console.print(f"  coop-sandbox load steady --world {target}", soft_wrap=True, highlight=False)


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
