"""``coop-sandbox fault ...`` and ``coop-sandbox proxy ...``: steer the proxy of a running sandbox.

coop-sandbox fault add --kind drop_response --from red --to switch \
    --op "POST /sicoop/v1/withdrawals/*/confirm" --count 1
coop-sandbox fault list | fault clear [ID]
coop-sandbox proxy status | proxy flows [--from red] [--to switch] | proxy contract [--write]

The proxy is found from ``--proxy-url``, else ``COOP_SANDBOX_PROXY_URL``, else the ``proxy_url`` of
the running sandbox (``<state_dir>/run/config.json``), else http://127.0.0.1:8090.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sandbox.config import ConfigError, load_config
from sandbox.proxy.client import ProxyControl, ProxyControlError
from sandbox.proxy.launcher import DEFAULT_PORT

PROXY_ENV = "COOP_SANDBOX_PROXY_URL"
KINDS_HELP = "delay, drop_request, drop_response, error, reset, duplicate"

fault_app = typer.Typer(help="Fallas inyectadas por el proxy (up --proxy).", no_args_is_help=True)
proxy_app = typer.Typer(help="El proxy del sandbox: estado, flujos vistos, contrato.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

ProxyUrlOpt = Annotated[
    str | None, typer.Option("--proxy-url", help=f"URL del proxy (o {PROXY_ENV}; por defecto, la del sandbox).")
]
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Archivo sandbox.toml.")]


def find_proxy_url(explicit: str | None, config_path: Path | None = None) -> str:
    if explicit:
        return explicit
    if os.environ.get(PROXY_ENV):
        return os.environ[PROXY_ENV]
    try:
        config = load_config(config_path)
    except ConfigError:
        config = None
    if config is not None:
        run_file = Path(config.state_dir) / "run" / "config.json"
        try:
            url = json.loads(run_file.read_text()).get("proxy_url")
        except (OSError, ValueError):
            url = None
        if url:
            return str(url)
    return f"http://127.0.0.1:{DEFAULT_PORT}"


def _control(proxy_url: str | None, config_path: Path | None) -> ProxyControl:
    return ProxyControl(find_proxy_url(proxy_url, config_path))


NO_PROXY = (
    "El sandbox corre sin proxy (se arrancó sin --proxy): no hay fallas ni tráfico grabado. "
    "Para inyectar fallas, arránquelo con [bold]coop-sandbox up --proxy[/bold]."
)


def started_without_proxy(explicit: str | None, config_path: Path | None = None) -> bool:
    """The latest sandbox started from this configuration (``<state_dir>/run/config.json``) has no
    proxy, and no proxy URL was given."""
    if explicit or os.environ.get(PROXY_ENV):
        return False
    try:
        run_file = Path(load_config(config_path).state_dir) / "run" / "config.json"
        return json.loads(run_file.read_text()).get("proxy_url") is None
    except (ConfigError, OSError, ValueError):
        return False


def _fail(exc: ProxyControlError, proxy_url: str | None = None, config_path: Path | None = None) -> typer.Exit:
    if exc.status == 0 and started_without_proxy(proxy_url, config_path):
        err.print(NO_PROXY)
        return typer.Exit(1)
    field = f" (campo {exc.field})" if exc.field else ""
    err.print(f"[red]{exc}{field}[/red]")
    if exc.status == 0:
        err.print("¿Está el sandbox corriendo con [bold]coop-sandbox up --proxy[/bold]?")
    return typer.Exit(1)


def _faults_table(faults: list[dict[str, Any]]) -> Table:
    table = Table(title="fallas (la primera que coincide gana)", title_justify="left")
    for column in ("id", "falla", "aplicada", "coincidencias", "quedan"):
        table.add_column(column, overflow="fold")
    for fault in faults:
        remaining = "∞" if fault["remaining"] is None else str(fault["remaining"])
        style = "dim" if fault["spent"] else ""
        table.add_row(str(fault["id"]), fault["text"], str(fault["applied"]), str(fault["matched"]), remaining,
                      style=style)  # fmt: skip
    return table


@fault_app.command("add")
def fault_add(
    kind: Annotated[str, typer.Option("--kind", "-k", help=f"Qué falla: {KINDS_HELP}.")],
    from_party: Annotated[str, typer.Option("--from", help="Quién llama (* = cualquiera).")] = "*",
    to_party: Annotated[str, typer.Option("--to", help="Quién recibe (* = cualquiera).")] = "*",
    op: Annotated[str, typer.Option("--op", help='Operación: "POST /ruta/*/x", "/ruta/**" o un operationId.')] = "*",
    count: Annotated[int | None, typer.Option(min=1, help="Cuántas veces (por defecto, siempre).")] = None,
    probability: Annotated[float | None, typer.Option("--probability", "-p", help="Probabilidad, 0 < p ≤ 1.")] = None,
    seed: Annotated[int | None, typer.Option(help="Semilla de la probabilidad.")] = None,
    delay: Annotated[str | None, typer.Option(help="delay: cuánto (500ms, 2s).")] = None,
    status: Annotated[int | None, typer.Option(help="error: el 5xx a responder (503).")] = None,
    hold: Annotated[str | None, typer.Option(help="drops: cuánto sostener la conexión como máximo (30s).")] = None,
    proxy_url: ProxyUrlOpt = None,
    config_path: ConfigOpt = None,
) -> None:
    """Agrega una falla; se aplica desde la próxima solicitud que coincida."""
    spec: dict[str, Any] = {"kind": kind, "from": from_party, "to": to_party, "op": op}
    optional = {"count": count, "probability": probability, "seed": seed, "delay": delay, "status": status,
                "hold": hold}  # fmt: skip
    spec.update({k: v for k, v in optional.items() if v is not None})
    with _control(proxy_url, config_path) as control:
        try:
            fault = control.add_fault(spec)
        except ProxyControlError as exc:
            raise _fail(exc, proxy_url, config_path) from None
    console.print(f"Falla #{fault['id']}: {fault['text']}")


@fault_app.command("list")
def fault_list(proxy_url: ProxyUrlOpt = None, config_path: ConfigOpt = None) -> None:
    """Las fallas activas y lo que ha hecho cada una."""
    with _control(proxy_url, config_path) as control:
        try:
            faults = control.faults()
        except ProxyControlError as exc:
            if exc.status == 0 and started_without_proxy(proxy_url, config_path):
                console.print(NO_PROXY)  # a true answer to "which faults are active": none
                return
            raise _fail(exc, proxy_url, config_path) from None
    if not faults:
        console.print("No hay fallas activas.")
        return
    console.print(_faults_table(faults))


@fault_app.command("clear")
def fault_clear(
    fault_id: Annotated[int | None, typer.Argument(help="Id de la falla (todas si se omite).")] = None,
    proxy_url: ProxyUrlOpt = None,
    config_path: ConfigOpt = None,
) -> None:
    """Quita una falla, o todas."""
    with _control(proxy_url, config_path) as control:
        try:
            if fault_id is None:
                console.print(f"Fallas quitadas: {control.clear_faults()}")
            else:
                control.remove_fault(fault_id)
                console.print(f"Falla #{fault_id} quitada.")
        except ProxyControlError as exc:
            raise _fail(exc, proxy_url, config_path) from None


@proxy_app.command("status")
def proxy_status(proxy_url: ProxyUrlOpt = None, config_path: ConfigOpt = None) -> None:
    """¿Responde el proxy? Versión de mitmproxy y participantes que conoce."""
    with _control(proxy_url, config_path) as control:
        try:
            health = control.health()
        except ProxyControlError as exc:
            raise _fail(exc, proxy_url, config_path) from None
    console.print(f"Proxy {control.proxy_url}: ok (mitmproxy {health['mitmproxy']}), participantes: "
                  f"{', '.join(health['parties'])}")  # fmt: skip


@proxy_app.command("flows")
def proxy_flows(
    from_party: Annotated[str | None, typer.Option("--from", help="Solo de este participante.")] = None,
    to_party: Annotated[str | None, typer.Option("--to", help="Solo hacia este participante.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 30,
    proxy_url: ProxyUrlOpt = None,
    config_path: ConfigOpt = None,
) -> None:
    """Los últimos mensajes entre participantes (enmascarados)."""
    where = {k: v for k, v in {"from_": from_party, "to": to_party}.items() if v}
    with _control(proxy_url, config_path) as control:
        try:
            flows = control.flows(limit, **where)
        except ProxyControlError as exc:
            raise _fail(exc, proxy_url, config_path) from None
    table = Table(title="mensajes entre participantes", title_justify="left")
    for column in ("#", "de → a", "operación", "estado", "falla", "ms"):
        table.add_column(column, overflow="fold")
    for f in flows:
        outcome = str(f["status"]) if f["status"] is not None else f"[red]{f['error']}[/red]"
        fault = f"{f['fault']} #{f['fault_id']}" if f["fault"] else ("copia" if f["copy_of"] else "")
        table.add_row(str(f["seq"]), f"{f['from']} → {f['to']}", f["operation"] or f"{f['method']} {f['path']}",
                      outcome, fault, str(f["duration_ms"] or ""))  # fmt: skip
    console.print(table)


@proxy_app.command("contract")
def proxy_contract(
    write: Annotated[bool, typer.Option("--write", help="Escribir también contract.json y contract.md.")] = False,
    proxy_url: ProxyUrlOpt = None,
    config_path: ConfigOpt = None,
) -> None:
    """Los mensajes que incumplen el OpenAPI de quien los recibe; sale con 1 si hay errores."""
    with _control(proxy_url, config_path) as control:
        try:
            report = control.contract()
            files = control.write_contract() if write else {}
        except ProxyControlError as exc:
            raise _fail(exc, proxy_url, config_path) from None
    checked = report["checked"]
    console.print(f"Revisados: {checked['requests']} solicitudes, {checked['responses']} respuestas; "
                  f"errores: {report['errors']}, avisos: {report['warnings']}.")  # fmt: skip
    if report["summary"]:
        table = Table(title_justify="left")
        for column in ("gravedad", "receptor", "operación", "campo", "qué falló", "veces", "emisor"):
            table.add_column(column, overflow="fold")
        for row in report["summary"]:
            table.add_row(row["severity"], row["party"], f"{row['direction']} {row['operation']}", row["field"],
                          row["problem"], str(row["count"]), row["caller"])  # fmt: skip
        console.print(table)
    for name, path in files.items():
        if path:
            console.print(f"{name}: {path}")
    if report["errors"]:
        raise typer.Exit(1)
